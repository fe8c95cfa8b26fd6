// The client core's publications: building events, the outbox and its retries, refusals, the
// mailboxes learned from answers, and what the app is told.
#include "tests/client-sdk/fixtures.hpp"

namespace elmo::client_test {
namespace {

using Outcome = ClientCore::PublishOutcome;

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

// A harness that records what the publish handler is told.
struct PublishHarness : Harness {
    explicit PublishHarness(ClientParams p = {}) : Harness(p) {
        core.set_publish_handler([this](TimePoint, const wire::EventId& id, Outcome o) {
            outcomes.emplace_back(id, o);
        });
    }
    wire::EventId publish(const std::string& topic, const std::string& payload = "hi") {
        auto r = core.publish(now, topic, bytes_of(payload));
        EXPECT_TRUE(r.ok());
        return r.ok() ? *r : wire::EventId{};
    }
    // The latest Publish (not a hand-in) of event `id`.
    wire::Publish last_publish(const wire::EventId& id) const {
        wire::Publish found;
        for (const auto& p : transport.sent_of<wire::Publish>())
            if (p.event.id == id && !p.hand_in) found = p;
        EXPECT_NE(found.request_id, 0u) << "no Publish of that event";
        return found;
    }
    std::size_t publishes_of(const wire::EventId& id) const {
        std::size_t n = 0;
        for (const auto& p : transport.sent_of<wire::Publish>())
            n += p.event.id == id && !p.hand_in;
        return n;
    }
    void answer(std::uint64_t request_id, const wire::EventId& id, wire::PublishStatus status,
                const wire::NodeAddr& mailbox = mbx(1), std::vector<wire::NodeAddr> others = {}) {
        deliver(wire::PublishResult{request_id, id, status, mailbox, std::move(others)});
    }
    void accept(const wire::EventId& id, const wire::NodeAddr& mailbox = mbx(1),
                std::vector<wire::NodeAddr> others = {}) {
        answer(last_publish(id).request_id, id, wire::PublishStatus::accepted, mailbox,
               std::move(others));
    }
    std::vector<std::pair<wire::EventId, Outcome>> outcomes;
};

TEST(ClientPublish, BuildsASealedEventAndSendsItAtOnceWithTheTopicsMailboxesFirst) {
    PublishHarness h;
    h.core.set_wall_clock(1'700'000'000'000, t0);
    h.connect();
    h.core.subscribe(h.now, "news");
    h.grant("news", mbx(1), {mbx(2)});
    h.now += 5s;
    wire::EventId id = h.publish("news", "payload");
    EXPECT_EQ(h.core.outbox_size(), 1u);
    wire::Publish p = h.last_publish(id);
    EXPECT_FALSE(p.hand_in);
    EXPECT_EQ(p.event.topic, "news");
    EXPECT_EQ(p.event.publisher, client_id);
    EXPECT_EQ(p.event.seq, 1u);
    EXPECT_EQ(p.event.timestamp_ms, 1'700'000'005'000) << "wall time of `now`";
    EXPECT_EQ(p.event.expiry_ms, p.event.timestamp_ms + 24 * 3600 * 1000);
    EXPECT_EQ(p.event.payload, bytes_of("payload"));
    EXPECT_EQ(p.event.content_id(), id);
    EXPECT_EQ(ids(p.preferred), ids({mbx(1), mbx(2)}));
    h.publish("news");
    h.publish("news");
    EXPECT_EQ(h.transport.sent_of<wire::Publish>().back().event.seq, 3u) << "one seq each";
    EXPECT_EQ(h.core.stats().publishes_sent, 3u);
}

TEST(ClientPublish, RefusesInvalidTopicsAndOversizedPayloads) {
    PublishHarness h;
    h.connect();
    auto bad_topic = h.core.publish(h.now, "bad\ntopic", bytes_of("x"));
    ASSERT_FALSE(bad_topic.ok());
    EXPECT_EQ(bad_topic.error(), ClientCore::PublishError::invalid_topic);
    auto big = h.core.publish(h.now, "news", Bytes(wire::limits::max_payload_bytes + 1, 7));
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.error(), ClientCore::PublishError::payload_too_large);
    EXPECT_EQ(h.core.outbox_size(), 0u);
    EXPECT_TRUE(h.core.publish(h.now, "news", Bytes(wire::limits::max_payload_bytes, 7)).ok());
    EXPECT_EQ(h.core.next_seq(), 2u) << "a refused publication uses no sequence number";
}

TEST(ClientPublish, UnansweredPublishIsRetriedUntilAcceptedAndTheAppToldOnce) {
    PublishHarness h;
    h.connect();
    wire::EventId id = h.publish("news");
    wire::Publish first = h.last_publish(id);
    h.run_for(14s);
    EXPECT_EQ(h.publishes_of(id), 1u);
    h.run_for(1s);
    EXPECT_EQ(h.core.stats().request_timeouts, 1u);
    h.run_for(5s);
    ASSERT_EQ(h.publishes_of(id), 2u) << "retried after a backoff of at most 5 s";
    EXPECT_EQ(h.core.stats().publish_retries, 1u);
    wire::Publish second = h.last_publish(id);
    EXPECT_NE(second.request_id, first.request_id);
    EXPECT_EQ(second.event, first.event) << "the same event: same id, never re-stamped";
    // The first request's answer arrives late: the event is safe all the same.
    h.answer(first.request_id, id, wire::PublishStatus::accepted);
    EXPECT_EQ(h.core.outbox_size(), 0u);
    ASSERT_EQ(h.outcomes.size(), 1u);
    EXPECT_EQ(h.outcomes[0], std::pair(id, Outcome::accepted));
    h.answer(second.request_id, id, wire::PublishStatus::accepted);
    EXPECT_EQ(h.outcomes.size(), 1u) << "told once";
    EXPECT_EQ(h.core.stats().publishes_accepted, 1u);
    EXPECT_EQ(h.core.stats().stale_results, 1u);
    h.run_for(1h);
    EXPECT_EQ(h.publishes_of(id), 2u) << "no retry after acceptance";
    EXPECT_NE(h.core.own_history().find(id), nullptr) << "kept to hand in if wanted";
}

TEST(ClientPublish, FailedResultIsRetriedWithGrowingBackoff) {
    PublishHarness h;
    h.connect();
    wire::EventId id = h.publish("news");
    const double max_s[] = {5, 10, 20, 40};
    for (double hi : max_s) {
        std::size_t before = h.publishes_of(id);
        h.answer(h.last_publish(id).request_id, id, wire::PublishStatus::failed,
                 failed_placeholder());
        Duration delay = h.core.next_wakeup() - h.now;
        EXPECT_GE(delay, std::chrono::duration_cast<Duration>(hi * 0.5 * 1s));
        EXPECT_LE(delay, std::chrono::duration_cast<Duration>(hi * 1s));
        h.run_until(h.core.next_wakeup());
        EXPECT_EQ(h.publishes_of(id), before + 1);
    }
    EXPECT_EQ(h.core.stats().publish_failed, 4u);
    EXPECT_TRUE(h.outcomes.empty());
    h.accept(id);
    EXPECT_EQ(h.core.outbox_size(), 0u);
}

TEST(ClientPublish, AnAcceptedPublicationEndsTheBackoffOfItsTopicsOthers) {
    // The topic's mailbox died: two publications failed and wait out their backoff. The next
    // one is accepted (the home found a live mailbox): the waiting ones go now, not 5-20 s later.
    PublishHarness h;
    h.connect();
    wire::EventId a = h.publish("news"), b = h.publish("news"), other = h.publish("sport");
    for (auto id : {a, b, other})
        h.answer(h.last_publish(id).request_id, id, wire::PublishStatus::failed,
                 failed_placeholder());
    ASSERT_GE(h.core.next_wakeup() - h.now, std::chrono::duration_cast<Duration>(2.5s));
    wire::EventId c = h.publish("news");
    h.accept(c);
    EXPECT_EQ(h.publishes_of(a), 2u);
    EXPECT_EQ(h.publishes_of(b), 2u);
    EXPECT_EQ(h.publishes_of(other), 1u) << "another topic's backoff is not this mailbox's";
    EXPECT_EQ(h.core.stats().publications_woken, 2u);
    h.accept(a);
    h.accept(b);
    EXPECT_EQ(h.core.outbox_size(), 1u);
}

TEST(ClientPublish, OutboxSurvivesDisconnectionAndIsResentOnEveryConnection) {
    PublishHarness h;
    wire::EventId offline = h.publish("news");
    EXPECT_TRUE(h.transport.sent.empty()) << "offline: only queued";
    h.connect();
    ASSERT_TRUE(std::holds_alternative<wire::ClientHello>(h.transport.sent.at(0)));
    EXPECT_EQ(h.publishes_of(offline), 1u) << "sent as soon as connected";
    wire::EventId second = h.publish("news");
    h.core.on_disconnected(h.now);  // both in flight, unanswered
    EXPECT_EQ(h.core.outbox_size(), 2u);
    h.run_until(h.core.next_wakeup());
    h.core.on_connected(h.now);
    EXPECT_EQ(h.publishes_of(offline), 2u);
    EXPECT_EQ(h.publishes_of(second), 2u);
    auto pubs = h.transport.sent_of<wire::Publish>();
    EXPECT_EQ(pubs[pubs.size() - 2].event.id, offline) << "in publication order";
    h.accept(second);
    h.accept(offline);
    EXPECT_EQ(h.core.outbox_size(), 0u);
    EXPECT_EQ(h.outcomes.size(), 2u);
}

TEST(ClientPublish, FullOutboxRefusesNewPublicationsAndDropsNone) {
    ClientParams p;
    p.max_outbox = 3;
    PublishHarness h(p);
    std::vector<wire::EventId> queued;
    for (int i = 0; i < 3; ++i) queued.push_back(h.publish("news"));
    auto refused = h.core.publish(h.now, "news", bytes_of("one too many"));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error(), ClientCore::PublishError::outbox_full);
    EXPECT_EQ(h.core.stats().outbox_refused, 1u);
    EXPECT_EQ(h.core.outbox_size(), 3u);
    h.connect();
    for (const auto& id : queued) EXPECT_EQ(h.publishes_of(id), 1u) << "every queued one goes";
    h.accept(queued[1]);
    EXPECT_TRUE(h.core.publish(h.now, "news", bytes_of("room again")).ok());
    EXPECT_EQ(h.core.outbox_size(), 3u);
}

