// Simulated sets of mailboxes of one topic (fake network, fixed seeds, explicit time): delivery
// exactly once, the eager links converging to a spanning tree, repair after a crash (IHave
// timeout and Graft), digest repair of a lost message, joining components without a lasting
// cycle, bounded queues under a burst, and determinism.
#include <gtest/gtest.h>

#include <iostream>

#include "sim_harness.hpp"

namespace elmo::gossip::test {
namespace {

constexpr Duration settle = std::chrono::seconds(5);

// Publishes `count` events from node `source` (or random live sources when source < 0), one
// every `gap`, then lets the network settle. Returns the events.
std::vector<wire::Event> publish_series(GossipSim& sim, int count, int source,
                                        Duration gap = std::chrono::milliseconds(300)) {
    std::vector<wire::Event> out;
    std::uniform_int_distribution<int> any(0, sim.size() - 1);
    for (int k = 0; k < count; ++k) {
        int s = source;
        while (s < 0 || !sim.node(s).alive) s = any(sim.rng());
        out.push_back(sim.publish(s, sim.next_seq()));
        sim.run_for(gap);
    }
    sim.run_for(settle);
    return out;
}

void expect_everyone_has_once(GossipSim& sim, const std::vector<wire::Event>& events) {
    for (const auto& e : events) EXPECT_TRUE(sim.everyone_has(e.id));
    for (int i = 0; i < sim.size(); ++i) EXPECT_EQ(sim.node(i).store_duplicates, 0u) << i;
}

TEST(GossipSim, FullMeshOneEventReachesAllOnceAndPrunesToATree) {
    GossipSim sim(10, 1);
    sim.full_mesh();
    sim.run_for(std::chrono::seconds(1));  // handshakes
    for (int i = 0; i < 10; ++i) EXPECT_EQ(sim.tree(i).peers().size(), 9u);
    EXPECT_EQ(sim.eager_edges().size(), 45u);  // every new link starts eager

    auto before = sim.total_counters();
    auto e = sim.publish(0, 1);
    sim.run_for(settle);
    EXPECT_TRUE(sim.everyone_has(e.id));
    auto after = sim.total_counters();
    // The first flood over 45 eager links: each node but the source takes one copy and prunes
    // every later one.
    EXPECT_EQ(after.events_delivered - before.events_delivered, 9u);
    EXPECT_GT(after.duplicates, 0u);
    EXPECT_TRUE(sim.eager_links_form_spanning_tree());
    std::cout << "[figures] full mesh of 10, first event: " << after.duplicates
              << " duplicate copies, " << after.prunes_sent << " prunes\n";

    // Later events from the same source travel the tree only: 9 pushes, no duplicate.
    before = sim.total_counters();
    auto more = publish_series(sim, 5, 0);
    after = sim.total_counters();
    expect_everyone_has_once(sim, more);
    EXPECT_EQ(after.pushes_sent - before.pushes_sent, 5u * 9u);
    EXPECT_EQ(after.duplicates - before.duplicates, 0u);
    EXPECT_EQ(after.grafts_sent - before.grafts_sent, 0u);
    EXPECT_TRUE(sim.eager_links_form_spanning_tree());
}

TEST(GossipSim, RandomGraphManySourcesDeliverOnceThenOneSourceLeavesATree) {
    GossipSim sim(10, 7);
    sim.random_graph(4.0);
    sim.run_for(std::chrono::seconds(1));
    auto events = publish_series(sim, 40, -1);
    expect_everyone_has_once(sim, events);
    auto c = sim.total_counters();
    auto eager = sim.eager_edges();
    std::cout << "[figures] random graph of 10 (" << sim.links().size() << " links), 40 events"
              << " from random sources: " << c.duplicates << " duplicate copies ("
              << double(c.duplicates) / (40.0 * 9) << " per delivery), " << c.grafts_sent
              << " grafts, " << eager.size() << " eager links\n";

    // From one source the eager links settle into a spanning tree (the last flood prunes what
    // grafts and other sources' trees left eager).
    auto tail = publish_series(sim, 4, 3);
    expect_everyone_has_once(sim, tail);
    EXPECT_TRUE(sim.eager_links_form_spanning_tree());
}

TEST(GossipSim, CrashOfAnInteriorNodeIsRepairedByGraftAndReported) {
    GossipSim sim(10, 11);
    sim.random_graph(3.5);
    sim.run_for(std::chrono::seconds(1));
    publish_series(sim, 3, 0);
    ASSERT_TRUE(sim.eager_links_form_spanning_tree());

    // Crash a node with at least two tree links whose loss keeps the link graph connected.
    int victim = -1;
    for (int v = 1; v < sim.size() && victim < 0; ++v) {
        if (sim.tree(v).eager_peers().size() < 2) continue;
        std::vector<std::pair<int, int>> rest;
        for (auto l : sim.links())
            if (l.first != v && l.second != v) rest.push_back(l);
        sim.node(v).alive = false;
        bool ok = sim.connects_live(rest);
        sim.node(v).alive = true;
        if (ok) victim = v;
    }
    ASSERT_GE(victim, 0);
    for (int i = 0; i < sim.size(); ++i) sim.engine(i).take_notices();  // the handshakes' admits
    sim.crash(victim);

    auto before = sim.total_counters();
    auto events = publish_series(sim, 10, 0);
    expect_everyone_has_once(sim, events);
    auto after = sim.total_counters();
    EXPECT_GT(after.grafts_sent, before.grafts_sent);
    Duration worst{};
    for (const auto& e : events)
        for (int i = 0; i < sim.size(); ++i)
            if (sim.node(i).alive)
                worst = std::max(worst, sim.node(i).delivered_at.at(e.id) - sim.published_at(e.id));
    // An orphan grafts after one IHave timeout; one whose lazy peers are orphans too waits for
    // them first: two timeouts plus a few hops at most.
    EXPECT_LT(worst, 2 * sim.engine(0).params().ihave_timeout + std::chrono::seconds(1));
    std::cout << "[figures] crash of node " << victim << ": "
              << after.grafts_sent - before.grafts_sent << " grafts, worst delivery "
              << std::chrono::duration_cast<std::chrono::milliseconds>(worst).count() << " ms\n";

    // Its peers find it dead within dead_after plus a digest period and report it.
    const auto& p = sim.engine(0).params();
    sim.run_for(p.dead_after + p.digest_period);
    int reported = 0;
    for (int i = 0; i < sim.size(); ++i) {
        if (!sim.node(i).alive) continue;
        for (const auto& n : sim.engine(i).take_notices()) {
            EXPECT_EQ(n.kind, PeerNotice::Kind::dead);
            EXPECT_EQ(n.peer, addr(victim));
            ++reported;
        }
        EXPECT_FALSE(sim.tree(i).has_peer(node_id(victim)));
    }
    int linked = 0;
    for (auto l : sim.links()) linked += l.first == victim || l.second == victim;
    EXPECT_EQ(reported, linked);
    std::cout << "[figures] crash: " << reported << " peers reported it dead\n";

    auto later = publish_series(sim, 3, 0);
    expect_everyone_has_once(sim, later);
    EXPECT_TRUE(sim.eager_links_form_spanning_tree());
}

TEST(GossipSim, DigestRepairsAnEventLostOnADroppedMessage) {
    // A line 0 - 1 - 2: no lazy link could announce the event to 1, only the digest can.
    GossipSim sim(3, 3);
    sim.link(0, 1);
    sim.link(1, 2);
    sim.run_for(std::chrono::seconds(1));
    bool dropped = false;
    sim.set_drop([&](int from, int to, const wire::GossipMessage& m) {
        if (dropped || from != 0 || to != 1 || !std::holds_alternative<wire::GossipEvent>(m))
            return false;
        dropped = true;
        return true;
    });
    auto e = sim.publish(0, 1);
    sim.run_for(settle);
    EXPECT_TRUE(dropped);
    EXPECT_FALSE(sim.node(1).store.contains(e.id));
    EXPECT_FALSE(sim.node(2).store.contains(e.id));
    const auto& p = sim.engine(0).params();
    sim.run_for(p.digest_period);
    EXPECT_TRUE(sim.everyone_has(e.id));
    EXPECT_EQ(sim.engine(0).counters().repairs_sent, 1u);
    // Node 1 passed the repaired event on to 2 along the tree, as a late copy (no prune).
    EXPECT_EQ(sim.engine(2).counters().events_delivered, 1u);
    EXPECT_EQ(sim.total_counters().prunes_sent, 0u);
    EXPECT_TRUE(sim.eager_links_form_spanning_tree());
}

// A partition of 0-1 | 2-3 for two minutes (shorter than dead_after: the links survive): each
// side publishes meanwhile. Once the network heals, the first message across makes the side
// whose digests went unanswered compare at once: everything is everywhere within seconds of
// the next event, not at the next digest period (up to a minute later).
TEST(GossipSim, AfterAPartitionHealsTheSidesCompareAtOnce) {
    GossipSim sim(4, 21);
    sim.link(0, 1);
    sim.link(2, 3);
    sim.link(1, 2);
    sim.link(0, 3);
    sim.run_for(std::chrono::seconds(2));
    bool split = true;
    auto side = [](int n) { return n < 2; };
    sim.set_drop([&](int from, int to, const wire::GossipMessage&) {
        return split && side(from) != side(to);
    });
    std::vector<wire::Event> during;
    for (int k = 0; k < 40; ++k) {
        during.push_back(sim.publish(k % 2 == 0 ? 0 : 3, sim.next_seq()));
        sim.run_for(std::chrono::seconds(3));
    }
    EXPECT_FALSE(sim.everyone_has(during.front().id));
    split = false;
    sim.run_for(std::chrono::seconds(5));  // a heal is silent: nothing crosses on its own
    auto after = sim.publish(1, sim.next_seq());
    sim.run_for(std::chrono::seconds(6));
    EXPECT_TRUE(sim.everyone_has(after.id));
    for (const auto& e : during) EXPECT_TRUE(sim.everyone_has(e.id));
    std::uint64_t brought_forward = 0;
    for (int i = 0; i < 4; ++i) brought_forward += sim.engine(i).counters().digests_after_silence;
    EXPECT_GT(brought_forward, 0u);
}

TEST(GossipSim, LostPushInAMeshIsGraftedWithinTheIHaveTimeout) {
    GossipSim sim(6, 5);
    sim.full_mesh();
    sim.run_for(std::chrono::seconds(1));
    publish_series(sim, 2, 0);
    ASSERT_TRUE(sim.eager_links_form_spanning_tree());
    int child = -1;
    for (const auto& id : sim.tree(0).eager_peers()) child = id[1];
    ASSERT_GT(child, 0);
    bool dropped = false;
    sim.set_drop([&](int from, int to, const wire::GossipMessage& m) {
        if (dropped || from != 0 || to != child || !std::holds_alternative<wire::GossipEvent>(m))
            return false;
        return dropped = true;
    });
    auto e = sim.publish(0, 99);
    sim.run_for(settle);
    EXPECT_TRUE(sim.everyone_has(e.id));
    EXPECT_EQ(sim.engine(0).counters().repairs_sent, 0u);  // no digest was needed
    EXPECT_GT(sim.total_counters().grafts_sent, 0u);
    EXPECT_LT(sim.node(child).delivered_at.at(e.id) - sim.published_at(e.id),
              sim.engine(0).params().ihave_timeout + std::chrono::milliseconds(500));
}

TEST(GossipSim, JoiningTwoComponentsLeavesNoLastingCycle) {
    GossipSim sim(10, 9);
    for (int a = 0; a < 5; ++a)
        for (int b = a + 1; b < 5; ++b) {
            sim.link(a, b);
            sim.link(a + 5, b + 5);
        }
    sim.run_for(std::chrono::seconds(1));
    auto left = publish_series(sim, 3, 0);
    auto right = publish_series(sim, 3, 5);
    EXPECT_EQ(sim.eager_edges().size(), 8u);  // two trees of 5
    // Two new links between the components: with the two trees they close a cycle.
    sim.link(1, 6);
    sim.link(2, 7);
    sim.run_for(std::chrono::seconds(1));
    EXPECT_EQ(sim.eager_edges().size(), 10u);
    auto joined = publish_series(sim, 2, 0);
    expect_everyone_has_once(sim, joined);
    EXPECT_TRUE(sim.eager_links_form_spanning_tree());
    // Events published while apart reach the other side through the digests.
    sim.run_for(sim.engine(0).params().digest_period);
    expect_everyone_has_once(sim, left);
    expect_everyone_has_once(sim, right);
    EXPECT_TRUE(sim.eager_links_form_spanning_tree());
}

TEST(GossipSim, OneSidedLinkBecomesSymmetric) {
    GossipSim sim(2, 1);
    sim.link(0, 1);  // only node 0 calls add_peer
    EXPECT_FALSE(sim.tree(1).has_peer(node_id(0)));
    sim.run_for(std::chrono::seconds(1));
    EXPECT_TRUE(sim.tree(1).has_peer(node_id(0)));
    auto n = sim.engine(1).take_notices();
    ASSERT_EQ(n.size(), 1u);
    EXPECT_EQ(n[0].kind, PeerNotice::Kind::admitted);
    EXPECT_EQ(n[0].peer, addr(0));
    EXPECT_TRUE(sim.engine(0).take_notices().empty());
}

TEST(GossipSim, QuietLinksStayAliveOnFewDigests) {
    GossipSim sim(4, 8);
    sim.full_mesh();
    sim.run_for(std::chrono::seconds(1));
    publish_series(sim, 1, 0);
    auto sent_before = sim.messages_sent();
    sim.run_for(std::chrono::minutes(30));
    EXPECT_EQ(sim.total_counters().peers_dead, 0u);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(sim.tree(i).peers().size(), 3u);
    // 6 links over 30 periods. Without skipping: two digests and two answers per link and
    // period (720); with it, under one exchange per link and period.
    auto sent = sim.messages_sent() - sent_before;
    EXPECT_LE(sent, 6u * 30u * 2u);
    std::uint64_t skipped = 0;
    for (int i = 0; i < 4; ++i) skipped += sim.engine(i).counters().digests_skipped;
    EXPECT_GT(skipped, 0u);
    std::cout << "[figures] quiet topic, 6 links, 30 min: " << sent << " messages ("
              << double(sent) / 6.0 / 30.0 << " per link per minute)\n";
}

TEST(GossipSim, LostJoinIsRecoveredByTheDigest) {
    GossipSim sim(2, 1);
    sim.set_drop([](int, int, const wire::GossipMessage& m) {
        return std::holds_alternative<wire::GossipJoin>(m);
    });
    sim.link(0, 1);
    sim.run_for(std::chrono::seconds(1));
    EXPECT_FALSE(sim.tree(1).has_peer(node_id(0)));
    sim.run_for(sim.engine(0).params().digest_period);
    EXPECT_TRUE(sim.tree(1).has_peer(node_id(0)));
}

TEST(GossipSim, BurstIsDeliveredWithBoundedQueues) {
    GossipParams p;
    p.ihave_batch_max = 16;
    p.max_missing_per_topic = 32;
    GossipSim sim(6, 2, p);
    sim.full_mesh();
    sim.run_for(std::chrono::seconds(1));
    publish_series(sim, 2, 0);
    std::vector<wire::Event> burst;
    for (int k = 0; k < 200; ++k)
        burst.push_back(sim.publish(k % 6, 5000 + static_cast<std::uint64_t>(k)));
    sim.run_for(settle);
    for (int i = 0; i < sim.size(); ++i)
        for (const auto& id : sim.tree(i).peers()) EXPECT_LT(sim.tree(i).pending_ihave(id), 16u);
    std::uint64_t flushed_full = 0, dropped_full = 0;
    for (int i = 0; i < sim.size(); ++i) {
        flushed_full += sim.engine(i).counters().ihave_flushed_full;
        dropped_full += sim.engine(i).counters().missing_dropped_full;
        EXPECT_LE(sim.tree(i).missing_size(), 32u);
    }
    EXPECT_GT(flushed_full, 0u);
    // Whatever the bounded tables did not track, the digests deliver.
    sim.run_for(sim.engine(0).params().digest_period * 2);
    expect_everyone_has_once(sim, burst);
    std::cout << "[figures] burst of 200 over 6 nodes: " << flushed_full
              << " IHave batches sent full, " << dropped_full << " ids not tracked\n";
}

TEST(GossipSim, LossyNetworkDeliversEverythingOnce) {
    GossipSim sim(20, 21);
    sim.random_graph(4.0);
    sim.run_for(std::chrono::seconds(1));
    publish_series(sim, 3, 0);  // let the tree form before losses start
    std::bernoulli_distribution lose(0.05);
    std::mt19937_64 drops(77);
    sim.set_drop([&](int, int, const wire::GossipMessage&) { return lose(drops); });
    auto sent_before = sim.messages_sent();
    auto before = sim.total_counters();
    auto events = publish_series(sim, 60, -1, std::chrono::milliseconds(200));
    std::size_t on_time = 0;
    for (const auto& e : events) on_time += sim.everyone_has(e.id);
    auto after = sim.total_counters();
    auto sent = sim.messages_sent() - sent_before;
    std::map<std::uint16_t, int> by_type;
    for (std::size_t i = sent_before; i < sim.trace().size(); ++i)
        ++by_type[std::get<3>(sim.trace()[i])];
    const auto& p = sim.engine(0).params();
    sim.run_for(2 * p.digest_period);
    expect_everyone_has_once(sim, events);
    EXPECT_EQ(sim.total_counters().peers_dead, 0u);
    std::cout << "[figures] 20 nodes, 40 links, 5% loss, 60 events: " << on_time
              << " complete before any digest, " << double(sent) / 60.0 << " messages per event ("
              << double(sent) / (60.0 * 19) << " per delivery), "
              << double(after.duplicates - before.duplicates) / (60.0 * 19)
              << " duplicates per delivery, " << after.grafts_sent - before.grafts_sent
              << " grafts\n[figures]   by type id:";
    for (auto [type, n] : by_type) std::cout << " " << type << "=" << n;
    std::cout << "\n";
}

// Many seeds of a harsher mix: random graph, 5% loss, a crash mid-run. Everything published
// reaches every live node exactly once; once losses stop and the dead node is dropped, one
// source's events leave a spanning tree of the live nodes.
TEST(GossipSim, SeedSweepLossAndCrash) {
    const std::uint64_t seeds = 30;  // 500 pass too (1 s); 30 keep the suite fast
    int trees = 0;
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
        GossipSim sim(15, seed);
        sim.random_graph(3.5);
        std::bernoulli_distribution lose(0.05);
        std::mt19937_64 drops(seed + 1000);
        bool lossy = true;
        sim.set_drop([&](int, int, const wire::GossipMessage&) { return lossy && lose(drops); });
        sim.run_for(std::chrono::seconds(1));
        auto events = publish_series(sim, 15, -1);
        int victim = -1;
        for (int v = 0; v < sim.size() && victim < 0; ++v) {
            std::vector<std::pair<int, int>> rest;
            for (auto l : sim.links())
                if (l.first != v && l.second != v) rest.push_back(l);
            sim.node(v).alive = false;
            if (sim.connects_live(rest)) victim = v;
            sim.node(v).alive = true;
        }
        ASSERT_GE(victim, 0);
        // An event only the victim holds (its one push lost, no digest yet) dies with it: the
        // publisher's outbox is what covers that case, not the tree.
        std::erase_if(events, [&](const wire::Event& e) {
            for (int i = 0; i < sim.size(); ++i)
                if (i != victim && sim.node(i).store.contains(e.id)) return false;
            return true;
        });
        sim.crash(victim);
        auto more = publish_series(sim, 15, -1);
        events.insert(events.end(), more.begin(), more.end());
        // Each digest round repairs a loss with probability ~0.95^3 (digest, want, repair): give
        // the unacknowledged ids five rounds.
        sim.run_for(5 * sim.engine(0).params().digest_period);
        for (const auto& e : events) EXPECT_TRUE(sim.everyone_has(e.id)) << "seed " << seed;
        for (int i = 0; i < sim.size(); ++i)
            EXPECT_EQ(sim.node(i).store_duplicates, 0u) << "seed " << seed;
        lossy = false;
        sim.run_for(sim.engine(0).params().dead_after);
        int source = victim == 0 ? 1 : 0;
        publish_series(sim, 3, source);
        trees += sim.eager_links_form_spanning_tree();
        EXPECT_TRUE(sim.eager_links_form_spanning_tree()) << "seed " << seed;
    }
    std::cout << "[figures] seed sweep: " << trees << "/" << seeds
              << " spanning trees after repair\n";
}

std::pair<std::vector<std::tuple<TimePoint, int, int, std::uint16_t>>, std::uint64_t> run_scenario(
    std::uint64_t seed) {
    GossipSim sim(10, seed);
    sim.random_graph(4.0);
    std::bernoulli_distribution lose(0.05);
    std::mt19937_64 drops(seed * 31);
    sim.set_drop([&](int, int, const wire::GossipMessage&) { return lose(drops); });
    sim.run_for(std::chrono::seconds(1));
    publish_series(sim, 20, -1);
    sim.crash(4);
    publish_series(sim, 10, -1);
    sim.run_for(std::chrono::minutes(4));
    return {sim.trace(), sim.total_counters().duplicates};
}

TEST(GossipSim, SameSeedSameRun) {
    auto a = run_scenario(42);
    auto b = run_scenario(42);
    EXPECT_EQ(a.first, b.first);
    EXPECT_EQ(a.second, b.second);
    auto c = run_scenario(43);
    EXPECT_NE(a.first, c.first);
}

}  // namespace
}  // namespace elmo::gossip::test
