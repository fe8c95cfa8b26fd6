// elmo-replay --sim end to end on a small synthetic trace: the trace's presence, subscriptions
// and publications reach the simulated phones, events are delivered, the node failure in the
// trace is applied and measured, and the report files are written.
#include <gtest/gtest.h>

#include <filesystem>

#include "traces/sim_replay.hpp"
#include "traces/synthetic.hpp"

namespace elmo::traces {
namespace {

TEST(SimReplay, SyntheticTraceIsDeliveredAndReported) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("elmo-replay-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto trace = (dir / "t.trace.gz").string();
    SyntheticConfig c;
    c.nodes = 40;
    c.rate = 5;
    c.duration_s = 240;
    c.join_s = 30;
    c.churn = ChurnKind::crash;
    c.fail_at_s = 150;
    c.fraction = 0.1;
    {
        auto w = TraceWriter::open(trace);
        ASSERT_TRUE(w.ok());
        auto st = generate_synthetic(c, *w);
        ASSERT_TRUE(st.ok());
        ASSERT_TRUE(w->close().ok());
    }
    SimReplayOptions o;
    o.trace = trace;
    o.warmup_s = 30;
    o.drain_s = 60;
    o.progress = nullptr;
    auto r = replay_sim(o);
    ASSERT_TRUE(r.ok()) << r.error();
    const auto& s = r->summary;
    EXPECT_EQ(s.number("nodes"), 40);  // from the trace's header
    EXPECT_EQ(s.number("clients"), 120);
    EXPECT_EQ(s.number("subs_synthetic"), 360);
    EXPECT_EQ(s.number("nodes_failed"), 4);
    EXPECT_EQ(s.number("failure_at_s"), 180);  // warm-up + 150 s
    EXPECT_EQ(s.number("publish_from_offline_skipped"), 0);
    EXPECT_GT(s.number("publications_total"), 800);
    EXPECT_GT(s.number("pairs"), 1000);
    EXPECT_GE(s.number("delivered_on_time"), 0.95);
    EXPECT_FALSE(r->latencies_ms.empty());
    EXPECT_FALSE(r->mailbox_pattern.empty());
    const auto out = (dir / "report").string();
    ASSERT_TRUE(write_report(out, *r, false, nullptr).ok());
    for (const char* f : {"summary.json", "timeseries.csv", "nodes.csv", "nodes_sorted.csv",
                          "latency_cdf.csv", "mailbox_pattern.csv", "recovery.csv", "plots.gp"})
        EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
}

}  // namespace
}  // namespace elmo::traces
