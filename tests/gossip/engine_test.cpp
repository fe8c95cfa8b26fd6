// The engine around the trees: topics, the link handshake, strangers, unknown topics, notices,
// wake-ups and time that never runs back.
#include <gtest/gtest.h>

#include <algorithm>

#include "fixtures.hpp"

namespace elmo::gossip::test {
namespace {

class EngineTest : public ::testing::Test {
  protected:
    EngineTest() { engine_.add_topic("t"); }
    FakePort port_;
    // Digests on a plain period from the link (first_digest has its own test).
    static GossipParams periodic() {
        GossipParams p;
        p.first_digest = p.digest_period;
        return p;
    }
    GossipEngine engine_{node_id(0), port_, periodic()};
};

TEST_F(EngineTest, FirstDigestGoesSoonAfterTheLinkEvenIfEmpty) {
    GossipParams p;  // defaults: first_digest 5 s
    FakePort port;
    GossipEngine e{node_id(0), port, p};
    e.add_topic("t");
    e.add_peer(t0, "t", addr(1));
    EXPECT_EQ(e.next_wakeup(), t0 + p.first_digest);
    e.on_timer(t0 + p.first_digest);
    // The peer was never heard from: its join may be lost, so the (empty) digest goes anyway.
    EXPECT_EQ(port.sent_of<wire::Digest>(1).size(), 1u);
    EXPECT_EQ(e.next_wakeup(), t0 + p.first_digest + p.digest_period);
}

TEST_F(EngineTest, ALinkedPeerThatJoinsAgainIsOfferedEverythingSoon) {
    // A linked mailbox that restarts joins again: the events published while it was down were
    // listed to it in no digest (the last one went before it died, the next is a period away),
    // so its digests start over as for a new link: the first soon, listing everything.
    GossipParams fast;  // first_digest 5 s, as deployed
    FakePort port;
    GossipEngine e{node_id(0), port, fast};
    e.add_topic("t");
    e.add_peer(t0, "t", addr(1));
    e.on_message(t0, endpoint(1), wire::GossipJoin{"t", node_id(1), true});
    auto before = make_event("t", 1);
    e.publish(t0 + 1s, before);
    e.on_timer(t0 + fast.first_digest + 1s);  // lists `before`; the peer acknowledges it
    ASSERT_EQ(port.sent_of<wire::Digest>(1).size(), 1u);
    e.on_message(t0 + 7s, endpoint(1), wire::DigestWant{"t", {}});
    // The peer dies; events go on; it comes back and joins again.
    auto missed = make_event("t", 2);
    e.publish(t0 + 10s, missed);
    port.clear();
    const TimePoint back = t0 + 20s;
    e.on_message(back, endpoint(1), wire::GossipJoin{"t", node_id(1), false});
    EXPECT_EQ(e.counters().peers_rejoined, 1u);
    EXPECT_EQ(port.sent_of<wire::GossipJoin>(1).size(), 1u);  // the answer
    EXPECT_LE(e.next_wakeup(), back + fast.first_digest);
    e.on_timer(back + fast.first_digest);
    auto d = port.sent_of<wire::Digest>(1);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].ids, (std::vector<wire::EventId>{before.id, missed.id}));
    // The answer to our own join is no rejoin.
    e.on_message(back + 6s, endpoint(1), wire::GossipJoin{"t", node_id(1), true});
    EXPECT_EQ(e.counters().peers_rejoined, 1u);
}

TEST_F(EngineTest, TopicsAndPeerResults) {
    EXPECT_FALSE(engine_.add_topic("t"));
    EXPECT_TRUE(engine_.add_topic("a"));
    EXPECT_EQ(engine_.topics(), (std::vector<std::string>{"a", "t"}));
    EXPECT_EQ(engine_.add_peer(t0, "zz", addr(1)), PeerResult::not_held);
    EXPECT_EQ(engine_.add_peer(t0, "t", addr(0)), PeerResult::is_self);
    EXPECT_EQ(engine_.add_peer(t0, "t", addr(1)), PeerResult::added);
    EXPECT_EQ(engine_.add_peer(t0, "t", addr(1)), PeerResult::already_linked);
    auto joins = port_.sent_of<wire::GossipJoin>(1);
    ASSERT_EQ(joins.size(), 1u);
    EXPECT_EQ(joins[0], (wire::GossipJoin{"t", node_id(0), false}));
    EXPECT_FALSE(engine_.publish(t0, make_event("zz", 1)));
    EXPECT_EQ(to_string(PeerResult::refused_full), "refused_full");
}

