// The node core over fake ports: election, walks guided by hints, refusal, liveness, evaporation.
#include <gtest/gtest.h>

#include <set>

#include "core_harness.hpp"

namespace elmo {
namespace {

using namespace std::chrono_literals;
using test::CoreCluster;

Bytes cid(std::uint8_t n) { return Bytes(8, n); }

wire::Subscribe sub(std::uint64_t rid, std::string topic, std::vector<wire::NodeAddr> pref = {}) {
    return wire::Subscribe{rid, std::move(topic), std::move(pref)};
}

TEST(NodeCore, LoneHomeNodeElectsItself) {
    CoreCluster c(1);
    c.start();
    c.connect_client(0, 1, cid(1));
    c.client_frame(0, 1, sub(7, "higgs"));
    c.run_for(10s);
    auto r = c.last_result(0, 1);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->request_id, 7u);
    EXPECT_EQ(r->status, wire::SubscribeStatus::registered);
    EXPECT_EQ(r->mailbox.id, c.core(0).id());
    EXPECT_TRUE(c.core(0).mailbox().holds("higgs"));
    EXPECT_EQ(c.core(0).mailbox().clients("higgs").size(), 1u);
    EXPECT_EQ(c.core(0).stats().lookups_self_elected, 1u);
}

TEST(NodeCore, ClientMustSayHelloFirst) {
    CoreCluster c(1);
    c.start();
    c.node(0).wake = c.core(0).on_client_connected(c.now(), 5);
    c.client_frame(0, 5, sub(1, "t"));
    auto r = c.last_result(0, 5);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, wire::SubscribeStatus::failed);
}

// A client that says hello learns a few live neighbours of its home (failover candidates that do
// not die with the mailboxes): at most nodes_for_clients, never the home itself.
TEST(NodeCore, HelloIsAnsweredWithAFewLiveNeighbours) {
    CoreCluster c(7);
    for (std::size_t i = 1; i < 7; ++i) c.link(0, i);
    c.start();
    c.connect_client(0, 5, Bytes{'a'});
    const auto& frames = c.node(0).clients.frames[5];
    ASSERT_EQ(frames.size(), 1u);
    const auto* list = std::get_if<wire::NodeList>(&frames[0]);
    ASSERT_NE(list, nullptr);
    EXPECT_EQ(list->nodes.size(), 4u);
    std::set<NodeId> ids;
    for (const auto& n : list->nodes) {
        EXPECT_NE(n.id, c.core(0).id());
        ids.insert(n.id);
        bool neighbour = false;
        for (std::size_t i = 1; i < 7; ++i)
            neighbour |= n.id == c.core(i).id() && n.endpoint.to_endpoint() == c.core(i).endpoint();
        EXPECT_TRUE(neighbour);
    }
    EXPECT_EQ(ids.size(), 4u);
    // A lone node has nobody to name.
    CoreCluster lone(1);
    lone.start();
    lone.connect_client(0, 5, Bytes{'a'});
    ASSERT_EQ(lone.count_frames<wire::NodeList>(0, 5), 1u);
    EXPECT_TRUE(std::get<wire::NodeList>(lone.node(0).clients.frames[5][0]).nodes.empty());
}

TEST(NodeCore, GarbageFromAClientClosesItsConnection) {
    CoreCluster c(1);
    c.start();
    c.connect_client(0, 3, cid(3));
    Bytes junk{0xE1, 0x93, 0x01};
    c.node(0).wake = c.core(0).on_client_frame(c.now(), 3, junk);
    EXPECT_TRUE(c.node(0).clients.closed.contains(3));
}

