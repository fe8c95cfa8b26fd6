// The client core when things go wrong: unanswered requests, dead or misbehaving homes, failed
// connects, keep-alive; and determinism under one seed.
#include <set>

#include "common/hash.hpp"
#include "tests/client-sdk/fixtures.hpp"

namespace elmo::client_test {
namespace {

TEST(ClientRecovery, UnansweredRequestIsRetriedAfterTheTimeout) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "news");
    wire::Subscribe first = h.last_subscribe("news");
    h.run_for(14s);
    EXPECT_EQ(h.subscribes_for("news"), 1u) << "15 s leave the home time for a lookup";
    h.run_for(2s);
    EXPECT_EQ(h.core.stats().request_timeouts, 1u);
    EXPECT_TRUE(h.core.connected()) << "one timeout is not a dead connection";
    h.run_for(5s);
    EXPECT_EQ(h.subscribes_for("news"), 2u) << "retried after a backoff of at most 5 s";
    // The first request's late answer is not mistaken for the retry's.
    h.deliver(wire::SubscribeResult{first.request_id, "news", wire::SubscribeStatus::registered,
                                    mbx(9), 1800, {}});
    EXPECT_FALSE(h.topic("news").registered);
    EXPECT_EQ(h.core.stats().stale_results, 1u);
    h.grant("news", mbx(1));
    EXPECT_EQ(h.topic("news").mailbox, mbx(1));
}

TEST(ClientRecovery, AnyFrameFromTheHomeResetsTheTimeoutCount) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "slow");
    for (int i = 0; i < 10; ++i) {
        // "slow" is never answered, but the home keeps talking: it is alive, only slow.
        h.run_until(h.core.next_wakeup());
        h.deliver(wire::MailboxLost{"unrelated", mbx(9), {}});
    }
    EXPECT_GE(h.core.stats().request_timeouts, 4u);
    EXPECT_TRUE(h.core.connected());
    EXPECT_EQ(h.transport.disconnects, 0);
}

TEST(ClientRecovery, RepeatedTimeoutsFailOverToAnotherNodeAndRenewThere) {
    Harness h;
    h.connect();
    Endpoint first_home = *h.core.home();
    h.core.subscribe(h.now, "news");
    h.grant("news", mbx(1), {mbx(2)});
    h.core.subscribe(h.now, "chat");
    h.grant("chat", mbx(3));
    // The home silently dies; the renewals go out and are never answered.
    for (int i = 0; i < 40 && h.transport.disconnects == 0; ++i) h.run_until(h.core.next_wakeup());
    EXPECT_GE(h.core.stats().renewals_sent, 2u);
    EXPECT_EQ(h.core.stats().request_timeouts, 3u);
    EXPECT_EQ(h.transport.disconnects, 1) << "three unanswered requests: presumed dead";
    EXPECT_FALSE(h.core.connected());
    EXPECT_EQ(h.transport.connects.size(), 1u) << "the reconnect waits for its backoff";
    TimePoint dropped = h.now;
    h.run_until(h.core.next_wakeup());
    EXPECT_LE(h.now - dropped, Duration(1s));
    ASSERT_EQ(h.transport.connects.size(), 2u);
    EXPECT_NE(h.transport.connects[1], first_home) << "another node than the one that failed";
    h.transport.clear();
    h.core.on_connected(h.now);
    EXPECT_EQ(h.core.stats().failovers, 1u);
    ASSERT_FALSE(h.transport.sent.empty());
    EXPECT_TRUE(std::holds_alternative<wire::ClientHello>(h.transport.sent[0]));
    // Registrations still held are renewed at once through the new home, current mailbox first.
    EXPECT_EQ(h.last_subscribe("news").preferred.front(), mbx(1));
    EXPECT_EQ(h.last_subscribe("chat").preferred.front(), mbx(3));
    h.grant("news", mbx(1));
    EXPECT_TRUE(h.topic("news").registered);
}

