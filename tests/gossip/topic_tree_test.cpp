// Plumtree on one engine with a fake port: eager push and lazy IHave, pruning on duplicates,
// grafting after an IHave timeout, serving grafts, digests and their answers, dead peers.
#include <gtest/gtest.h>

#include "fixtures.hpp"

namespace elmo::gossip::test {
namespace {

class TreeTest : public ::testing::Test {
  protected:
    explicit TreeTest(GossipParams p = periodic()) : engine_(node_id(0), port_, p) {}
    // Digests on a plain period from the link (first_digest is tested in engine_test.cpp).
    static GossipParams periodic() {
        GossipParams p;
        p.first_digest = p.digest_period;
        return p;
    }
    void SetUp() override {
        engine_.add_topic("t");
        for (int n = 1; n <= 3; ++n)
            EXPECT_EQ(engine_.add_peer(t0, "t", addr(n)), PeerResult::added);
        port_.clear();
    }
    void from(int n, wire::GossipMessage m, TimePoint now = t0) {
        engine_.on_message(now, endpoint(n), m);
    }
    const TopicTree& tree() { return *engine_.tree("t"); }
    void make_lazy(int n) { from(n, wire::Prune{"t"}); }

    FakePort port_;
    GossipEngine engine_;
};

TEST_F(TreeTest, NewLinksStartEager) {
    EXPECT_EQ(tree().eager_peers(), (std::vector<NodeId>{node_id(1), node_id(2), node_id(3)}));
    EXPECT_TRUE(tree().lazy_peers().empty());
}

TEST_F(TreeTest, PublishPushesToEagerAndAnnouncesToLazyInOneBatch) {
    make_lazy(3);
    auto e1 = make_event("t", 1), e2 = make_event("t", 2);
    EXPECT_TRUE(engine_.publish(t0, e1));
    EXPECT_FALSE(engine_.publish(t0, e1));  // seen: not sent again
    EXPECT_TRUE(engine_.publish(t0 + 10ms, e2));
    EXPECT_EQ(port_.sent_of<wire::GossipEvent>(1).size(), 2u);
    EXPECT_EQ(port_.sent_of<wire::GossipEvent>(2).size(), 2u);
    EXPECT_TRUE(port_.sent_of<wire::GossipEvent>(3).empty());
    EXPECT_EQ(port_.sent_of<wire::GossipEvent>(1)[0].hops, 1);
    // The lazy peer's ids wait for the flush interval, then go in one IHave.
    EXPECT_TRUE(port_.sent_of<wire::IHave>(3).empty());
    EXPECT_EQ(tree().pending_ihave(node_id(3)), 2u);
    EXPECT_EQ(engine_.next_wakeup(), t0 + engine_.params().ihave_flush_interval);
    engine_.on_timer(engine_.next_wakeup());
    auto ihave = port_.sent_of<wire::IHave>(3);
    ASSERT_EQ(ihave.size(), 1u);
    EXPECT_EQ(ihave[0].ids, (std::vector<wire::EventId>{e1.id, e2.id}));
    EXPECT_EQ(engine_.counters().ihave_sent, 1u);
}

TEST_F(TreeTest, HandInIsSentAsALateCopy) {
    auto e = make_event("t", 1);
    EXPECT_TRUE(engine_.publish(t0, e, /*late=*/true));
    auto sent = port_.sent_of<wire::GossipEvent>(1);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].kind, wire::GossipKind::repair);  // peers that have it will not prune
    EXPECT_EQ(engine_.counters().pushes_sent, 0u);
}

TEST_F(TreeTest, ForwardsToAllButTheSenderAndCountsHops) {
    make_lazy(3);
    auto e = make_event("t", 1);
    from(1, wire::GossipEvent{e, 4, wire::GossipKind::push});
    ASSERT_EQ(port_.delivered.size(), 1u);
    EXPECT_EQ(port_.delivered[0].second, 4);
    EXPECT_TRUE(port_.sent_of<wire::GossipEvent>(1).empty());
    ASSERT_EQ(port_.sent_of<wire::GossipEvent>(2).size(), 1u);
    EXPECT_EQ(port_.sent_of<wire::GossipEvent>(2)[0].hops, 5);
    EXPECT_EQ(tree().pending_ihave(node_id(3)), 1u);
    EXPECT_EQ(tree().pending_ihave(node_id(1)), 0u);
}

