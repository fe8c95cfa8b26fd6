#include <gtest/gtest.h>

#include "sim/churn.hpp"
#include "sim/distribution.hpp"
#include "sim/ping_protocol.hpp"

namespace elmo::sim {
namespace {

using namespace std::chrono_literals;

SimConfig ideal_config(std::uint64_t seed) {
    SimConfig c;
    c.seed = seed;
    c.overlay = OverlayMode::ideal;
    return c;
}

TEST(Churn, MassFailureKillsTheFractionAtTheTime) {
    Simulation sim(ideal_config(1));
    sim.add_nodes(200);
    Churn churn(sim);
    churn.mass_failure(Duration(120s), 0.3);
    sim.run_to(Duration(119s));
    EXPECT_EQ(sim.live_count(), 200u);
    sim.run_to(Duration(121s));
    EXPECT_EQ(sim.live_count(), 140u);
    EXPECT_EQ(churn.stats().departures, 60u);
    EXPECT_EQ(sim.ideal()->size(), 140u);  // the overlay follows
}

TEST(Churn, VictimsDependOnlyOnTheSeed) {
    auto victims = [](std::uint64_t seed) {
        Simulation sim(ideal_config(seed));
        sim.add_nodes(100);
        Churn churn(sim);
        return churn.pick_victims(0.1);
    };
    EXPECT_EQ(victims(5), victims(5));
    EXPECT_NE(victims(5), victims(6));
    EXPECT_EQ(victims(5).size(), 10u);
}

TEST(Churn, ReplacementKeepsTheSizeAndRenewsNodes) {
    Simulation sim(ideal_config(2));
    sim.add_nodes(100);
    Churn churn(sim);
    churn.replacement(Duration(10s), Duration(10s), 0.1, Duration(50s));
    sim.run_to(Duration(100s));
    EXPECT_EQ(sim.live_count(), 100u);
    EXPECT_EQ(churn.stats().departures, 50u);  // at 10, 20, 30, 40, 50 s
    EXPECT_EQ(churn.stats().joins, 50u);
    EXPECT_EQ(sim.hosts(), 150u);              // new nodes get new addresses
}

TEST(Churn, LeaveAndCrashBothRemoveFromTheLiveSet) {
    Simulation sim(ideal_config(3));
    sim.add_nodes(20);
    Churn churn(sim);
    churn.mass_failure(Duration(1s), 0.25, Departure::leave);
    sim.run_to(Duration(20s));
    EXPECT_EQ(sim.live_count(), 15u);
    for (HostId h = 0; h < 20; ++h) {
        if (!sim.is_up(h)) {
            EXPECT_EQ(sim.find(h), nullptr) << h;  // left for good after the grace
        }
    }
}

TEST(Churn, SessionsAlternateUpAndDown) {
    Simulation sim(ideal_config(4));
    const auto hosts = sim.add_nodes(300);
    Churn churn(sim);
    // Up 60 s, down 20 s on average: about 75% up in steady state.
    churn.sessions(hosts, DurationDist::exponential(60s), DurationDist::exponential(20s));
    double sum = 0;
    int samples = 0;
    for (int t = 200; t <= 1000; t += 20) {
        sim.run_to(Duration(std::chrono::seconds(t)));
        sum += static_cast<double>(sim.live_count()) / 300.0;
        ++samples;
    }
    EXPECT_NEAR(sum / samples, 0.75, 0.05);
    EXPECT_GT(churn.stats().restarts, 300u);
    EXPECT_EQ(sim.hosts(), 300u);  // sessions restart the same hosts
    // A restarted node keeps its id.
    for (HostId h : hosts)
        if (sim.is_up(h)) {
            EXPECT_EQ(sim.node(h).id(), sim.id_of(h));
        }
}

TEST(Distribution, MeansAreRight) {
    Rng rng(9);
    const auto check = [&](DurationDist d, double expected) {
        double sum = 0;
        for (int i = 0; i < 20000; ++i) sum += std::chrono::duration<double>(d.sample(rng)).count();
        EXPECT_NEAR(sum / 20000, expected, expected * 0.05);
        EXPECT_NEAR(d.mean_seconds(), expected, 1e-9);
    };
    check(DurationDist::constant(3s), 3);
    check(DurationDist::uniform(1s, 3s), 2);
    check(DurationDist::exponential(10s), 10);
    check(DurationDist::pareto(1s, 3.0), 1.5);
}

}  // namespace
}  // namespace elmo::sim