TEST(NodeCore, WalkFollowsHintsToAnExistingMailbox) {
    // A line 0 - 1 - 2 - 3: node 3 is the mailbox of "higgs"; a client at node 0 subscribes.
    NodeCoreConfig cfg;
    cfg.params.walks = 1;
    CoreCluster c(4, cfg);
    for (std::size_t i = 0; i + 1 < 4; ++i) c.link(i, i + 1);
    c.start();
    c.connect_client(3, 9, cid(9));
    c.client_frame(3, 9, sub(1, "higgs"));
    c.run_for(200s);  // hints propagate over refresh rounds
    ASSERT_TRUE(c.core(3).mailbox().holds("higgs"));
    c.connect_client(0, 1, cid(1));
    c.client_frame(0, 1, sub(2, "higgs"));
    c.run_for(5s);
    auto r = c.last_result(0, 1);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, wire::SubscribeStatus::registered);
    EXPECT_EQ(r->mailbox.id, c.core(3).id());
    EXPECT_EQ(c.core(0).stats().lookups_found_existing, 1u);
    EXPECT_FALSE(c.core(0).mailbox().holds("higgs"));
}

TEST(NodeCore, WalkRecruitsAMailboxWithRoomBeforeTheHomeElectsItself) {
    CoreCluster c(3);
    c.link(0, 1);
    c.link(1, 2);
    c.start();
    c.connect_client(0, 1, cid(1));
    c.client_frame(0, 1, sub(1, "a"));
    c.run_for(300s);  // node 0 is a recruiting mailbox; its room is advertised
    ASSERT_TRUE(c.core(0).mailbox().holds("a"));
    c.connect_client(2, 2, cid(2));
    c.client_frame(2, 2, sub(2, "b"));
    c.run_for(10s);
    auto r = c.last_result(2, 2);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, wire::SubscribeStatus::registered);
    EXPECT_EQ(r->mailbox.id, c.core(0).id());
    EXPECT_TRUE(c.core(0).mailbox().holds("b"));
    EXPECT_FALSE(c.core(2).mailbox().holds("b"));
    EXPECT_EQ(c.core(2).stats().lookups_recruited, 1u);
}

TEST(NodeCore, WithoutHintsTheWalkIsBlind) {
    NodeCoreConfig cfg;
    cfg.params.use_hints = false;
    CoreCluster c(3, cfg);
    c.link(0, 1);
    c.link(1, 2);
    c.start();
    c.connect_client(0, 1, cid(1));
    c.client_frame(0, 1, sub(1, "a"));
    c.run_for(300s);
    c.connect_client(2, 2, cid(2));
    c.client_frame(2, 2, sub(2, "b"));
    c.run_for(10s);
    // No room is advertised to a blind walk, but a walk that stumbles on node 0 still recruits it.
    auto r = c.last_result(2, 2);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, wire::SubscribeStatus::registered);
}

TEST(NodeCore, RefusedByAFullMailboxTheHomeGoesOn) {
    NodeCoreConfig cfg;
    cfg.mailbox.max_registrations = 1;
    CoreCluster c(2, cfg);
    c.link(0, 1);
    c.start();
    c.connect_client(1, 1, cid(1));
    c.client_frame(1, 1, sub(1, "t"));
    c.run_for(10s);
    ASSERT_TRUE(c.core(1).mailbox().holds("t"));
    // Node 1 is now at its registration budget: a client of node 0 naming it is refused there
    // and registered elsewhere (node 0 elects itself).
    c.connect_client(0, 2, cid(2));
    c.client_frame(0, 2, sub(2, "t", {c.core(1).self_addr()}));
    c.run_for(20s);
    auto r = c.last_result(0, 2);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, wire::SubscribeStatus::registered);
    EXPECT_EQ(r->mailbox.id, c.core(0).id());
    EXPECT_GE(c.core(0).stats().registrations_refused, 1u);
    EXPECT_EQ(c.core(1).mailbox().clients("t").size(), 1u);
}

