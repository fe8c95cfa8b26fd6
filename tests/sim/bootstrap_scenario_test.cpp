// 1,000 real OpenDHT nodes bootstrap on the simulated network.
#include <gtest/gtest.h>

#include "scenario_helpers.hpp"

namespace elmo::sim {
namespace {

using namespace std::chrono_literals;
using namespace testing;

TEST(BootstrapScenario, ThousandNodesGetEightGoodNodesAndServeGets) {
    SimConfig cfg;
    cfg.seed = 2024;
    Simulation sim(cfg);
    sim.add_nodes(1000);
    ASSERT_TRUE(sim.run_until([&] { return every_node_has_good(sim, 8); }, Duration(60s), 1s))
        << "at t=" << std::chrono::duration<double>(sim.now()).count() << "s";
    RecordProperty("time_to_8_good_s", std::to_string(std::chrono::duration<double>(sim.now()).count()));

    const auto key = dht::InfoHash::get("bootstrap-scenario");
    ASSERT_TRUE(put_and_wait(sim, 17, key, "hello from node 17", 1));
    const auto getters = random_hosts(sim, 100, 17);
    ASSERT_EQ(getters.size(), 100u);
    EXPECT_EQ(gets_finding(sim, getters, key, "hello from node 17"), 100u);
    EXPECT_EQ(sim.network().drops().no_host, 0u);
}

}  // namespace
}  // namespace elmo::sim
