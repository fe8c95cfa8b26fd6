#pragma once
// A fake DHT directory for node-core tests: one store shared by every node's port; queries wait
// until the test answers them (DirectoryPort answers are never given inside the asking call).
#include <map>
#include <utility>
#include <vector>

#include "tests/node/core_harness.hpp"

namespace elmo::test {

struct FakeDht {
    std::map<DirectoryKey, std::map<std::uint64_t, Bytes>> store;
    struct Port : DirectoryPort {
        FakeDht* dht = nullptr;
        std::vector<std::pair<std::uint64_t, DirectoryKey>> queries;
        int announces = 0;     // mailbox entries
        int replica_puts = 0;  // event replicas
        void announce(const DirectoryKey& key, std::uint64_t value_id, ByteView value,
                      DirectoryValueKind kind) override {
            ++(kind == DirectoryValueKind::event_replica ? replica_puts : announces);
            dht->store[key][value_id] = Bytes(value.begin(), value.end());
        }
        void query(std::uint64_t id, const DirectoryKey& key) override {
            queries.push_back({id, key});
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
        for (const auto& [id, key] : qs) {
            std::vector<Bytes> values;
            if (auto it = store.find(key); it != store.end())
                for (const auto& [vid, v] : it->second) values.push_back(v);
            c.node(i).wake = c.core(i).on_directory_answer(c.now(), id, values);
        }
    }
};

}  // namespace elmo::test