TEST(NodeCore, AHotTopicGetsOneMoreMailboxPerTopicBudget) {
    NodeCoreConfig cfg;
    cfg.mailbox.max_registrations_per_topic = 1;
    CoreCluster c(3, cfg);
    c.link(0, 1);
    c.link(1, 2);
    c.link(0, 2);
    c.start();
    c.connect_client(1, 1, cid(1));
    c.client_frame(1, 1, sub(1, "t"));
    c.run_for(10s);
    ASSERT_TRUE(c.core(1).mailbox().holds("t"));
    // A second subscriber, homed at the topic's full mailbox itself: that node holds the topic
    // (it cannot be the one more mailbox), so another node adopts it.
    c.connect_client(1, 2, cid(2));
    c.client_frame(1, 2, sub(2, "t"));
    c.run_for(30s);
    auto r = c.last_result(1, 2);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, wire::SubscribeStatus::registered);
    EXPECT_NE(r->mailbox.id, c.core(1).id());
    // A third, elsewhere: the last node with room for the topic.
    const std::size_t third = r->mailbox.id == c.core(0).id() ? 2 : 0;
    c.connect_client(third, 3, cid(3));
    c.client_frame(third, 3, sub(3, "t"));
    c.run_for(30s);
    r = c.last_result(third, 3);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, wire::SubscribeStatus::registered);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_TRUE(c.core(i).mailbox().holds("t")) << i;
        EXPECT_EQ(c.core(i).mailbox().clients("t").size(), 1u) << i;
    }
}

// Connects client `k` at node `home`, subscribes it to `topic` and steps 30 s: its result.
std::optional<wire::SubscribeResult> subscribe_at(CoreCluster& c, std::size_t home, int k,
                                                  const std::string& topic) {
    c.connect_client(home, static_cast<ClientHandle>(k), cid(static_cast<std::uint8_t>(k)));
    c.client_frame(home, static_cast<ClientHandle>(k), sub(static_cast<std::uint64_t>(k), topic));
    c.run_for(30s);
    return c.last_result(home, static_cast<ClientHandle>(k));
}

// A topic whose many mailboxes are all full: a new subscriber's home asks a few of them, not
// every one, before it gets one more mailbox; and it does not ask those it knows are full again
// for the next subscribers (before, each refusal named the others and every one was asked: the
// Higgs replay's hot topics drew millions of refusals).
TEST(NodeCore, AFullHotTopicCostsAFewRefusalsPerSubscriber) {
    NodeCoreConfig cfg;
    cfg.mailbox.max_registrations_per_topic = 1;
    constexpr std::size_t n = 12;
    CoreCluster c(n, cfg);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j) c.link(i, j);
    c.start();
    // Six full mailboxes of "t", one subscriber each, homed at nodes 1..6.
    for (int i = 1; i <= 6; ++i) {
        auto r = subscribe_at(c, static_cast<std::size_t>(i), i, "t");
        ASSERT_TRUE(r) << i;
        ASSERT_EQ(r->status, wire::SubscribeStatus::registered) << i;
    }
    std::size_t mailboxes = 0;
    for (std::size_t i = 0; i < n; ++i) mailboxes += c.core(i).mailbox().holds("t");
    ASSERT_GE(mailboxes, 6u);
    // Then subscribers at node 0, within full_memory of each other: each costs a few refusals
    // at most, and the mailboxes that refused are skipped, not asked again.
    const auto& home = c.core(0).stats();
    for (int k = 20; k < 25; ++k) {
        const auto refused_before = home.registrations_refused;
        auto r = subscribe_at(c, 0, k, "t");
        ASSERT_TRUE(r) << k;
        EXPECT_EQ(r->status, wire::SubscribeStatus::registered) << k;
        EXPECT_LE(home.registrations_refused - refused_before,
                  cfg.params.full_refusals_before_new_mailbox)
            << k;
    }
    EXPECT_GE(home.registrations_skipped_full, 1u);
}

TEST(NodeCore, WhenNoOtherMailboxCanBeFoundAFullTopicTakesTheClientAnyway) {
    NodeCoreConfig cfg;
    cfg.mailbox.max_registrations_per_topic = 1;
    CoreCluster c(2, cfg);
    c.link(0, 1);
    c.start();
    // Both nodes become mailboxes of "t" (one client each, the budget of each).
    for (std::size_t i = 0; i < 3; ++i) {
        c.connect_client(i % 2, 10 + i, cid(10 + i));
        c.client_frame(i % 2, 10 + i, sub(10 + i, "t"));
        c.run_for(30s);
        auto r = c.last_result(i % 2, 10 + i);
        ASSERT_TRUE(r) << i;
        // The third finds no node that does not hold the topic: it is taken beyond the budget
        // rather than refused for good (a small cluster with a popular topic).
        EXPECT_EQ(r->status, wire::SubscribeStatus::registered) << i;
    }
    EXPECT_EQ(c.core(0).mailbox().clients("t").size() + c.core(1).mailbox().clients("t").size(), 3u);
    EXPECT_EQ(c.core(0).stats().registrations_beyond_topic_budget, 1u);
}

