// Scenario paper-synthetic (issue 8) at a size that fits CI: 150 real-DHT nodes, 450
// intermittent clients, 450 Zipf(0.9) topics, 10 publications per second, 3 minutes of warm-up,
// 10 measured, 2 of drain. The full 1,500-node runs are bench/sim/paper_synthetic.sh. Asserts
// the targets: steady state at least 99.9% on time with p99 latency at most 1 s; back
// above 99% within 2 minutes of a 10% crash and within 5 of the loss of every mailbox; at least
// 99% on time under replacement churn; no lost event in any case.
//
// All four cases run in CI (session 5). Runs are reproducible since the simulator seeds
// OpenDHT's entropy (docs/simulator.md), so seed 1's outcome is a fixed fact, not a draw. Over
// seeds 1-6 (docs/results.md, session 5) every case met its rate target in 6 of 6; one event was
// lost in one seed each of replacement churn and every-mailbox crash: seed 1 is not the only
// seed that passes, and not every seed does.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "sim/scenario.hpp"

namespace elmo::sim {
namespace {

Summary run(const std::string& churn, std::uint64_t seed = 1) {
    ScenarioOptions o;
    o.nodes = 150;
    o.seed = seed;
    o.params = {{"churn", churn},           {"warmup_s", "180"}, {"measure_s", "600"},
                {"drain_s", "120"},         {"rate", "10"},      {"fail_s", "120"},
                {"replace_period_s", "120"}};
    Summary s = find_scenario("paper-synthetic")->run(o);
    std::printf("%s\n", s.to_json().c_str());
    return s;
}

void expect_sane(const Summary& s) {
    EXPECT_GT(s.number("events_published"), 4000);
    EXPECT_GT(s.number("pairs"), 20000);
    EXPECT_EQ(s.number("publish_skipped", -1), 0);
    EXPECT_EQ(s.number("unknown_deliveries", -1), 0);
    EXPECT_EQ(s.number("lost_events", -1), 0);
}

TEST(PaperSynthetic, SteadyStateDeliversOnTime) {
    Summary s = run("none");
    expect_sane(s);
    EXPECT_GE(s.number("delivered_on_time"), 0.999);
    EXPECT_GE(s.number("delivered_eventually"), 0.999);
    // The latency target (p99 <= 1 s) is a timing target: it is measured by
    // bench/sim/paper_synthetic.sh and reported in docs/results.md, not asserted here.
    EXPECT_GT(s.number("latency_samples"), 10000);
    EXPECT_TRUE(s.get("recovery_s") &&
                std::holds_alternative<std::monostate>(*s.get("recovery_s")));
    // Sanity of the load figures (the paper's bound is for 1,500 nodes: bench/sim).
    EXPECT_GT(s.number("node_msgs_per_s_mean"), 0);
    EXPECT_GE(s.number("node_msgs_per_s_max"), s.number("node_msgs_per_s_p99"));
    EXPECT_GT(s.number("messages_per_delivery"), 0);
    EXPECT_LT(s.number("duplicates_per_delivery", 1), 0.1);
}

TEST(PaperSynthetic, RecoversFromACrashOfTenPercent) {
    Summary s = run("crash10");
    expect_sane(s);
    EXPECT_EQ(s.number("crashed_nodes"), 15);
    EXPECT_LE(s.number("recovery_s", 1e9), 120);
}

TEST(PaperSynthetic, RecoversWhenEveryMailboxCrashes) {
    Summary s = run("mailboxes");
    expect_sane(s);
    EXPECT_GT(s.number("crashed_nodes"), 0);
    EXPECT_LE(s.number("recovery_s", 1e9), 300);
}

TEST(PaperSynthetic, DeliversUnderReplacementChurn) {
    Summary s = run("replace10");
    expect_sane(s);
    EXPECT_GE(s.number("delivered_on_time"), 0.99);
}

}  // namespace
}  // namespace elmo::sim
