// The DHT directory of mailboxes (docs/dissemination.md, "Rendezvous") with a fake directory:
// a mailbox announces its topics, a home's lookup takes the mailbox the directory names instead
// of electing another one, and entries of other topics or of silent nodes are not used.
#include <gtest/gtest.h>

#include <set>

#include "tests/node/fake_directory.hpp"

namespace elmo::test {
namespace {

using namespace std::chrono_literals;

Bytes cid(int n) { return Bytes{'c', static_cast<std::uint8_t>(n)}; }

// A lookup asks the directory once its walks come back empty: steps until node `n` has asked.
bool until_asked(CoreCluster& c, const FakeDht& dht, std::size_t n) {
    for (int i = 0; i < 100 && dht.ports[n].queries.empty(); ++i) c.run_for(100ms);
    return !dht.ports[n].queries.empty();
}

// The directory asked only after the walks (directory_beside_walks = false, the default), the
// setting these tests are about; BesideWalksTheDirectoryIsAskedAtOnce covers the other.
NodeCoreConfig walks_first() {
    NodeCoreConfig base;
    base.params.directory_beside_walks = false;
    return base;
}

// Node 0 holds "t" (elected for its own client); nodes 1 and 2 are neighbours of each other only,
// so no walk of theirs can reach node 0 or its hints.
struct SplitWorld {
    CoreCluster c{3, walks_first()};
    FakeDht dht{c, 3};
    SplitWorld() {
        c.link(1, 2);
        c.start();
        c.connect_client(0, 1, cid(1));
        c.client_frame(0, 1, wire::Subscribe{1, "t", {}});
        c.run_for(10s);
    }
};

TEST(NodeDirectory, AMailboxAnnouncesItsTopicWhenItTakesIt) {
    SplitWorld s;
    ASSERT_TRUE(s.c.core(0).mailbox().holds("t"));
    EXPECT_EQ(s.dht.ports[0].announces, 1);
    ASSERT_EQ(s.dht.store.size(), 1u);
    auto m = wire::decode(s.dht.store.begin()->second.begin()->second.value);
    ASSERT_TRUE(m.ok());
    auto* intro = std::get_if<wire::MailboxIntro>(&*m);
    ASSERT_NE(intro, nullptr);
    EXPECT_EQ(intro->topic, "t");
    ASSERT_EQ(intro->mailboxes.size(), 1u);
    EXPECT_EQ(intro->mailboxes[0].id, s.c.core(0).id());
    // Refreshed while held, so that the entry outlives the DHT's value lifetime.
    s.c.run_for(s.c.core(0).params().directory_refresh + 1s);
    EXPECT_EQ(s.dht.ports[0].announces, 2);
}

TEST(NodeDirectory, ALookupRegistersWithTheMailboxTheDirectoryNames) {
    SplitWorld s;
    s.c.connect_client(1, 2, cid(2));
    s.c.client_frame(1, 2, wire::Subscribe{2, "t", {}});
    EXPECT_TRUE(s.dht.ports[1].queries.empty()) << "the walks go first";
    ASSERT_TRUE(until_asked(s.c, s.dht, 1)) << "the walks found nothing: the directory is asked";
    ASSERT_EQ(s.dht.ports[1].queries.size(), 1u);
    s.dht.answer(s.c, 1);
    s.c.run_for(5s);
    auto r = s.c.last_result(1, 2);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, wire::SubscribeStatus::registered);
    EXPECT_EQ(r->mailbox.id, s.c.core(0).id()) << "not a second mailbox elected by this home";
    EXPECT_FALSE(s.c.core(1).mailbox().holds("t"));
    EXPECT_FALSE(s.c.core(2).mailbox().holds("t"));
    EXPECT_EQ(s.c.core(1).stats().lookups_found_in_directory, 1u);
}

// In steady state the walks find the topic's mailbox through the hints: no DHT get, so no search
// that OpenDHT would keep (and walk for every packet) for an hour.
TEST(NodeDirectory, ALookupWhoseWalksFindTheMailboxDoesNotAskTheDirectory) {
    CoreCluster c{2, walks_first()};
    FakeDht dht{c, 2};
    c.link(0, 1);
    c.start();
    c.connect_client(0, 1, cid(1));
    c.client_frame(0, 1, wire::Subscribe{1, "t", {}});
    c.run_for(10s);
    ASSERT_TRUE(c.core(0).mailbox().holds("t"));
    c.run_for(c.core(0).params().hint_min_interval + 5s);  // node 1 has node 0's hint
    c.connect_client(1, 2, cid(2));
    c.client_frame(1, 2, wire::Subscribe{2, "t", {}});
    c.run_for(5s);
    auto r = c.last_result(1, 2);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, wire::SubscribeStatus::registered);
    EXPECT_EQ(r->mailbox.id, c.core(0).id());
    EXPECT_TRUE(dht.ports[1].queries.empty());
    EXPECT_EQ(c.core(1).stats().directory_queries, 0u);
}

