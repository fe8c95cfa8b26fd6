// DeliveryRecorder (sim/delivery_metrics.hpp) on hand-made timelines: the on-time rule for
// subscribers online, offline and coming and going; pending pairs; latency only for subscribers
// online at publication; duplicates; lost and excused events; the time series, its CSV and the
// recovery time.
#include "sim/delivery_metrics.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace elmo::sim {
namespace {

const TimePoint origin = TimePoint{} + std::chrono::hours(24);

TimePoint at(double s) {
    return origin + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

MetricsEventId id(int n) {
    MetricsEventId e{};
    e[0] = static_cast<std::uint8_t>(n);
    e[31] = static_cast<std::uint8_t>(n >> 8);
    return e;
}

DeliveryConfig config(double from = 0, double to = 1000) {
    DeliveryConfig c;
    c.origin = origin;
    c.measure_from = at(from);
    c.measure_to = at(to);
    return c;
}

// Clients 0..n-1 online from t=0 and subscribed to "t".
void online_subscribers(DeliveryRecorder& r, int n, double from = 0) {
    for (int c = 0; c < n; ++c) {
        r.client_online(static_cast<MetricsClient>(c), at(from));
        r.subscribed(static_cast<MetricsClient>(c), "t", at(from));
    }
}

TEST(DeliveryMetrics, OnTimeWithinSixtySecondsOfPublication) {
    DeliveryRecorder r(config());
    online_subscribers(r, 3);
    ASSERT_TRUE(r.published(id(1), "t", 0, at(100)));
    EXPECT_FALSE(r.published(id(1), "t", 0, at(101)));  // a repeated id is ignored
    r.accepted(id(1), at(100.2));
    r.delivered(1, id(1), at(100.5));
    r.delivered(2, id(1), at(170));  // online throughout the minute: late
    auto rep = r.report(at(400));
    EXPECT_EQ(rep.events_published, 1u);
    EXPECT_EQ(rep.events_accepted, 1u);
    EXPECT_EQ(rep.pairs, 2u);  // the publisher is not a pair
    EXPECT_EQ(rep.on_time, 1u);
    EXPECT_EQ(rep.delivered, 2u);
    EXPECT_DOUBLE_EQ(rep.delivered_on_time, 0.5);
    EXPECT_DOUBLE_EQ(rep.delivered_eventually, 1.0);
    EXPECT_EQ(rep.latency_samples, 2u);
    EXPECT_DOUBLE_EQ(rep.latency_p50_ms, 500);
    EXPECT_DOUBLE_EQ(rep.latency_p99_ms, 70000);
    EXPECT_EQ(rep.lost_events, 0u);
    EXPECT_EQ(rep.late_pairs_publish_delayed, 0u);
    EXPECT_EQ(rep.duplicates, 0u);
}

TEST(DeliveryMetrics, OfflineSubscriberIsJudgedFromItsReturn) {
    DeliveryRecorder r(config());
    online_subscribers(r, 1);  // 0: the publisher
    for (MetricsClient c : {1u, 2u}) {
        r.client_online(c, at(0));
        r.subscribed(c, "t", at(0));
        r.client_offline(c, at(50));
        r.client_online(c, at(300));
    }
    r.published(id(1), "t", 0, at(100));
    r.accepted(id(1), at(100.1));
    r.delivered(1, id(1), at(350));  // 50 s after its return: on time
    r.delivered(2, id(1), at(370));  // 70 s after: late
    r.client_online(3, at(0));
    r.subscribed(3, "t", at(90));  // 10 s before the publication
    auto rep = r.report(at(500));
    EXPECT_EQ(rep.pairs, 3u);
    EXPECT_EQ(rep.on_time, 1u);
    EXPECT_EQ(rep.delivered, 2u);
    EXPECT_EQ(rep.latency_samples, 0u);  // the two delivered were offline at publication
    EXPECT_EQ(rep.late_pairs_online, 1u);
    EXPECT_EQ(rep.late_pairs_new_subscriber, 1u);
}

TEST(DeliveryMetrics, LatePairsCsvNamesClientsByTheGivenNames) {
    DeliveryRecorder r(config());
    online_subscribers(r, 3);  // 0: the publisher
    r.published(id(1), "t", 0, at(100));
    r.accepted(id(1), at(100.1));
    r.delivered(1, id(1), at(100.5));  // client 2 never gets it: one late pair
    auto rep = r.report(at(900));
    ASSERT_EQ(rep.late_samples.size(), 1u);
    std::ostringstream by_index, by_name;
    write_late_pairs_csv(by_index, rep);
    write_late_pairs_csv(by_name, rep, {700, 701, 702});
    EXPECT_NE(by_index.str().find("\nt,0,2,"), std::string::npos) << by_index.str();
    EXPECT_NE(by_name.str().find("\nt,700,702,"), std::string::npos) << by_name.str();
}

TEST(DeliveryMetrics, GoingOfflineWithinTheMinuteMovesTheDeadlineToTheReturn) {
    DeliveryRecorder r(config());
    online_subscribers(r, 3);
    r.client_offline(1, at(120));  // within the minute after publication
    r.client_online(1, at(500));
    r.client_offline(2, at(300));  // after a full online minute: the deadline stays at 160
    r.client_online(2, at(400));
    r.published(id(1), "t", 0, at(100));
    r.accepted(id(1), at(100.1));
    r.delivered(1, id(1), at(530));
    r.delivered(2, id(1), at(410));
    auto rep = r.report(at(900));
    EXPECT_EQ(rep.pairs, 2u);
    EXPECT_EQ(rep.on_time, 1u);  // client 1 only
    EXPECT_EQ(rep.delivered, 2u);
    EXPECT_EQ(rep.late_pairs_online, 1u);
    EXPECT_EQ(rep.late_pairs_new_subscriber, 0u);
    EXPECT_EQ(rep.latency_samples, 2u);  // both online at publication, however late
    EXPECT_DOUBLE_EQ(rep.latency_p99_ms, 430000);
}

TEST(DeliveryMetrics, SessionsShorterThanTheWindowAreSkipped) {
    DeliveryRecorder r(config());
    online_subscribers(r, 1);
    r.client_online(1, at(0));
    r.subscribed(1, "t", at(0));
    r.client_offline(1, at(50));
    r.client_online(1, at(200));  // 30 s: too short to owe the event
    r.client_offline(1, at(230));
    r.client_online(1, at(400));
    r.published(id(1), "t", 0, at(100));
    r.delivered(1, id(1), at(455));  // deadline 460
    auto rep = r.report(at(900));
    EXPECT_EQ(rep.pairs, 1u);
    EXPECT_EQ(rep.on_time, 1u);
}

TEST(DeliveryMetrics, ZeroLengthOfflinePeriodIsMerged) {
    DeliveryRecorder r(config());
    online_subscribers(r, 2);
    r.client_offline(1, at(130));  // a failover: gone and back at the same instant
    r.client_online(1, at(130));
    r.published(id(1), "t", 0, at(100));
    r.delivered(1, id(1), at(175));  // deadline still 160
    auto rep = r.report(at(900));
    EXPECT_EQ(rep.pairs, 1u);
    EXPECT_EQ(rep.on_time, 0u);
}

TEST(DeliveryMetrics, PendingPairsAreExcluded) {
    DeliveryRecorder r(config(0, 1000));
    online_subscribers(r, 2);
    for (MetricsClient c : {2u, 3u}) {
        r.client_online(c, at(0));
        r.subscribed(c, "t", at(0));
        r.client_offline(c, at(10));
    }
    r.client_online(3, at(880));  // its deadline (940) is after the end (900)
    r.published(id(1), "t", 0, at(100));
    r.delivered(1, id(1), at(101));
    r.delivered(3, id(1), at(881));  // delivered, yet pending: judged with its peers or not at all
    auto rep = r.report(at(900));
    EXPECT_EQ(rep.pairs, 1u);
    EXPECT_EQ(rep.pending_pairs, 2u);  // client 2 never back, client 3 back too late
    EXPECT_DOUBLE_EQ(rep.delivered_on_time, 1.0);
    ASSERT_FALSE(rep.series.empty());
    EXPECT_EQ(rep.series[10].pending, 2u);
}

TEST(DeliveryMetrics, SubscriptionTimeAndPublisherDecidePairs) {
    DeliveryRecorder r(config());
    online_subscribers(r, 2);
    r.client_online(2, at(0));
    r.subscribed(2, "t", at(150));  // after the publication: not a pair
    r.client_online(3, at(0));
    r.subscribed(3, "t", at(0));
    r.unsubscribed(3, "t", at(50));  // before it: not a pair either
    r.subscribed(1, "other", at(0));
    r.published(id(1), "t", 0, at(100));
    r.delivered(1, id(1), at(100.3));
    r.delivered(2, id(1), at(151));  // a history poll after subscribing: not counted
    auto rep = r.report(at(900));
    EXPECT_EQ(rep.pairs, 1u);
    EXPECT_EQ(rep.on_time, 1u);
    EXPECT_EQ(rep.events_without_pairs, 0u);
    r.published(id(2), "nobody", 1, at(200));
    rep = r.report(at(900));
    EXPECT_EQ(rep.events_without_pairs, 1u);
    EXPECT_EQ(rep.lost_events, 0u);  // no pair was due
}

TEST(DeliveryMetrics, DuplicatesFromCopiesOrRepeatedDeliveries) {
    DeliveryRecorder r(config());
    online_subscribers(r, 3);
    r.published(id(1), "t", 0, at(100));
    r.published(id(2), "t", 0, at(100));
    // Event 1: client 1 receives three copies, client 2 one; the core hands each over once.
    for (int i = 0; i < 3; ++i) r.copy_received(1, id(1));
    r.copy_received(2, id(1));
    r.copy_received(0, id(1));  // the publisher's own copy is not a duplicate
    r.delivered(1, id(1), at(101));
    r.delivered(2, id(1), at(101));
    // Event 2: no copy counting, but the app is told twice.
    r.delivered(1, id(2), at(101));
    r.delivered(1, id(2), at(102));
    r.delivered(2, id(2), at(101));
    auto rep = r.report(at(900));
    EXPECT_EQ(rep.duplicates, 3u);
    EXPECT_DOUBLE_EQ(rep.duplicates_per_delivery, 3.0 / 4.0);
    EXPECT_EQ(rep.on_time, 4u);
}

TEST(DeliveryMetrics, LostEventsAndTheExcusedOnes) {
    DeliveryRecorder r(config());
    online_subscribers(r, 1);  // client 0: a subscriber that receives nothing
    for (MetricsClient p : {10u, 11u, 12u, 13u}) r.client_online(p, at(0));
    r.client_offline(10, at(101));  // unaccepted, never back: excused
    r.client_offline(11, at(101));  // unaccepted, back later: lost
    r.client_online(11, at(300));
    r.client_offline(12, at(101));  // accepted, never back: excused, counted apart
    // 13: unaccepted and online all along: lost
    r.published(id(1), "t", 10, at(100));
    r.published(id(2), "t", 11, at(100));
    r.published(id(3), "t", 12, at(100));
    r.accepted(id(3), at(100.5));
    r.published(id(4), "t", 13, at(100));
    r.published(id(5), "t", 13, at(100));
    r.accepted(id(5), at(100.5));
    r.delivered(0, id(5), at(100.7));
    auto rep = r.report(at(900));
    EXPECT_EQ(rep.events_published, 5u);
    EXPECT_EQ(rep.events_accepted, 2u);
    // Issue 8's rule: lost counts the events whose publisher came back (or never left).
    EXPECT_EQ(rep.lost_events, 2u);
    EXPECT_EQ(rep.lost_events_excused, 2u);
    EXPECT_EQ(rep.lost_events_excused_accepted, 1u);
    EXPECT_EQ(rep.pairs, 5u);
    EXPECT_EQ(rep.on_time, 1u);
    EXPECT_EQ(rep.late_pairs_publish_delayed, 3u);  // events 1, 2, 4
    EXPECT_EQ(rep.late_pairs_online, 4u);           // events 1 to 4
    EXPECT_EQ(rep.late_pairs_new_subscriber, 0u);
    // A live mailbox that still stores event 2 at the end: not lost, waiting for its subscriber.
    auto held = r.report(at(900), std::nullopt,
                         [](const std::string& topic, const MetricsEventId& e) {
                             return topic == "t" && e == id(2);
                         });
    EXPECT_EQ(held.lost_events, 1u);
    EXPECT_EQ(held.undelivered_held, 1u);
    EXPECT_EQ(held.lost_events_excused, 2u);
    r.delivered(0, id(999), at(100));
    EXPECT_EQ(r.report(at(900)).unknown_deliveries, 1u);
}

TEST(DeliveryMetrics, OnlyTheMeasuredWindowCountsButTheSeriesCoversTheRun) {
    DeliveryRecorder r(config(100, 200));
    online_subscribers(r, 2);
    r.published(id(1), "t", 0, at(50));   // warm-up
    r.published(id(2), "t", 0, at(150));  // measured
    r.published(id(3), "t", 0, at(250));  // after
    r.delivered(1, id(1), at(50.1));
    r.delivered(1, id(2), at(150.1));
    r.gauge(at(150), Gauges{7, 8, 9});
    r.gauge(at(155), Gauges{1, 2, 3});  // the last sample of a window wins
    auto rep = r.report(at(400));
    EXPECT_EQ(rep.events_published, 1u);
    EXPECT_EQ(rep.pairs, 1u);
    EXPECT_EQ(rep.lost_events, 0u);
    ASSERT_EQ(rep.series.size(), 40u);
    EXPECT_EQ(rep.series[5].published, 1u);
    EXPECT_EQ(rep.series[5].pairs_due, 1u);
    EXPECT_DOUBLE_EQ(rep.series[5].rate, 1.0);
    EXPECT_FALSE(rep.series[5].measured);
    EXPECT_TRUE(rep.series[15].measured);
    EXPECT_DOUBLE_EQ(rep.series[25].rate, 0.0);  // event 3 was never delivered
    EXPECT_DOUBLE_EQ(rep.series[0].rate, -1.0);
    ASSERT_TRUE(rep.series[15].gauges.has_value());
    EXPECT_EQ(rep.series[15].gauges->mailboxes, 3u);

    std::ostringstream csv;
    write_timeseries_csv(csv, rep);
    std::istringstream in(csv.str());
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line.rfind("# window_start_s,", 0), 0u);
    int rows = 0;
    std::string row15;
    while (std::getline(in, line)) {
        if (rows == 15) row15 = line;
        ++rows;
    }
    EXPECT_EQ(rows, 40);
    EXPECT_EQ(row15, "150.000,1,1,1,1,1,0,1.000000,1,2,3");
}

TEST(DeliveryMetrics, DeliveriesAfterTheEndAreIgnored) {
    DeliveryRecorder r(config());
    online_subscribers(r, 2);
    r.published(id(1), "t", 0, at(100));
    r.delivered(1, id(1), at(150));
    EXPECT_EQ(r.report(at(140)).delivered, 0u);
    EXPECT_EQ(r.report(at(900)).on_time, 1u);
}

WindowRow row(double start, double rate, std::uint64_t due = 100, bool measured = true) {
    WindowRow w;
    w.start_s = start;
    w.measured = measured;
    w.pairs_due = due;
    w.rate = due ? rate : -1;
    return w;
}

TEST(DeliveryMetrics, RecoveryFromASyntheticSeries) {
    std::vector<WindowRow> s;
    for (int i = 0; i < 60; ++i) s.push_back(row(10.0 * i, 1.0));
    EXPECT_EQ(recovery_seconds(s, 10, 305, 0.99), 0.0);  // never below
    s[30] = row(300, 0.5);                               // the window holding the failure
    s[31] = row(310, 0.9);
    s[33] = row(330, 0.995);   // at the level: fine
    s[36] = row(360, 0.98);    // a relapse: recovery is after it
    s[37] = row(370, 0.2, 0);  // no pairs due: neutral
    EXPECT_DOUBLE_EQ(*recovery_seconds(s, 10, 305, 0.99), 65.0);
    s[20] = row(200, 0.1);  // before the failure: irrelevant
    EXPECT_DOUBLE_EQ(*recovery_seconds(s, 10, 305, 0.99), 65.0);
    s[59] = row(590, 0.98, 100, false);  // outside the measurement: ignored
    EXPECT_DOUBLE_EQ(*recovery_seconds(s, 10, 305, 0.99), 65.0);
    s[58] = row(580, 0.98);  // still below at the end: never
    EXPECT_FALSE(recovery_seconds(s, 10, 305, 0.99).has_value());
    EXPECT_FALSE(recovery_seconds(s, 10, 1000, 0.99).has_value());  // nothing after it
}

TEST(DeliveryMetrics, RecoveryInAReport) {
    DeliveryRecorder r(config(0, 300));
    online_subscribers(r, 2);
    for (int i = 0; i < 30; ++i) {
        r.published(id(i + 1), "t", 0, at(5 + 10.0 * i));
        // Events published in [100, 130) are delivered late: the failure at 100 costs 30 s.
        const bool hit = i >= 10 && i < 13;
        r.delivered(1, id(i + 1), at(5 + 10.0 * i + (hit ? 90 : 1)));
    }
    auto rep = r.report(at(500), at(100));
    ASSERT_TRUE(rep.recovery_s.has_value());
    EXPECT_DOUBLE_EQ(*rep.recovery_s, 30.0);
    EXPECT_TRUE(rep.recovered);
    EXPECT_DOUBLE_EQ(rep.worst_window_rate, 0.0);
    EXPECT_FALSE(r.report(at(500)).recovery_s.has_value());  // no failure given
}

// The late-pairs sample is uniform over the run, not its first pairs: with 3 x max_late_samples
// undelivered pairs spread over 3,000 s, each third of the run keeps about a third of the sample.
TEST(DeliveryMetrics, LatePairsAreAUniformSampleSortedByPublication) {
    DeliveryRecorder r(config(0, 3100));
    online_subscribers(r, 1);  // client 0 subscribes; client 1 publishes, nothing is delivered
    r.client_online(1, at(0));
    const int n = 3 * static_cast<int>(DeliveryReport::max_late_samples);
    for (int e = 0; e < n; ++e)
        ASSERT_TRUE(r.published(id(e), "t", 1, at(1 + 3000.0 * e / n)));
    const auto rep = r.report(at(3200));
    ASSERT_EQ(rep.late_samples.size(), DeliveryReport::max_late_samples);
    int thirds[3] = {0, 0, 0};
    for (std::size_t i = 0; i < rep.late_samples.size(); ++i) {
        if (i > 0) {
            EXPECT_LE(rep.late_samples[i - 1].published_s, rep.late_samples[i].published_s);
        }
        ++thirds[std::min(2, static_cast<int>((rep.late_samples[i].published_s - 1) / 1000))];
    }
    const int third = static_cast<int>(DeliveryReport::max_late_samples) / 3;
    for (int t : thirds) EXPECT_NEAR(t, third, third / 10);
}

}  // namespace
}  // namespace elmo::sim