TEST(ClientRecovery, DroppedConnectionReconnectsElsewhereAndRenewsEverything) {
    Harness h({}, {node_ep(1)});
    h.connect();
    h.core.subscribe(h.now, "news");
    h.grant("news", mbx(1));
    h.run_for(100s);
    h.transport.clear();
    h.core.on_disconnected(h.now);
    EXPECT_FALSE(h.core.connected());
    EXPECT_EQ(h.core.home(), std::nullopt);
    h.run_until(h.core.next_wakeup());
    // The only bootstrap node just failed; the mailbox is a node too, and is tried instead.
    ASSERT_EQ(h.transport.connects.size(), 2u);
    EXPECT_EQ(h.transport.connects[1], mbx(1).endpoint.to_endpoint());
    h.core.on_connected(h.now);
    EXPECT_EQ(h.subscribes_for("news"), 1u) << "renewed so the mailbox pushes to the new home";
    EXPECT_EQ(h.last_subscribe("news").preferred.front(), mbx(1));
    EXPECT_EQ(h.core.stats().reconnects, 1u);
    EXPECT_EQ(h.core.stats().failovers, 1u);
}

TEST(ClientRecovery, RegistrationLapsedOfflineIsRecoveredOnReconnect) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "news");
    h.grant("news", mbx(1), {mbx(2)});
    h.core.on_disconnected(h.now);
    // Offline for 40 min: every connect fails.
    TimePoint back = h.now + 40min;
    while (h.now < back) {
        h.run_until(std::min(h.core.next_wakeup(), back));
        if (h.now < back) h.core.on_connect_failed(h.now);
    }
    EXPECT_FALSE(h.topic("news").registered) << "30 min lifetime: lapsed";
    EXPECT_EQ(h.core.stats().registrations_lapsed, 1u);
    h.transport.clear();
    h.run_until(h.core.next_wakeup());
    h.core.on_connected(h.now);
    auto s = h.last_subscribe("news");
    // Their nodes refused this client's own connections (every connect failed): the home is not
    // asked to try them first (it would wait a request timeout for each) but to look.
    EXPECT_TRUE(s.preferred.empty());
    h.grant("news", mbx(1));
    EXPECT_TRUE(h.topic("news").registered);
}

// A mailbox whose node refused this client's own connection is not named to the home (it would
// try it for a request timeout before looking); the node it is connected to is never taken for
// refused (it failed once, but answers now).
TEST(ClientRecovery, AMailboxWhoseNodeRefusedUsIsNotNamedToTheHome) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "news");
    h.grant("news", mbx(1), {mbx(2)});
    h.core.on_disconnected(h.now);
    h.transport.clear();
    const Endpoint one = mbx(1).endpoint.to_endpoint(), two = mbx(2).endpoint.to_endpoint();
    bool refused = false;
    for (int i = 0; i < 50 && !h.core.connected(); ++i) {
        h.run_until(h.core.next_wakeup());
        const Endpoint target = h.transport.connects.back();
        refused |= target == one;
        if (refused && target == two) h.core.on_connected(h.now);
        else h.core.on_connect_failed(h.now);  // every other node refuses
    }
    ASSERT_TRUE(h.core.connected());
    auto s = h.last_subscribe("news");
    EXPECT_EQ(ids(s.preferred), ids({mbx(2)})) << "mbx(1) left out, mbx(2) (the home) kept";
    ASSERT_TRUE(h.core.publish(h.now, "news", Bytes{1}).ok());
    EXPECT_EQ(ids(h.transport.last<wire::Publish>().preferred), ids({mbx(2)}));
}

// A refused node says nothing about the others: the next known node is tried at once, each once
// per round; between rounds of refusals the wait doubles up to the maximum.
TEST(ClientRecovery, RefusedNodesAreSkippedAtOnceAndRoundsBackOffExponentially) {
    Harness h;
    h.core.subscribe(h.now, "news");
    h.core.start(h.now);
    const double max_s[] = {1, 2, 4, 8, 16, 32, 60, 60};
    for (double hi : max_s) {
        std::set<Endpoint> round;
        for (int i = 0; i < 3; ++i) {
            round.insert(h.transport.connects.back());
            h.core.on_connect_failed(h.now);
            if (i == 2) break;
            EXPECT_EQ(h.core.next_wakeup(), h.now) << "no wait before the next node";
            h.run_until(h.now);
        }
        EXPECT_EQ(round.size(), 3u) << "every node is tried once per round";
        Duration delay = h.core.next_wakeup() - h.now;
        EXPECT_GE(delay, std::chrono::duration_cast<Duration>(hi * 0.5 * 1s));
        EXPECT_LE(delay, std::chrono::duration_cast<Duration>(hi * 1s));
        h.run_until(h.core.next_wakeup());
    }
    const auto& c = h.transport.connects;
    ASSERT_EQ(c.size(), 25u);
    for (std::size_t i = 1; i < c.size(); ++i) EXPECT_NE(c[i], c[i - 1]) << "attempt " << i;
    EXPECT_TRUE(h.transport.sent.empty());
    EXPECT_EQ(h.core.stats().connect_failures, 24u);
    EXPECT_EQ(h.core.stats().quick_retries, 16u);
}

