// The client driver against a real node core behind the TLS listener on loopback: subscribe and
// publish round-trip, node authentication (pinned, trust on first use, plain TCP), reconnection
// after the node drops the connection, and many clients on one io_context.
#include "client-sdk/driver/asio_client.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/client-sdk/driver/loopback_node.hpp"
#include "tests/transport/loopback.hpp"

namespace elmo::client {
namespace {

using test::LoopbackNode;
using test::run_until;

class TempFile {
  public:
    explicit TempFile(const std::string& name) {
        static int counter = 0;
        path_ = std::filesystem::temp_directory_path() /
                ("elmo-driver-test-" + std::to_string(::getpid()) + "-" +
                 std::to_string(counter++) + "-" + name);
        std::filesystem::remove(path_);
    }
    ~TempFile() {
        std::error_code ec;
        std::filesystem::remove(path_, ec);
    }
    std::string str() const { return path_.string(); }

  private:
    std::filesystem::path path_;
};

daemon::ClientListenerConfig node_config(const transport::PemIdentity& id, bool plain = false) {
    daemon::ClientListenerConfig cfg;
    cfg.plain_tcp = plain;
    cfg.identity = {id.certificate_pem, id.private_key_pem};
    return cfg;
}

transport::CertFingerprint fingerprint(const transport::PemIdentity& id) {
    return transport::certificate_fingerprint(id.certificate_pem).value();
}

struct Received {
    std::vector<wire::Event> events;
    std::vector<std::pair<wire::EventId, ClientCore::PublishOutcome>> published;
    std::vector<bool> connectivity;
    std::vector<std::string> errors;
};

class DriverTest : public ::testing::Test {
  protected:
    std::unique_ptr<AsioClient> make_client(const std::string& name, const Endpoint& node,
                                            TrustPolicy trust, Received* out = nullptr,
                                            ClientParams params = {}) {
        AsioClientConfig cfg;
        cfg.params = params;
        cfg.client_id = Bytes(name.begin(), name.end());
        cfg.bootstrap = {node};
        cfg.trust = std::move(trust);
        cfg.seed = std::hash<std::string>{}(name);
        auto c = AsioClient::create(io, cfg);
        EXPECT_TRUE(c.ok()) << c.error();
        auto client = std::move(c).value();
        if (out) {
            client->set_event_handler([out](const wire::Event& e) { out->events.push_back(e); });
            client->set_publish_handler([out](const wire::EventId& id, auto outcome) {
                out->published.emplace_back(id, outcome);
            });
            client->set_connection_handler([out](bool c) { out->connectivity.push_back(c); });
            client->set_error_handler([out](const std::string& e) { out->errors.push_back(e); });
        }
        return client;
    }
    static bool registered(const AsioClient& c, const std::string& topic) {
        auto it = c.core().topics().find(topic);
        return it != c.core().topics().end() && it->second.registered;
    }