TEST_F(TreeTest, DuplicatePushPrunesTheLaterLink) {
    auto e = make_event("t", 1);
    from(1, wire::GossipEvent{e, 1, wire::GossipKind::push});
    port_.clear();
    from(2, wire::GossipEvent{e, 2, wire::GossipKind::push});
    EXPECT_EQ(port_.delivered.size(), 1u);  // the engine's seen-set stopped the copy
    EXPECT_EQ(port_.sent_of<wire::Prune>(2).size(), 1u);
    EXPECT_FALSE(tree().is_eager(node_id(2)));
    EXPECT_TRUE(tree().is_eager(node_id(1)));
    EXPECT_EQ(engine_.counters().duplicates, 1u);
    EXPECT_EQ(engine_.counters().duplicates_pruning, 1u);
    EXPECT_TRUE(port_.sent_of<wire::GossipEvent>().empty());  // a duplicate is not forwarded
}

TEST_F(TreeTest, LatePulledCopiesDoNotPrune) {
    auto e = make_event("t", 1);
    from(1, wire::GossipEvent{e, 1, wire::GossipKind::push});
    port_.clear();
    from(2, wire::GossipEvent{e, 1, wire::GossipKind::graft});
    from(3, wire::GossipEvent{e, 1, wire::GossipKind::repair});
    EXPECT_TRUE(port_.sent_of<wire::Prune>().empty());
    EXPECT_EQ(tree().eager_peers().size(), 3u);
    EXPECT_EQ(engine_.counters().duplicates, 2u);
}

TEST_F(TreeTest, StoreDuplicateAlsoPrunesAndIsRemembered) {
    auto e = make_event("t", 1);
    port_.store.emplace(e.id, e);  // the mailbox stored it by another path (a client)
    from(1, wire::GossipEvent{e, 1, wire::GossipKind::push});
    EXPECT_EQ(port_.sent_of<wire::Prune>(1).size(), 1u);
    EXPECT_TRUE(tree().seen(e.id));
    EXPECT_TRUE(port_.sent_of<wire::GossipEvent>().empty());
}

TEST_F(TreeTest, RejectedEventIsNeitherForwardedNorRemembered) {
    auto e = make_event("t", 1);
    port_.force = Delivery::rejected;
    from(1, wire::GossipEvent{e, 1, wire::GossipKind::push});
    EXPECT_FALSE(tree().seen(e.id));
    EXPECT_TRUE(port_.sent.empty());
    EXPECT_EQ(engine_.counters().events_rejected, 1u);
    // The genuine copy still gets through.
    port_.force.reset();
    from(2, wire::GossipEvent{e, 1, wire::GossipKind::push});
    EXPECT_TRUE(tree().seen(e.id));
    EXPECT_EQ(port_.sent_of<wire::GossipEvent>().size(), 2u);
}

TEST_F(TreeTest, NewPushFromALazyPeerMakesItEager) {
    make_lazy(2);
    from(2, wire::GossipEvent{make_event("t", 1), 1, wire::GossipKind::push});
    EXPECT_TRUE(tree().is_eager(node_id(2)));
    make_lazy(3);
    from(3, wire::GossipEvent{make_event("t", 2), 1, wire::GossipKind::repair});
    EXPECT_FALSE(tree().is_eager(node_id(3)));  // a repair says nothing about the tree
}

TEST_F(TreeTest, IHaveTimeoutGraftsFirstAnnouncerThenTheNext) {
    make_lazy(2);
    make_lazy(3);
    auto e = make_event("t", 1);
    from(2, wire::IHave{"t", {e.id}}, t0);
    from(3, wire::IHave{"t", {e.id}}, t0 + 100ms);
    EXPECT_EQ(tree().missing_size(), 1u);
    const auto timeout = engine_.params().ihave_timeout;
    EXPECT_EQ(engine_.next_wakeup(), t0 + timeout);
    engine_.on_timer(t0 + timeout - 1ms);
    EXPECT_TRUE(port_.sent_of<wire::Graft>().empty());
    engine_.on_timer(t0 + timeout);
    auto g = port_.sent_of<wire::Graft>(2);
    ASSERT_EQ(g.size(), 1u);
    EXPECT_EQ(g[0].ids, std::vector<wire::EventId>{e.id});
    EXPECT_TRUE(tree().is_eager(node_id(2)));
    // Peer 2 does not answer: after graft_timeout the second announcer is asked.
    engine_.on_timer(t0 + timeout + engine_.params().graft_timeout);
    EXPECT_EQ(port_.sent_of<wire::Graft>(3).size(), 1u);
    EXPECT_TRUE(tree().is_eager(node_id(3)));
    // It answers with the event: delivered, resolved, no further graft.
    from(3, wire::GossipEvent{e, 1, wire::GossipKind::graft},
         t0 + timeout + engine_.params().graft_timeout + 20ms);
    EXPECT_EQ(tree().missing_size(), 0u);
    EXPECT_EQ(engine_.counters().missing_resolved, 1u);
    EXPECT_EQ(engine_.counters().grafts_sent, 2u);
    EXPECT_EQ(port_.store.count(e.id), 1u);
}

