#include <gtest/gtest.h>

#include <sstream>

#include "sim/scenario.hpp"
#include "sim/summary.hpp"

namespace elmo::sim {
namespace {

TEST(Summary, JsonKeepsOrderTypesAndEscapes) {
    Summary s;
    s.set("name", "a \"b\"\n");
    s.set("count", 3);
    s.set("rate", 0.5);
    s.set("ok", true);
    s.set_null("missing");
    s.set("count", 4);  // replaces in place
    EXPECT_EQ(s.to_json(), R"({"name":"a \"b\"\n","count":4,"rate":0.5,"ok":true,"missing":null})");
    EXPECT_EQ(s.number("rate"), 0.5);
    std::ostringstream table;
    s.print_table(table);
    EXPECT_NE(table.str().find("count    4"), std::string::npos);
}

TEST(Scenarios, RegistryKnowsDhtBootstrap) {
    const ScenarioInfo* s = find_scenario("dht-bootstrap");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(find_scenario("no-such-scenario"), nullptr);
}

TEST(Scenarios, DhtBootstrapRunsSmallIdeal) {
    ScenarioOptions o;
    o.nodes = 50;
    o.overlay = OverlayMode::ideal;
    o.duration = std::chrono::seconds(60);
    const Summary s = find_scenario("dht-bootstrap")->run(o);
    EXPECT_EQ(s.number("time_to_8_good_s", -1), 0);
    EXPECT_GT(s.number("elmo_msgs_sent_per_node_mean"), 1);
    EXPECT_GE(s.number("table_min"), 8);
}

}  // namespace
}  // namespace elmo::sim