// A phone whose every known node was replaced while it was offline (its bootstrap list and its
// home) asks its seed once a whole round has failed, and reaches a node the seed names at the
// next attempt, after the round's backoff.
TEST(ClientRecovery, AfterEveryKnownNodeFailedTheSeedsNodesAreTriedNext) {
    Harness h;
    h.core.start(h.now);
    EXPECT_FALSE(h.core.wants_seed_nodes());
    for (int i = 0; i < 3; ++i) {
        EXPECT_FALSE(h.core.wants_seed_nodes()) << "not before every node had its turn";
        h.core.on_connect_failed(h.now);
        if (i < 2) h.run_until(h.now);
    }
    EXPECT_TRUE(h.core.wants_seed_nodes());
    const TimePoint retry = h.core.next_wakeup();
    EXPECT_GT(retry, h.now) << "the backoff is kept: a stale seed cannot make a loop";
    h.core.add_seed_nodes({node_ep(50), node_ep(51)});
    EXPECT_FALSE(h.core.wants_seed_nodes());
    EXPECT_EQ(h.core.stats().seed_rounds, 1u);
    h.run_until(retry);
    const Endpoint next = h.transport.connects.back();
    EXPECT_TRUE(next == node_ep(50) || next == node_ep(51)) << next.to_string();
}

// A client that knows no node at all asks its seed and connects to what it names.
TEST(ClientRecovery, AClientWithNoNodeConnectsToItsSeedsNodes) {
    Harness h{ClientParams{}, {}};
    h.core.start(h.now);
    EXPECT_TRUE(h.transport.connects.empty());
    ASSERT_TRUE(h.core.wants_seed_nodes());
    h.core.add_seed_nodes({node_ep(60)});
    h.run_until(h.core.next_wakeup());
    ASSERT_FALSE(h.transport.connects.empty());
    EXPECT_EQ(h.transport.connects.back(), node_ep(60));
}

TEST(ClientRecovery, StableConnectionResetsTheReconnectBackoff) {
    Harness h;
    h.core.start(h.now);
    for (int i = 0; i < 15; ++i) {  // five rounds of three refusals
        h.core.on_connect_failed(h.now);
        h.run_until(h.core.next_wakeup());
    }
    h.core.on_connected(h.now);
    h.core.on_frame(h.now, wire::encode(wire::Pong{7}));  // the home answers: a working node
    h.run_for(10min);
    h.core.on_disconnected(h.now);
    EXPECT_LE(h.core.next_wakeup() - h.now, Duration(1s));
    // Connections that drop at once, unanswered, are no reason to hammer: each known node gets
    // one quick try, then the backoff keeps growing.
    for (int i = 0; i < 3; ++i) {
        h.run_until(h.core.next_wakeup());
        h.core.on_connected(h.now);
        h.core.on_disconnected(h.now);
    }
    EXPECT_GE(h.core.next_wakeup() - h.now, Duration(1s));
}

// Nodes a home names (wire::NodeList) are failover candidates: when the home and every other
// known node refuse, the client reaches one of them.
TEST(ClientRecovery, NodesNamedByTheHomeAreFailoverCandidates) {
    Harness h;
    h.connect();
    const Endpoint home = h.transport.connects.back();
    h.core.on_frame(h.now, wire::encode(wire::NodeList{{mbx(7), mbx(8)}}));
    EXPECT_EQ(h.core.stats().nodes_offered, 2u);
    EXPECT_TRUE(h.core.nodes().contains(mbx(7).endpoint.to_endpoint()));
    h.core.on_disconnected(h.now);
    std::set<Endpoint> tried;  // the four other known nodes come first
    for (int i = 0; i < 4; ++i) {
        h.run_until(h.core.next_wakeup());
        tried.insert(h.transport.connects.back());
        h.core.on_connect_failed(h.now);
    }
    EXPECT_TRUE(tried.contains(mbx(7).endpoint.to_endpoint()));
    EXPECT_TRUE(tried.contains(mbx(8).endpoint.to_endpoint()));
    EXPECT_FALSE(tried.contains(home)) << "the home that dropped is tried last";
}

