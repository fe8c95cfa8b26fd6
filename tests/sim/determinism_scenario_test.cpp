// Determinism. Every random choice comes from the run seed (OpenDHT's own generators too: the
// simulator hands it seeded entropy through std::random_device, sim/virtual_clock.cpp), so two
// runs with one seed produce identical traffic, datagram for datagram, on the idealised overlay
// and on the real DHT. Runs with different seeds differ in detail; their aggregate results must
// agree within a stated tolerance.
#include <gtest/gtest.h>

#include <cmath>

#include "scenario_helpers.hpp"
#include "sim/churn.hpp"
#include "sim/metrics.hpp"
#include "sim/ping_protocol.hpp"

namespace elmo::sim {
namespace {

using namespace std::chrono_literals;
using namespace testing;

struct Trace {
    std::vector<std::uint64_t> counts;  // per host: elmo sent, received, bytes
    std::uint64_t events = 0;
    std::uint64_t digest = 0;  // of every datagram (time, from, to, bytes) in order
};

// Folds every datagram (time, link, bytes) into t.digest, in delivery order.
void digest_traffic(Simulation& sim, Trace& t) {
    sim.network().set_tap([&sim, &t](HostId from, HostId to, ByteView d) {
        std::uint64_t h = splitmix64(t.digest ^ static_cast<std::uint64_t>(sim.now().count()));
        h = splitmix64(h ^ (std::uint64_t{from} << 32 | to));
        for (auto b : d) h = splitmix64(h ^ b);
        t.digest = h;
    });
}

Trace run_ideal(std::uint64_t seed) {
    SimConfig cfg;
    cfg.seed = seed;
    cfg.overlay = OverlayMode::ideal;
    cfg.network.loss = 0.01;
    cfg.network.latency.jitter = 10ms;
    cfg.core_factory = PingCore::factory(5s);
    Simulation sim(cfg);
    Trace t;
    digest_traffic(sim, t);
    sim.add_nodes(2000);
    Churn churn(sim);
    churn.replacement(Duration(30s), Duration(30s), 0.02);
    churn.mass_failure(Duration(100s), 0.1);
    sim.run_to(Duration(180s));
    for (HostId h = 0; h < sim.hosts(); ++h) {
        const auto& c = sim.network().counters(h);
        t.counts.push_back(c.sent[static_cast<int>(Traffic::elmo)].messages);
        t.counts.push_back(c.received[static_cast<int>(Traffic::elmo)].messages);
        t.counts.push_back(c.sent[static_cast<int>(Traffic::elmo)].bytes);
    }
    t.events = sim.events();
    return t;
}

// Two runs with `seed` are identical, datagram for datagram; seed + 1 differs.
void expect_reproducible(Trace (*run)(std::uint64_t), std::uint64_t seed, std::uint64_t min_events) {
    const Trace a = run(seed), b = run(seed), c = run(seed + 1);
    EXPECT_EQ(a.counts, b.counts);
    EXPECT_EQ(a.events, b.events);
    EXPECT_EQ(a.digest, b.digest);
    EXPECT_NE(a.digest, c.digest);
    EXPECT_GT(a.events, min_events);
}

TEST(Determinism, IdealOverlaySameSeedSameTraffic) { expect_reproducible(run_ideal, 42, 50'000); }

Trace run_dht_traffic(std::uint64_t seed) {
    SimConfig cfg;
    cfg.seed = seed;
    Simulation sim(cfg);
    Trace t;
    digest_traffic(sim, t);
    sim.add_nodes(300);
    sim.run_to(Duration(20s));
    put_and_wait(sim, 3, dht::InfoHash::get("same-seed"), "v", 1);
    Churn churn(sim);
    churn.mass_failure(Duration(30s), 0.1);
    sim.run_to(Duration(60s));
    t.events = sim.events();
    return t;
}

// The real DHT's searches, request ids and pings draw from its own generators: before they were
// seeded from the run seed, two runs with one seed differed after the first second.
TEST(Determinism, RealDhtSameSeedSameTraffic) { expect_reproducible(run_dht_traffic, 7, 10'000); }

struct DhtResult {
    double time_to_8_s = -1;
    double dht_msgs_per_node = 0;
    double good_mean = 0;
    unsigned found = 0;
};

DhtResult run_dht(std::uint64_t seed) {
    SimConfig cfg;
    cfg.seed = seed;
    Simulation sim(cfg);
    sim.add_nodes(1000);
    DhtResult r;
    if (sim.run_until([&] { return every_node_has_good(sim, 8); }, Duration(60s), 1s))
        r.time_to_8_s = std::chrono::duration<double>(sim.now()).count();
    const auto key = dht::InfoHash::get("determinism");
    put_and_wait(sim, 3, key, "d", 1);
    r.found = gets_finding(sim, random_hosts(sim, 50, 3), key, "d");
    sim.run_to(Duration(120s));
    const auto hosts = sim.live_sorted();
    r.dht_msgs_per_node = traffic_stats(sim.network(), hosts, Traffic::dht).msgs_sent.mean;
    double good = 0;
    for (HostId h : hosts) good += sim.node(h).good_nodes();
    r.good_mean = good / static_cast<double>(hosts.size());
    return r;
}

// Tolerances. Over 20 seeds at 1,000 nodes: time to 8 good nodes everywhere 6 s in 16 runs,
// 11-20 s in 4 (a straggler waits for its next maintenance round); DHT messages per node at
// 120 s 133.0-135.9 (+-1.1%); mean good nodes 42.4-43.2 (+-1%); every get found its value. The
// test asks for the bound (60 s) and for agreement within 5%, several times the spread.
TEST(Determinism, RealDhtTwoSeedsAgreeWithinTolerance) {
    const DhtResult a = run_dht(1), b = run_dht(2);
    ASSERT_GT(a.time_to_8_s, 0);
    ASSERT_GT(b.time_to_8_s, 0);
    EXPECT_LE(a.time_to_8_s, 60);
    EXPECT_LE(b.time_to_8_s, 60);
    EXPECT_NEAR(a.dht_msgs_per_node / b.dht_msgs_per_node, 1.0, 0.05);
    EXPECT_NEAR(a.good_mean / b.good_mean, 1.0, 0.05);
    EXPECT_EQ(a.found, 50u);
    EXPECT_EQ(b.found, 50u);
    RecordProperty("seed1", std::to_string(a.time_to_8_s) + "s " + std::to_string(a.dht_msgs_per_node) +
                                " msgs/node " + std::to_string(a.good_mean) + " good");
    RecordProperty("seed2", std::to_string(b.time_to_8_s) + "s " + std::to_string(b.dht_msgs_per_node) +
                                " msgs/node " + std::to_string(b.good_mean) + " good");
}

}  // namespace
}  // namespace elmo::sim