TEST(ClientPublish, InvalidResultDropsTheEventAndTellsTheApp) {
    PublishHarness h;
    h.connect();
    wire::EventId id = h.publish("news");
    wire::EventId other = h.publish("news");
    // An `invalid` answering a request no longer current is not believed.
    h.answer(12345, id, wire::PublishStatus::invalid, failed_placeholder());
    EXPECT_EQ(h.core.outbox_size(), 2u);
    h.answer(h.last_publish(id).request_id, id, wire::PublishStatus::invalid, failed_placeholder());
    EXPECT_EQ(h.core.outbox_size(), 1u);
    ASSERT_EQ(h.outcomes.size(), 1u);
    EXPECT_EQ(h.outcomes[0], std::pair(id, Outcome::failed_invalid));
    EXPECT_EQ(h.core.stats().publish_failed_invalid, 1u);
    EXPECT_EQ(h.core.own_history().find(id), nullptr);
    h.run_for(1h);
    EXPECT_EQ(h.publishes_of(id), 1u) << "never retried";
    EXPECT_GE(h.publishes_of(other), 2u) << "the other one still is";
}

TEST(ClientPublish, PublishesInFlightAreCapped) {
    ClientParams p;
    p.max_publish_in_flight = 2;
    PublishHarness h(p);
    h.connect();
    std::vector<wire::EventId> all;
    for (int i = 0; i < 5; ++i) all.push_back(h.publish("news"));
    EXPECT_EQ(h.transport.sent_of<wire::Publish>().size(), 2u);
    EXPECT_GT(h.core.next_wakeup(), h.now) << "waiting for a slot is not a wake-up";
    h.accept(all[0]);
    auto pubs = h.transport.sent_of<wire::Publish>();
    ASSERT_EQ(pubs.size(), 3u) << "an answer frees a slot";
    EXPECT_EQ(pubs.back().event.id, all[2]) << "oldest waiting first";
}

