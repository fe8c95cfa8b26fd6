// The event store of each topic: bounded history (count, bytes, age, own expiry) with the drop
// policy stated in topic_history.hpp, every drop counted; dedup that outlives eviction; the poll
// answers (exactly what the client lacks) and the byte budget of the whole mailbox.
#include <gtest/gtest.h>

#include <algorithm>

#include "fixtures.hpp"
#include "mailbox/rate_meter.hpp"
#include "mailbox/seen_set.hpp"

namespace elmo::mailbox {
namespace {

using namespace test;

std::vector<wire::EventId> ids_of(const std::vector<wire::Event>& events) {
    std::vector<wire::EventId> out;
    for (const auto& e : events) out.push_back(e.id);
    return out;
}

Mailbox holding(const std::string& topic, MailboxParams p = {}) {
    Mailbox m(p, wall);
    EXPECT_EQ(m.adopt_topic(topic, t0), AdoptResult::adopted);
    return m;
}

TEST(MailboxHistory, CountBoundDropsOldestArrivalFirstNeverTheNewEvent) {
    MailboxParams p;
    p.max_events_per_topic = 3;
    Mailbox m = holding("a", p);
    std::vector<wire::Event> es;
    for (std::uint64_t s = 1; s <= 5; ++s) {
        // Later arrivals carry older timestamps: arrival order, not the publisher's clock, decides.
        es.push_back(make_event("a", s, t0 - s * 1min));
        ASSERT_EQ(m.store_event(es.back(), t0 + s * 1s), StoreResult::stored);
        auto held = m.ids("a");
        EXPECT_EQ(held.back(), es.back().id) << "the event just stored is kept";
    }
    EXPECT_EQ(m.ids("a"), (std::vector<wire::EventId>{es[2].id, es[3].id, es[4].id}));
    EXPECT_EQ(m.counters().dropped_by_count, 2u);
    EXPECT_EQ(m.counters().events_stored, 5u);
    EXPECT_EQ(m.load(t0 + 5s).stored_events, 3u);
}

TEST(MailboxHistory, ByteBoundDropsOldestFirstAndALargeEventMayPushOutSeveral) {
    const std::size_t b = event_bytes(make_event("a", 1));
    MailboxParams p;
    p.max_bytes_per_topic = 3 * b;
    Mailbox m = holding("a", p);
    std::vector<wire::Event> es;
    for (std::uint64_t s = 1; s <= 4; ++s) {
        es.push_back(make_event("a", s));
        ASSERT_EQ(m.store_event(es.back(), t0), StoreResult::stored);
    }
    EXPECT_EQ(m.ids("a"), (std::vector<wire::EventId>{es[1].id, es[2].id, es[3].id}));
    EXPECT_EQ(m.counters().dropped_by_bytes, 1u);
    EXPECT_EQ(m.load(t0).stored_bytes, 3 * b);

    // Payload 100 + 2b bytes: just fits alone, so it pushes out everything else.
    auto big = make_event("a", 9, t0, std::chrono::hours(48), 100 + 2 * b);
    ASSERT_EQ(event_bytes(big), 3 * b);
    ASSERT_EQ(m.store_event(big, t0), StoreResult::stored);
    EXPECT_EQ(m.ids("a"), std::vector<wire::EventId>{big.id});
    EXPECT_EQ(m.counters().dropped_by_bytes, 4u);
}

TEST(MailboxHistory, EventAloneOverTheBoundIsRefusedAndNothingIsDropped) {
    const std::size_t b = event_bytes(make_event("a", 1));
    MailboxParams p;
    p.max_bytes_per_topic = 2 * b;
    Mailbox m = holding("a", p);
    auto small = make_event("a", 1);
    ASSERT_EQ(m.store_event(small, t0), StoreResult::stored);
    auto big = make_event("a", 2, t0, std::chrono::hours(48), 100 + 2 * b);
    EXPECT_EQ(m.store_event(big, t0), StoreResult::too_large);
    EXPECT_EQ(m.counters().refused_too_large, 1u);
    EXPECT_EQ(m.ids("a"), std::vector<wire::EventId>{small.id});
}

TEST(MailboxHistory, AgeBoundCountsFromPublication) {
    MailboxParams p;
    p.max_event_age = std::chrono::hours(1);
    Mailbox m = holding("a", p);
    auto fresh = make_event("a", 1, t0);               // published now: kept until t0 + 1 h
    auto older = make_event("a", 2, t0 - 50min);       // published 50 min ago: 10 min left
    auto stale = make_event("a", 3, t0 - 61min);       // past the contract already
    EXPECT_EQ(m.store_event(fresh, t0), StoreResult::stored);
    EXPECT_EQ(m.store_event(older, t0), StoreResult::stored);
    EXPECT_EQ(m.store_event(stale, t0), StoreResult::expired);
    EXPECT_EQ(m.counters().refused_expired, 1u);

    EXPECT_EQ(m.next_wakeup(), t0 + 10min);
    m.expire(t0 + 10min - 1ns);
    EXPECT_EQ(m.ids("a").size(), 2u);
    m.expire(t0 + 10min);
    EXPECT_EQ(m.ids("a"), std::vector<wire::EventId>{fresh.id});
    m.expire(t0 + 1h);
    EXPECT_TRUE(m.ids("a").empty());
    EXPECT_EQ(m.counters().dropped_by_age, 2u);
    EXPECT_EQ(m.counters().dropped_by_expiry, 0u);
    EXPECT_EQ(m.load(t0 + 1h).stored_bytes, 0u);
}

TEST(MailboxHistory, APublisherClockAheadCannotStretchTheContract) {
    MailboxParams p;
    p.max_event_age = std::chrono::hours(1);
    Mailbox m = holding("a", p);
    auto future = make_event("a", 1, t0 + 10h);  // timestamp 10 h ahead of ours
    ASSERT_EQ(m.store_event(future, t0), StoreResult::stored);
    // Held at most max_event_age after arrival, whatever its timestamp says.
    EXPECT_EQ(m.load(t0 + 1h - 1ns).stored_events, 1u);
    EXPECT_EQ(m.load(t0 + 1h).stored_events, 0u);
    m.expire(t0 + 1h);
    EXPECT_EQ(m.counters().dropped_by_age, 1u);
}

TEST(MailboxHistory, NeverKeptPastItsOwnExpiry) {
    Mailbox m = holding("a");  // 24 h contract
    auto short_lived = make_event("a", 1, t0, 5min);
    auto already_over = make_event("a", 2, t0 - 10min, 5min);
    ASSERT_EQ(m.store_event(short_lived, t0), StoreResult::stored);
    EXPECT_EQ(m.store_event(already_over, t0), StoreResult::expired);
    // Queries at a time are exact even before the driver's expire() call.
    EXPECT_EQ(m.load(t0 + 5min).stored_events, 0u);
    m.expire(t0 + 5min);
    EXPECT_TRUE(m.ids("a").empty());
    EXPECT_EQ(m.counters().dropped_by_expiry, 1u);
    EXPECT_EQ(m.store_event(short_lived, t0 + 5min), StoreResult::expired)
        << "a re-sent copy after expiry is not stored again";
}

TEST(MailboxDedup, DuplicateRecognisedEvenAfterEvictionFromHistory) {
    MailboxParams p;
    p.max_events_per_topic = 2;
    Mailbox m = holding("a", p);
    auto e1 = make_event("a", 1), e2 = make_event("a", 2), e3 = make_event("a", 3);
    ASSERT_EQ(m.store_event(e1, t0), StoreResult::stored);
    EXPECT_EQ(m.store_event(e1, t0), StoreResult::duplicate) << "while stored";
    ASSERT_EQ(m.store_event(e2, t0), StoreResult::stored);
    ASSERT_EQ(m.store_event(e3, t0), StoreResult::stored);  // evicts e1
    EXPECT_EQ(m.store_event(e1, t0 + 1h), StoreResult::duplicate) << "after eviction";
    EXPECT_EQ(m.counters().duplicates, 2u);
    EXPECT_EQ(m.ids("a"), (std::vector<wire::EventId>{e2.id, e3.id}));
    EXPECT_TRUE(m.wanted("a", {e1.id}, t0 + 1h).empty()) << "nobody is asked for it again";
    EXPECT_EQ(m.counters().seen_forgotten_early, 0u);
}

TEST(MailboxDedup, ASeenSetTooSmallForTheTrafficForgetsAndCountsIt) {
    MailboxParams p;
    p.max_events_per_topic = 1;
    p.max_seen_ids_per_topic = 2;
    Mailbox m = holding("a", p);
    std::vector<wire::Event> es;
    for (std::uint64_t s = 1; s <= 3; ++s) {
        // Increasing lifetimes: e1 would be forgotten first anyway, so it is forgotten early.
        es.push_back(make_event("a", s, t0, std::chrono::hours(s)));
        ASSERT_EQ(m.store_event(es.back(), t0), StoreResult::stored);
    }
    EXPECT_EQ(m.counters().seen_forgotten_early, 1u);
    EXPECT_EQ(m.store_event(es[1], t0), StoreResult::duplicate);
    EXPECT_EQ(m.store_event(es[0], t0), StoreResult::stored) << "the documented weakness";
}

TEST(SeenSet, ForgetsEarliestFirstAndAtItsTime) {
    SeenSet s(2);
    wire::EventId a{}, b{}, c{};
    a[0] = 1, b[0] = 2, c[0] = 3;
    EXPECT_EQ(s.insert(a, t0 + 3h), 0u);
    EXPECT_EQ(s.insert(b, t0 + 1h), 0u);
    EXPECT_EQ(s.insert(c, t0 + 2h), 1u);  // b (earliest) goes
    EXPECT_TRUE(s.contains(a, t0));
    EXPECT_FALSE(s.contains(b, t0));
    EXPECT_TRUE(s.contains(c, t0));
    EXPECT_EQ(s.insert(b, t0 + 1h), 1u) << "a new id that would go first is not kept";
    EXPECT_FALSE(s.contains(b, t0));
    EXPECT_FALSE(s.contains(c, t0 + 2h)) << "forgotten at its time";
    s.forget_until(t0 + 2h);
    EXPECT_EQ(s.size(), 1u);
}

TEST(MailboxPoll, EventsMissingIsExactlyTheComplementOfWhatTheClientKnows) {
    Mailbox m = holding("a");
    std::vector<wire::Event> es;
    for (std::uint64_t s = 1; s <= 5; ++s) {
        es.push_back(make_event("a", s));
        ASSERT_EQ(m.store_event(es.back(), t0 + s * 1s), StoreResult::stored);
    }
    wire::EventId foreign{};
    foreign.fill(0xEE);
    auto missing = m.events_missing("a", {es[3].id, foreign, es[1].id, es[3].id});
    EXPECT_EQ(ids_of(missing), (std::vector<wire::EventId>{es[0].id, es[2].id, es[4].id}));
    EXPECT_EQ(missing[1], es[2]) << "whole events, unchanged";
    EXPECT_EQ(ids_of(m.events_missing("a", {})), ids_of(es));
    EXPECT_TRUE(m.events_missing("a", ids_of(es)).empty());
    EXPECT_TRUE(m.events_missing("unheld", {}).empty());
}

TEST(MailboxPoll, WantedIsWhatTheOffererHasAndTheMailboxLacks) {
    Mailbox m = holding("a");
    auto mine = make_event("a", 1), theirs = make_event("a", 2), other = make_event("a", 3);
    ASSERT_EQ(m.store_event(mine, t0), StoreResult::stored);
    auto want = m.wanted("a", {theirs.id, mine.id, other.id, theirs.id}, t0);
    EXPECT_EQ(want, (std::vector<wire::EventId>{theirs.id, other.id})) << "offered order, no repeats";
    EXPECT_TRUE(m.wanted("unheld", {theirs.id}, t0).empty());
}

TEST(MailboxPoll, EventsSinceACursorIncludesLateArrivalsWithOldTimestamps) {
    Mailbox m = holding("a");
    auto e1 = make_event("a", 1, t0), e2 = make_event("a", 2, t0 + 1min);
    ASSERT_EQ(m.store_event(e1, t0), StoreResult::stored);
    ASSERT_EQ(m.store_event(e2, t0 + 1min), StoreResult::stored);
    auto first = m.events_since("a", 0);
    EXPECT_EQ(ids_of(first.events), (std::vector<wire::EventId>{e1.id, e2.id}));

    auto late = make_event("a", 3, t0 - 2h);  // published long ago, carried in by a client now
    ASSERT_EQ(m.store_event(late, t0 + 2min), StoreResult::stored);
    auto next = m.events_since("a", first.cursor);
    EXPECT_EQ(ids_of(next.events), std::vector<wire::EventId>{late.id});
    EXPECT_TRUE(m.events_since("a", next.cursor).events.empty());
    EXPECT_EQ(m.events_since("a", next.cursor).cursor, next.cursor);
}

TEST(MailboxPoll, ACursorFromBeforeARestartSkipsNothingOfTheNextIncarnation) {
    // A daemon restarts from its journal with a fresh Mailbox: it restores the events, not their
    // arrival numbers. A client that polled the old incarnation keeps its cursor; its next poll
    // must still get the restored history and whatever arrives after the restart.
    Mailbox before = holding("a");
    for (std::uint64_t s = 1; s <= 50; ++s)
        ASSERT_EQ(before.store_event(make_event("a", s), t0 + s * 1ms), StoreResult::stored);
    const std::uint64_t old_cursor = before.events_since("a", 0).cursor;

    Mailbox after(MailboxParams{}, wall);
    const TimePoint restart = t0 + 10s;
    ASSERT_EQ(after.adopt_topic("a", restart), AdoptResult::adopted);
    auto restored = make_event("a", 50), fresh = make_event("a", 51);
    ASSERT_EQ(after.store_event(restored, restart), StoreResult::stored);
    ASSERT_EQ(after.store_event(fresh, restart + 1s), StoreResult::stored);
    EXPECT_EQ(ids_of(after.events_since("a", old_cursor).events),
              (std::vector<wire::EventId>{restored.id, fresh.id}));
}

TEST(MailboxPoll, ARestoredEventArrivesWhenGivenForThePollsSince) {
    // A restart restores the history with the publishers' timestamps as arrival times: a poll
    // since a time after them does not get the whole restored history again.
    Mailbox m = holding("a");
    auto old = make_event("a", 1, t0), recent = make_event("a", 2, t0 + 50min);
    const TimePoint restart = t0 + 1h;
    ASSERT_EQ(m.store_event(old, restart, t0), StoreResult::stored);
    ASSERT_EQ(m.store_event(recent, restart, t0 + 50min), StoreResult::stored);
    auto page = m.poll_page("a", 0, wall.to_unix_ms(t0 + 40min), {}, 100, 1 << 20);
    EXPECT_EQ(ids_of(page.events), std::vector<wire::EventId>{recent.id});
    // An arrival given later than now is taken as now.
    auto future = make_event("a", 3, restart);
    ASSERT_EQ(m.store_event(future, restart, restart + 1h), StoreResult::stored);
    EXPECT_EQ(ids_of(m.poll_page("a", 0, wall.to_unix_ms(restart), {}, 100, 1 << 20).events),
              std::vector<wire::EventId>{future.id});
}

TEST(MailboxBudget, StoredBytesBudgetRefusesGrowthButAFullTopicStillRotates) {
    const std::size_t b = event_bytes(make_event("a", 1));
    MailboxParams p;
    p.max_stored_bytes = 3 * b;
    p.max_events_per_topic = 2;
    Mailbox m(p, wall);
    ASSERT_EQ(m.adopt_topic("a", t0), AdoptResult::adopted);
    ASSERT_EQ(m.adopt_topic("b", t0), AdoptResult::adopted);
    ASSERT_EQ(m.store_event(make_event("a", 1), t0), StoreResult::stored);
    ASSERT_EQ(m.store_event(make_event("a", 2), t0), StoreResult::stored);
    ASSERT_EQ(m.store_event(make_event("b", 1), t0), StoreResult::stored);
    EXPECT_EQ(m.state(t0), MailboxState::full) << "at the byte budget";
    EXPECT_TRUE(m.over_budget(t0));

    EXPECT_EQ(m.store_event(make_event("b", 2), t0), StoreResult::refused_budget);
    EXPECT_EQ(m.counters().refused_budget, 1u);
    EXPECT_EQ(m.adopt_topic("c", t0), AdoptResult::refused_full);
    EXPECT_EQ(m.register_client("a", client(1), home(1), t0).result, RegisterResult::refused_full);
    // Topic a is at its own count bound: a new event replaces its oldest, no net growth.
    auto a3 = make_event("a", 3);
    EXPECT_EQ(m.store_event(a3, t0), StoreResult::stored);
    EXPECT_EQ(m.ids("a").back(), a3.id);
    EXPECT_EQ(m.load(t0).stored_bytes, 3 * b);
}

TEST(MailboxHistory, NotHeldTopicStoresNothing) {
    Mailbox m = holding("a");
    EXPECT_EQ(m.store_event(make_event("b", 1), t0), StoreResult::not_held);
    EXPECT_EQ(m.counters().refused_not_held, 1u);
    EXPECT_EQ(m.load(t0).stored_events, 0u);
}

TEST(RateMeter, SlidingWindowForgetsOldBuckets) {
    RateMeter r(std::chrono::seconds(10), 10);
    for (int i = 0; i < 20; ++i) r.add(t0 + i * 500ms, 1, 10);  // 2/s for 10 s
    EXPECT_DOUBLE_EQ(r.messages_per_sec(t0 + 9s), 2.0);
    EXPECT_DOUBLE_EQ(r.bytes_per_sec(t0 + 9s), 20.0);
    EXPECT_DOUBLE_EQ(r.messages_per_sec(t0 + 14s), 1.0) << "buckets 0-4 left the window";
    EXPECT_DOUBLE_EQ(r.messages_per_sec(t0 + 1h), 0.0);
    RateMeter before_epoch(std::chrono::seconds(10), 10);
    before_epoch.add(TimePoint{} - 1500ms, 5, 0);
    EXPECT_DOUBLE_EQ(before_epoch.messages_per_sec(TimePoint{} - 1s), 0.5);
}

}  // namespace
}  // namespace elmo::mailbox
