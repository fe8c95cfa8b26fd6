// The client core's receiving side: pushes and polls, exactly-once delivery to the app, hand-ins
// of what a mailbox wants, polling on registration, periodically and on demand, and the bounds.
#include "common/hash.hpp"
#include "tests/client-sdk/fixtures.hpp"

namespace elmo::client_test {
namespace {

// A harness that answers polls itself (answer_polls off) and records what the app is given.
struct PollHarness : Harness {
    explicit PollHarness(ClientParams p = {}) : Harness(p) {
        answer_polls = false;
        core.set_event_handler(
            [this](TimePoint, const wire::Event& e) { received.push_back(e.id); });
    }
    // Connected, subscribed to `topic` and registered at `mailbox`; the registration's poll is
    // left unanswered.
    void registered(const std::string& topic, const wire::NodeAddr& mailbox = mbx(1),
                    std::vector<wire::NodeAddr> others = {}) {
        if (!core.connected()) connect();
        core.subscribe(now, topic);
        grant(topic, mailbox, std::move(others));
    }
    std::vector<wire::Poll> polls_for(const std::string& topic) const {
        std::vector<wire::Poll> out;
        for (const auto& p : transport.sent_of<wire::Poll>())
            if (p.topic == topic) out.push_back(p);
        return out;
    }
    wire::Poll last_poll(const std::string& topic) const {
        auto all = polls_for(topic);
        EXPECT_FALSE(all.empty()) << "no Poll for " << topic;
        return all.empty() ? wire::Poll{} : all.back();
    }
    void answer(const wire::Poll& p, std::vector<wire::Event> events = {},
                std::vector<wire::EventId> wanted = {}, bool more = false,
                std::vector<wire::NodeAddr> others = {},
                wire::PollStatus status = wire::PollStatus::ok) {
        deliver(wire::PollResult{p.request_id, p.topic, p.mailbox, status, std::move(events),
                                 std::move(wanted), std::move(others), more});
    }
    std::vector<wire::Publish> hand_ins() const {
        std::vector<wire::Publish> out;
        for (const auto& p : transport.sent_of<wire::Publish>())
            if (p.hand_in) out.push_back(p);
        return out;
    }
    std::vector<wire::EventId> received;
};

TEST(ClientPoll, NewRegistrationPollsItsMailboxWithTheKnownIds) {
    PollHarness h;
    h.registered("news", mbx(1), {mbx(2)});
    auto polls = h.polls_for("news");
    ASSERT_EQ(polls.size(), 1u) << "a new registration polls at once";
    EXPECT_EQ(polls[0].mailbox, mbx(1));
    EXPECT_TRUE(polls[0].known.empty());
    wire::Event e1 = make_event("news", 1), e2 = make_event("news", 2);
    h.answer(polls[0], {e1});
    h.deliver(wire::Deliver{mbx(1), {e2}});
    EXPECT_EQ(h.received, (std::vector{e1.id, e2.id}));
    // The periodic poll rides along with the renewal; the renewal, in place, adds none.
    h.run_until_subscribe("news");
    std::size_t before = h.polls_for("news").size();
    EXPECT_EQ(before, 2u);
    h.grant("news", mbx(1));
    EXPECT_EQ(h.polls_for("news").size(), before) << "a renewal in place does not poll";
    h.answer(h.last_poll("news"));
    // The mailbox is lost and the topic lands elsewhere: the new mailbox is polled at once, with
    // what the client has, newest first.
    h.deliver(wire::MailboxLost{"news", mbx(1), {}});
    h.grant("news", mbx(2));
    ASSERT_EQ(h.polls_for("news").size(), before + 1);
    wire::Poll moved = h.last_poll("news");
    EXPECT_EQ(moved.mailbox, mbx(2));
    EXPECT_EQ(moved.known, (std::vector{e2.id, e1.id}));
}

TEST(ClientPoll, PushThenTheSameEventInAPollIsDeliveredOnce) {
    PollHarness h;
    h.registered("news");
    wire::Event e = make_event("news", 7);
    h.deliver(wire::Deliver{mbx(1), {e}});
    h.answer(h.last_poll("news"), {e, make_event("news", 8)});
    h.deliver(wire::Deliver{mbx(3), {e}});  // a second mailbox pushes it too
    ASSERT_EQ(h.received.size(), 2u);
    EXPECT_EQ(h.received[0], e.id);
    EXPECT_EQ(h.core.stats().events_delivered, 2u);
    EXPECT_EQ(h.core.stats().duplicates_received, 2u);
    EXPECT_EQ(h.core.stats().poll_events_received, 2u);
    EXPECT_EQ(h.core.stats().poll_results, 1u);
}

TEST(ClientPoll, WantedOwnRecentEventIsHandedInToThatMailbox) {
    PollHarness h;
    h.registered("news");
    h.answer(h.last_poll("news"));
    auto r = h.core.publish(h.now, "news", Bytes{1, 2, 3});
    ASSERT_TRUE(r.ok());
    wire::Publish pub = h.transport.last<wire::Publish>();
    h.deliver(wire::PublishResult{pub.request_id, *r, wire::PublishStatus::accepted, mbx(1), {}});
    h.core.poll_now(h.now);
    wire::Poll p = h.last_poll("news");
    ASSERT_FALSE(p.known.empty());
    EXPECT_EQ(p.known.front(), *r) << "own recent publications are offered";
    // The mailbox lost it (its only holder died before forwarding it): it asks for it, and for an
    // id the client never had.
    wire::EventId unknown{};
    unknown[0] = 9;
    h.answer(p, {}, {*r, unknown, *r});
    auto hand_ins = h.hand_ins();
    ASSERT_EQ(hand_ins.size(), 1u) << "once, and only what the client holds";
    EXPECT_EQ(hand_ins[0].event, pub.event);
    EXPECT_EQ(ids(hand_ins[0].preferred), ids({mbx(1)}));
    EXPECT_EQ(h.core.stats().hand_ins_sent, 1u);
    // Its answer is recognised and changes nothing.
    h.deliver(wire::PublishResult{hand_ins[0].request_id, *r, wire::PublishStatus::accepted,
                                  mbx(1), {}});
    EXPECT_EQ(h.core.stats().hand_in_results, 1u);
    EXPECT_EQ(h.core.stats().stale_results, 0u);
    EXPECT_TRUE(h.received.empty()) << "own events are not handed to the app";
}

TEST(ClientPoll, WantedReceivedEventIsCarriedToTheMailboxThatLacksIt) {
    PollHarness h;
    h.registered("news");
    wire::Event e = make_event("news", 1);
    h.answer(h.last_poll("news"), {e});
    // Later the topic is on another mailbox that never got e (they do not know each other).
    h.deliver(wire::MailboxLost{"news", mbx(1), {}});
    h.grant("news", mbx(4));
    wire::Poll p = h.last_poll("news");
    EXPECT_EQ(p.mailbox, mbx(4));
    EXPECT_EQ(p.known, std::vector{e.id});
    h.answer(p, {}, {e.id});
    auto hand_ins = h.hand_ins();
    ASSERT_EQ(hand_ins.size(), 1u);
    EXPECT_EQ(hand_ins[0].event, e);
    EXPECT_EQ(ids(hand_ins[0].preferred), ids({mbx(4)}));
}

TEST(ClientPoll, MoreMeansPollAgainAtOnce) {
    PollHarness h;
    h.registered("news");
    wire::Event e1 = make_event("news", 1);
    h.answer(h.last_poll("news"), {e1}, {}, /*more=*/true);
    ASSERT_EQ(h.polls_for("news").size(), 2u);
    EXPECT_EQ(h.last_poll("news").known, std::vector{e1.id}) << "with what it just got";
    // `more` with nothing in it is no progress: no immediate poll (a broken home cannot loop us).
    h.answer(h.last_poll("news"), {}, {}, /*more=*/true);
    EXPECT_EQ(h.polls_for("news").size(), 2u);
}

TEST(ClientPoll, PollsPeriodicallyAndOnDemandOneAtATime) {
    PollHarness h;
    h.registered("news");
    h.answer(h.last_poll("news"));
    TimePoint answered = h.now;
    while (h.polls_for("news").size() < 2) h.run_until(h.core.next_wakeup());
    EXPECT_GE(h.now - answered, Duration(900s));
    EXPECT_LE(h.now - answered, Duration(1080s));
    h.answer(h.last_poll("news"));
    h.core.poll_now(h.now);
    h.core.poll_now(h.now);
    EXPECT_EQ(h.polls_for("news").size(), 3u) << "at most one poll in flight per topic";
    h.answer(h.last_poll("news"));
    EXPECT_EQ(h.polls_for("news").size(), 4u) << "the second poll_now is served after";
    EXPECT_EQ(h.core.stats().polls_sent, 4u);
}

TEST(ClientPoll, ReconnectionPollsRegisteredTopicsAtOnce) {
    PollHarness h;
    h.registered("news");
    h.answer(h.last_poll("news"));
    h.run_for(60s);
    h.core.on_disconnected(h.now);
    h.run_until(h.core.next_wakeup());
    h.core.on_connected(h.now);
    EXPECT_EQ(h.polls_for("news").size(), 2u) << "missed pushes are fetched on reconnection";
    EXPECT_EQ(h.last_poll("news").mailbox, mbx(1));
    h.grant("news", mbx(1));  // the renewal lands in place: no second poll
    EXPECT_EQ(h.polls_for("news").size(), 2u);
}

// A client moved to a mailbox that may be younger than its absence (elected after the old one
// died) also polls one older mailbox it knows, once, from where it was before the move.
TEST(ClientPoll, AfterAMoveAnOlderKnownMailboxIsPolledOnceFromBeforeTheMove) {
    PollHarness h;
    h.registered("news", mbx(1), {mbx(3)});
    wire::Poll first = h.last_poll("news");
    h.answer(first);
    const std::int64_t since_before = h.last_poll("news").since_ms;
    h.deliver(wire::MailboxLost{"news", mbx(1), {}});
    h.grant("news", mbx(2));
    wire::Poll at_new = h.last_poll("news");
    EXPECT_EQ(at_new.mailbox, mbx(2));
    std::size_t before = h.polls_for("news").size();
    h.answer(at_new);  // the young mailbox has nothing older
    ASSERT_EQ(h.polls_for("news").size(), before + 1) << "the backfill follows at once";
    wire::Poll backfill = h.last_poll("news");
    EXPECT_EQ(backfill.mailbox, mbx(3));
    EXPECT_EQ(backfill.since_ms, since_before) << "from where the client was before the move";
    EXPECT_EQ(backfill.cursor, 0u);
    // Paged like any poll, with its own cursor.
    wire::Event old = make_event("news", 7), older = make_event("news", 6);
    h.deliver(wire::PollResult{backfill.request_id, "news", mbx(3), wire::PollStatus::ok, {older},
                               {}, {}, true, 42});
    ASSERT_EQ(h.polls_for("news").size(), before + 2) << "more: the next page at once";
    wire::Poll page2 = h.last_poll("news");
    EXPECT_EQ(page2.mailbox, mbx(3));
    EXPECT_EQ(page2.cursor, 42u);
    EXPECT_EQ(page2.since_ms, since_before);
    h.answer(page2, {old});
    EXPECT_EQ(h.received, (std::vector{older.id, old.id}));
    EXPECT_EQ(h.core.stats().backfill_polls, 2u);  // pages
    // Once: the next poll is the periodic one, of the current mailbox.
    EXPECT_EQ(h.polls_for("news").size(), before + 2);
    h.run_for(h.core.params().poll_period * 2);
    EXPECT_EQ(h.last_poll("news").mailbox, mbx(2));
    EXPECT_EQ(h.core.stats().backfill_polls, 2u);
}

TEST(ClientPoll, AFirstRegistrationAndARenewalInPlaceDoNotBackfill) {
    PollHarness h;
    h.registered("news", mbx(1), {mbx(3)});
    h.answer(h.last_poll("news"));
    h.run_until_subscribe("news");
    h.grant("news", mbx(1), {mbx(3)});
    h.run_for(h.core.params().poll_period * 2);
    for (const auto& p : h.polls_for("news")) EXPECT_EQ(p.mailbox, mbx(1));
    EXPECT_EQ(h.core.stats().backfill_polls, 0u);
}

TEST(ClientPoll, NotHeldReRegistersAndThenPollsTheNewMailbox) {
    PollHarness h;
    h.registered("news", mbx(1), {mbx(2)});
    std::size_t subs = h.subscribes_for("news");
    h.answer(h.last_poll("news"), {}, {}, false, {}, wire::PollStatus::not_held);
    EXPECT_EQ(h.core.stats().polls_not_held, 1u);
    EXPECT_FALSE(h.topic("news").registered);
    ASSERT_EQ(h.subscribes_for("news"), subs + 1) << "re-registration at once";
    EXPECT_EQ(ids(h.last_subscribe("news").preferred), ids({mbx(2)}));
    h.grant("news", mbx(2));
    EXPECT_EQ(h.last_poll("news").mailbox, mbx(2));
}

TEST(ClientPoll, UnreachableAndUnansweredPollsAreRetriedAfterABackoff) {
    PollHarness h;
    h.registered("news");
    h.answer(h.last_poll("news"), {}, {}, false, {}, wire::PollStatus::unreachable);
    EXPECT_EQ(h.core.stats().polls_unreachable, 1u);
    EXPECT_LE(h.core.next_wakeup() - h.now, Duration(5s));
    h.run_until(h.core.next_wakeup());
    ASSERT_EQ(h.polls_for("news").size(), 2u);
    h.run_for(15s);  // unanswered
    EXPECT_EQ(h.core.stats().request_timeouts, 1u);
    h.run_for(10s);
    EXPECT_EQ(h.polls_for("news").size(), 3u) << "retried within 10 s (the second backoff)";
    h.answer(h.last_poll("news"), {}, {}, false, {mbx(5), mbx(6)});
    EXPECT_EQ(ids(h.topic("news").known_mailboxes), ids({mbx(5), mbx(6)}));
}

TEST(ClientPoll, SeenSetForgetsTheOldestBeyondItsBound) {
    ClientParams p;
    p.seen_ids_per_topic = 3;
    PollHarness h(p);
    h.registered("news");
    h.answer(h.last_poll("news"));
    std::vector<wire::Event> events;
    for (std::uint64_t i = 1; i <= 4; ++i) events.push_back(make_event("news", i));
    h.deliver(wire::Deliver{mbx(1), events});
    EXPECT_EQ(h.core.stats().seen_evicted, 1u);
    EXPECT_EQ(h.topic("news").seen.size(), 3u);
    h.deliver(wire::Deliver{mbx(1), {events[3]}});
    EXPECT_EQ(h.received.size(), 4u) << "a recent one is still a duplicate";
    h.deliver(wire::Deliver{mbx(1), {events[0]}});
    EXPECT_EQ(h.received.size(), 5u) << "the forgotten oldest is delivered again";
    EXPECT_EQ(h.core.stats().seen_evicted, 2u);
    h.core.poll_now(h.now);
    EXPECT_EQ(h.last_poll("news").known, (std::vector{events[0].id, events[3].id, events[2].id}));
}

TEST(ClientPoll, EventsOfOtherTopicsOwnEventsAndMismatchedOnesAreNotDelivered) {
    PollHarness h;
    h.registered("news");
    h.deliver(wire::Deliver{mbx(1), {make_event("sports", 1)}});
    EXPECT_EQ(h.core.stats().events_unsubscribed, 1u);
    // A poll answer for "news" carrying an event of another topic.
    h.answer(h.last_poll("news"), {make_event("sports", 2), make_event("news", 3)});
    EXPECT_EQ(h.core.stats().events_invalid, 1u);
    h.deliver(wire::Deliver{mbx(1), {make_event("news", 4, client_id)}});
    EXPECT_EQ(h.core.stats().own_events_received, 1u);
    EXPECT_EQ(h.received.size(), 1u) << "only news #3";
    EXPECT_TRUE(h.core.connected());
    // An event whose id does not match its content does not even decode: the wire codec rejects
    // the frame, and a home relaying forged events loses the session.
    wire::Event forged = make_event("news", 5);
    forged.payload.push_back('!');
    h.deliver(wire::Deliver{mbx(1), {forged}});
    EXPECT_EQ(h.core.stats().decode_errors, 1u);
    EXPECT_FALSE(h.core.connected());
    EXPECT_EQ(h.received.size(), 1u);
}

TEST(ClientPoll, CarriedEventsAreBoundedPerTopic) {
    ClientParams p;
    p.carry_events_per_topic = 2;
    PollHarness h(p);
    h.registered("news");
    std::vector<wire::Event> events;
    for (std::uint64_t i = 1; i <= 3; ++i) events.push_back(make_event("news", i));
    h.deliver(wire::Deliver{mbx(1), events});
    EXPECT_EQ(h.core.carried().size(), 2u);
    EXPECT_EQ(h.core.carried().find(events[0].id), nullptr);
    EXPECT_EQ(h.core.stats().carried_dropped, 1u);
    h.core.unsubscribe(h.now, "news");
    EXPECT_EQ(h.core.carried().size(), 0u);
}

TEST(ClientPoll, NextWakeupCoversPollsAndTheHandlerMayUnsubscribe) {
    PollHarness h;
    h.registered("news");
    h.registered("chat", mbx(2));
    EXPECT_LE(h.core.next_wakeup(), h.now + h.core.params().request_timeout);
    h.core.set_event_handler([&](TimePoint now, const wire::Event& e) {
        h.received.push_back(e.id);
        h.core.unsubscribe(now, e.topic);  // from inside the handler
    });
    h.answer(h.last_poll("news"), {make_event("news", 1), make_event("news", 2)});
    EXPECT_EQ(h.received.size(), 2u) << "decided on receipt: both of this frame are delivered";
    EXPECT_FALSE(h.core.subscribed("news"));
    EXPECT_TRUE(h.core.subscribed("chat"));
}

// Publishing, pushes and polls under one seed: the same frames and wake-ups every time.
std::vector<std::string> scripted_run(std::uint64_t seed) {
    Harness h({}, {node_ep(1), node_ep(2)}, seed);
    std::vector<std::string> trace;
    h.connect();
    h.core.subscribe(h.now, "news");
    h.grant("news", mbx(1));
    for (std::uint64_t i = 0; i < 3; ++i) {
        auto r = h.core.publish(h.now, "news", Bytes{static_cast<std::uint8_t>(i)});
        trace.push_back(to_hex(*r));
    }
    h.deliver(wire::Deliver{mbx(1), {make_event("news", 1)}});
    h.run_for(20s);  // the publishes time out and are retried
    h.run_granting(h.now + 2h);
    for (const auto& m : h.transport.sent) trace.push_back(to_hex(wire::encode(m)));
    trace.push_back(std::to_string((h.core.next_wakeup() - t0).count()));
    return trace;
}

TEST(ClientPoll, SameSeedSameRun) {
    auto a = scripted_run(11);
    EXPECT_EQ(a, scripted_run(11));
    EXPECT_NE(a, scripted_run(12));
}

}  // namespace
}  // namespace elmo::client_test