TEST(ClientRecovery, ConnectNeverReportedIsAbandoned) {
    Harness h;
    h.core.start(h.now);
    h.run_for(19s);
    EXPECT_EQ(h.transport.connects.size(), 1u);
    h.run_for(2s);
    EXPECT_EQ(h.transport.disconnects, 1) << "the pending connect is abandoned";
    h.run_for(2s);
    ASSERT_EQ(h.transport.connects.size(), 2u);
    EXPECT_NE(h.transport.connects[1], h.transport.connects[0]);
    h.core.on_connected(h.now);
    EXPECT_TRUE(h.core.connected());
}

TEST(ClientRecovery, OfflinePhoneMakesNoAttemptsAndReconnectsAtOnceWhenTheNetworkReturns) {
    Harness h;
    h.core.subscribe(h.now, "news");
    h.connect();
    h.run_granting(h.now + 1s);
    ASSERT_TRUE(h.core.topics().at("news").registered);
    const auto connects_before = h.transport.connects.size();
    h.core.network_changed(h.now, false);
    EXPECT_FALSE(h.core.connected());
    EXPECT_EQ(h.transport.disconnects, 1);
    // Ten minutes without a network: no connection attempt, no failure counted against a node.
    h.run_for(10min);
    EXPECT_EQ(h.transport.connects.size(), connects_before);
    EXPECT_EQ(h.core.stats().connect_failures, 0u);
    for (int n = 1; n <= 3; ++n) EXPECT_EQ(h.core.nodes().failures(node_ep(n)), 0u);
    // Back online: a connection attempt goes out at once, not after a grown backoff.
    h.core.network_changed(h.now, true);
    ASSERT_EQ(h.transport.connects.size(), connects_before + 1);
    h.core.on_connected(h.now);
    EXPECT_TRUE(h.core.connected());
    EXPECT_FALSE(h.transport.sent_of<wire::Subscribe>().empty());
}

TEST(ClientRecovery, NetworkChangeWhileConnectedReconnectsAtOnce) {
    Harness h;
    h.core.subscribe(h.now, "news");
    h.connect();
    h.core.network_changed(h.now, true);
    EXPECT_EQ(h.transport.disconnects, 1) << "the old socket is presumed dead";
    EXPECT_EQ(h.transport.connects.size(), 2u) << "and a new connection is attempted at once";
    h.core.on_connect_failed(h.now);
    EXPECT_LE(h.core.next_wakeup() - h.now, Duration(1s)) << "the backoff started over";
}

TEST(ClientRecovery, StartedWithoutANetworkConnectsWhenItComes) {
    Harness h;
    h.core.network_changed(h.now, false);
    h.core.start(h.now);
    h.run_for(5min);
    EXPECT_TRUE(h.transport.connects.empty());
    h.core.network_changed(h.now, true);
    EXPECT_EQ(h.transport.connects.size(), 1u);
}

TEST(ClientRecovery, GarbageFromTheHomeDropsTheConnection) {
    Harness h;
    h.connect();
    Endpoint bad_home = *h.core.home();
    h.core.subscribe(h.now, "news");
    const Bytes garbage{0xE1, 0x93, 0x01, 0xff};
    h.core.on_frame(h.now, garbage);
    EXPECT_EQ(h.core.stats().decode_errors, 1u);
    EXPECT_EQ(h.transport.disconnects, 1);
    EXPECT_FALSE(h.core.connected());
    EXPECT_EQ(h.topic("news").pending_request, 0u) << "the request died with the connection";
    h.run_until(h.core.next_wakeup());
    ASSERT_EQ(h.transport.connects.size(), 2u);
    EXPECT_NE(h.transport.connects[1], bad_home);
    // A frame from the abandoned connection, arriving late, is not acted on.
    h.core.on_frame(h.now, garbage);
    EXPECT_EQ(h.core.stats().decode_errors, 1u);
    EXPECT_EQ(h.transport.disconnects, 1);
}

