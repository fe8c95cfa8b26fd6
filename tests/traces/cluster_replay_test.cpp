// elmo-replay --cluster against real elmod processes (label daemon): a small synthetic trace is
// played through the real client driver over plain TCP; every publication is accepted, its
// subscribers get it, and the nodes' load is read from their metrics.
#include <gtest/gtest.h>

#include "elmod_harness.hpp"
#include "temp_dir.hpp"
#include "traces/cluster_replay.hpp"
#include "traces/synthetic.hpp"

namespace elmo::traces {
namespace {

using namespace std::chrono_literals;
using daemon::test::LocalCluster;
using daemon::test::poll_until;
using daemon::test::TempDir;

TEST(ClusterReplay, SyntheticTraceIsDeliveredByRealDaemons) {
    TempDir dir;
    LocalCluster cluster(dir.path(), 2,
                         [](int) { return std::vector<std::string>{"--plain-tcp"}; });
    ASSERT_TRUE(poll_until(
        60s, [&] { return cluster.dht_formed(1); }, 250ms));

    const auto trace = (dir / "t.trace").string();
    SyntheticConfig c;
    c.nodes = 2;
    c.clients_per_node = 5;
    c.topics = 4;
    c.rate = 2;
    c.duration_s = 15;
    c.join_s = 2;
    c.online_s = 0;  // always online: every pair is due at once
    {
        auto w = TraceWriter::open(trace);
        ASSERT_TRUE(w.ok());
        ASSERT_TRUE(generate_synthetic(c, *w).ok());
        ASSERT_TRUE(w->close().ok());
    }
    ClusterReplayOptions o;
    o.trace = trace;
    for (const auto& s : cluster.specs) {
        o.nodes.push_back(Endpoint::v4(0x7f000001, s.client_port));
        o.admins.push_back(Endpoint::v4(0x7f000001, s.admin_port));
    }
    o.plain_tcp = true;
    o.warmup_s = 1;
    o.drain_s = 5;
    o.progress = nullptr;
    auto r = replay_cluster(o);
    ASSERT_TRUE(r.ok()) << r.error();
    const auto& s = r->summary;
    EXPECT_EQ(s.number("clients"), 10);
    EXPECT_EQ(s.number("nodes_scraped"), 2);
    EXPECT_GT(s.number("publications_total"), 10);
    EXPECT_EQ(s.number("events_accepted"), s.number("publications_total"));
    EXPECT_EQ(s.number("client_create_failed"), 0);
    // Subscribers online throughout get every event within the replay (their pairs are still
    // pending by the 60 s rule, so the latency samples are the check).
    EXPECT_GT(r->latencies_ms.size(), 20u);
    EXPECT_LT(r->latencies_ms.back(), 5000);
    EXPECT_GT(s.number("node_msgs_per_s_max"), 0);
}

}  // namespace
}  // namespace elmo::traces
