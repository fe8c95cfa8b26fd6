// DeliveryRecorder's delay penalty and split report (sim/delivery_metrics.hpp) on hand-made
// timelines: the penalty is latency over the direct latency of the homes at publication; the
// split's pairs are classified by side and judged by the usual rule, and the catch-up after the
// heal is measured from each subscriber's first full minute online after it.
#include <gtest/gtest.h>

#include <sstream>

#include "sim/delivery_metrics.hpp"

namespace elmo::sim {
namespace {

const TimePoint origin = TimePoint{} + std::chrono::hours(24);

TimePoint at(double s) {
    return origin + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

MetricsEventId id(int n) {
    MetricsEventId e{};
    e[0] = static_cast<std::uint8_t>(n);
    return e;
}

DeliveryConfig config() {
    DeliveryConfig c;
    c.origin = origin;
    c.measure_from = at(0);
    c.measure_to = at(1000);
    return c;
}

void subscriber(DeliveryRecorder& r, MetricsClient c, double online_from = 0) {
    r.client_online(c, at(online_from));
    r.subscribed(c, "t", at(0));
}

TEST(DelayPenalty, LatencyOverTheDirectLatencyOfTheHomesAtPublication) {
    DeliveryConfig cfg = config();
    // A fake network: 100 ms between homes 10 and 20, 50 ms within one home.
    cfg.direct_latency_ms = [](MetricsClient, std::uint32_t a, MetricsClient, std::uint32_t b) {
        return a == b ? 50.0 : 100.0;
    };
    DeliveryRecorder r(cfg);
    for (MetricsClient c = 0; c < 3; ++c) subscriber(r, c);
    subscriber(r, 3, 200);  // offline at publication: no latency, no penalty
    std::map<MetricsClient, std::uint32_t> home{{0, 10}, {1, 20}, {2, 10}, {3, 20}};
    ASSERT_TRUE(r.published(id(1), "t", 0, at(100), [&](MetricsClient c) { return home[c]; }));
    // Client 1 moves after publication: the home at publication counts.
    r.client_home(1, 10, at(100.1));
    r.delivered(1, id(1), at(100.3));  // 300 ms over 100 ms: 3
    r.delivered(2, id(1), at(100.1));  // 100 ms over 50 ms: 2
    r.delivered(3, id(1), at(201));
    auto rep = r.report(at(500));
    EXPECT_EQ(rep.latency_samples, 2u);
    EXPECT_EQ(rep.delay_penalty_samples, 2u);
    EXPECT_DOUBLE_EQ(rep.delay_penalty_p50, 2.0);
    EXPECT_DOUBLE_EQ(rep.delay_penalty_p99, 3.0);
    EXPECT_DOUBLE_EQ(rep.direct_latency_p50_ms, 50.0);
}

TEST(DelayPenalty, NoneWithoutHomesOrAModel) {
    DeliveryRecorder plain(config());
    subscriber(plain, 0);
    subscriber(plain, 1);
    plain.published(id(1), "t", 0, at(100), [](MetricsClient) { return 1u; });
    plain.delivered(1, id(1), at(100.2));
    EXPECT_EQ(plain.report(at(500)).delay_penalty_samples, 0u);  // no latency model

    DeliveryConfig cfg = config();
    cfg.direct_latency_ms = [](MetricsClient, std::uint32_t, MetricsClient, std::uint32_t) {
        return 100.0;
    };
    DeliveryRecorder r(cfg);
    subscriber(r, 0);
    subscriber(r, 1);
    r.published(id(1), "t", 0, at(100));  // no homes recorded
    r.delivered(1, id(1), at(100.2));
    const auto rep = r.report(at(500));
    EXPECT_EQ(rep.latency_samples, 1u);
    EXPECT_EQ(rep.delay_penalty_samples, 0u);
}

// Split [100, 200): homes 1 (side 0) and 2 (side 1). Publisher 0 at home 1; subscriber 1 on its
// side, 2 and 3 across.
struct SplitFixture {
    DeliveryConfig cfg = config();
    DeliveryRecorder r{cfg};
    std::map<MetricsClient, std::uint32_t> home{{0, 1}, {1, 1}, {2, 2}, {3, 2}};
    SplitFixture() {
        for (MetricsClient c = 0; c < 4; ++c) subscriber(r, c);
        r.client_offline(3, at(150));
        r.client_online(3, at(300));
        auto home_of = [this](MetricsClient c) { return home[c]; };
        r.published(id(1), "t", 0, at(110), home_of);
        r.published(id(2), "t", 0, at(250), home_of);  // after the heal: not the split's
        r.delivered(1, id(1), at(110.5));               // same side, on time
        r.delivered(3, id(1), at(301));  // across; back online at 300, deadline 360: on time
    }
    SplitReport split() {
        return r.split_report(at(1000), at(100), at(200),
                              [](std::uint32_t h) { return h == 2 ? 1 : 0; });
    }
};

TEST(SplitReport, SidesOnTimeAndTheCatchUp) {
    SplitFixture f;
    f.r.delivered(2, id(1), at(205));  // across, online throughout: late (deadline 170)
    const SplitReport s = f.split();
    EXPECT_EQ(s.events, 1u);
    EXPECT_EQ(s.same_pairs, 1u);
    EXPECT_EQ(s.same_on_time, 1u);
    EXPECT_EQ(s.same_delivered_in_split, 1u);
    EXPECT_DOUBLE_EQ(s.same_side_on_time, 1.0);
    EXPECT_EQ(s.cross_pairs, 2u);
    EXPECT_EQ(s.cross_on_time, 1u);
    EXPECT_EQ(s.cross_delivered_in_split, 0u);
    EXPECT_DOUBLE_EQ(s.cross_side_on_time, 0.5);
    // Owed after the heal: all three (each had a full minute online after it). Lags: 0 (had it
    // before), 5 s (online at the heal, got it at 205), 1 s (its first full session after the
    // heal starts at 300, got it at 301).
    EXPECT_EQ(s.owed_pairs, 3u);
    EXPECT_EQ(s.owed_undelivered, 0u);
    ASSERT_TRUE(s.heal_to_full_delivery_s.has_value());
    EXPECT_DOUBLE_EQ(*s.heal_to_full_delivery_s, 5.0);
    // Windows of the split, by publication time.
    ASSERT_EQ(s.series.size(), 10u);
    EXPECT_DOUBLE_EQ(s.series[1].start_s, 110.0);
    EXPECT_EQ(s.series[1].same_due, 1u);
    EXPECT_EQ(s.series[1].cross_due, 2u);
    EXPECT_EQ(s.series[1].cross_on_time, 1u);
    std::ostringstream csv;
    write_split_csv(csv, s);
    EXPECT_NE(csv.str().find("110,1,1,1.000000,2,1,0.500000"), std::string::npos) << csv.str();
}

TEST(SplitReport, NeverFullyDeliveredIsNull) {
    SplitFixture f;  // subscriber 2, online after the heal, never gets event 1
    const SplitReport s = f.split();
    EXPECT_EQ(s.owed_pairs, 3u);
    EXPECT_EQ(s.owed_undelivered, 1u);
    EXPECT_FALSE(s.heal_to_full_delivery_s.has_value());
    EXPECT_DOUBLE_EQ(s.cross_side_on_time, 0.5);
}

TEST(SplitReport, SidesFollowTheHomeAtPublication) {
    SplitFixture f;
    // Subscriber 2 moved to the publisher's side before event 3, published in the split.
    f.home[2] = 1;
    f.r.published(id(3), "t", 0, at(150), [&f](MetricsClient c) { return f.home[c]; });
    f.r.delivered(1, id(3), at(150.2));
    f.r.delivered(2, id(3), at(150.2));
    f.r.delivered(2, id(1), at(205));
    const SplitReport s = f.split();
    EXPECT_EQ(s.events, 2u);
    EXPECT_EQ(s.same_pairs, 3u);  // 0->1 twice, 0->2 for event 3
    EXPECT_EQ(s.same_on_time, 3u);
    EXPECT_EQ(s.cross_pairs, 3u);  // 0->2 for event 1; 0->3 for both
}

}  // namespace
}  // namespace elmo::sim
