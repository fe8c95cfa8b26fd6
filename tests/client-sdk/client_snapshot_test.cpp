// The client core's export and restore (client_snapshot.hpp): what a restarted app gets back, and
// that a restored core picks up where the old one stopped: same mailbox first, no event handed
// twice, unacknowledged publications sent again with the same ids, sequence numbers not reused.
#include <set>

#include "tests/client-sdk/fixtures.hpp"

namespace elmo::client_test {
namespace {

struct Recorder {
    explicit Recorder(Harness& h) {
        h.core.set_event_handler([this](TimePoint, const wire::Event& e) { got.push_back(e.id); });
    }
    std::vector<wire::EventId> got;
};

// A core that subscribed, received two events, learned mailboxes and published two events that
// were never acknowledged (the connection died first).
ClientSnapshot busy_snapshot(std::vector<wire::EventId>* outbox_ids = nullptr) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "news");
    h.grant("news", mbx(1), {mbx(2), mbx(3)});
    h.deliver(wire::Deliver{mbx(1), {make_event("news", 1), make_event("news", 2)}});
    h.core.on_disconnected(h.now);
    for (int i = 0; i < 2; ++i) {
        auto id = h.core.publish(h.now, "news", Bytes{'p', static_cast<std::uint8_t>(i)});
        EXPECT_TRUE(id.ok());
        if (outbox_ids && id.ok()) outbox_ids->push_back(*id);
    }
    return h.core.snapshot();
}

TEST(ClientSnapshot, HoldsTopicsSeenIdsOutboxSeqAndLearnedNodes) {
    std::vector<wire::EventId> outbox;
    ClientSnapshot s = busy_snapshot(&outbox);
    ASSERT_EQ(s.topics.size(), 1u);
    const auto& t = s.topics[0];
    EXPECT_EQ(t.name, "news");
    EXPECT_EQ(t.mailbox, mbx(1));
    EXPECT_EQ(ids(t.known), (std::vector<NodeId>{mbx(2).id, mbx(3).id}));
    EXPECT_EQ(t.seen,
              (std::vector<wire::EventId>{make_event("news", 1).id, make_event("news", 2).id}));
    ASSERT_EQ(s.outbox.size(), 2u);
    EXPECT_EQ(s.outbox[0].id, outbox[0]);
    EXPECT_EQ(s.outbox[1].id, outbox[1]);
    EXPECT_EQ(s.next_seq, 3u);
    std::set<Endpoint> nodes(s.nodes.begin(), s.nodes.end());
    EXPECT_EQ(nodes,
              (std::set<Endpoint>{mbx(1).endpoint.to_endpoint(), mbx(2).endpoint.to_endpoint(),
                                  mbx(3).endpoint.to_endpoint()}));
}

TEST(ClientSnapshot, RestoreThenSnapshotGivesTheSameState) {
    ClientSnapshot s = busy_snapshot();
    Harness h;
    ASSERT_TRUE(h.core.restore(h.now, s));
    EXPECT_EQ(h.core.snapshot(), s);
    EXPECT_EQ(h.core.outbox_size(), 2u);
    EXPECT_FALSE(h.topic("news").registered);  // the new process renews it first
}

TEST(ClientSnapshot, RestoredCoreRenewsAtTheSameMailboxAndNeverHandsAnEventTwice) {
    ClientSnapshot s = busy_snapshot();
    Harness h;
    Recorder app(h);
    h.answer_polls = false;
    ASSERT_TRUE(h.core.restore(h.now, s));
    h.connect();
    auto sub = h.last_subscribe("news");
    ASSERT_FALSE(sub.preferred.empty());
    EXPECT_EQ(sub.preferred[0], mbx(1));
    h.grant("news", mbx(1));
    // The new registration polls with the seen ids as known, from where it had caught up.
    auto polls = h.transport.sent_of<wire::Poll>();
    ASSERT_EQ(polls.size(), 1u);
    std::set<wire::EventId> known(polls[0].known.begin(), polls[0].known.end());
    EXPECT_TRUE(known.contains(make_event("news", 1).id));
    EXPECT_TRUE(known.contains(make_event("news", 2).id));
    // A mailbox sending them anyway, plus one missed while the app was dead: only that one.
    h.deliver(
        wire::PollResult{polls[0].request_id,
                         "news",
                         mbx(1),
                         wire::PollStatus::ok,
                         {make_event("news", 1), make_event("news", 2), make_event("news", 3)},
                         {},
                         {},
                         false});
    EXPECT_EQ(app.got, std::vector<wire::EventId>{make_event("news", 3).id});
}

TEST(ClientSnapshot, RestoredOutboxIsSentAgainWithTheSameIdsAndSeqGoesOn) {
    std::vector<wire::EventId> outbox;
    ClientSnapshot s = busy_snapshot(&outbox);
    Harness h;
    ASSERT_TRUE(h.core.restore(h.now, s));
    h.connect();
    auto pubs = h.transport.sent_of<wire::Publish>();
    ASSERT_EQ(pubs.size(), 2u);
    EXPECT_EQ(pubs[0].event.id, outbox[0]);
    EXPECT_EQ(pubs[1].event.id, outbox[1]);
    auto next = h.core.publish(h.now, "news", Bytes{'x'});
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(h.transport.last<wire::Publish>().event.seq, 3u);
    // Accepted: out of the outbox, and the snapshot says so.
    h.deliver(wire::PublishResult{
        pubs[0].request_id, outbox[0], wire::PublishStatus::accepted, mbx(1), {}});
    EXPECT_EQ(h.core.snapshot().outbox.size(), 2u);
}

TEST(ClientSnapshot, RestoreAfterStartIsRefusedAndForeignOrBadEntriesAreSkipped) {
    ClientSnapshot s = busy_snapshot();
    s.topics.emplace_back();                    // invalid topic: empty name
    s.outbox.push_back(make_event("news", 9));  // another publisher's event
    Harness started;
    started.core.start(started.now);
    EXPECT_FALSE(started.core.restore(started.now, s));
    EXPECT_TRUE(started.core.topics().empty());
    Harness h;
    ASSERT_TRUE(h.core.restore(h.now, s));
    EXPECT_EQ(h.core.topics().size(), 1u);
    EXPECT_EQ(h.core.outbox_size(), 2u);
    EXPECT_EQ(h.core.stats().topics_refused, 1u);
}

// The SDK turns keep-alive on in the foreground and off in the background.
TEST(ClientKeepalive, ChangedAtRunTimeTakesEffectFromNow) {
    Harness h;
    h.connect();
    h.run_for(std::chrono::hours(1));
    EXPECT_EQ(h.core.stats().pings_sent, 0u) << "off by default";
    // Silent for an hour already: the first ping goes at once, the next after 30 s of silence.
    h.core.set_keepalive_period(h.now, std::chrono::seconds(30));
    h.run_for(Duration::zero());
    ASSERT_EQ(h.core.stats().pings_sent, 1u);
    h.deliver(wire::Pong{h.transport.last<wire::Ping>().nonce});
    h.run_for(std::chrono::seconds(31));
    ASSERT_EQ(h.core.stats().pings_sent, 2u);
    h.deliver(wire::Pong{h.transport.last<wire::Ping>().nonce});
    h.core.set_keepalive_period(h.now, Duration::zero());
    h.run_for(std::chrono::hours(1));
    EXPECT_EQ(h.core.stats().pings_sent, 2u);
    EXPECT_TRUE(h.core.connected());
}

}  // namespace
}  // namespace elmo::client_test
