// elmod with real clients (the asio/TLS client driver): events published through one node reach
// a subscriber homed at another, the mailbox that stored them is killed with kill -9 and
// restarted from its data dir, and a new subscriber then receives the whole history from it.
#include <gtest/gtest.h>

#include <csignal>
#include <memory>

#include "elmod_clients.hpp"
#include "elmod_stop.hpp"
#include "temp_dir.hpp"

namespace elmo::daemon::test {
namespace {

TEST(ElmodClients, EventsReachSubscribersAndSurviveAMailboxKilledAndRestarted) {
    TempDir dir;
    LocalCluster cluster(dir.path(), 3);
    auto& [specs, nodes] = cluster;
    ASSERT_TRUE(poll_until(
        60s, [&] { return cluster.dht_formed(2); }, 250ms))
        << nodes[1]->process().log();
    std::vector<transport::CertFingerprint> pins;
    for (const auto& s : specs) pins.push_back(fingerprint(s));

    asio::io_context io;
    auto sub = make_client(io, "sub-1", {specs[1]}, pins);
    auto pub = make_client(io, "pub-1", {specs[2]}, pins);
    ASSERT_TRUE(sub && pub);
    sub->client->subscribe("news");
    ASSERT_TRUE(
        run_until(io, 30s, [&] { return sub->client->connected() && pub->client->connected(); }))
        << sub->client->last_error() << " / " << pub->client->last_error();

    constexpr int events = 20;
    std::set<wire::EventId> published;
    for (int i = 0; i < events; ++i) {
        auto id = pub->client->publish("news", Bytes{'e', static_cast<std::uint8_t>(i)});
        ASSERT_TRUE(id.ok());
        published.insert(*id);
    }
    ASSERT_TRUE(run_until(
        io, 60s,
        [&] { return pub->accepted.size() == published.size() && sub->received == published; }))
        << "accepted " << pub->accepted.size() << ", received " << sub->received.size();

    // The mailbox that holds the topic (a journaled history of every event).
    int mailbox = -1;
    std::string id_before;
    for (int i = 0; i < 3; ++i) {
        auto m = nodes[static_cast<std::size_t>(i)]->metrics();
        ASSERT_TRUE(m);
        if (metric(*m, "elmo_mailbox_stored_events").value_or(0) == events) {
            mailbox = i;
            id_before = metric_label(*m, "elmo_node_info", "id").value_or("");
            // Each "stored" answer waited for the journal's group commit.
            EXPECT_GE(metric(*m, "elmo_replies_held_total").value_or(0), events);
            EXPECT_GE(metric(*m, "elmo_journal_syncs_total").value_or(0), 1);
            break;
        }
    }
    ASSERT_GE(mailbox, 0) << "no node stores the " << events << " events";
    Elmod& old = *nodes[static_cast<std::size_t>(mailbox)];
    old.process().signal(SIGKILL);
    ASSERT_TRUE(old.process().wait(5s));
    nodes[static_cast<std::size_t>(mailbox)] =
        std::make_unique<Elmod>(specs[static_cast<std::size_t>(mailbox)], dir / "restarted.log");
    Elmod& node = *nodes[static_cast<std::size_t>(mailbox)];
    ASSERT_TRUE(run_until(io, 20s, [&] { return node.metrics().has_value(); }))
        << node.process().log();
    const std::string m = *node.metrics();
    EXPECT_EQ(metric_label(m, "elmo_node_info", "id"), id_before);
    EXPECT_EQ(metric(m, "elmo_journal_restored_events"), events);
    EXPECT_EQ(metric(m, "elmo_mailbox_stored_events"), events);

    // A subscriber arriving later, homed at the restarted mailbox, gets the history.
    auto late = make_client(io, "sub-2", {specs[static_cast<std::size_t>(mailbox)]}, pins);
    ASSERT_TRUE(late);
    late->client->subscribe("news");
    EXPECT_TRUE(run_until(io, 60s, [&] { return late->received == published; }))
        << "late subscriber received " << late->received.size() << " of " << events;
    EXPECT_EQ(sub->duplicates, 0u);
    EXPECT_EQ(late->duplicates, 0u);

    sub->client->stop();
    pub->client->stop();
    late->client->stop();
    expect_graceful_stop(nodes);
}

}  // namespace
}  // namespace elmo::daemon::test
