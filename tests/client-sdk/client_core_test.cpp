// The client core's subscriptions: what goes out on connect, registration and its renewal,
// failed subscriptions, lost mailboxes, unsubscribing, and the bounds.
#include "tests/client-sdk/fixtures.hpp"

namespace elmo::client_test {
namespace {

TEST(ClientCore, HelloFirstThenOneSubscribePerTopicOnConnect) {
    Harness h;
    h.core.subscribe(h.now, "news");
    h.core.subscribe(h.now, "chat");
    EXPECT_TRUE(h.transport.sent.empty()) << "nothing is sent before a connection";
    h.core.start(h.now);
    ASSERT_EQ(h.transport.connects.size(), 1u);
    EXPECT_TRUE(h.transport.sent.empty()) << "nothing is sent before the connect completes";
    h.core.on_connected(h.now);
    EXPECT_TRUE(h.core.connected());
    EXPECT_EQ(h.core.home(), h.transport.connects[0]);
    ASSERT_EQ(h.transport.sent.size(), 3u);
    // The home refuses subscriptions from a session that has not said who it is.
    ASSERT_TRUE(std::holds_alternative<wire::ClientHello>(h.transport.sent[0]));
    EXPECT_EQ(std::get<wire::ClientHello>(h.transport.sent[0]).client_id, client_id);
    auto subs = h.transport.sent_of<wire::Subscribe>();
    ASSERT_EQ(subs.size(), 2u);
    EXPECT_NE(subs[0].request_id, subs[1].request_id);
    EXPECT_TRUE(subs[0].preferred.empty()) << "a first subscription knows no mailbox";
    EXPECT_EQ(h.core.stats().frames_out, 3u);
    EXPECT_EQ(h.core.stats().exchanges_started, 1u) << "one burst is one radio wake-up";
}

TEST(ClientCore, SubscribeWhileConnectedGoesOutAtOnceAndOnlyOnce) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "news");
    h.core.subscribe(h.now, "news");
    EXPECT_EQ(h.subscribes_for("news"), 1u);
    EXPECT_EQ(h.core.topics().size(), 1u);
}

TEST(ClientCore, RegisteredResultRecordsMailboxExpiryAndOthers) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "news");
    h.grant("news", mbx(1), {mbx(2), mbx(3)}, 1800);
    const auto& t = h.topic("news");
    EXPECT_TRUE(t.registered);
    EXPECT_EQ(t.mailbox, mbx(1));
    EXPECT_EQ(t.expires, h.now + 1800s);
    EXPECT_EQ(ids(t.known_mailboxes), ids({mbx(2), mbx(3)}));
    EXPECT_EQ(t.pending_request, 0u);
    EXPECT_EQ(h.core.stats().subscribe_ok, 1u);
    // The mailboxes' nodes become failover candidates.
    EXPECT_TRUE(h.core.nodes().contains(mbx(1).endpoint.to_endpoint()));
    EXPECT_TRUE(h.core.nodes().contains(mbx(3).endpoint.to_endpoint()));
}

TEST(ClientCore, RenewsAtAboutHalfTheLifetimeWithTheCurrentMailboxFirst) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "news");
    h.grant("news", mbx(1), {mbx(2)}, 1800);
    TimePoint granted = h.now;
    h.transport.clear();
    h.run_until_subscribe("news");
    EXPECT_GE(h.now - granted, Duration(900s)) << "half of 1800 s, stretched by up to 20%";
    EXPECT_LE(h.now - granted, Duration(1080s));
    auto subs = h.transport.sent_of<wire::Subscribe>();
    // Nothing else was sent meanwhile but the topic's periodic poll, in the same wake-up.
    ASSERT_EQ(h.transport.sent.size(), 2u);
    ASSERT_EQ(h.transport.sent_of<wire::Poll>().size(), 1u);
    ASSERT_EQ(subs.size(), 1u);
    EXPECT_EQ(ids(subs[0].preferred), ids({mbx(1), mbx(2)}));
    EXPECT_EQ(h.core.stats().renewals_sent, 1u);
    EXPECT_TRUE(h.topic("news").registered) << "still registered while the renewal is out";
    h.grant("news", mbx(1), {}, 1800);
    EXPECT_EQ(h.topic("news").expires, h.now + 1800s);
}

TEST(ClientCore, RenewalLandingOnAnotherMailboxReplacesTheOld) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "news");
    h.grant("news", mbx(1));
    h.run_until_subscribe("news");
    h.grant("news", mbx(2));
    const auto& t = h.topic("news");
    EXPECT_EQ(t.mailbox, mbx(2));
    EXPECT_EQ(ids(t.known_mailboxes), ids({mbx(1)})) << "the old one stays known, last";
    EXPECT_EQ(h.core.stats().mailbox_changes, 1u);
    h.run_until_subscribe("news");
    EXPECT_EQ(h.last_subscribe("news").preferred.front(), mbx(2));
}

