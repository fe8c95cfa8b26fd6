// The SDK's C++ API (client-sdk/api/client.hpp) against an in-process node on loopback: events
// and completions arrive on the Client's own thread; callbacks may call back into the API;
// calls from many threads at once; publications and subscriptions survive a close and reopen
// through the state directory; the foreground burst after the background.
#include <gtest/gtest.h>

#include <asio/executor_work_guard.hpp>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "client-sdk/api/client.hpp"
#include "tests/client-sdk/driver/loopback_node.hpp"

namespace elmo::sdk {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The node's own io_context on a thread of its own, so that the test thread is free to wait.
struct NodeThread {
    NodeThread() {
        daemon::ClientListenerConfig cfg;
        cfg.plain_tcp = true;
        node = std::make_unique<test::LoopbackNode>(io, cfg);
        thread = std::thread([this] { io.run(); });
    }
    ~NodeThread() {
        work.reset();
        io.stop();
        thread.join();
    }
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::unique_ptr<test::LoopbackNode> node;
    std::thread thread;
};

struct TempDir {
    TempDir() {
        path = fs::temp_directory_path() / ("elmo-api-" + std::to_string(std::random_device{}()));
    }
    ~TempDir() { fs::remove_all(path); }
    fs::path path;
};

// What the callbacks saw, with a condition to wait on (deadline, never a fixed sleep).
struct Seen {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<Event> events;
    std::set<EventId> accepted;
    std::set<std::thread::id> threads;
    template <class P>
    bool wait(P pred, std::chrono::milliseconds timeout = 10s) {
        std::unique_lock l(mu);
        return cv.wait_for(l, timeout, [&] { return pred(); });
    }
    void event(const Event& e) {
        std::lock_guard l(mu);
        events.push_back(e);
        threads.insert(std::this_thread::get_id());
        cv.notify_all();
    }
    void accept(const EventId& id) {
        std::lock_guard l(mu);
        accepted.insert(id);
        threads.insert(std::this_thread::get_id());
        cv.notify_all();
    }
};

ClientOptions options(const Endpoint& node, fs::path state_dir = {}) {
    ClientOptions o;
    o.nodes = {node};
    o.trust = client::TrustPolicy::plain_tcp();
    o.state_dir = std::move(state_dir);
    return o;
}

std::unique_ptr<Client> open_client(ClientOptions o) {
    auto c = Client::open(std::move(o));
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error());
    return c.ok() ? std::move(*c) : nullptr;
}

bool wait_status(Client& c, const std::function<bool(const ClientStatus&)>& ok,
                 std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (ok(c.status())) return true;
        std::this_thread::sleep_for(10ms);  // polling a condition with a deadline
    }
    return false;
}

bool registered(const ClientStatus& s, const std::string& topic) {
    return std::find(s.registered.begin(), s.registered.end(), topic) != s.registered.end();
}

Bytes bytes(const std::string& s) {
    return Bytes(s.begin(), s.end());
}

TEST(ClientApi, EventsAndCompletionsArriveOnTheClientsThread) {
    NodeThread n;
    Seen sub_seen, pub_seen;
    auto sub = open_client(options(n.node->endpoint()));
    auto pub = open_client(options(n.node->endpoint()));
    sub->subscribe("news", [&](const Event& e) { sub_seen.event(e); });
    sub->start();
    pub->start();
    ASSERT_TRUE(wait_status(*sub, [](const auto& s) { return registered(s, "news"); }));
    auto id = pub->publish("news", bytes("hello"), [&](const EventId& e, PublishOutcome o) {
        if (o == PublishOutcome::accepted) pub_seen.accept(e);
    });
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(sub_seen.wait([&] { return !sub_seen.events.empty(); }));
    ASSERT_TRUE(pub_seen.wait([&] { return pub_seen.accepted.contains(*id); }));
    EXPECT_EQ(sub_seen.events[0].id, *id);
    EXPECT_EQ(sub_seen.events[0].payload, bytes("hello"));
    EXPECT_FALSE(sub_seen.threads.contains(std::this_thread::get_id()));
    EXPECT_FALSE(pub_seen.threads.contains(std::this_thread::get_id()));
}

TEST(ClientApi, CallbacksMayCallTheApiWithoutDeadlock) {
    NodeThread n;
    Seen seen;
    auto c = open_client(options(n.node->endpoint()));
    std::atomic<int> echoes{0};
    Client* raw = c.get();
    // On each event: status, a publication to another topic (returns only once durable: a
    // posted-and-waited call would deadlock here), and after the second an unsubscribe.
    c->subscribe("ping", [&, raw](const Event& e) {
        ClientStatus s = raw->status();
        EXPECT_TRUE(s.connected);
        auto id = raw->publish("pong", e.payload);
        EXPECT_TRUE(id.ok());
        if (++echoes == 2) raw->unsubscribe("ping");
        seen.event(e);
    });
    c->start();
    auto other = open_client(options(n.node->endpoint()));
    other->start();
    ASSERT_TRUE(wait_status(*c, [](const auto& s) { return registered(s, "ping"); }));
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(other->publish("ping", bytes("x" + std::to_string(i))).ok());
    ASSERT_TRUE(seen.wait([&] { return seen.events.size() >= 2; }));
    ASSERT_TRUE(wait_status(*c, [](const auto& s) { return s.topics.empty() && s.outbox == 0; }));
    EXPECT_EQ(echoes.load(), 2);
    EXPECT_EQ(c->status().core.publishes_accepted, 2u);
}

