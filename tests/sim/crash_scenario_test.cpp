// A 30% crash at t=120 s: values put before it are still found (OpenDHT stores each value on
// the 8 nodes closest to its key, and the survivors answer).
#include <gtest/gtest.h>

#include "scenario_helpers.hpp"
#include "sim/churn.hpp"

namespace elmo::sim {
namespace {

using namespace std::chrono_literals;
using namespace testing;

TEST(CrashScenario, GetsSucceedAfterThirtyPercentCrash) {
    SimConfig cfg;
    cfg.seed = 77;
    Simulation sim(cfg);
    sim.add_nodes(1000);
    Churn churn(sim);
    churn.mass_failure(Duration(120s), 0.3);
    ASSERT_TRUE(sim.run_until([&] { return every_node_has_good(sim, 8); }, Duration(60s), 1s));

    constexpr int values = 20;
    std::vector<dht::InfoHash> keys;
    std::vector<HostId> putters;
    for (int i = 0; i < values; ++i) {
        keys.push_back(dht::InfoHash::get("crash-scenario-" + std::to_string(i)));
        putters.push_back(sim.random_live(sim.rng()));
        ASSERT_TRUE(put_and_wait(sim, putters.back(), keys.back(), "value " + std::to_string(i), i + 1));
    }
    ASSERT_LT(sim.now(), Duration(120s));
    sim.run_to(Duration(121s));
    ASSERT_EQ(sim.live_count(), 700u);

    // Gets start at once after the crash, while routing tables still list the dead.
    unsigned found = 0, asked = 0;
    for (int i = 0; i < values; ++i) {
        const auto getters = random_hosts(sim, 5, putters[i]);
        asked += static_cast<unsigned>(getters.size());
        found += gets_finding(sim, getters, keys[i], "value " + std::to_string(i));
    }
    EXPECT_EQ(found, asked);
}

}  // namespace
}  // namespace elmo::sim