TEST_F(EngineTest, PeersPerTopicAreBounded) {
    for (int n = 1; n <= 16; ++n) EXPECT_EQ(engine_.add_peer(t0, "t", addr(n)), PeerResult::added);
    EXPECT_EQ(engine_.add_peer(t0, "t", addr(17)), PeerResult::refused_full);
    EXPECT_EQ(engine_.tree("t")->peers().size(), 16u);
}

// A mailbox that every peer it knows refused would stay alone for good (the 18th mailbox of a
// hot topic whose first 17 linked all to all): a join to a full topic displaces a live peer,
// a lazy one first, the one heard least recently, and tells it (GossipLeave).
TEST_F(EngineTest, AJoinToAFullTopicDisplacesTheLeastRecentlyHeardLazyPeer) {
    for (int n = 1; n <= 16; ++n) engine_.add_peer(t0, "t", addr(n));
    for (int n = 1; n <= 16; ++n)  // all answer; peer 3 last heard before the others
        engine_.on_message(t0 + (n == 3 ? 1s : 2s), endpoint(n),
                           wire::GossipJoin{"t", node_id(n), true});
    engine_.on_message(t0 + 3s, endpoint(5), wire::Prune{"t"});  // 5 and 3 lazy, 5 heard later
    engine_.on_message(t0 + 3s, endpoint(3), wire::Prune{"t"});
    engine_.on_message(t0 + 4s, endpoint(5), wire::Prune{"t"});
    engine_.take_notices();
    port_.clear();
    engine_.on_message(t0 + 5s, endpoint(18), wire::GossipJoin{"t", node_id(18), false});
    const auto peers = engine_.tree("t")->peers();
    EXPECT_EQ(peers.size(), 16u);
    EXPECT_TRUE(std::find(peers.begin(), peers.end(), node_id(3)) == peers.end());
    EXPECT_TRUE(std::find(peers.begin(), peers.end(), node_id(18)) != peers.end());
    EXPECT_EQ(port_.sent_of<wire::GossipLeave>(3).size(), 1u);
    EXPECT_EQ(port_.sent_of<wire::GossipJoin>(18).size(), 1u) << "acknowledged";
    auto notices = engine_.take_notices();
    ASSERT_EQ(notices.size(), 2u);
    EXPECT_EQ(notices[0], (PeerNotice{"t", addr(3), PeerNotice::Kind::left}));
    EXPECT_EQ(notices[1], (PeerNotice{"t", addr(18), PeerNotice::Kind::admitted}));
    EXPECT_EQ(engine_.counters().peers_displaced, 1u);
    EXPECT_EQ(engine_.counters().peers_refused, 0u);
}

// Peers that never answered their join (dead mailboxes named by stale directory entries) do not
// keep a live mailbox out: once they have been silent evict_unheard_after, a join takes the place
// of the one linked longest ago, reported as dead; peers that answered are never evicted early.
TEST_F(EngineTest, AFullTopicEvictsAPeerThatNeverAnswered) {
    const auto& p = engine_.params();
    for (int n = 1; n <= 16; ++n)
        EXPECT_EQ(engine_.add_peer(t0 + std::chrono::milliseconds(n), "t", addr(n)),
                  PeerResult::added);
    for (int n = 2; n <= 16; ++n)  // all but peer 1 acknowledge their join
        engine_.on_message(t0 + 1s, endpoint(n), wire::GossipJoin{"t", node_id(n), true});
    engine_.take_notices();
    const TimePoint later = t0 + p.evict_unheard_after + 1s;
    engine_.on_message(later, endpoint(17), wire::GossipJoin{"t", node_id(17), false});
    const auto peers = engine_.tree("t")->peers();
    EXPECT_EQ(peers.size(), 16u);
    EXPECT_TRUE(std::find(peers.begin(), peers.end(), node_id(1)) == peers.end());
    EXPECT_TRUE(std::find(peers.begin(), peers.end(), node_id(17)) != peers.end());
    auto notices = engine_.take_notices();
    ASSERT_EQ(notices.size(), 2u);
    EXPECT_EQ(notices[0], (PeerNotice{"t", addr(1), PeerNotice::Kind::dead}));
    EXPECT_EQ(notices[1], (PeerNotice{"t", addr(17), PeerNotice::Kind::admitted}));
    EXPECT_EQ(engine_.counters().peers_evicted, 1u);
    // Every remaining peer has answered: the next one is refused.
    EXPECT_EQ(engine_.add_peer(later + 1s, "t", addr(18)), PeerResult::refused_full);
}