TEST(NodeCore, DeadMailboxIsReportedToItsClients) {
    CoreCluster c(2);
    c.link(0, 1);
    c.start();
    c.connect_client(1, 1, cid(1));
    c.client_frame(1, 1, sub(1, "t"));
    c.run_for(10s);
    c.connect_client(0, 2, cid(2));
    c.client_frame(0, 2, sub(2, "t", {c.core(1).self_addr()}));
    c.run_for(5s);
    ASSERT_EQ(c.last_result(0, 2)->mailbox.id, c.core(1).id());
    c.kill(1);
    c.run_for(90s);  // 3 missed pings at 20 s
    EXPECT_EQ(c.count_frames<wire::MailboxLost>(0, 2), 1u);
    EXPECT_EQ(c.core(0).stats().mailboxes_lost, 1u);
}

TEST(NodeCore, EvaporatedTopicIsReportedToHomeNodes) {
    NodeCoreConfig cfg;
    cfg.mailbox.idle_period = 60s;
    cfg.mailbox.registration_lifetime = 30s;
    CoreCluster c(2, cfg);
    c.link(0, 1);
    c.start();
    c.connect_client(1, 1, cid(1));
    c.client_frame(1, 1, sub(1, "t"));
    c.run_for(5s);
    c.connect_client(0, 2, cid(2));
    c.client_frame(0, 2, sub(2, "t", {c.core(1).self_addr()}));
    c.run_for(5s);
    ASSERT_EQ(c.core(1).mailbox().clients("t").size(), 2u);
    // Nobody renews: registrations lapse at 30 s, the topic evaporates 60 s later.
    c.run_for(120s);
    EXPECT_FALSE(c.core(1).mailbox().holds("t"));
    EXPECT_EQ(c.count_frames<wire::MailboxLost>(0, 2), 1u);
    EXPECT_EQ(c.count_frames<wire::MailboxLost>(1, 1), 1u);
}

TEST(NodeCore, AdoptionAsksOneNodeAtATimeAndAnswersBeforeTheClientGivesUp) {
    // A home with no room for topics whose neighbours are all dead: it asks them one by one
    // (3 s each), never several at once, and answers `failed` at its 12 s deadline.
    NodeCoreConfig cfg;
    cfg.mailbox.capacity_topics = 0;
    CoreCluster c(9, cfg);
    for (std::size_t i = 1; i < 9; ++i) c.link(0, i);
    c.start();
    for (std::size_t i = 1; i < 9; ++i) c.kill(i);
    c.connect_client(0, 1, cid(1));
    auto t0 = c.now();
    c.client_frame(0, 1, sub(1, "t"));
    // Other topics' lookups keep firing deadline timers meanwhile.
    for (int k = 0; k < 20; ++k) {
        c.run_for(500ms);
        c.client_frame(0, 1, sub(100 + static_cast<std::uint64_t>(k), "other" + std::to_string(k)));
    }
    c.run_until(t0 + 13s);
    auto r = c.last_result(0, 1);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, wire::SubscribeStatus::failed);
    EXPECT_GE(c.core(0).stats().subscribe_deadline_missed, 1u);
    // One adoption in flight at a time, 3 s each, within the 12 s deadline: at most 4.
    EXPECT_GE(c.adopt_requests["t"], 1);
    EXPECT_LE(c.adopt_requests["t"], 4);
}