TEST(ClientCore, BackgroundCostIsAtMostFourExchangesPerHourWithManyTopics) {
    // Topics registered at scattered times still renew together: the battery pays for wake-ups.
    for (std::uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
        Harness h({}, {node_ep(1)}, seed);
        h.connect();
        for (int i = 0; i < 6; ++i) {
            std::string topic = "t" + std::to_string(i);
            h.core.subscribe(h.now, topic);
            h.grant(topic, mbx(i + 1));
            h.run_granting(h.now + 170s);
        }
        // A healthy home answers every renewal at once, for three hours.
        h.run_granting(h.now + 1h);
        std::uint64_t at_hour_1 = h.core.stats().exchanges_started;
        h.run_granting(h.now + 2h);
        double per_hour = static_cast<double>(h.core.stats().exchanges_started - at_hour_1) / 2.0;
        EXPECT_LE(per_hour, 4.0) << "seed " << seed;
        EXPECT_GE(per_hour, 3.0) << "seed " << seed;
        for (const auto& [name, t] : h.core.topics()) EXPECT_TRUE(t.registered) << name;
        EXPECT_EQ(h.core.stats().registrations_lapsed, 0u);
    }
}

TEST(ClientCore, FailedSubscriptionRetriesWithGrowingBackoff) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "news");
    // Expected delays: 5 s doubling to 120 s, each drawn from [d/2, d].
    const double max_s[] = {5, 10, 20, 40, 80, 120, 120};
    for (double hi : max_s) {
        h.refuse("news");
        EXPECT_FALSE(h.topic("news").registered);
        TimePoint failed_at = h.now;
        std::size_t before = h.subscribes_for("news");
        TimePoint next = h.core.next_wakeup();
        Duration delay = next - failed_at;
        EXPECT_GE(delay, std::chrono::duration_cast<Duration>(hi * 0.5 * 1s));
        EXPECT_LE(delay, std::chrono::duration_cast<Duration>(hi * 1s));
        h.run_until(next - 1ms);
        EXPECT_EQ(h.subscribes_for("news"), before) << "no retry before the backoff";
        h.run_until(next);
        EXPECT_EQ(h.subscribes_for("news"), before + 1);
    }
    EXPECT_EQ(h.core.stats().subscribe_failed, 7u);
    // Success resets the backoff: the next failure waits 5 s at most again.
    h.grant("news", mbx(1));
    h.run_until_subscribe("news");
    h.refuse("news");
    EXPECT_LE(h.core.next_wakeup() - h.now, Duration(5s));
    EXPECT_TRUE(h.topic("news").registered) << "a failed renewal keeps the registration held";
}

TEST(ClientCore, RegistrationLapsesWhenEveryRenewalFails) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "news");
    h.grant("news", mbx(1), {}, 1800);
    TimePoint expires = h.topic("news").expires;
    for (int i = 0; i < 200 && h.now < expires + 1s; ++i) {
        h.run_until(std::min(h.core.next_wakeup(), expires + 1s));
        if (h.topic("news").pending_request != 0) h.refuse("news");
    }
    EXPECT_FALSE(h.topic("news").registered);
    EXPECT_EQ(h.topic("news").mailbox, mbx(1)) << "still the first one to try";
    EXPECT_EQ(h.core.stats().registrations_lapsed, 1u);
}

TEST(ClientCore, MailboxLostResubscribesAtOnceWithSuccessorsFirst) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "news");
    h.grant("news", mbx(1), {mbx(2), mbx(3)});
    h.run_for(10s);
    h.transport.clear();
    h.deliver(wire::MailboxLost{"news", mbx(1), {mbx(4), mbx(5)}});
    EXPECT_FALSE(h.topic("news").registered);
    auto subs = h.transport.sent_of<wire::Subscribe>();
    ASSERT_EQ(subs.size(), 1u) << "re-registration does not wait for a timer";
    EXPECT_EQ(ids(subs[0].preferred), ids({mbx(4), mbx(5), mbx(2), mbx(3)}));
    EXPECT_EQ(h.core.stats().mailbox_lost_current, 1u);
    h.grant("news", mbx(4));
    EXPECT_TRUE(h.topic("news").registered);
    EXPECT_EQ(h.topic("news").mailbox, mbx(4));
    for (const auto& m : h.topic("news").known_mailboxes) EXPECT_NE(m.id, mbx(1).id);
}

TEST(ClientCore, MailboxLostForAnotherMailboxOnlyForgetsIt) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "news");
    h.grant("news", mbx(1), {mbx(2), mbx(3)});
    h.transport.clear();
    h.deliver(wire::MailboxLost{"news", mbx(2), {}});
    EXPECT_TRUE(h.transport.sent.empty());
    EXPECT_TRUE(h.topic("news").registered);
    EXPECT_EQ(ids(h.topic("news").known_mailboxes), ids({mbx(3)}));
    h.deliver(wire::MailboxLost{"other-topic", mbx(1), {}});  // not ours: ignored
    EXPECT_TRUE(h.topic("news").registered);
}