// A hot topic's mailboxes share directory_slots entries under its key: OpenDHT fetches a key's
// values one request per value and storing node, so an entry per mailbox made every get of a
// hot topic's key cost thousands of requests (the Higgs all-users replay).
TEST(NodeDirectory, AHotTopicsMailboxesShareAFewDirectorySlots) {
    NodeCoreConfig base = walks_first();
    base.params.directory_slots = 2;
    constexpr std::size_t n = 6;
    CoreCluster c{n, base};  // no links: every home is alone and elects itself
    FakeDht dht{c, n};
    c.start();
    for (std::size_t i = 0; i < n; ++i) {
        c.connect_client(i, static_cast<ClientHandle>(i + 1), cid(static_cast<int>(i + 1)));
        c.client_frame(i, static_cast<ClientHandle>(i + 1), wire::Subscribe{1, "t", {}});
    }
    for (std::size_t i = 0; i < n; ++i) ASSERT_TRUE(until_asked(c, dht, i));
    // Nobody holds "t" yet: every home hears so before the first of them has elected itself.
    for (std::size_t i = 0; i < n; ++i) {
        auto qs = std::move(dht.ports[i].queries);
        dht.ports[i].queries.clear();
        for (const auto& q : qs) c.node(i).wake = c.core(i).on_directory_answer(c.now(), q.id, {});
    }
    c.run_for(10s);
    int announces = 0;
    for (std::size_t i = 0; i < n; ++i) {
        ASSERT_TRUE(c.core(i).mailbox().holds("t")) << i;
        announces += dht.ports[i].announces;
    }
    EXPECT_EQ(announces, static_cast<int>(n)) << "every mailbox announces itself";
    ASSERT_EQ(dht.store.size(), 1u);
    EXPECT_LE(dht.store.begin()->second.size(), 2u) << "but the key holds at most 2 entries";
    for (const auto& [vid, v] : dht.store.begin()->second) {
        EXPECT_GE(vid, 1u);
        EXPECT_LE(vid, 2u);
    }
}

// The slot a mailbox writes is stable (a refresh rewrites its own entry), within 1..slots, and
// the mailboxes of one topic spread over all the slots.
TEST(NodeDirectory, DirectorySlotsAreStableInRangeAndSpread) {
    const DirectoryKey key = NodeCore::directory_key("t");
    std::set<std::uint64_t> seen;
    for (int i = 0; i < 200; ++i) {
        NodeId id{};
        id[0] = static_cast<std::uint8_t>(i);
        id[3] = static_cast<std::uint8_t>(i * 7);
        const auto slot = NodeCore::directory_slot(id, key, 8);
        EXPECT_EQ(slot, NodeCore::directory_slot(id, key, 8));
        EXPECT_GE(slot, 1u);
        EXPECT_LE(slot, 8u);
        seen.insert(slot);
    }
    EXPECT_EQ(seen.size(), 8u);
    EXPECT_EQ(NodeCore::directory_slot(NodeId{}, key, 0), 1u) << "0 slots means one";
}

TEST(NodeDirectory, BesideWalksTheDirectoryIsAskedAtOnce) {
    NodeCoreConfig base;
    base.params.directory_beside_walks = true;
    CoreCluster c{2, base};
    FakeDht dht{c, 2};
    c.link(0, 1);
    c.start();
    c.connect_client(1, 2, cid(2));
    c.client_frame(1, 2, wire::Subscribe{2, "t", {}});
    EXPECT_EQ(dht.ports[1].queries.size(), 1u);
}

