// The mailbox role as its users see it: admission and explicit refusal, the state a hint
// advertises, registrations that lapse unless renewed, evaporation of idle topics with hand-off,
// links, load accounting and the wake-up a driver relies on. Time is a parameter; nothing sleeps.
#include <gtest/gtest.h>

#include "fixtures.hpp"

namespace elmo::mailbox {
namespace {

using namespace test;

MailboxParams small_params() {
    MailboxParams p;
    p.capacity_topics = 2;
    p.max_registrations = 2;
    return p;
}

TEST(MailboxState, InactiveRecruitingFullAndBack) {
    Mailbox m(small_params(), wall);
    EXPECT_EQ(m.state(t0), MailboxState::inactive);
    EXPECT_EQ(m.adopt_topic("a", t0), AdoptResult::adopted);
    EXPECT_EQ(m.state(t0), MailboxState::recruiting);
    EXPECT_EQ(m.adopt_topic("b", t0), AdoptResult::adopted);
    EXPECT_EQ(m.state(t0), MailboxState::full);

    // At capacity: a new topic is refused explicitly, a held one is still reported as held.
    EXPECT_EQ(m.adopt_topic("c", t0), AdoptResult::refused_full);
    EXPECT_EQ(m.adopt_topic("a", t0), AdoptResult::already_held);
    EXPECT_EQ(m.counters().refused_topics, 1u);
    EXPECT_EQ(m.topics(), (std::vector<std::string>{"a", "b"}));

    ASSERT_TRUE(m.evaporate("a", t0).has_value());
    EXPECT_EQ(m.state(t0), MailboxState::recruiting);
    EXPECT_EQ(m.adopt_topic("c", t0), AdoptResult::adopted) << "room again after evaporation";
    ASSERT_TRUE(m.evaporate("b", t0).has_value());
    ASSERT_TRUE(m.evaporate("c", t0).has_value());
    EXPECT_EQ(m.state(t0), MailboxState::inactive);
}

TEST(MailboxAdmission, NewClientsRefusedAtBudgetButRenewalsPass) {
    Mailbox m(small_params(), wall);
    ASSERT_EQ(m.adopt_topic("a", t0), AdoptResult::adopted);
    EXPECT_EQ(m.register_client("a", client(1), home(1), t0).result, RegisterResult::registered);
    EXPECT_EQ(m.register_client("a", client(2), home(2), t0).result, RegisterResult::registered);
    EXPECT_EQ(m.state(t0), MailboxState::full) << "registration budget reached";

    auto refused = m.register_client("a", client(3), home(3), t0 + 1s);
    EXPECT_EQ(refused.result, RegisterResult::refused_full);
    EXPECT_EQ(m.counters().refused_clients, 1u);
    EXPECT_EQ(m.adopt_topic("b", t0 + 1s), AdoptResult::refused_full) << "over budget";

    // A renewal is never refused, pushes the expiry out and follows the client to a new home.
    auto renewed = m.register_client("a", client(1), home(9), t0 + 10min);
    EXPECT_EQ(renewed.result, RegisterResult::renewed);
    EXPECT_EQ(renewed.expires_at, t0 + 10min + m.params().registration_lifetime);
    auto cs = m.clients("a");
    ASSERT_EQ(cs.size(), 2u);
    EXPECT_EQ(cs[0].client, client(1));
    EXPECT_EQ(cs[0].home, home(9));

    // Room again once a client leaves.
    EXPECT_TRUE(m.unregister_client("a", client(2), t0 + 11min));
    EXPECT_FALSE(m.unregister_client("a", client(2), t0 + 11min));
    EXPECT_EQ(m.register_client("a", client(3), home(3), t0 + 12min).result,
              RegisterResult::registered);
}

TEST(MailboxAdmission, FullInTopicsStillTakesClientsOfHeldTopics) {
    MailboxParams p;
    p.capacity_topics = 1;
    Mailbox m(p, wall);
    ASSERT_EQ(m.adopt_topic("a", t0), AdoptResult::adopted);
    ASSERT_EQ(m.state(t0), MailboxState::full);
    EXPECT_EQ(m.register_client("a", client(1), home(1), t0).result, RegisterResult::registered);
    EXPECT_EQ(m.register_client("z", client(1), home(1), t0).result, RegisterResult::not_held);
    EXPECT_EQ(m.counters().registrations_not_held, 1u);
}

TEST(MailboxAdmission, MessageRateOverBudgetMakesFullUntilTheWindowPasses) {
    MailboxParams p;
    p.max_msgs_per_sec = 5;  // 50 messages in the default 10 s window
    Mailbox m(p, wall);
    ASSERT_EQ(m.adopt_topic("a", t0), AdoptResult::adopted);
    for (int i = 0; i < 49; ++i) m.note_message(t0 + i * 100ms, 1'000);
    EXPECT_EQ(m.state(t0 + 5s), MailboxState::recruiting);
    m.note_message(t0 + 5s, 1'000);
    EXPECT_EQ(m.state(t0 + 5s), MailboxState::full);
    EXPECT_DOUBLE_EQ(m.load(t0 + 5s).msgs_per_sec, 5.0);
    EXPECT_DOUBLE_EQ(m.load(t0 + 5s).bytes_per_sec, 5'000.0);
    EXPECT_EQ(m.register_client("a", client(1), home(1), t0 + 5s).result,
              RegisterResult::refused_full);
    EXPECT_EQ(m.adopt_topic("b", t0 + 5s), AdoptResult::refused_full);
    // Ten seconds of quiet later the burst has left the window.
    EXPECT_EQ(m.state(t0 + 16s), MailboxState::recruiting);
    EXPECT_DOUBLE_EQ(m.load(t0 + 16s).msgs_per_sec, 0.0);
    EXPECT_EQ(m.register_client("a", client(1), home(1), t0 + 16s).result,
              RegisterResult::registered);
}

TEST(MailboxRegistration, LapsesExactlyAfterItsLifetimeUnlessRenewed) {
    Mailbox m({}, wall);
    const Duration life = m.params().registration_lifetime;
    ASSERT_EQ(m.adopt_topic("a", t0), AdoptResult::adopted);
    auto r1 = m.register_client("a", client(1), home(1), t0);
    ASSERT_EQ(r1.result, RegisterResult::registered);
    EXPECT_EQ(r1.expires_at, t0 + life);
    m.register_client("a", client(2), home(2), t0);
    m.register_client("a", client(2), home(2), t0 + 10min);  // renewed

    EXPECT_TRUE(m.expire(t0 + life - 1ns).empty());
    EXPECT_EQ(m.clients("a").size(), 2u);

    auto lapsed = m.expire(t0 + life);
    ASSERT_EQ(lapsed.size(), 1u);
    EXPECT_EQ(lapsed[0].topic, "a");
    EXPECT_EQ(lapsed[0].client, client(1));
    EXPECT_EQ(lapsed[0].home, home(1));
    EXPECT_EQ(lapsed[0].lapsed_at, t0 + life);
    ASSERT_EQ(m.clients("a").size(), 1u);
    EXPECT_EQ(m.clients("a")[0].client, client(2));

    EXPECT_TRUE(m.expire(t0 + 10min + life - 1ns).empty());
    EXPECT_EQ(m.expire(t0 + 10min + life).size(), 1u);
    EXPECT_EQ(m.counters().registrations_expired, 2u);
    EXPECT_EQ(m.load(t0 + 10min + life).registrations, 0u);
}

TEST(MailboxRegistration, LapseAppliedByAnotherCallIsStillReportedAndFreesBudget) {
    MailboxParams p;
    p.max_registrations = 1;
    Mailbox m(p, wall);
    ASSERT_EQ(m.adopt_topic("a", t0), AdoptResult::adopted);
    m.register_client("a", client(1), home(1), t0);
    // The driver is late: the lapse is applied by a registration, which takes the freed room.
    const TimePoint late = t0 + p.registration_lifetime + 5min;
    EXPECT_EQ(m.register_client("a", client(2), home(2), late).result, RegisterResult::registered);
    auto lapsed = m.expire(late + 1s);
    ASSERT_EQ(lapsed.size(), 1u);
    EXPECT_EQ(lapsed[0].client, client(1));
    EXPECT_EQ(lapsed[0].lapsed_at, t0 + p.registration_lifetime) << "its expiry, not when seen";
    EXPECT_TRUE(m.expire(late + 2s).empty()) << "reported once";
}

TEST(MailboxRegistration, TopicBudgetRefusesNewClientsOfThatTopicOnly) {
    MailboxParams p;
    p.max_registrations_per_topic = 2;
    Mailbox m(p, wall);
    for (const char* t : {"hot", "cold"}) ASSERT_EQ(m.adopt_topic(t, t0), AdoptResult::adopted);
    EXPECT_EQ(m.register_client("hot", client(1), home(1), t0).result, RegisterResult::registered);
    EXPECT_EQ(m.register_client("hot", client(2), home(2), t0).result, RegisterResult::registered);
    // The hot topic is at its budget: a third client must find another mailbox of it.
    EXPECT_EQ(m.register_client("hot", client(3), home(3), t0).result, RegisterResult::refused_full);
    EXPECT_EQ(m.counters().refused_topic_full, 1u);
    // Its registered clients renew, and other topics still take clients.
    EXPECT_EQ(m.register_client("hot", client(1), home(1), t0 + 1min).result, RegisterResult::renewed);
    EXPECT_EQ(m.register_client("cold", client(3), home(3), t0).result, RegisterResult::registered);
    EXPECT_NE(m.state(t0), MailboxState::full) << "a full topic does not make the mailbox full";
    // A lapse makes room again.
    const TimePoint later = t0 + p.registration_lifetime + 2min;
    m.register_client("hot", client(1), home(1), later - 1s);
    EXPECT_EQ(m.register_client("hot", client(3), home(3), later).result, RegisterResult::registered);
}

TEST(MailboxRegistration, ExpireOrdersByTimeThenTopicThenClient) {
    Mailbox m({}, wall);
    for (const char* t : {"b", "a"}) ASSERT_EQ(m.adopt_topic(t, t0), AdoptResult::adopted);
    m.register_client("b", client(2), home(2), t0);
    m.register_client("b", client(1), home(1), t0);
    m.register_client("a", client(3), home(3), t0);
    m.register_client("a", client(4), home(4), t0 - 1s);  // clamped: time never runs back
    m.register_client("a", client(5), home(5), t0 - 2s);
    m.register_client("a", client(0), home(0), t0 + 1s);
    auto lapsed = m.expire(t0 + 1h);
    ASSERT_EQ(lapsed.size(), 6u);
    std::vector<std::pair<std::string, ClientId>> got;
    for (auto& l : lapsed) got.emplace_back(l.topic, l.client);
    std::vector<std::pair<std::string, ClientId>> want = {
        {"a", client(3)}, {"a", client(4)}, {"a", client(5)},
        {"b", client(1)}, {"b", client(2)}, {"a", client(0)}};
    EXPECT_EQ(got, want);
}

TEST(MailboxEvaporation, IdleTopicHandsOffEventsAndLinksAndIsNoLongerHeld) {
    Mailbox m({}, wall);
    const Duration idle = m.params().idle_period;
    ASSERT_EQ(m.adopt_topic("a", t0), AdoptResult::adopted);
    ASSERT_EQ(m.adopt_topic("b", t0 + 20min), AdoptResult::adopted);
    ASSERT_EQ(m.link("a", mailbox_ref(7)), LinkResult::linked);
    ASSERT_EQ(m.link("a", mailbox_ref(3)), LinkResult::linked);
    std::vector<wire::EventId> stored;
    for (std::uint64_t s = 1; s <= 3; ++s) {
        auto e = make_event("a", s, t0 + s * 1min);
        ASSERT_EQ(m.store_event(e, t0 + s * 1min), StoreResult::stored);
        stored.push_back(e.id);
    }

    EXPECT_TRUE(m.evaporate_idle(t0 + idle - 1ns).empty());
    EXPECT_TRUE(m.holds("a"));
    auto ev = m.evaporate_idle(t0 + idle);
    ASSERT_EQ(ev.size(), 1u) << "b was adopted later and is not idle yet";
    EXPECT_EQ(ev[0].topic, "a");
    EXPECT_EQ(ev[0].reason, EvaporationReason::idle);
    EXPECT_TRUE(ev[0].clients.empty());
    ASSERT_EQ(ev[0].links.size(), 2u);
    EXPECT_EQ(ev[0].links[0], mailbox_ref(3)) << "ordered by node id";
    EXPECT_EQ(ev[0].links[1], mailbox_ref(7));
    ASSERT_EQ(ev[0].events.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(ev[0].events[i].id, stored[i]);

    EXPECT_FALSE(m.holds("a"));
    EXPECT_TRUE(m.ids("a").empty());
    EXPECT_TRUE(m.links("a").empty());
    EXPECT_EQ(m.load(t0 + idle).stored_bytes, 0u);
    EXPECT_EQ(m.store_event(make_event("a", 9, t0 + idle), t0 + idle), StoreResult::not_held);
    EXPECT_EQ(m.counters().events_handed_off, 3u);
    EXPECT_EQ(m.counters().topics_evaporated_idle, 1u);
    EXPECT_EQ(m.topics(), (std::vector<std::string>{"b"}));
}

TEST(MailboxEvaporation, PollKeepsTopicAlive) {
    Mailbox m({}, wall);
    ASSERT_EQ(m.adopt_topic("a", t0), AdoptResult::adopted);
    EXPECT_TRUE(m.note_poll("a", t0 + 20min));
    EXPECT_FALSE(m.note_poll("zz", t0 + 20min));
    EXPECT_TRUE(m.evaporate_idle(t0 + 30min).empty());
    EXPECT_TRUE(m.evaporate_idle(t0 + 50min - 1ns).empty());
    EXPECT_EQ(m.evaporate_idle(t0 + 50min).size(), 1u);
}

TEST(MailboxEvaporation, RegisteredClientKeepsTopicAliveAndIsToldAfterLapsing) {
    Mailbox m({}, wall);  // idle 30 min, lifetime 30 min
    ASSERT_EQ(m.adopt_topic("a", t0), AdoptResult::adopted);
    m.register_client("a", client(1), home(1), t0);
    m.register_client("a", client(1), home(1), t0 + 25min);
    m.register_client("a", client(1), home(1), t0 + 50min);
    EXPECT_TRUE(m.evaporate_idle(t0 + 70min).empty()) << "no poll for 70 min, but registered";

    // The client stops renewing: its registration lapses at 80 min, the topic goes idle then.
    EXPECT_TRUE(m.evaporate_idle(t0 + 110min - 1ns).empty());
    auto ev = m.evaporate_idle(t0 + 110min);
    ASSERT_EQ(ev.size(), 1u);
    ASSERT_EQ(ev[0].clients.size(), 1u);
    EXPECT_EQ(ev[0].clients[0].client, client(1));
    EXPECT_EQ(ev[0].clients[0].home, home(1));
    EXPECT_TRUE(ev[0].clients[0].lapsed);
}

TEST(MailboxEvaporation, OnlyRecentlyLapsedClientsAreToldAndReRegisteredOnesAreNot) {
    MailboxParams p;
    p.lapsed_memory = 1h;
    Mailbox m(p, wall);  // idle 30 min, lifetime 30 min
    ASSERT_EQ(m.adopt_topic("a", t0), AdoptResult::adopted);
    m.register_client("a", client(1), home(1), t0);  // lapses at 30 min, long forgotten later
    m.register_client("a", client(3), home(3), t0);  // lapses at 30 min, then comes back
    for (auto at : {t0, t0 + 25min}) m.register_client("a", client(2), home(2), at);
    EXPECT_EQ(m.register_client("a", client(3), home(3), t0 + 40min).result,
              RegisterResult::registered);
    m.unregister_client("a", client(3), t0 + 41min);
    for (auto at : {t0 + 50min, t0 + 75min, t0 + 100min})
        m.register_client("a", client(2), home(2), at);  // lapses at 130 min

    auto ev = m.evaporate_idle(t0 + 160min);
    ASSERT_EQ(ev.size(), 1u);
    ASSERT_EQ(ev[0].clients.size(), 1u);
    EXPECT_EQ(ev[0].clients[0].client, client(2));
    EXPECT_TRUE(ev[0].clients[0].lapsed);
    EXPECT_EQ(m.counters().lapsed_forgotten, 1u) << "client 1 lapsed more than an hour before";
}

TEST(MailboxEvaporation, UnregisteringTheLastClientStartsTheIdlePeriod) {
    Mailbox m({}, wall);
    ASSERT_EQ(m.adopt_topic("a", t0), AdoptResult::adopted);
    m.register_client("a", client(1), home(1), t0);
    ASSERT_TRUE(m.unregister_client("a", client(1), t0 + 20min));
    EXPECT_TRUE(m.evaporate_idle(t0 + 50min - 1ns).empty());
    auto ev = m.evaporate_idle(t0 + 50min);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_TRUE(ev[0].clients.empty()) << "a client that left is not told";
}

TEST(MailboxEvaporation, ShutdownHandsOffEverythingIncludingRegisteredClients) {
    Mailbox m({}, wall);
    ASSERT_EQ(m.adopt_topic("a", t0), AdoptResult::adopted);
    m.register_client("a", client(2), home(2), t0);
    m.register_client("a", client(1), home(1), t0);
    m.link("a", mailbox_ref(5));
    ASSERT_EQ(m.store_event(make_event("a", 1), t0), StoreResult::stored);

    auto ev = m.evaporate("a", t0 + 1min);
    ASSERT_TRUE(ev.has_value());
    EXPECT_EQ(ev->reason, EvaporationReason::shutdown);
    ASSERT_EQ(ev->clients.size(), 2u);
    EXPECT_EQ(ev->clients[0].client, client(1));
    EXPECT_FALSE(ev->clients[0].lapsed);
    EXPECT_EQ(ev->clients[1].client, client(2));
    EXPECT_EQ(ev->links, std::vector<MailboxRef>{mailbox_ref(5)});
    EXPECT_EQ(ev->events.size(), 1u);
    EXPECT_FALSE(m.evaporate("a", t0 + 1min).has_value());
    EXPECT_EQ(m.load(t0 + 1min).registrations, 0u) << "its registrations no longer count";
    EXPECT_EQ(m.state(t0 + 1min), MailboxState::inactive);
}

TEST(MailboxLinks, BoundedOrderedAndRefreshed) {
    MailboxParams p;
    p.max_links_per_topic = 2;
    Mailbox m(p, wall);
    EXPECT_EQ(m.link("a", mailbox_ref(1)), LinkResult::not_held);
    ASSERT_EQ(m.adopt_topic("a", t0), AdoptResult::adopted);
    EXPECT_EQ(m.link("a", mailbox_ref(3)), LinkResult::linked);
    EXPECT_EQ(m.link("a", mailbox_ref(1)), LinkResult::linked);
    MailboxRef moved{node(1), home(55)};
    EXPECT_EQ(m.link("a", moved), LinkResult::already_linked);
    EXPECT_EQ(m.link("a", mailbox_ref(2)), LinkResult::refused_full);
    EXPECT_EQ(m.counters().links_refused, 1u);
    EXPECT_EQ(m.links("a"), (std::vector<MailboxRef>{moved, mailbox_ref(3)}));
    EXPECT_TRUE(m.unlink("a", node(3)));
    EXPECT_FALSE(m.unlink("a", node(3)));
    EXPECT_EQ(m.link("a", mailbox_ref(2)), LinkResult::linked);
}

TEST(MailboxWakeup, EarliestOfLapseIdleAndEventDrop) {
    Mailbox m({}, wall);  // idle 30 min, lifetime 30 min
    EXPECT_EQ(m.next_wakeup(), TimePoint::max());
    ASSERT_EQ(m.adopt_topic("a", t0), AdoptResult::adopted);
    EXPECT_EQ(m.next_wakeup(), t0 + 30min) << "idle evaporation";

    m.register_client("a", client(1), home(1), t0 + 1min);
    EXPECT_EQ(m.next_wakeup(), t0 + 31min) << "registration expiry; a registered topic is not idle";

    ASSERT_EQ(m.store_event(make_event("a", 1, t0, 5min), t0 + 2min), StoreResult::stored);
    EXPECT_EQ(m.next_wakeup(), t0 + 5min) << "the event's own expiry";

    m.expire(t0 + 5min);
    EXPECT_TRUE(m.ids("a").empty());
    EXPECT_EQ(m.counters().dropped_by_expiry, 1u);
    EXPECT_EQ(m.next_wakeup(), t0 + 31min);

    EXPECT_EQ(m.expire(t0 + 31min).size(), 1u);
    EXPECT_EQ(m.next_wakeup(), t0 + 61min) << "idle period counted from the lapse";
    EXPECT_TRUE(m.evaporate_idle(t0 + 61min - 1ns).empty());
    EXPECT_EQ(m.evaporate_idle(t0 + 61min).size(), 1u);
    EXPECT_EQ(m.next_wakeup(), TimePoint::max());
}

TEST(MailboxWakeup, DrivingOnlyAtWakeupsReproducesEveryLapse) {
    // A driver that sleeps until next_wakeup() and then calls expire() and evaporate_idle()
    // sees every lapse at its exact time, and every idle topic go at its exact time.
    Mailbox m({}, wall);
    std::vector<std::pair<TimePoint, std::string>> log;
    auto run_until = [&](TimePoint until) {
        for (int guard = 0; guard < 20 && m.next_wakeup() != TimePoint::max() &&
                            m.next_wakeup() <= until;
             ++guard) {
            const TimePoint w = m.next_wakeup();
            for (auto& l : m.expire(w)) log.emplace_back(l.lapsed_at, "lapse " + l.topic);
            for (auto& e : m.evaporate_idle(w)) log.emplace_back(w, "evaporate " + e.topic);
        }
    };
    ASSERT_EQ(m.adopt_topic("a", t0), AdoptResult::adopted);
    ASSERT_EQ(m.adopt_topic("b", t0), AdoptResult::adopted);
    run_until(t0 + 1min);
    m.register_client("a", client(1), home(1), t0 + 1min);
    run_until(t0 + 2min);
    m.register_client("b", client(2), home(2), t0 + 2min);
    run_until(t0 + 40min);
    m.note_poll("b", t0 + 40min);
    run_until(TimePoint::max());
    std::vector<std::pair<TimePoint, std::string>> want = {
        {t0 + 31min, "lapse a"}, {t0 + 32min, "lapse b"},
        {t0 + 61min, "evaporate a"}, {t0 + 70min, "evaporate b"}};
    EXPECT_EQ(log, want);
}

}  // namespace
}  // namespace elmo::mailbox