TEST_F(TreeTest, GiveUpAfterEveryAnnouncerFailed) {
    make_lazy(2);
    auto e = make_event("t", 1);
    from(2, wire::IHave{"t", {e.id}});
    const auto& p = engine_.params();
    engine_.on_timer(t0 + p.ihave_timeout);
    engine_.on_timer(t0 + p.ihave_timeout + p.graft_timeout);
    EXPECT_EQ(tree().missing_size(), 0u);
    EXPECT_EQ(engine_.counters().missing_given_up, 1u);
}

TEST_F(TreeTest, IHaveForAnIdThatArrivesInTimeNeedsNoGraft) {
    make_lazy(2);
    auto e = make_event("t", 1);
    from(2, wire::IHave{"t", {e.id}});
    from(1, wire::GossipEvent{e, 1, wire::GossipKind::push}, t0 + 200ms);
    engine_.on_timer(t0 + 10s);
    EXPECT_TRUE(port_.sent_of<wire::Graft>().empty());
    EXPECT_EQ(engine_.counters().missing_resolved, 1u);
    // An IHave for an id already seen is ignored.
    from(3, wire::IHave{"t", {e.id}}, t0 + 11s);
    EXPECT_EQ(tree().missing_size(), 0u);
}

TEST_F(TreeTest, GraftsToOnePeerGoInOneMessage) {
    make_lazy(2);
    auto a = make_event("t", 1), b = make_event("t", 2);
    from(2, wire::IHave{"t", {a.id, b.id}});
    engine_.on_timer(t0 + engine_.params().ihave_timeout);
    auto g = port_.sent_of<wire::Graft>(2);
    ASSERT_EQ(g.size(), 1u);
    EXPECT_EQ(g[0].ids.size(), 2u);
}

TEST_F(TreeTest, GraftIsServedFromTheStoreAndMakesTheSenderEager) {
    make_lazy(2);
    auto e = make_event("t", 1);
    port_.store.emplace(e.id, e);
    from(2, wire::Graft{"t", {e.id, id_of(99)}});
    EXPECT_TRUE(tree().is_eager(node_id(2)));
    auto sent = port_.sent_of<wire::GossipEvent>(2);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].event, e);
    EXPECT_EQ(sent[0].kind, wire::GossipKind::graft);
    EXPECT_EQ(engine_.counters().pulls_not_found, 1u);
}

TEST_F(TreeTest, PruneMakesLazyAndLaterEventsGoAsIHave) {
    from(1, wire::Prune{"t"});
    EXPECT_FALSE(tree().is_eager(node_id(1)));
    engine_.publish(t0, make_event("t", 1));
    EXPECT_TRUE(port_.sent_of<wire::GossipEvent>(1).empty());
    EXPECT_EQ(tree().pending_ihave(node_id(1)), 1u);
    EXPECT_EQ(engine_.counters().prunes_received, 1u);
}

TEST_F(TreeTest, DigestIsAnsweredWithTheIdsLacking) {
    auto e = make_event("t", 1);
    engine_.publish(t0, e);
    port_.clear();
    from(1, wire::Digest{"t", node_id(1), {e.id, id_of(7), id_of(7), id_of(8)}});
    auto w = port_.sent_of<wire::DigestWant>(1);
    ASSERT_EQ(w.size(), 1u);
    EXPECT_EQ(w[0].ids, (std::vector<wire::EventId>{id_of(7), id_of(8)}));
    // An empty digest is still answered: the answer is the liveness ack.
    from(2, wire::Digest{"t", node_id(2), {}});
    ASSERT_EQ(port_.sent_of<wire::DigestWant>(2).size(), 1u);
    EXPECT_TRUE(port_.sent_of<wire::DigestWant>(2)[0].ids.empty());
}