// The walks meet a dead mailbox (a live node on the way still knows it): the home's client fails
// to register there, and the second lookup asks the directory, which names the live mailbox,
// rather than electing one more mailbox for a topic that has one.
TEST(NodeDirectory, WhenTheWalksFoundOnlyDeadMailboxesTheDirectoryNamesTheLiveOne) {
    NodeCoreConfig base = walks_first();
    base.params.walk_ttl = 1;  // the walks end at node 3 and come back (not lost at dead node 0)
    CoreCluster c{4, base};
    FakeDht dht{c, 4};
    c.link(0, 3);
    c.link(1, 3);  // node 2 is linked to nobody: no walk reaches it
    c.start();
    c.connect_client(0, 1, cid(1));
    c.client_frame(0, 1, wire::Subscribe{1, "t", {}});
    c.run_for(10s);
    ASSERT_TRUE(c.core(0).mailbox().holds("t"));
    c.connect_client(3, 2, cid(2));
    c.client_frame(3, 2, wire::Subscribe{2, "t", {}});
    c.run_for(10s);
    ASSERT_EQ(c.last_result(3, 2)->mailbox.id, c.core(0).id());  // node 3 knows node 0 now
    c.connect_client(2, 3, cid(3));
    c.client_frame(2, 3, wire::Subscribe{3, "t", {}});
    c.run_for(15s);  // its query unanswered: node 2 elects itself
    ASSERT_TRUE(c.core(2).mailbox().holds("t"));
    c.kill(0);
    c.connect_client(1, 4, cid(4));
    c.client_frame(1, 4, wire::Subscribe{4, "t", {}});
    for (int i = 0; i < 30 && !c.last_result(1, 4); ++i) {
        c.run_for(1s);
        dht.answer(c, 1);
    }
    auto r = c.last_result(1, 4);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, wire::SubscribeStatus::registered);
    EXPECT_EQ(r->mailbox.id, c.core(2).id());
    EXPECT_FALSE(c.core(1).mailbox().holds("t"));
    EXPECT_FALSE(c.core(3).mailbox().holds("t"));
}

// A mailbox links the directory's entries, stale ones of dead mailboxes included (they live 10
// minutes); it names to clients only the linked mailboxes that answered, or phones would try
// the dead ones first after every crash.
TEST(NodeDirectory, AMailboxNamesToClientsOnlyLinkedMailboxesThatAnswered) {
    SplitWorld s;
    NodeId ghost_id{};
    ghost_id[0] = 0xD0;
    const auto ghost = wire::NodeAddr::from(ghost_id, Endpoint::v4(0x7f0000f0u, 5000));
    s.dht.store.begin()->second[77] = {DirectoryValueKind::mailbox_entry,
                                       wire::encode(wire::MailboxIntro{"t", {ghost}})};
    for (int i = 0; i < 40 && !s.c.core(0).mailbox().holds("t"); ++i) s.c.run_for(1s);
    for (int i = 0; i < 40; ++i) {  // discovery rounds: node 0 asks, learns the ghost, links it
        s.dht.answer(s.c, 0);
        s.c.run_for(1s);
    }
    bool linked = false;
    for (const auto& l : s.c.core(0).mailbox().links("t")) linked |= l.id == ghost_id;
    ASSERT_TRUE(linked) << "the stale entry is linked (until the gossip engine evicts it)";
    s.c.connect_client(0, 7, cid(7));
    s.c.client_frame(0, 7, wire::Subscribe{7, "t", {}});
    s.c.run_for(2s);
    auto r = s.c.last_result(0, 7);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, wire::SubscribeStatus::registered);
    for (const auto& o : r->other_mailboxes) EXPECT_NE(o.id, ghost_id);
}

TEST(NodeDirectory, WithoutAnAnswerTheHomeElectsAsBefore) {
    SplitWorld s;
    s.c.connect_client(1, 2, cid(2));
    s.c.client_frame(1, 2, wire::Subscribe{2, "t", {}});
    s.c.run_for(15s);  // the query is never answered (a lost DHT get)
    auto r = s.c.last_result(1, 2);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, wire::SubscribeStatus::registered);
    EXPECT_NE(r->mailbox.id, s.c.core(0).id());
}

