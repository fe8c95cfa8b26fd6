#pragma once
// A fake DHT directory for node-core tests: one store shared by every node's port; queries wait
// until the test answers them (DirectoryPort answers are never given inside the asking call).
#include <map>
#include <utility>
#include <vector>

#include "tests/node/core_harness.hpp"

namespace elmo::test {

struct FakeDht {
    struct Stored {
        DirectoryValueKind kind;
        Bytes value;
    };
    std::map<DirectoryKey, std::map<std::uint64_t, Stored>> store;
    struct Port : DirectoryPort {
        FakeDht* dht = nullptr;
        struct Query {
            std::uint64_t id;
            DirectoryKey key;
            DirectoryValueKind kind;
        };
        std::vector<Query> queries;
        int announces = 0;     // mailbox entries
        int replica_puts = 0;  // event replicas
        void announce(const DirectoryKey& key, std::uint64_t value_id, ByteView value,
                      DirectoryValueKind kind) override {
            ++(kind == DirectoryValueKind::event_replica ? replica_puts : announces);
            dht->store[key][value_id] = {kind, Bytes(value.begin(), value.end())};
        }
        void query(std::uint64_t id, const DirectoryKey& key, DirectoryValueKind kind) override {
            queries.push_back({id, key, kind});
        }
    };
    std::vector<Port> ports;
    explicit FakeDht(CoreCluster& c, std::size_t n) : ports(n) {
        for (std::size_t i = 0; i < n; ++i) {
            ports[i].dht = this;
            c.core(i).set_directory(&ports[i]);
        }
    }
    // Answers node i's queries from the store.
    void answer(CoreCluster& c, std::size_t i) {
        auto qs = std::move(ports[i].queries);
        ports[i].queries.clear();
        for (const auto& q : qs) {
            std::vector<Bytes> values;
            if (auto it = store.find(q.key); it != store.end())
                for (const auto& [vid, v] : it->second)
                    if (v.kind == q.kind) values.push_back(v.value);
            c.node(i).wake = c.core(i).on_directory_answer(c.now(), q.id, values);
        }
    }
};

}  // namespace elmo::test