TEST_F(TreeTest, DigestWantIsServedAsRepairs) {
    auto e = make_event("t", 1);
    port_.store.emplace(e.id, e);
    from(1, wire::DigestWant{"t", {e.id}});
    auto sent = port_.sent_of<wire::GossipEvent>(1);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].kind, wire::GossipKind::repair);
    EXPECT_EQ(engine_.counters().repairs_sent, 1u);
    EXPECT_TRUE(tree().is_eager(node_id(1)));
}

TEST_F(TreeTest, HeldEventsAreOfferedByDigestsButNotSent) {
    // A restarted mailbox's history, restored from its journal: an event it stored just before
    // it died may be on no other mailbox, so the digests must list it; sending it to every peer
    // at once would be a burst of copies they mostly have.
    const auto& p = engine_.params();
    auto restored = make_event("t", 1);
    EXPECT_TRUE(engine_.note_held(t0, "t", restored.id));
    EXPECT_FALSE(engine_.note_held(t0, "t", restored.id));  // seen already
    EXPECT_FALSE(engine_.note_held(t0, "unheld", restored.id));
    EXPECT_TRUE(port_.sent_of<wire::GossipEvent>(1).empty());
    engine_.on_timer(t0 + p.digest_period);
    for (int n = 1; n <= 3; ++n) {
        auto d = port_.sent_of<wire::Digest>(n);
        ASSERT_EQ(d.size(), 1u) << n;
        EXPECT_EQ(d[0].ids, std::vector<wire::EventId>{restored.id});
    }
    // A peer that lacks it gets it as a repair.
    port_.store.emplace(restored.id, restored);
    from(1, wire::DigestWant{"t", {restored.id}}, t0 + p.digest_period + 10ms);
    ASSERT_EQ(port_.sent_of<wire::GossipEvent>(1).size(), 1u);
    EXPECT_EQ(port_.sent_of<wire::GossipEvent>(1)[0].kind, wire::GossipKind::repair);
}

TEST_F(TreeTest, AFullDigestAnsweredWithProgressGoesOnASecondLater) {
    // 300 events: a digest lists 256 at most. The peer has them all (it joined again after a
    // restart): the rest are listed a second later, not a period later. A peer that answers
    // without progress gets no such follow-up.
    const auto& p = engine_.params();
    std::vector<wire::EventId> ids;
    for (std::uint64_t s = 1; s <= 300; ++s) {
        auto e = make_event("t", s);
        engine_.publish(t0, e);
        port_.store.emplace(e.id, e);
        ids.push_back(e.id);
    }
    port_.clear();
    const TimePoint due = t0 + p.digest_period;
    engine_.on_timer(due);
    ASSERT_EQ(port_.sent_of<wire::Digest>(1).at(0).ids.size(), p.digest_max_ids);
    from(1, wire::DigestWant{"t", {}}, due + 10ms);        // has all 256: progress
    from(2, wire::DigestWant{"t", {ids[0]}}, due + 10ms);  // lacks the first: none
    port_.clear();
    engine_.on_timer(due + 10ms + p.digest_followup);
    auto rest = port_.sent_of<wire::Digest>(1);
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].ids, std::vector<wire::EventId>(ids.begin() + 256, ids.end()));
    EXPECT_TRUE(port_.sent_of<wire::Digest>(2).empty());
    EXPECT_EQ(engine_.counters().digests_continued, 1u);
}