TEST(NodeCore, RepeatedSubscribeIsAnsweredOnce) {
    CoreCluster c(2);
    c.link(0, 1);
    c.start();
    c.connect_client(1, 9, cid(9));
    c.client_frame(1, 9, sub(1, "t"));
    c.run_for(5s);
    ASSERT_TRUE(c.core(1).mailbox().holds("t"));
    c.connect_client(0, 1, cid(1));
    c.client_frame(0, 1, sub(1, "t", {c.core(1).self_addr()}));
    c.client_frame(0, 1, sub(2, "t", {c.core(1).self_addr()}));  // asked again before the answer
    c.run_for(10s);
    EXPECT_EQ(c.count_frames<wire::SubscribeResult>(0, 1), 1u);
    EXPECT_EQ(c.last_result(0, 1)->request_id, 2u);
    EXPECT_EQ(c.sent_by_type["register_request"], 1);
}

TEST(NodeCore, TooManySubscriptionsInProgressAreRefused) {
    NodeCoreConfig cfg;
    cfg.mailbox.capacity_topics = 0;  // nothing completes quickly
    CoreCluster c(2, cfg);
    c.link(0, 1);
    c.start();
    c.kill(1);
    c.connect_client(0, 1, cid(1));
    for (std::uint64_t k = 0; k < 40; ++k) c.client_frame(0, 1, sub(k + 1, "t" + std::to_string(k)));
    EXPECT_EQ(c.core(0).stats().subscribe_refused_busy, 8u);
    EXPECT_EQ(c.count_frames<wire::SubscribeResult>(0, 1), 8u);
}

TEST(NodeCore, EvaporationHandsTheHistoryToAnotherMailboxOfTheTopic) {
    NodeCoreConfig cfg;
    cfg.mailbox.max_registrations = 1;
    cfg.mailbox.idle_period = 60s;
    cfg.mailbox.registration_lifetime = 30s;
    CoreCluster c(2, cfg);
    c.link(0, 1);
    c.start();
    // Node 0 holds "t" and is full; a client of node 1 is refused there, so node 1 becomes a
    // second mailbox of "t" and knows node 0 as one.
    c.connect_client(0, 1, cid(1));
    c.client_frame(0, 1, sub(1, "t"));
    c.run_for(2s);
    c.connect_client(1, 2, cid(2));
    c.client_frame(1, 2, sub(2, "t", {c.core(0).self_addr()}));
    c.run_for(10s);
    ASSERT_TRUE(c.core(0).mailbox().holds("t"));
    ASSERT_TRUE(c.core(1).mailbox().holds("t"));
    // An event reaches node 1 only.
    wire::Event ev;
    ev.topic = "t";
    ev.publisher = Bytes{1};
    ev.seq = 1;
    ev.timestamp_ms = 1'700'000'000'000;
    ev.expiry_ms = ev.timestamp_ms + 86'400'000;
    ev.payload = Bytes{42};
    ev.seal();
    c.node(1).wake = c.core(1).on_datagram(c.now(), c.core(0).endpoint(),
                                           wire::encode(wire::EventPush{ev}));
    ASSERT_EQ(c.core(1).mailbox().ids("t").size(), 1u);
    // Node 0's client renews; node 1's does not: node 1's topic goes idle and evaporates.
    c.run_for(50s);
    c.client_frame(0, 1, sub(3, "t"));
    c.run_for(60s);
    EXPECT_FALSE(c.core(1).mailbox().holds("t"));
    ASSERT_TRUE(c.core(0).mailbox().holds("t"));
    EXPECT_EQ(c.core(1).stats().events_handed_off, 1u);
    auto ids = c.core(0).mailbox().ids("t");
    ASSERT_EQ(ids.size(), 1u);
    EXPECT_EQ(ids[0], ev.id);
    // Node 1's own client is told, with node 0 as successor.
    ASSERT_EQ(c.count_frames<wire::MailboxLost>(1, 2), 1u);
}

TEST(NodeCore, HintTrafficIsBounded) {
    CoreCluster c(3);
    c.link(0, 1);
    c.link(1, 2);
    c.start();
    c.run_for(3600s);
    // One hint per neighbour per refresh period (120 s), nothing else while idle.
    auto sent = c.core(1).stats().hints_sent;
    EXPECT_GE(sent, 2u * 29);
    EXPECT_LE(sent, 2u * 31);
}

}  // namespace
}  // namespace elmo
