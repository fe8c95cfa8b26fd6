// Backup mailboxes (docs/dissemination.md, "Backup mailbox") over fake ports: a mailbox alone with
// a topic that has enough registered clients has a neighbour adopt it too and links it, so the
// topic's events live on two nodes; below the threshold it stays alone.
#include <gtest/gtest.h>

#include "core_harness.hpp"

namespace elmo {
namespace {

using namespace std::chrono_literals;
using test::CoreCluster;

Bytes cid(std::uint8_t n) { return Bytes(8, n); }

wire::Event event(std::uint64_t seq) { return test::sealed_event("t", seq, cid(1)); }

NodeCoreConfig min_registrations(std::size_t n) {
    NodeCoreConfig base;
    base.params.backup_min_registrations = n;
    return base;
}

// Node 0 elects itself for "t" for `clients` of its own clients; nodes 1 and 2 are its
// neighbours. Runs past the discovery rounds at 2 s and 32 s.
std::size_t holders_after(CoreCluster& c, std::uint8_t clients) {
    c.link(0, 1);
    c.link(0, 2);
    c.start();
    for (std::uint8_t i = 1; i <= clients; ++i) {
        c.connect_client(0, i, cid(i));
        c.client_frame(0, i, wire::Subscribe{i, "t", {}});
    }
    c.run_for(60s);
    std::size_t n = 0;
    for (std::size_t i = 0; i < 3; ++i) n += c.core(i).mailbox().holds("t");
    return n;
}

TEST(NodeBackup, AMailboxAloneWithEnoughClientsHasASecondOneAdoptTheTopic) {
    CoreCluster c(3, min_registrations(3));
    ASSERT_EQ(holders_after(c, 3), 2u);
    ASSERT_TRUE(c.core(0).mailbox().holds("t"));
    EXPECT_EQ(c.core(0).stats().backups_requested, 1u);
    EXPECT_EQ(c.core(0).stats().backups_linked, 1u);
    ASSERT_EQ(c.core(0).mailbox().links("t").size(), 1u);
    const std::size_t backup = c.core(1).mailbox().holds("t") ? 1 : 2;
    EXPECT_EQ(c.core(0).mailbox().links("t")[0].id, c.core(backup).id());
    // An event published now is held by both: the backup outlives the first mailbox.
    const wire::Event e = event(1);
    c.client_frame(0, 1, wire::Publish{9, e, {c.core(0).self_addr()}, false});
    c.run_for(2s);
    EXPECT_TRUE(c.core(0).mailbox().find_event("t", e.id));
    EXPECT_TRUE(c.core(backup).mailbox().find_event("t", e.id));
}

TEST(NodeBackup, BelowTheThresholdTheMailboxStaysAlone) {
    CoreCluster c(3, min_registrations(3));
    EXPECT_EQ(holders_after(c, 2), 1u);
    EXPECT_EQ(c.core(0).stats().backups_requested, 0u);
}

TEST(NodeBackup, OffMeansNoBackup) {
    CoreCluster c(3, min_registrations(0));
    EXPECT_EQ(holders_after(c, 5), 1u);
}

}  // namespace
}  // namespace elmo