TEST_F(TreeTest, DigestsListWhatEachPeerHasNotAcknowledged) {
    const auto& p = engine_.params();
    auto a = make_event("t", 1), b = make_event("t", 2), fresh = make_event("t", 3);
    TimePoint due = t0 + p.digest_period;
    engine_.publish(t0, a);
    engine_.publish(t0 + 30s, b);
    engine_.publish(due - 1s, fresh);  // younger than digest_settle: the tree is still on it
    port_.clear();
    EXPECT_EQ(engine_.next_wakeup(), due);
    engine_.on_timer(due);
    for (int n = 1; n <= 3; ++n) {
        auto d = port_.sent_of<wire::Digest>(n);
        ASSERT_EQ(d.size(), 1u) << n;
        EXPECT_EQ(d[0].sender, node_id(0));
        EXPECT_EQ(d[0].ids, (std::vector<wire::EventId>{a.id, b.id}));
    }
    EXPECT_EQ(engine_.next_wakeup(), due + p.digest_period);
    // Peer 1 lacks nothing, peer 2 lacks b, peer 3 does not answer.
    port_.store.emplace(b.id, b);
    from(1, wire::DigestWant{"t", {}}, due + 10ms);
    from(2, wire::DigestWant{"t", {b.id}}, due + 10ms);
    EXPECT_EQ(port_.sent_of<wire::GossipEvent>(2).size(), 1u);
    port_.clear();
    engine_.on_timer(due + p.digest_period);
    EXPECT_EQ(port_.sent_of<wire::Digest>(1)[0].ids, std::vector<wire::EventId>{fresh.id});
    EXPECT_EQ(port_.sent_of<wire::Digest>(2)[0].ids, (std::vector<wire::EventId>{b.id, fresh.id}));
    EXPECT_EQ(port_.sent_of<wire::Digest>(3)[0].ids,
              (std::vector<wire::EventId>{a.id, b.id, fresh.id}));
    // Acknowledged and heard from within the period: nothing to say, no digest.
    from(1, wire::DigestWant{"t", {}}, due + p.digest_period + 10ms);
    from(3, wire::Prune{"t"}, due + p.digest_period + 10ms);  // alive, but no answer yet
    port_.clear();
    engine_.on_timer(due + 2 * p.digest_period);
    EXPECT_TRUE(port_.sent_of<wire::Digest>(1).empty());
    EXPECT_EQ(engine_.counters().digests_skipped, 1u);
    // An id the store no longer has does not hold back the acknowledgement of later ones.
    from(3, wire::DigestWant{"t", {a.id}}, due + 2 * p.digest_period + 10ms);
    EXPECT_EQ(engine_.counters().pulls_not_found, 1u);
    port_.clear();
    engine_.on_timer(due + 3 * p.digest_period);
    EXPECT_TRUE(port_.sent_of<wire::Digest>(3).empty());
}

// A peer that wants more than one reply carries (a mailbox linked to a long history it lacks)
// gets the rest through digests a second apart, not a period apart.
TEST_F(TreeTest, ACutDigestAnswerIsFollowedSoonByTheNextDigest) {
    const auto& p = engine_.params();
    std::vector<wire::EventId> ids;
    for (int n = 1; n <= 100; ++n) {
        auto e = make_event("t", n);
        engine_.publish(t0, e);
        port_.store.emplace(e.id, e);
        ids.push_back(e.id);
    }
    const TimePoint due = t0 + p.digest_period;
    engine_.on_timer(due);
    port_.clear();
    from(1, wire::DigestWant{"t", ids}, due + 10ms);
    EXPECT_EQ(port_.sent_of<wire::GossipEvent>(1).size(), p.max_events_per_reply);
    from(2, wire::DigestWant{"t", {ids[0]}}, due + 10ms);  // one reply is enough: no hurry
    port_.clear();
    engine_.on_timer(due + 10ms + p.digest_followup);
    auto d = port_.sent_of<wire::Digest>(1);
    ASSERT_EQ(d.size(), 1u);
    // Listed again from the first id the peer lacked (in case a repair was lost); it now wants
    // only the rest, which fit in one answer: the next digest is a period away again.
    EXPECT_EQ(d[0].ids, ids);
    EXPECT_TRUE(port_.sent_of<wire::Digest>(2).empty());
    port_.clear();
    const TimePoint t = due + 20ms + p.digest_followup;
    from(1, wire::DigestWant{"t", {ids.begin() + p.max_events_per_reply, ids.end()}}, t);
    EXPECT_EQ(port_.sent_of<wire::GossipEvent>(1).size(), 100u - p.max_events_per_reply);
    port_.clear();
    engine_.on_timer(t + p.digest_followup);
    EXPECT_TRUE(port_.sent_of<wire::Digest>(1).empty());
}

TEST_F(TreeTest, DigestsLeaveOutIdsOlderThanTheWindow) {
    const auto& p = engine_.params();
    auto a = make_event("t", 1);
    engine_.publish(t0, a);
    // Peer 1 never answers about a but keeps talking (so it is not dead).
    TimePoint t = t0;
    std::size_t with_a = 0;
    while (t < t0 + p.digest_window + 2 * p.digest_period) {
        t = engine_.next_wakeup();
        port_.clear();
        engine_.on_timer(t);
        for (const auto& d : port_.sent_of<wire::Digest>(1)) with_a += !d.ids.empty();
        from(1, wire::Prune{"t"}, t + 10ms);
    }
    // Offered once per period while younger than the window.
    EXPECT_EQ(with_a, static_cast<std::size_t>(p.digest_window / p.digest_period));
}

