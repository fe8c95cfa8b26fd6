// elmo-replay --sim end to end on a small synthetic trace: the trace's presence, subscriptions
// and publications reach the simulated phones, events are delivered, the node failure in the
// trace is applied and measured, and the report files are written.
#include <gtest/gtest.h>

#include <filesystem>

#include "traces/cluster_replay.hpp"
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

namespace elmo::traces {
namespace {

TEST(ClusterReplayArgs, EndpointListsParseOrFailWithTheBadItem) {
    auto ok = parse_endpoints("127.0.0.1:24001,10.1.2.3:80");
    ASSERT_TRUE(ok.ok());
    ASSERT_EQ(ok->size(), 2u);
    EXPECT_EQ((*ok)[0], Endpoint::v4(0x7f000001, 24001));
    EXPECT_EQ((*ok)[1], Endpoint::v4(0x0a010203, 80));
    for (const char* bad : {"", "127.0.0.1", "127.0.0.1:0", "256.0.0.1:1", "1.2.3.4:70000",
                            "1.2.3.4:5,", "1.2.3.4:5x"}) {
        auto r = parse_endpoints(bad);
        EXPECT_FALSE(r.ok()) << bad;
    }
    EXPECT_NE(parse_endpoints("1.2.3.4:5,nope").error().find("nope"), std::string::npos);
}

TEST(ClusterReplayArgs, RefusesWithoutNodesOrTrust) {
    ClusterReplayOptions o;
    o.trace = "/nonexistent";
    o.progress = nullptr;
    EXPECT_FALSE(replay_cluster(o).ok());  // no nodes
    o.nodes = {Endpoint::v4(0x7f000001, 1)};
    auto r = replay_cluster(o);  // neither --plain-tcp nor pins
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("plain-tcp"), std::string::npos);
}

}  // namespace
}  // namespace elmo::traces