// A digest from a stranger (it may be the peer we just displaced, its digest crossing our leave)
// does not displace anyone: only a join does.
TEST_F(EngineTest, ADigestFromAStrangerDoesNotDisplaceALivePeer) {
    for (int n = 1; n <= 16; ++n) engine_.add_peer(t0, "t", addr(n));
    for (int n = 1; n <= 16; ++n)
        engine_.on_message(t0 + 1s, endpoint(n), wire::GossipJoin{"t", node_id(n), true});
    engine_.on_message(t0 + 2s, endpoint(20), wire::Digest{"t", node_id(20), {id_of(1)}});
    EXPECT_EQ(engine_.counters().peers_displaced, 0u);
    const auto peers = engine_.tree("t")->peers();
    EXPECT_TRUE(std::find(peers.begin(), peers.end(), node_id(20)) == peers.end());
}

TEST_F(EngineTest, RemoteJoinIsAdmittedAndAcknowledged) {
    engine_.on_message(t0, endpoint(5), wire::GossipJoin{"t", node_id(5), false});
    EXPECT_EQ(engine_.tree("t")->peers(), std::vector<NodeId>{node_id(5)});
    EXPECT_TRUE(engine_.tree("t")->is_eager(node_id(5)));
    auto ack = port_.sent_of<wire::GossipJoin>(5);
    ASSERT_EQ(ack.size(), 1u);
    EXPECT_TRUE(ack[0].ack);
    auto notices = engine_.take_notices();
    ASSERT_EQ(notices.size(), 1u);
    EXPECT_EQ(notices[0], (PeerNotice{"t", addr(5), PeerNotice::Kind::admitted}));
    // An ack is not answered.
    port_.clear();
    engine_.on_message(t0, endpoint(5), wire::GossipJoin{"t", node_id(5), true});
    EXPECT_TRUE(port_.sent.empty());
}

TEST_F(EngineTest, DigestFromAStrangerRestoresTheLink) {
    engine_.on_message(t0, endpoint(4), wire::Digest{"t", node_id(4), {id_of(1)}});
    EXPECT_EQ(engine_.tree("t")->peers(), std::vector<NodeId>{node_id(4)});
    ASSERT_EQ(port_.sent_of<wire::DigestWant>(4).size(), 1u);
    EXPECT_EQ(port_.sent_of<wire::DigestWant>(4)[0].ids, std::vector<wire::EventId>{id_of(1)});
    EXPECT_EQ(engine_.take_notices().size(), 1u);
}

TEST_F(EngineTest, StrangerEventIsTakenAndTheStrangerAskedWhoItIsAtARate) {
    engine_.add_peer(t0, "t", addr(1));
    port_.clear();
    auto e1 = make_event("t", 1), e2 = make_event("t", 2);
    engine_.on_message(t0, endpoint(7), wire::GossipEvent{e1, 1, wire::GossipKind::push});
    engine_.on_message(t0 + 1s, endpoint(7), wire::GossipEvent{e2, 1, wire::GossipKind::push});
    EXPECT_EQ(port_.store.size(), 2u);
    EXPECT_EQ(port_.sent_of<wire::GossipEvent>(1).size(), 2u);  // forwarded to the real peer
    EXPECT_EQ(port_.sent_of<wire::GossipJoin>(7).size(), 1u);   // once per interval
    EXPECT_EQ(engine_.counters().from_strangers, 2u);
    EXPECT_EQ(engine_.counters().stranger_replies_suppressed, 1u);
    engine_.on_message(t0 + 6s, endpoint(7), wire::IHave{"t", {id_of(3)}});
    EXPECT_EQ(port_.sent_of<wire::GossipJoin>(7).size(), 2u);
    EXPECT_EQ(engine_.tree("t")->missing_size(), 0u);  // nobody to graft from
}