TEST(ClientPublish, MailboxesOfAnUnsubscribedTopicAreLearnedFromResults) {
    PublishHarness h;
    h.connect();
    wire::EventId a = h.publish("elsewhere");
    EXPECT_TRUE(h.last_publish(a).preferred.empty()) << "no mailbox of the topic known";
    h.accept(a, mbx(5), {mbx(6), mbx(5)});
    wire::EventId b = h.publish("elsewhere");
    EXPECT_EQ(ids(h.last_publish(b).preferred), ids({mbx(5), mbx(6)}));
    EXPECT_TRUE(h.core.nodes().contains(mbx(6).endpoint.to_endpoint()));
    // Subscribing later starts from them.
    h.core.subscribe(h.now, "elsewhere");
    EXPECT_EQ(ids(h.last_subscribe("elsewhere").preferred), ids({mbx(5), mbx(6)}));
}

// The home reports a mailbox it found silent (MailboxLost): a topic only published to forgets it
// too, so that the next publication does not name it first again.
TEST(ClientPublish, AMailboxReportedLostIsNotNamedForATopicOnlyPublishedTo) {
    PublishHarness h;
    h.connect();
    wire::EventId a = h.publish("elsewhere");
    h.accept(a, mbx(5), {mbx(6)});
    h.deliver(wire::MailboxLost{"elsewhere", mbx(5), {}});
    wire::EventId b = h.publish("elsewhere");
    EXPECT_EQ(ids(h.last_publish(b).preferred), ids({mbx(6)}));
}