TEST(ClientCore, UnsubscribeTellsTheHomeAndStopsRenewing) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "news");
    h.grant("news", mbx(1));
    h.core.unsubscribe(h.now, "news");
    auto u = h.transport.last<wire::Unsubscribe>();
    EXPECT_EQ(u.topic, "news");
    ASSERT_EQ(u.mailboxes.size(), 1u);
    EXPECT_EQ(u.mailboxes[0], mbx(1));
    EXPECT_FALSE(h.core.subscribed("news"));
    h.transport.clear();
    h.run_for(24h);
    EXPECT_TRUE(h.transport.sent.empty()) << "no renewal of a topic given up";
    EXPECT_EQ(h.core.next_wakeup(), TimePoint::max());
}

TEST(ClientCore, UnsubscribeWithARequestOutUndoesTheRegistrationItBrings) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "news");
    wire::Subscribe s = h.last_subscribe("news");
    h.core.unsubscribe(h.now, "news");
    EXPECT_TRUE(h.transport.sent_of<wire::Unsubscribe>().empty()) << "not registered anywhere yet";
    h.deliver(wire::SubscribeResult{s.request_id, "news", wire::SubscribeStatus::registered,
                                    mbx(7), 1800, {}});
    auto u = h.transport.last<wire::Unsubscribe>();
    ASSERT_EQ(u.mailboxes.size(), 1u);
    EXPECT_EQ(u.mailboxes[0], mbx(7));
    EXPECT_FALSE(h.core.subscribed("news"));
}

TEST(ClientCore, UnsubscribeOfflineSendsNothing) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "news");
    h.grant("news", mbx(1));
    h.core.on_disconnected(h.now);
    h.transport.clear();
    h.core.unsubscribe(h.now, "news");
    EXPECT_TRUE(h.transport.sent.empty()) << "the registration lapses by itself";
    EXPECT_TRUE(h.core.topics().empty());
}

TEST(ClientCore, TopicsAreBoundedAndValidated) {
    ClientParams p;
    p.max_topics = 3;
    Harness h(p);
    for (int i = 0; i < 5; ++i) h.core.subscribe(h.now, "t" + std::to_string(i));
    h.core.subscribe(h.now, "");
    h.core.subscribe(h.now, std::string("bad\ntopic"));
    h.core.subscribe(h.now, std::string(300, 'x'));
    EXPECT_EQ(h.core.topics().size(), 3u);
    EXPECT_EQ(h.core.stats().topics_refused, 5u);
}

TEST(ClientCore, KnownMailboxesAndPreferredListAreBounded) {
    Harness h;
    h.connect();
    h.core.subscribe(h.now, "news");
    std::vector<wire::NodeAddr> many;
    for (int i = 2; i < 18; ++i) many.push_back(mbx(i));
    h.grant("news", mbx(1), many);
    EXPECT_EQ(h.topic("news").known_mailboxes.size(), h.core.params().mailboxes_per_topic);
    EXPECT_EQ(h.topic("news").known_mailboxes.front(), mbx(2)) << "the home's order is kept";
    EXPECT_LE(h.core.nodes().size(), h.core.params().max_known_nodes);
    h.run_until_subscribe("news");
    EXPECT_EQ(h.last_subscribe("news").preferred.size(), h.core.params().max_preferred);
}

TEST(ClientCore, InFlightRequestsAreCapped) {
    ClientParams p;
    p.max_in_flight = 4;
    Harness h(p);
    for (int i = 0; i < 10; ++i) h.core.subscribe(h.now, "t" + std::to_string(i));
    h.connect();
    EXPECT_EQ(h.transport.sent_of<wire::Subscribe>().size(), 4u);
    EXPECT_GT(h.core.next_wakeup(), h.now) << "waiting for a slot is not a wake-up";
    h.grant("t0", mbx(1));
    EXPECT_EQ(h.transport.sent_of<wire::Subscribe>().size(), 5u) << "an answer frees a slot";
    for (int round = 0; round < 10; ++round)
        for (const auto& [name, t] : h.core.topics())
            if (t.pending_request != 0) h.grant(name, mbx(1));
    for (const auto& [name, t] : h.core.topics()) EXPECT_TRUE(t.registered) << name;
}

TEST(ClientCore, InvalidClientIdNeverConnects) {
    FakeTransport transport;
    ClientCore core({}, Bytes{}, {node_ep(1)}, transport, 1);
    EXPECT_EQ(core.start(t0), TimePoint::max());
    EXPECT_TRUE(transport.connects.empty());
    EXPECT_FALSE(ClientCore::valid_client_id(Bytes(33, 1)));
    EXPECT_TRUE(ClientCore::valid_client_id(client_id));
}

}  // namespace
}  // namespace elmo::client_test