TEST_F(TreeTest, SilentPeerIsDeclaredDeadAndReported) {
    const auto& p = engine_.params();
    TimePoint t = t0;
    while (t < t0 + p.dead_after + 2 * p.digest_period) {
        t = engine_.next_wakeup();
        // Peers 1 and 2 answer every digest; peer 3 is silent.
        engine_.on_timer(t);
        for (int n = 1; n <= 2; ++n) from(n, wire::DigestWant{"t", {}}, t + 10ms);
    }
    EXPECT_EQ(tree().peers(), (std::vector<NodeId>{node_id(1), node_id(2)}));
    auto notices = engine_.take_notices();
    ASSERT_EQ(notices.size(), 1u);
    EXPECT_EQ(notices[0].kind, PeerNotice::Kind::dead);
    EXPECT_EQ(notices[0].peer, addr(3));
    EXPECT_EQ(notices[0].topic, "t");
    EXPECT_EQ(engine_.counters().peers_dead, 1u);
    EXPECT_TRUE(engine_.take_notices().empty());
}

class SmallBoundsTest : public TreeTest {
  protected:
    static GossipParams small() {
        GossipParams p;
        p.ihave_batch_max = 4;
        p.max_missing_per_topic = 3;
        p.max_announcers = 1;
        p.max_events_per_reply = 2;
        p.seen_capacity = 5;
        return p;
    }
    SmallBoundsTest() : TreeTest(small()) {}
};

TEST_F(SmallBoundsTest, FullIHaveBatchIsSentAtOnce) {
    make_lazy(3);
    for (int i = 0; i < 9; ++i) engine_.publish(t0, make_event("t", static_cast<std::uint64_t>(i)));
    auto ihave = port_.sent_of<wire::IHave>(3);
    ASSERT_EQ(ihave.size(), 2u);
    EXPECT_EQ(ihave[0].ids.size(), 4u);
    EXPECT_EQ(tree().pending_ihave(node_id(3)), 1u);
    EXPECT_EQ(engine_.counters().ihave_flushed_full, 2u);
    // A peer removed with pending ids: dropped and counted.
    engine_.remove_peer(t0, "t", node_id(3));
    EXPECT_EQ(engine_.counters().ihave_ids_dropped, 1u);
}

TEST_F(SmallBoundsTest, MissingTableAndAnnouncersAreBounded) {
    make_lazy(2);
    make_lazy(3);
    from(2, wire::IHave{"t", {id_of(1), id_of(2), id_of(3), id_of(4), id_of(5)}});
    EXPECT_EQ(tree().missing_size(), 3u);
    EXPECT_EQ(engine_.counters().missing_dropped_full, 2u);
    from(3, wire::IHave{"t", {id_of(1)}});
    EXPECT_EQ(engine_.counters().announcers_dropped, 1u);
}

TEST_F(SmallBoundsTest, RepliesAreTruncated) {
    std::vector<wire::EventId> ids;
    for (int i = 0; i < 5; ++i) {
        auto e = make_event("t", static_cast<std::uint64_t>(i));
        port_.store.emplace(e.id, e);
        ids.push_back(e.id);
    }
    from(1, wire::DigestWant{"t", ids});
    EXPECT_EQ(port_.sent_of<wire::GossipEvent>(1).size(), 2u);
    EXPECT_EQ(engine_.counters().reply_truncated, 3u);
}

TEST_F(SmallBoundsTest, SeenSetEvictsOldestAndCounts) {
    std::vector<wire::Event> events;
    for (int i = 0; i < 7; ++i) {
        events.push_back(make_event("t", static_cast<std::uint64_t>(i)));
        engine_.publish(t0, events.back());
    }
    EXPECT_EQ(tree().seen_size(), 5u);
    EXPECT_EQ(engine_.counters().seen_evicted, 2u);
    EXPECT_FALSE(tree().seen(events[0].id));
    EXPECT_TRUE(tree().seen(events[6].id));
}

}  // namespace
}  // namespace elmo::gossip::test