TEST(NodeDirectory, EntriesOfAnotherTopicOrGarbageAreIgnored) {
    SplitWorld s;
    // Someone stored junk and another topic's entry under "t"'s key.
    auto& values = s.dht.store.begin()->second;
    values.clear();
    const auto entry = DirectoryValueKind::mailbox_entry;
    values[7] = {entry, Bytes{0xE1, 0x00, 0x42}};
    values[8] = {entry, wire::encode(wire::MailboxIntro{"other", {s.c.core(0).self_addr()}})};
    s.c.connect_client(1, 2, cid(2));
    s.c.client_frame(1, 2, wire::Subscribe{2, "t", {}});
    ASSERT_TRUE(until_asked(s.c, s.dht, 1));
    s.dht.answer(s.c, 1);
    s.c.run_for(15s);
    EXPECT_EQ(s.c.core(1).stats().directory_values_bad, 2u);
    EXPECT_EQ(s.c.core(1).stats().lookups_found_in_directory, 0u);
    auto r = s.c.last_result(1, 2);
    ASSERT_TRUE(r);
    EXPECT_NE(r->mailbox.id, s.c.core(0).id());
}

TEST(NodeDirectory, MailboxesOfATopicLinkThroughTheDirectory) {
    SplitWorld s;
    // Node 2 elects itself for "t" too (its lookup got no answer): a split.
    s.c.connect_client(2, 3, cid(3));
    s.c.client_frame(2, 3, wire::Subscribe{3, "t", {}});
    s.c.run_for(15s);
    ASSERT_TRUE(s.c.core(2).mailbox().holds("t"));
    ASSERT_TRUE(s.c.core(2).mailbox().links("t").empty());
    // Its discovery asks the directory, which names node 0: the two link.
    for (int i = 0; i < 40 && s.c.core(2).mailbox().links("t").empty(); ++i) {
        s.dht.answer(s.c, 2);
        s.c.run_for(1s);
    }
    ASSERT_EQ(s.c.core(2).mailbox().links("t").size(), 1u);
    EXPECT_EQ(s.c.core(2).mailbox().links("t")[0].id, s.c.core(0).id());
    s.c.run_for(2s);
    ASSERT_EQ(s.c.core(0).mailbox().links("t").size(), 1u) << "the link goes both ways";
}

// Stale or junk entries (dead mailboxes' entries live on 10 minutes, and anyone may store values
// under a topic's key) ahead of the live one in the DHT's order must not hide it: 30 entries
// naming nodes that never answer, with smaller value ids, then node 0's; within a few discovery
// rounds node 2 links to node 0, and the dead peers it linked meanwhile are evicted or dropped.
TEST(NodeDirectory, StaleEntriesDoNotHideALiveMailbox) {
    SplitWorld s;
    auto& values = s.dht.store.begin()->second;
    const auto live = values.begin()->second;
    values.clear();
    for (int n = 0; n < 30; ++n) {
        NodeId id{};
        id[0] = 0xD0;
        id[1] = static_cast<std::uint8_t>(n);
        auto ghost = wire::NodeAddr::from(id, Endpoint::v4(0x7f0000f0u, 5000 + n));
        values[static_cast<std::uint64_t>(n + 1)] = {DirectoryValueKind::mailbox_entry,
                                                     wire::encode(wire::MailboxIntro{"t", {ghost}})};
    }
    values[1000] = live;
    s.c.connect_client(2, 3, cid(3));
    s.c.client_frame(2, 3, wire::Subscribe{3, "t", {}});
    s.c.run_for(15s);
    ASSERT_TRUE(s.c.core(2).mailbox().holds("t"));
    auto linked_to_0 = [&] {
        for (const auto& l : s.c.core(2).mailbox().links("t"))
            if (l.id == s.c.core(0).id()) return true;
        return false;
    };
    for (int i = 0; i < 600 && !linked_to_0(); ++i) {
        s.dht.answer(s.c, 2);
        s.c.run_for(1s);
    }
    EXPECT_TRUE(linked_to_0());
}

}  // namespace
}  // namespace elmo::test