    asio::io_context io;
};

TEST_F(DriverTest, SubscribeAndPublishRoundTripOverTls) {
    const auto& id = test::test_identity();
    LoopbackNode node(io, node_config(id));
    Received alice_got, bob_got;
    auto pins = TrustPolicy::pinned({fingerprint(id)});
    auto alice = make_client("alice", node.endpoint(), pins, &alice_got);
    auto bob = make_client("bob", node.endpoint(), pins, &bob_got);
    alice->start();
    bob->start();
    alice->subscribe("news");
    bob->subscribe("news");
    ASSERT_TRUE(
        run_until(io, [&] { return registered(*alice, "news") && registered(*bob, "news"); }));
    EXPECT_EQ(alice_got.connectivity, std::vector<bool>{true});
    EXPECT_EQ(alice->node_fingerprint(), fingerprint(id));
    EXPECT_TRUE(node.core().mailbox().holds("news"));

    auto published = alice->publish("news", Bytes{'h', 'i'});
    ASSERT_TRUE(published.ok());
    ASSERT_TRUE(
        run_until(io, [&] { return !bob_got.events.empty() && !alice_got.published.empty(); }));
    EXPECT_EQ(bob_got.events[0].topic, "news");
    EXPECT_EQ(bob_got.events[0].payload, (Bytes{'h', 'i'}));
    EXPECT_EQ(alice_got.published[0].first, *published);
    EXPECT_EQ(alice_got.published[0].second, ClientCore::PublishOutcome::accepted);
    EXPECT_TRUE(alice_got.events.empty());  // own events are not handed back

    // And the other way, with a payload near the limit.
    Bytes big(16 * 1024, 0x42);
    ASSERT_TRUE(bob->publish("news", big).ok());
    ASSERT_TRUE(run_until(io, [&] { return !alice_got.events.empty(); }));
    EXPECT_EQ(alice_got.events[0].payload, big);
    EXPECT_EQ(alice->stats().trust_refused, 0u);
    EXPECT_GT(alice->stats().frames_in, 0u);
    EXPECT_EQ(node.listener().stats().open, 2u);
    EXPECT_EQ(node.listener().stats().handshake_failed, 0u);
}

TEST_F(DriverTest, HandlersMayCallBackIntoTheClient) {
    const auto& id = test::test_identity();
    LoopbackNode node(io, node_config(id));
    auto pins = TrustPolicy::pinned({fingerprint(id)});
    Received asker_got;
    auto asker = make_client("asker", node.endpoint(), pins, &asker_got);
    auto bot = make_client("bot", node.endpoint(), pins);
    // The bot answers every question from inside its event handler.
    bot->set_event_handler([&](const wire::Event& e) {
        Bytes answer = e.payload;
        answer.push_back('!');
        EXPECT_TRUE(bot->publish("answers", answer).ok());
    });
    asker->start();
    bot->start();
    asker->subscribe("answers");
    bot->subscribe("questions");
    ASSERT_TRUE(run_until(
        io, [&] { return registered(*asker, "answers") && registered(*bot, "questions"); }));
    ASSERT_TRUE(asker->publish("questions", Bytes{'?'}).ok());
    ASSERT_TRUE(run_until(io, [&] { return !asker_got.events.empty(); }));
    EXPECT_EQ(asker_got.events[0].payload, (Bytes{'?', '!'}));
}

TEST_F(DriverTest, PlainTcpForBenchmarks) {
    LoopbackNode node(io, node_config(test::test_identity(), /*plain=*/true));
    Received got;
    auto a = make_client("a", node.endpoint(), TrustPolicy::plain_tcp());
    auto b = make_client("b", node.endpoint(), TrustPolicy::plain_tcp(), &got);
    a->start();
    b->start();
    a->subscribe("t");
    b->subscribe("t");
    ASSERT_TRUE(run_until(io, [&] { return registered(*a, "t") && registered(*b, "t"); }));
    ASSERT_TRUE(a->publish("t", Bytes{1}).ok());
    ASSERT_TRUE(run_until(io, [&] { return !got.events.empty(); }));
    EXPECT_FALSE(a->node_fingerprint().has_value());
}

TEST_F(DriverTest, PinnedMismatchIsRefused) {
    LoopbackNode node(io, node_config(test::test_identity()));
    auto other = transport::generate_self_signed("someone else").value();
    Received got;
    auto c = make_client("c", node.endpoint(), TrustPolicy::pinned({fingerprint(other)}), &got);
    c->start();
    ASSERT_TRUE(run_until(io, [&] { return c->stats().trust_refused >= 1; }));
    EXPECT_FALSE(c->connected());
    EXPECT_TRUE(got.connectivity.empty());
    ASSERT_FALSE(got.errors.empty());
    EXPECT_NE(got.errors[0].find("not pinned"), std::string::npos) << got.errors[0];
    EXPECT_EQ(c->core().stats().connects, 0u);
    EXPECT_GE(c->core().stats().connect_failures, 1u);
    // The node never saw a client session.
    run_until(
        io, [] { return false; }, std::chrono::milliseconds(50));
    EXPECT_TRUE(node.connected.empty() || node.disconnected.size() == node.connected.size());
}

TEST_F(DriverTest, TrustOnFirstUseRemembersAndRefusesAChangedCertificate) {
    TempFile file("known_nodes");
    auto store = TofuStore::open(file.str()).value();
    const auto& first_id = test::test_identity();
    std::uint16_t port = 0;
    {
        LoopbackNode node(io, node_config(first_id));
        port = node.port();
        auto c = make_client("t", node.endpoint(), TrustPolicy::trust_on_first_use(store));
        c->start();
        ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
        EXPECT_EQ(store->lookup(node.endpoint().to_string()), fingerprint(first_id));
        // Persisted: a new store reading the file knows it.
        auto reread = TofuStore::open(file.str()).value();
        EXPECT_EQ(reread->lookup(node.endpoint().to_string()), fingerprint(first_id));
        // A second connection to the same node is trusted again.
        auto again = make_client("t2", node.endpoint(), TrustPolicy::trust_on_first_use(store));
        again->start();
        ASSERT_TRUE(run_until(io, [&] { return again->connected(); }));
    }
    // Another node (another certificate) at the same host:port.
    auto second_id = transport::generate_self_signed("impostor").value();
    auto cfg = node_config(second_id);
    cfg.port = port;
    LoopbackNode impostor(io, cfg);
    Received got;
    auto c = make_client("t3", impostor.endpoint(), TrustPolicy::trust_on_first_use(store), &got);
    c->start();
    ASSERT_TRUE(run_until(io, [&] { return c->stats().trust_refused >= 1; }));
    EXPECT_FALSE(c->connected());
    EXPECT_EQ(store->mismatches(), 1u);
    ASSERT_FALSE(got.errors.empty());
    EXPECT_NE(got.errors[0].find("remembered"), std::string::npos) << got.errors[0];
    EXPECT_NE(got.errors[0].find(transport::fingerprint_hex(fingerprint(second_id))),
              std::string::npos);
    // The remembered fingerprint is unchanged.
    EXPECT_EQ(store->lookup(impostor.endpoint().to_string()), fingerprint(first_id));
}

TEST_F(DriverTest, TlsClientAgainstPlainNodeFailsTheHandshake) {
    LoopbackNode node(io, node_config(test::test_identity(), /*plain=*/true));
    auto c = make_client("c", node.endpoint(),
                         TrustPolicy::pinned({fingerprint(test::test_identity())}));
    c->start();
    ASSERT_TRUE(run_until(
        io, [&] { return c->stats().handshake_failed + c->stats().closed_by_peer >= 1; }));
    EXPECT_FALSE(c->connected());
}

TEST_F(DriverTest, ConnectionRefusedIsAConnectFailure) {
    // A port nobody listens on: bind one, note it, close it.
    std::uint16_t port;
    {
        asio::ip::tcp::acceptor a(io, test::loopback(0));
        port = a.local_endpoint().port();
    }
    auto c = make_client("c", Endpoint::v4(0x7f000001u, port), TrustPolicy::plain_tcp());
    c->start();
    ASSERT_TRUE(run_until(io, [&] { return c->stats().tcp_connect_failed >= 1; }));
    EXPECT_EQ(c->core().stats().connect_failures, 1u);
    EXPECT_FALSE(c->last_error().empty());
}

TEST_F(DriverTest, ReconnectsAfterTheNodeDropsTheConnection) {
    LoopbackNode node(io, node_config(test::test_identity()));
    Received got;
    ClientParams params;
    params.reconnect_initial = std::chrono::milliseconds(50);  // the test's patience, not a sleep
    auto c = make_client("r", node.endpoint(),
                         TrustPolicy::pinned({fingerprint(test::test_identity())}), &got, params);
    c->start();
    c->subscribe("topic");
    ASSERT_TRUE(run_until(io, [&] { return registered(*c, "topic"); }));
    ASSERT_EQ(node.connected.size(), 1u);
    node.listener().close_client(node.connected[0]);
    ASSERT_TRUE(run_until(io, [&] { return node.connected.size() == 2 && c->connected(); }));
    ASSERT_TRUE(run_until(
        io, [&] { return registered(*c, "topic") && c->core().stats().subscribe_ok >= 2; }));
    EXPECT_EQ(got.connectivity, (std::vector<bool>{true, false, true}));
    EXPECT_EQ(c->stats().connections, 2u);
    EXPECT_EQ(c->stats().closed_by_peer, 1u);
}

TEST_F(DriverTest, StopClosesAndSilences) {
    LoopbackNode node(io, node_config(test::test_identity()));
    Received got;
    auto c = make_client("s", node.endpoint(),
                         TrustPolicy::pinned({fingerprint(test::test_identity())}), &got);
    c->start();
    ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
    c->stop();
    ASSERT_TRUE(run_until(io, [&] { return node.disconnected.size() == 1; }));
    EXPECT_EQ(got.connectivity, std::vector<bool>{true});
    EXPECT_FALSE(c->publish("x", Bytes{1}).ok());
    c.reset();  // destroyed with the connection possibly still lingering
    run_until(
        io, [] { return false; }, std::chrono::milliseconds(50));
}

TEST_F(DriverTest, NetworkLossAndReturn) {
    LoopbackNode node(io, node_config(test::test_identity()));
    Received got;
    auto c = make_client("n", node.endpoint(),
                         TrustPolicy::pinned({fingerprint(test::test_identity())}), &got);
    c->start();
    ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
    c->on_connectivity_changed(false);
    EXPECT_FALSE(c->connected());
    ASSERT_TRUE(run_until(io, [&] { return node.disconnected.size() == 1; }));
    c->on_connectivity_changed(true);  // reconnects at once, no backoff
    ASSERT_TRUE(run_until(
        io, [&] { return c->connected(); }, std::chrono::seconds(2)));
    EXPECT_EQ(got.connectivity, (std::vector<bool>{true, false, true}));
}

TEST_F(DriverTest, ManyTlsClientsOnOneIoContext) {
    LoopbackNode node(io, node_config(test::test_identity()));
    auto creds = transport::TlsCredentials::client().value();
    auto pins = TrustPolicy::pinned({fingerprint(test::test_identity())});
    constexpr int n = 100;
    std::vector<std::unique_ptr<AsioClient>> clients;
    std::vector<int> received(n, 0);
    for (int i = 0; i < n; ++i) {
        AsioClientConfig cfg;
        std::string name = "client-" + std::to_string(i);
        cfg.client_id = Bytes(name.begin(), name.end());
        cfg.bootstrap = {node.endpoint()};
        cfg.trust = pins;
        cfg.seed = static_cast<std::uint64_t>(i) + 1;
        cfg.credentials = creds;
        clients.push_back(AsioClient::create(io, cfg).value());
        clients.back()->set_event_handler([&received, i](const wire::Event&) { ++received[i]; });
        clients.back()->start();
        clients.back()->subscribe("crowd");
    }
    ASSERT_TRUE(run_until(
        io,
        [&] {
            for (auto& c : clients)
                if (!registered(*c, "crowd")) return false;
            return true;
        },
        std::chrono::seconds(30)));
    ASSERT_TRUE(clients[0]->publish("crowd", Bytes{'!'}).ok());
    ASSERT_TRUE(run_until(
        io,
        [&] {
            for (int i = 1; i < n; ++i)
                if (received[i] == 0) return false;
            return true;
        },
        std::chrono::seconds(30)));
    for (int i = 1; i < n; ++i) EXPECT_EQ(received[i], 1) << i;
    EXPECT_EQ(node.listener().stats().open, static_cast<std::uint64_t>(n));
}

}  // namespace
}  // namespace elmo::client