TEST_F(EngineTest, UnknownTopicIsAnsweredWithLeave) {
    engine_.on_message(t0, endpoint(3), wire::IHave{"other", {id_of(1)}});
    engine_.on_message(t0, endpoint(3), wire::GossipLeave{"other"});
    engine_.on_message(t0, endpoint(4), wire::GossipJoin{"other", node_id(4), false});
    EXPECT_EQ(port_.sent_of<wire::GossipLeave>(3).size(), 1u);
    EXPECT_EQ(port_.sent_of<wire::GossipLeave>(4).size(), 1u);
    EXPECT_EQ(engine_.counters().unknown_topic, 3u);
    EXPECT_TRUE(port_.delivered.empty());
}

TEST_F(EngineTest, LeaveRemovesThePeerAndIsReported) {
    engine_.add_peer(t0, "t", addr(2));
    engine_.on_message(t0, endpoint(2), wire::GossipLeave{"t"});
    EXPECT_TRUE(engine_.tree("t")->peers().empty());
    auto notices = engine_.take_notices();
    ASSERT_EQ(notices.size(), 1u);
    EXPECT_EQ(notices[0].kind, PeerNotice::Kind::left);
}

TEST_F(EngineTest, RemovePeerAndTopicNotifyPeers) {
    engine_.add_peer(t0, "t", addr(1));
    engine_.add_peer(t0, "t", addr(2));
    port_.clear();
    EXPECT_TRUE(engine_.remove_peer(t0, "t", node_id(1)));
    EXPECT_FALSE(engine_.remove_peer(t0, "t", node_id(1)));
    EXPECT_TRUE(engine_.remove_peer(t0, "t", node_id(2), false));
    EXPECT_EQ(port_.sent_of<wire::GossipLeave>(1).size(), 1u);
    EXPECT_TRUE(port_.sent_of<wire::GossipLeave>(2).empty());
    engine_.add_peer(t0, "t", addr(3));
    port_.clear();
    EXPECT_TRUE(engine_.remove_topic(t0, "t"));
    EXPECT_EQ(port_.sent_of<wire::GossipLeave>(3).size(), 1u);
    EXPECT_FALSE(engine_.holds("t"));
    EXPECT_EQ(engine_.next_wakeup(), TimePoint::max());
}

TEST_F(EngineTest, NextWakeupIsTheEarliestOverTopics) {
    EXPECT_EQ(engine_.next_wakeup(), TimePoint::max());
    engine_.add_topic("a");
    engine_.add_peer(t0, "t", addr(1));
    engine_.add_peer(t0 + 10s, "a", addr(2));
    EXPECT_EQ(engine_.next_wakeup(), t0 + engine_.params().digest_period);
    engine_.on_message(t0 + 20s, endpoint(1), wire::Prune{"t"});
    engine_.publish(t0 + 20s, make_event("t", 1));
    EXPECT_EQ(engine_.next_wakeup(), t0 + 20s + engine_.params().ihave_flush_interval);
    engine_.on_timer(engine_.next_wakeup());
    EXPECT_EQ(engine_.next_wakeup(), t0 + engine_.params().digest_period);
    engine_.on_timer(engine_.next_wakeup());
    EXPECT_EQ(engine_.next_wakeup(), t0 + 10s + engine_.params().digest_period);
}

TEST_F(EngineTest, TimeNeverRunsBack) {
    engine_.add_peer(t0 + 10s, "t", addr(1));
    engine_.on_message(t0 + 10s, endpoint(1), wire::Prune{"t"});
    engine_.publish(t0, make_event("t", 1));  // an earlier `now` counts as t0 + 10s
    EXPECT_EQ(engine_.next_wakeup(), t0 + 10s + engine_.params().ihave_flush_interval);
}

TEST_F(EngineTest, NoticesAreBounded) {
    GossipParams p;
    p.max_notices = 2;
    FakePort port;
    GossipEngine e(node_id(0), port, p);
    e.add_topic("t");
    for (int n = 1; n <= 4; ++n)
        e.on_message(t0, endpoint(n), wire::GossipJoin{"t", node_id(n), false});
    auto notices = e.take_notices();
    ASSERT_EQ(notices.size(), 2u);
    EXPECT_EQ(notices[0].peer, addr(3));  // the oldest were dropped
    EXPECT_EQ(e.counters().notices_dropped, 2u);
}

}  // namespace
}  // namespace elmo::gossip::test
