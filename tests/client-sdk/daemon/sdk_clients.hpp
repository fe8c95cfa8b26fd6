#pragma once
// SDK clients (elmo::sdk::Client, each with its own thread) for multi-process tests against real
// elmods started by the elmod harness (tests/node/daemon, reused read-only): what each client's
// callbacks saw, behind a mutex, and deadline-bounded waits.
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "client-sdk/api/client.hpp"
#include "elmod_clients.hpp"

namespace elmo::sdk::test {

using namespace std::chrono_literals;
using daemon::test::LocalCluster;
using daemon::test::NodeSpec;
using daemon::test::poll_until;

inline Endpoint client_endpoint(const NodeSpec& n) {
    return Endpoint::v4(0x7f000001, n.client_port);
}

struct Recorded {
    std::mutex mu;
    std::set<EventId> received;
    std::uint64_t duplicates = 0;
    std::set<EventId> accepted;

    std::size_t received_count() {
        std::lock_guard l(mu);
        return received.size();
    }
    std::set<EventId> received_copy() {
        std::lock_guard l(mu);
        return received;
    }
    std::size_t accepted_count() {
        std::lock_guard l(mu);
        return accepted.size();
    }
};

struct SdkClient {
    std::unique_ptr<Client> client;
    Recorded seen;
};

// A client of `homes` (pinned certificates), subscribed to `topics`, started.
inline std::unique_ptr<SdkClient> sdk_client(const std::vector<NodeSpec>& homes,
                                             const std::vector<transport::CertFingerprint>& pins,
                                             const std::vector<std::string>& topics = {},
                                             std::filesystem::path state_dir = {},
                                             std::uint64_t seed = 1) {
    auto c = std::make_unique<SdkClient>();
    ClientOptions o;
    for (const auto& h : homes) o.nodes.push_back(client_endpoint(h));
    o.trust = client::TrustPolicy::pinned(pins);
    o.state_dir = std::move(state_dir);
    o.seed = seed;
    auto opened = Client::open(o);
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error());
    if (!opened.ok()) return nullptr;
    c->client = std::move(*opened);
    Recorded* r = &c->seen;
    for (const auto& t : topics)
        c->client->subscribe(t, [r](const Event& e) {
            std::lock_guard l(r->mu);
            if (!r->received.insert(e.id).second) ++r->duplicates;
        });
    c->client->set_publish_handler([r](const EventId& id, PublishOutcome o) {
        std::lock_guard l(r->mu);
        if (o == PublishOutcome::accepted) r->accepted.insert(id);
    });
    c->client->start();
    return c;
}

inline bool registered(Client& c, const std::string& topic) {
    auto s = c.status();
    return std::find(s.registered.begin(), s.registered.end(), topic) != s.registered.end();
}

inline std::vector<transport::CertFingerprint> pins_of(const LocalCluster& cluster) {
    std::vector<transport::CertFingerprint> pins;
    for (const auto& s : cluster.specs) pins.push_back(daemon::test::fingerprint(s));
    return pins;
}

// The index of the node `c` is connected to, or -1.
inline int home_index(Client& c, const LocalCluster& cluster) {
    auto s = c.status();
    if (!s.home) return -1;
    for (std::size_t i = 0; i < cluster.specs.size(); ++i)
        if (cluster.specs[i].client_port == s.home->port) return static_cast<int>(i);
    return -1;
}

}  // namespace elmo::sdk::test