TEST(ClientApi, PublishFromManyThreadsAtOnce) {
    NodeThread n;
    Seen seen;
    auto c = open_client(options(n.node->endpoint()));
    c->set_publish_handler([&](const EventId& id, PublishOutcome o) {
        if (o == PublishOutcome::accepted) seen.accept(id);
    });
    c->start();
    std::mutex mu;
    std::set<EventId> ids;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                auto id = c->publish("load", bytes(std::to_string(t) + "/" + std::to_string(i)));
                ASSERT_TRUE(id.ok());
                std::lock_guard l(mu);
                ids.insert(*id);
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ids.size(), 200u);
    ASSERT_TRUE(seen.wait([&] { return seen.accepted.size() == 200; }, 20s))
        << seen.accepted.size();
    EXPECT_EQ(seen.accepted, ids);
    EXPECT_EQ(c->status().next_seq, 201u);
}

TEST(ClientApi, RefusalsAreValuesAndClosedIsReported) {
    NodeThread n;
    auto c = open_client(options(n.node->endpoint()));
    auto bad = c->publish("", bytes("x"));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(), PublishError::invalid_topic);
    auto big = c->publish("t", Bytes(wire::limits::max_payload_bytes + 1, 'x'));
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.error(), PublishError::payload_too_large);
    c->close();
    auto after = c->publish("t", bytes("x"));
    ASSERT_FALSE(after.ok());
    EXPECT_EQ(after.error(), PublishError::closed);
    EXPECT_FALSE(c->status().connected);
}

TEST(ClientApi, OutboxAndSubscriptionsSurviveAReopen) {
    TempDir dir;
    NodeThread n;
    // A node that is not there: the publications wait in the outbox.
    Endpoint nowhere = Endpoint::v4(0x7f000001, 1);
    std::set<EventId> queued;
    Bytes id_before;
    {
        auto c = open_client(options(nowhere, dir.path));
        c->subscribe("news", [](const Event&) {});
        c->start();
        for (int i = 0; i < 3; ++i) {
            auto id = c->publish("news", bytes("offline " + std::to_string(i)));
            ASSERT_TRUE(id.ok());
            queued.insert(*id);
        }
        auto s = c->status();
        EXPECT_EQ(s.outbox, 3u);
        id_before = s.client_id;
    }
    Seen seen;
    auto c = open_client(options(n.node->endpoint(), dir.path));
    c->set_publish_handler([&](const EventId& id, PublishOutcome o) {
        if (o == PublishOutcome::accepted) seen.accept(id);
    });
    auto s = c->status();
    EXPECT_EQ(s.client_id, id_before);
    EXPECT_EQ(s.topics, std::vector<std::string>{"news"});
    EXPECT_EQ(s.outbox, 3u);
    c->start();
    ASSERT_TRUE(seen.wait([&] { return seen.accepted == queued; }));
    ASSERT_TRUE(
        wait_status(*c, [](const auto& s) { return registered(s, "news") && s.outbox == 0; }));
    EXPECT_EQ(c->status().next_seq, 4u);
    // Another client id for the same directory is refused.
    c.reset();
    auto other = options(n.node->endpoint(), dir.path);
    other.client_id = bytes("someone-else");
    EXPECT_FALSE(Client::open(other).ok());
}

TEST(ClientApi, BackToTheForegroundReconnectsAtOnceAndPolls) {
    NodeThread n;
    Seen seen;
    auto c = open_client(options(n.node->endpoint()));
    c->subscribe("news", [&](const Event& e) { seen.event(e); });
    c->start();
    ASSERT_TRUE(wait_status(*c, [](const auto& s) { return registered(s, "news"); }));
    c->set_background(true);
    c->on_connectivity_changed(false);  // the phone lost its network in the background
    ASSERT_TRUE(wait_status(*c, [](const auto& s) { return !s.connected; }));
    auto pub = open_client(options(n.node->endpoint()));
    pub->start();
    auto id = pub->publish("news", bytes("while away"));
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(wait_status(*pub, [](const auto& s) { return s.outbox == 0; }));
    auto polls_before = c->status().core.polls_sent;
    c->on_connectivity_changed(true);
    c->set_background(false);
    ASSERT_TRUE(seen.wait([&] { return !seen.events.empty(); }));
    EXPECT_EQ(seen.events[0].id, *id);
    EXPECT_GT(c->status().core.polls_sent, polls_before);
}

TEST(ClientApi, InTheBackgroundAnUnreachableNodeIsTriedOncePerPollPeriod) {
    // Foreground, this client would retry every 100 ms; in the background only the poll period
    // (1 s here) may wake it.
    ClientOptions o = options(Endpoint::v4(0x7f000001, 1));
    o.params.reconnect_initial = o.params.reconnect_max = std::chrono::milliseconds(100);
    o.params.poll_period = std::chrono::seconds(1);
    auto c = open_client(o);
    c->set_background(true);
    auto start = std::chrono::steady_clock::now();
    c->start();
    ASSERT_TRUE(wait_status(
        *c, [](const auto& s) { return s.transport.connect_attempts >= 3; }, 20s));
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_GE(elapsed, 1900ms) << "3 attempts need two poll periods";
    // Between attempts the core is told to stay offline.
    EXPECT_TRUE(wait_status(
        *c, [](const auto& s) { return !s.network; }, 2s));
    // Foreground: back to the reconnection backoff at once.
    c->set_background(false);
    auto attempts = c->status().transport.connect_attempts;
    auto fg = std::chrono::steady_clock::now();
    ASSERT_TRUE(wait_status(
        *c, [&](const auto& s) { return s.transport.connect_attempts >= attempts + 3; }));
    EXPECT_LT(std::chrono::steady_clock::now() - fg, 1900ms);
}

}  // namespace
}  // namespace elmo::sdk