TEST(ClientRecovery, MessagesNotMeantForAClientAreIgnored) {
    Harness h;
    h.connect();
    h.deliver(wire::Ping{5});
    h.deliver(wire::Pong{5});  // no keep-alive out: unexpected
    EXPECT_TRUE(h.core.connected());
    EXPECT_EQ(h.core.stats().unexpected_messages, 2u);
}

TEST(ClientRecovery, KeepAliveIsOffByDefault) {
    Harness h;
    h.connect();
    h.transport.clear();
    EXPECT_EQ(h.core.next_wakeup(), TimePoint::max()) << "an idle client needs no wake-up";
    h.run_for(6h);
    EXPECT_TRUE(h.transport.sent.empty());
}

TEST(ClientRecovery, KeepAlivePingsWhenIdleAndDropsASilentHome) {
    ClientParams p;
    p.keepalive_period = 5min;
    Harness h(p);
    h.connect();
    h.transport.clear();
    h.run_for(4min);
    EXPECT_TRUE(h.transport.sent.empty());
    h.run_for(1min);
    auto pings = h.transport.sent_of<wire::Ping>();
    ASSERT_EQ(pings.size(), 1u) << "a ping after 5 min of silence";
    h.run_for(10s);
    h.deliver(wire::Pong{pings[0].nonce});
    h.run_for(5min - 1s);
    EXPECT_EQ(h.transport.sent_of<wire::Ping>().size(), 1u) << "the pong was traffic";
    h.run_for(1s);
    ASSERT_EQ(h.transport.sent_of<wire::Ping>().size(), 2u) << "next ping after another idle period";
    EXPECT_TRUE(h.core.connected());
    h.run_for(16s);  // no pong this time
    EXPECT_EQ(h.transport.disconnects, 1);
    EXPECT_FALSE(h.core.connected());
}

TEST(ClientRecovery, StaleDriverCallsAreIgnored) {
    Harness h;
    h.core.on_connected(h.now);  // never asked to connect
    h.core.on_disconnected(h.now);
    h.core.on_frame(h.now, wire::encode(wire::Pong{1}));
    EXPECT_FALSE(h.core.connected());
    EXPECT_TRUE(h.transport.sent.empty());
    EXPECT_EQ(h.core.stats().ignored_events, 3u);
    h.connect();
    h.core.on_connected(h.now);  // twice
    EXPECT_EQ(h.core.stats().connects, 1u);
}

TEST(ClientRecovery, TimeNeverRunsBack) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "news");
    h.run_for(16s);  // the request timed out at t0 + 15 s
    TimePoint w = h.core.on_timer(t0);  // a driver confused about time
    EXPECT_GE(w, t0 + 16s);
}

// A whole scripted life: connects, failures, answers, losses. Same seed: same everything.
std::vector<std::string> scripted_run(std::uint64_t seed) {
    Harness h({}, {node_ep(1), node_ep(2), node_ep(3)}, seed);
    std::vector<std::string> trace;
    auto note = [&](TimePoint w) {
        trace.push_back(std::to_string((w - t0).count()));
    };
    for (int i = 0; i < 5; ++i) h.core.subscribe(h.now, "t" + std::to_string(i));
    h.core.start(h.now);
    note(h.core.on_connect_failed(h.now));
    h.run_until(h.core.next_wakeup());
    note(h.core.on_connected(h.now));
    h.grant("t0", mbx(1), {mbx(2)});
    h.refuse("t1");
    h.grant("t2", mbx(2));
    h.deliver(wire::MailboxLost{"t2", mbx(2), {mbx(3)}});
    h.run_for(2h);
    h.core.on_disconnected(h.now);
    h.run_until(h.core.next_wakeup());
    note(h.core.on_connected(h.now));
    h.run_for(1h);
    for (const auto& e : h.transport.connects) trace.push_back(e.to_string());
    for (const auto& m : h.transport.sent) trace.push_back(to_hex(wire::encode(m)));
    note(h.core.next_wakeup());
    return trace;
}

TEST(ClientRecovery, SameSeedSameRun) {
    auto a = scripted_run(7);
    EXPECT_EQ(a, scripted_run(7));
    EXPECT_NE(a, scripted_run(8)) << "the seed does drive the jitter";
}

}  // namespace
}  // namespace elmo::client_test