TEST(ClientPublish, RememberedTopicsAreBounded) {
    ClientParams p;
    p.publish_topics_remembered = 2;
    PublishHarness h(p);
    h.connect();
    for (int i = 0; i < 3; ++i) {
        wire::EventId id = h.publish("t" + std::to_string(i));
        h.accept(id, mbx(10 + i));
    }
    EXPECT_TRUE(h.last_publish(h.publish("t0")).preferred.empty()) << "least recently used: gone";
    EXPECT_EQ(ids(h.last_publish(h.publish("t2")).preferred), ids({mbx(12)}));
}

TEST(ClientPublish, HandlersMayCallBackIntoTheCore) {
    PublishHarness h;
    h.connect();
    int republished = 0;
    h.core.set_publish_handler([&](TimePoint now, const wire::EventId&, Outcome) {
        if (republished++ == 0) {
            EXPECT_TRUE(h.core.publish(now, "news", bytes_of("again")).ok());
        }
    });
    wire::EventId id = h.publish("news");
    h.accept(id);
    EXPECT_EQ(republished, 1);
    EXPECT_EQ(h.core.outbox_size(), 1u);
    EXPECT_EQ(h.transport.sent_of<wire::Publish>().size(), 2u) << "sent from inside the handler";
}

TEST(ClientPublish, OwnHistoryIsBoundedOldestFirst) {
    ClientParams p;
    p.own_history_max = 2;
    PublishHarness h(p);
    h.connect();
    std::vector<wire::EventId> all;
    for (int i = 0; i < 3; ++i) {
        all.push_back(h.publish("news"));
        h.accept(all.back());
    }
    EXPECT_EQ(h.core.own_history().size(), 2u);
    EXPECT_EQ(h.core.own_history().find(all[0]), nullptr);
    EXPECT_EQ(h.core.stats().own_history_dropped, 1u);
    h.run_for(31min);
    h.core.on_timer(h.now);
    EXPECT_EQ(h.core.own_history().size(), 0u) << "kept for own_history (30 min) only";
}

}  // namespace
}  // namespace elmo::client_test
