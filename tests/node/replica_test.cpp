// The history replica (docs/dissemination.md, "History replica") with a fake DHT: a mailbox puts
// each fresh publication in the DHT, a node that takes the topic later (its earlier mailboxes
// dead) reads them back and serves them, the replica of a topic is a ring of a bounded number of
// slots, and values that are not events of the topic are ignored.
#include <gtest/gtest.h>

#include "tests/node/fake_directory.hpp"

namespace elmo::test {
namespace {

using namespace std::chrono_literals;

Bytes cid(int n) { return Bytes(8, static_cast<std::uint8_t>(n)); }

wire::Event event(std::uint64_t seq) { return test::sealed_event("t", seq, cid(9)); }

// The replica's values: the store's only values that are EventPushes.
std::vector<wire::Event> replica(const FakeDht& dht) {
    std::vector<wire::Event> out;
    for (const auto& [key, values] : dht.store)
        for (const auto& [vid, v] : values) {
            auto m = wire::decode(v.value);
            if (m.ok())
                if (auto* p = std::get_if<wire::EventPush>(&*m)) out.push_back(p->event);
        }
    return out;
}

// Node 0 is the mailbox of "t" (its client 1 subscribed first); nodes 1 and 2 know each other
// only, so a later election at node 2 cannot find node 0 by walking.
struct World {
    CoreCluster c;
    FakeDht dht;
    explicit World(NodeCoreConfig base = {}) : c(3, base), dht(c, 3) {
        c.link(1, 2);
        c.start();
        c.connect_client(0, 1, cid(1));
        c.client_frame(0, 1, wire::Subscribe{1, "t", {}});
        c.run_for(10s);
    }
    // Node 0 dies; a subscriber of node 2 makes it elect itself (the directory does not answer).
    void take_over_at_node_2() {
        c.kill(0);
        c.connect_client(2, 3, cid(3));
        c.client_frame(2, 3, wire::Subscribe{3, "t", {}});
        c.run_for(15s);
        ASSERT_TRUE(c.core(2).mailbox().holds("t"));
    }
};

TEST(NodeReplica, ANewMailboxReadsBackWhatTheDeadOneStored) {
    World w;
    ASSERT_TRUE(w.c.core(0).mailbox().holds("t"));
    const wire::Event e = event(1);
    w.c.client_frame(0, 1, wire::Publish{3, e, {}, false});
    w.c.run_for(2s);
    EXPECT_EQ(w.dht.ports[0].replica_puts, 1);
    ASSERT_EQ(replica(w.dht).size(), 1u);
    EXPECT_EQ(replica(w.dht)[0].id, e.id);

    w.take_over_at_node_2();
    EXPECT_FALSE(w.c.core(2).mailbox().find_event("t", e.id));
    w.dht.answer(w.c, 2);  // its adoption asked for the replica
    w.c.run_for(1s);
    EXPECT_TRUE(w.c.core(2).mailbox().find_event("t", e.id))
        << "the event outlived its only mailbox";
    EXPECT_EQ(w.c.core(2).stats().replica_events_recovered, 1u);
    EXPECT_EQ(w.dht.ports[2].replica_puts, 0) << "a copy read back is not put again";
    // The subscriber that caused the election gets it (pushed, or by its poll).
    w.c.client_frame(2, 3, wire::Poll{4, "t", w.c.core(2).self_addr(), {}});
    w.c.run_for(1s);
    bool got = false;
    for (const auto& m : w.c.node(2).clients.frames[3]) {
        if (auto* d = std::get_if<wire::Deliver>(&m))
            for (const auto& x : d->events) got |= x.id == e.id;
        if (auto* p = std::get_if<wire::PollResult>(&m))
            for (const auto& x : p->events) got |= x.id == e.id;
    }
    EXPECT_TRUE(got);
}

TEST(NodeReplica, ATopicsReplicaIsARingOfSlots) {
    NodeCoreConfig base;
    base.params.event_replica_slots = 4;
    World w(base);
    for (std::uint64_t n = 1; n <= 6; ++n) {
        w.c.client_frame(0, 1, wire::Publish{10 + n, event(n), {}, false});
        w.c.run_for(100ms);
    }
    w.c.run_for(1s);
    EXPECT_EQ(w.dht.ports[0].replica_puts, 6);
    auto r = replica(w.dht);
    ASSERT_EQ(r.size(), 4u) << "bounded by the slots";
    std::set<std::uint64_t> seqs;
    for (const auto& e : r) seqs.insert(e.seq);
    EXPECT_EQ(seqs, (std::set<std::uint64_t>{3, 4, 5, 6})) << "the oldest were overwritten";
}

TEST(NodeReplica, OnlyFreshPublicationsArePut) {
    World w;
    // A late hand-in (a subscriber carrying an event to a mailbox that lacks it) is a copy.
    w.c.client_frame(0, 1, wire::Publish{3, event(1), {w.c.core(0).self_addr()}, true});
    w.c.run_for(2s);
    EXPECT_TRUE(w.c.core(0).mailbox().find_event("t", event(1).id));
    EXPECT_EQ(w.dht.ports[0].replica_puts, 0);
}

TEST(NodeReplica, ValuesThatAreNotEventsOfTheTopicAreIgnored) {
    World w;
    w.c.client_frame(0, 1, wire::Publish{3, event(1), {}, false});
    w.c.run_for(2s);
    // Anyone may store anything under the key: junk, and an event of another topic.
    auto other = event(2);
    other.topic = "other";
    other.seal();
    const auto replica_kind = DirectoryValueKind::event_replica;
    for (auto& [key, values] : w.dht.store) {
        values[1001] = {replica_kind, Bytes{0xE1, 0x00, 0x42}};
        values[1002] = {replica_kind, wire::encode(wire::Message{wire::EventPush{other}})};
    }
    w.take_over_at_node_2();
    w.dht.answer(w.c, 2);
    w.c.run_for(1s);
    EXPECT_EQ(w.c.core(2).stats().replica_values_bad, 2u);
    EXPECT_EQ(w.c.core(2).stats().replica_events_recovered, 1u);
    EXPECT_FALSE(w.c.core(2).mailbox().find_event("other", other.id));
}

}  // namespace
}  // namespace elmo::test