namespace elmo::test {
namespace {

std::size_t queries_for(const FakeDht& dht, std::size_t node, const std::string& topic) {
    std::size_t n = 0;
    for (const auto& q : dht.ports[node].queries)
        n += q.key == NodeCore::directory_key(topic) && q.kind == DirectoryValueKind::mailbox_entry;
    return n;
}

// One DHT get per topic in flight: a later lookup or discovery of the topic takes over the
// pending query instead of sending another (OpenDHT's cost per answer grows with the gets in
// flight; a subscribe storm stalled a simulation).
TEST(NodeDirectory, APendingQueryIsTakenOverNotRepeated) {
    SplitWorld s;
    s.c.connect_client(1, 2, cid(2));
    s.c.client_frame(1, 2, wire::Subscribe{2, "u", {}});
    s.c.run_for(40s);  // elected (nobody holds "u"), then discovery asks again at 2 s and 30 s
    ASSERT_TRUE(s.c.core(1).mailbox().holds("u"));
    EXPECT_EQ(queries_for(s.dht, 1, "u"), 1u) << "the directory was asked once";
    EXPECT_GE(s.c.core(1).stats().directory_queries_joined, 1u);
}

// Discovery asks the directory at a new mailbox's first two rounds (where the races of a topic's
// elections are decided), then once a discovery_period; the rounds between walk only. Asking at
// every round was four directory reads of five in the all-users Higgs replay.
TEST(NodeDirectory, DiscoveryAsksTheDirectoryAtTheFirstRoundsThenOncePerPeriod) {
    SplitWorld s;  // node 0 took "t" a few seconds ago: rounds at +2, +30, +86, +198, +422, +870
    const TimePoint start = s.c.now() - 10s;  // SplitWorld ran 10 s
    std::size_t asked = 0;
    auto run_until = [&](Duration t) {  // answers node 0's queries as they come
        while (s.c.now() - start < t) {
            s.c.run_for(1s);
            asked += queries_for(s.dht, 0, "t");
            s.dht.answer(s.c, 0);
        }
    };
    run_until(60s);
    ASSERT_TRUE(s.c.core(0).mailbox().holds("t"));
    EXPECT_GE(asked, 2u) << "the first two rounds ask";
    asked = 0;
    const auto walks = s.c.core(0).stats().discovery_walks;
    run_until(800s);
    EXPECT_EQ(asked, 0u) << "the rounds at +86, +198 and +422 s walk only";
    EXPECT_EQ(s.c.core(0).stats().discovery_walks, walks + 3);
    run_until(1000s);
    EXPECT_EQ(asked, 1u) << "the round at +870 s, a period after the last ask";
    run_until(1600s);
    EXPECT_EQ(asked, 2u) << "and a period later";
}

// Beyond max_directory_queries in flight a lookup walks alone, and still succeeds.
TEST(NodeDirectory, BeyondTheBoundLookupsWalkAlone) {
    NodeCoreConfig base;
    base.params.max_directory_queries = 2;
    CoreCluster c{2, base};
    FakeDht dht{c, 2};
    c.link(0, 1);
    c.start();
    c.connect_client(0, 1, cid(1));
    for (std::uint64_t i = 0; i < 4; ++i)
        c.client_frame(0, 1, wire::Subscribe{10 + i, "t" + std::to_string(i), {}});
    c.run_for(1s);
    EXPECT_EQ(dht.ports[0].queries.size(), 2u);
    EXPECT_GE(c.core(0).stats().directory_queries_dropped, 2u);
    c.run_for(15s);
    for (std::uint64_t i = 0; i < 4; ++i)
        EXPECT_TRUE(c.core(0).mailbox().holds("t" + std::to_string(i))) << i;
}

}  // namespace
}  // namespace elmo::test

