// elmod as a user runs it: command line, start-up refusals, a small cluster forming its DHT,
// graceful stop, and a kill -9 followed by a restart from the same data dir.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <csignal>
#include <memory>
#include <vector>

#include "elmod_harness.hpp"
#include "node/daemon/journal.hpp"
#include "node/daemon/mailbox_journal.hpp"
#include "temp_dir.hpp"

namespace elmo::daemon::test {
namespace {

TEST(ElmodCli, HelpExitsZeroAndListsOptions) {
    TempDir dir;
    auto r = run_to_exit(elmod_path(), {"--help"}, dir / "out", 10s);
    ASSERT_TRUE(r.exit.exited) << r.output;
    EXPECT_EQ(r.exit.code, 0);
    EXPECT_NE(r.output.find("usage: elmod"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("--bootstrap"), std::string::npos);
}

TEST(ElmodCli, BadOptionExitsTwoNamingTheOption) {
    TempDir dir;
    auto r = run_to_exit(elmod_path(), {"--port", "70000"}, dir / "out", 10s);
    ASSERT_TRUE(r.exit.exited) << r.output;
    EXPECT_EQ(r.exit.code, 2);
    EXPECT_NE(r.output.find("--port: must be 1..65535, got '70000'"), std::string::npos)
        << r.output;
    auto u = run_to_exit(elmod_path(), {"--no-such-option"}, dir / "out2", 10s);
    ASSERT_TRUE(u.exit.exited);
    EXPECT_EQ(u.exit.code, 2);
    EXPECT_NE(u.output.find("--no-such-option"), std::string::npos) << u.output;
}

TEST(ElmodDaemon, ASecondDaemonOnTheSameDataDirIsRefused) {
    TempDir dir;
    Elmod first(NodeSpec::fresh(dir / "data"), dir / "first.log");
    ASSERT_TRUE(poll_until(20s, [&] { return first.metrics().has_value(); }))
        << first.process().log();
    NodeSpec other = NodeSpec::fresh(dir / "data");
    auto r = run_to_exit(elmod_path(), other.args(), dir / "second.log", 20s);
    ASSERT_TRUE(r.exit.exited) << r.output;
    EXPECT_EQ(r.exit.code, 1);
    EXPECT_NE(r.output.find("in use by another elmod"), std::string::npos) << r.output;
    EXPECT_TRUE(first.process().running());
}

// The client listener's bounds as options: connections over --client-max-connections are
// closed at once, connections silent for --client-idle-timeout are closed; both counted.
TEST(ElmodDaemon, ClientConnectionBoundAndIdleTimeout) {
    TempDir dir;
    NodeSpec spec = NodeSpec::fresh(dir / "data");
    spec.extra = {"--plain-tcp", "--client-max-connections", "2", "--client-idle-timeout", "1"};
    Elmod node(spec, dir / "node.log");
    ASSERT_TRUE(poll_until(20s, [&] { return node.metrics().has_value(); }))
        << node.process().log();
    asio::io_context io;
    const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), spec.client_port);
    std::vector<asio::ip::tcp::socket> sockets;
    for (int i = 0; i < 3; ++i) {
        sockets.emplace_back(io);
        sockets.back().connect(ep);
    }
    const std::string closed = "elmo_client_closed_total{reason=";
    EXPECT_TRUE(poll_until(10s, [&] {
        return node.sample(closed + "\"max_clients\"}").value_or(0) == 1 &&
               node.sample("elmo_clients_connected").value_or(0) == 2;
    })) << node.metrics().value_or("no metrics");
    // Nothing is sent: after 1 to 1.25 s both are closed as idle.
    EXPECT_TRUE(poll_until(10s, [&] {
        return node.sample(closed + "\"idle\"}").value_or(0) == 2 &&
               node.sample("elmo_clients_connected").value_or(-1) == 0;
    })) << node.metrics().value_or("no metrics");
    node.process().signal(SIGTERM);
    auto e = node.process().wait(10s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, 0) << node.process().log();
}

TEST(ElmodCluster, FourNodesFormADhtAndStopGracefully) {
    TempDir dir;
    LocalCluster cluster(dir.path(), 4);
    auto& nodes = cluster.nodes;
    const bool formed = poll_until(
        60s,
        [&] {
            if (!cluster.dht_formed(1)) return false;
            auto seed_good = nodes[0]->sample("elmo_dht_nodes{state=\"good\"}");
            return seed_good && *seed_good >= 3;
        },
        250ms);
    ASSERT_TRUE(formed) << nodes[1]->process().log();
    // The node core sees the routing table as its overlay.
    EXPECT_GE(nodes[0]->sample("elmo_overlay_neighbours").value_or(0), 3);
    for (auto& n : nodes) n->process().signal(SIGTERM);
    for (auto& n : nodes) {
        auto e = n->process().wait(10s);
        ASSERT_TRUE(e) << "no exit after SIGTERM";
        EXPECT_TRUE(e->exited);
        EXPECT_EQ(e->code, 0) << n->process().log();
        EXPECT_NE(n->process().log().find("stopped"), std::string::npos);
    }
}

wire::Event event(std::uint64_t seq, std::int64_t timestamp_ms, std::int64_t expiry_ms) {
    wire::Event e;
    e.topic = "history";
    e.publisher = Bytes{'p'};
    e.seq = seq;
    e.timestamp_ms = timestamp_ms;
    e.expiry_ms = expiry_ms;
    e.payload = Bytes{1, 2, 3};
    e.seal();
    return e;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

TEST(ElmodRestart, KillNineThenRestartKeepsTheNodeIdAndItsUnexpiredHistory) {
    TempDir dir;
    NodeSpec spec = NodeSpec::fresh(dir / "data");
    std::string id;
    {
        Elmod node(spec, dir / "run1.log");
        ASSERT_TRUE(poll_until(20s, [&] { return node.node_id().has_value(); }))
            << node.process().log();
        id = *node.node_id();
        node.process().signal(SIGKILL);
        ASSERT_TRUE(node.process().wait(5s));
    }
    // What a mailbox would have journaled: a topic and its events, one already expired.
    {
        auto j = Journal::open(spec.data_dir / "mailbox.journal");
        ASSERT_TRUE(j.ok()) << j.error().to_string();
        const std::int64_t t = now_ms();
        std::vector<Bytes> records{encode_record(TopicAdopted{"history"})};
        for (std::uint64_t s = 1; s <= 5; ++s)
            records.push_back(encode_record(EventStored{event(s, t, t + 3'600'000)}));
        records.push_back(encode_record(EventStored{event(6, t - 7'200'000, t - 3'600'000)}));
        ASSERT_TRUE(j->journal.append_all(records).ok());
    }
    for (int run = 2; run <= 3; ++run) {
        SCOPED_TRACE(run);
        Elmod node(spec, dir / ("run" + std::to_string(run) + ".log"));
        ASSERT_TRUE(poll_until(20s, [&] { return node.metrics().has_value(); }))
            << node.process().log();
        const std::string m = *node.metrics();
        EXPECT_EQ(metric_label(m, "elmo_node_info", "id"), id);
        EXPECT_EQ(metric(m, "elmo_mailbox_topics"), 1);
        EXPECT_EQ(metric(m, "elmo_mailbox_stored_events"), 5);
        EXPECT_EQ(metric(m, "elmo_journal_restored_events"), 5);
        // Crash again: the journal compacted at start-up still holds the history.
        node.process().signal(SIGKILL);
        ASSERT_TRUE(node.process().wait(5s));
    }
}

}  // namespace
}  // namespace elmo::daemon::test
