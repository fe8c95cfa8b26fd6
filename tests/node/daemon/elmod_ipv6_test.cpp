// elmod on IPv6: two nodes bound to ::1 form their DHT over the shared UDP port, serve metrics
// on ::1, and carry an event from a TLS publisher at one node to a TLS subscriber at the other
// (client connections, elmo datagrams and the DHT all over IPv6). Skipped where ::1 is missing.
#include <gtest/gtest.h>

#include <asio/ip/udp.hpp>

#include <csignal>
#include <memory>

#include "elmod_clients.hpp"
#include "elmod_stop.hpp"
#include "temp_dir.hpp"

namespace elmo::daemon::test {
namespace {

bool have_ipv6_loopback() {
    try {
        asio::io_context io;
        asio::ip::udp::socket s(io, asio::ip::udp::endpoint(asio::ip::make_address("::1"), 0));
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

Endpoint v6_loopback(std::uint16_t port) {
    Endpoint e;
    e.family = Endpoint::Family::v6;
    e.port = port;
    e.addr[15] = 1;
    return e;
}

std::unique_ptr<TestClient> v6_client(asio::io_context& io, const std::string& id,
                                      const NodeSpec& home, const transport::CertFingerprint& pin) {
    auto c = std::make_unique<TestClient>();
    client::AsioClientConfig cfg;
    cfg.client_id = Bytes(id.begin(), id.end());
    cfg.bootstrap = {v6_loopback(home.client_port)};
    cfg.trust = client::TrustPolicy::pinned({pin});
    auto created = client::AsioClient::create(io, cfg);
    if (!created.ok()) return nullptr;
    c->client = std::move(*created);
    TestClient* raw = c.get();
    c->client->set_event_handler([raw](const wire::Event& e) { raw->received.insert(e.id); });
    c->client->set_publish_handler([raw](const wire::EventId& e, ClientCore::PublishOutcome o) {
        if (o == ClientCore::PublishOutcome::accepted) raw->accepted.insert(e);
    });
    c->client->start();
    return c;
}

TEST(ElmodIpv6, TwoNodesOnLoopbackV6FormTheDhtAndCarryAnEvent) {
    if (!have_ipv6_loopback()) GTEST_SKIP() << "no ::1 on this machine";
    TempDir dir;
    std::vector<NodeSpec> specs;
    std::vector<std::unique_ptr<Elmod>> nodes;
    for (int i = 0; i < 2; ++i) {
        NodeSpec s = NodeSpec::fresh(dir / ("n" + std::to_string(i)));
        s.admin_host = "::1";
        s.extra = {"--bind", "::1"};
        if (i > 0)
            s.extra.insert(s.extra.end(),
                           {"--bootstrap", "[::1]:" + std::to_string(specs[0].port)});
        specs.push_back(s);
        nodes.push_back(std::make_unique<Elmod>(s, dir / ("n" + std::to_string(i) + ".log")));
    }
    ASSERT_TRUE(poll_until(
        60s,
        [&] {
            for (auto& n : nodes)
                if (n->sample("elmo_dht_nodes{state=\"good\"}").value_or(0) < 1) return false;
            return true;
        },
        250ms))
        << nodes[1]->process().log();
    EXPECT_EQ(nodes[0]->sample("elmo_overlay_neighbours").value_or(0), 1);

    asio::io_context io;
    auto sub = v6_client(io, "sub-v6", specs[1], fingerprint(specs[1]));
    auto pub = v6_client(io, "pub-v6", specs[0], fingerprint(specs[0]));
    ASSERT_TRUE(sub && pub);
    sub->client->subscribe("v6");
    ASSERT_TRUE(run_until(io, 30s,
                          [&] {
                              return sub->client->connected() && pub->client->connected() &&
                                     (nodes[0]->sample("elmo_mailbox_registrations").value_or(0) +
                                      nodes[1]->sample("elmo_mailbox_registrations").value_or(0)) ==
                                         1;
                          }))
        << sub->client->last_error() << " / " << pub->client->last_error();
    auto id = pub->client->publish("v6", Bytes{'h', 'i'});
    ASSERT_TRUE(id.ok());
    EXPECT_TRUE(run_until(
        io, 30s, [&] { return pub->accepted.contains(*id) && sub->received.contains(*id); }))
        << "accepted " << pub->accepted.size() << ", received " << sub->received.size();

    sub->client->stop();
    pub->client->stop();
    expect_graceful_stop(nodes);
}

}  // namespace
}  // namespace elmo::daemon::test