namespace elmo::test {
namespace {

// Arbitrated elections: two homes must elect a mailbox for a topic nobody holds at the same
// moment; the directory is empty and its search ended at node 2 for both. The first claim at
// node 2 wins and the other home adopts its winner, so the topic gets one mailbox, not two.
NodeCoreConfig arbitrated(bool on) {
    NodeCoreConfig base = walks_first();
    base.params.arbitrated_election = on;
    return base;
}

struct ConcurrentElection {
    CoreCluster c;
    FakeDht dht{c, 3};
    std::vector<Neighbour> closest;
    // dead_first: the search names a dead node nearest, then node 2.
    explicit ConcurrentElection(bool arbitrated_on, bool arbiter_alive = true,
                                bool dead_first = false)
        : c(3, arbitrated(arbitrated_on)) {
        c.link(0, 2);
        c.link(1, 2);
        c.start();
        closest = {{c.core(2).id(), c.core(2).endpoint()}};
        const Neighbour dead{NodeId{0xee}, Endpoint::v4(0x7f0000eeu, 4222)};
        if (!arbiter_alive) closest = {dead};
        if (dead_first) closest.insert(closest.begin(), dead);
        for (std::size_t home : {0u, 1u}) {
            c.connect_client(home, 1, cid(static_cast<int>(home)));
            c.client_frame(home, 1, wire::Subscribe{1, "r", {}});
        }
        // Both walks come back empty at the same moment; both homes ask, then both hear.
        until_asked(c, dht, 0);
        until_asked(c, dht, 1);
        for (std::size_t home : {0u, 1u}) {
            auto qs = std::move(dht.ports[home].queries);
            dht.ports[home].queries.clear();
            for (const auto& q : qs)
                c.node(home).wake = c.core(home).on_directory_answer(c.now(), q.id, {}, closest);
        }
        c.run_for(20s);
    }
    int holders() {
        int n = 0;
        for (std::size_t i = 0; i < 3; ++i) n += c.core(i).mailbox().holds("r");
        return n;
    }
};

TEST(NodeDirectory, HomesElectingAtOnceAgreeOnTheFirstClaimAtTheArbiter) {
    ConcurrentElection e{true};
    EXPECT_EQ(e.holders(), 1);
    EXPECT_FALSE(e.c.core(2).mailbox().holds("r")) << "the arbiter only arbitrates";
    auto r0 = e.c.last_result(0, 1);
    auto r1 = e.c.last_result(1, 1);
    ASSERT_TRUE(r0 && r1);
    EXPECT_EQ(r0->status, wire::SubscribeStatus::registered);
    EXPECT_EQ(r1->status, wire::SubscribeStatus::registered);
    EXPECT_EQ(r0->mailbox.id, r1->mailbox.id);
    EXPECT_EQ(e.c.core(2).stats().arbiter_granted, 1u);
    EXPECT_EQ(e.c.core(2).stats().arbiter_overruled, 1u);
    EXPECT_EQ(e.c.core(0).stats().election_claims_overruled +
                  e.c.core(1).stats().election_claims_overruled,
              1u);
}

TEST(NodeDirectory, WithoutTheArbiterBothHomesElectThemselves) {
    ConcurrentElection e{false};
    EXPECT_EQ(e.holders(), 2);  // what the arbiter prevents
}

// Under churn the nearest node a search names has often just died: the claim goes to the next
// one, and the homes still agree (without fail-over each would time out and elect itself).
TEST(NodeDirectory, AClaimAtADeadArbiterGoesToTheNextNearest) {
    ConcurrentElection e{true, true, true};
    EXPECT_EQ(e.holders(), 1);
    EXPECT_EQ(e.c.core(0).stats().election_arbiter_failovers, 1u);
    EXPECT_EQ(e.c.core(1).stats().election_arbiter_failovers, 1u);
    EXPECT_EQ(e.c.core(2).stats().arbiter_granted, 1u);
}

TEST(NodeDirectory, AnUnansweredClaimElectsTheHomesOwnCandidate) {
    ConcurrentElection e{true, false};
    EXPECT_EQ(e.holders(), 2);
    EXPECT_EQ(e.c.core(0).stats().election_claim_timeouts, 1u);
    auto r0 = e.c.last_result(0, 1);
    ASSERT_TRUE(r0);
    EXPECT_EQ(r0->status, wire::SubscribeStatus::registered);
}

}  // namespace
}  // namespace elmo::test
