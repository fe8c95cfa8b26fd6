// The SDK against a real elmod cluster on loopback (label `daemon`): connection cuts while events
// flow, a phone offline while events are published, the home node killed.
#include <gtest/gtest.h>

#include <csignal>
#include <random>

#include "sdk_clients.hpp"
#include "temp_dir.hpp"

namespace elmo::sdk::test {
namespace {

using daemon::test::TempDir;

struct Cluster {
    explicit Cluster(int n) : cluster(dir.path(), n) {
        EXPECT_TRUE(poll_until(
            60s, [&] { return cluster.dht_formed(n - 1); }, 250ms))
            << cluster.nodes[0]->process().log();
        pins = pins_of(cluster);
    }
    TempDir dir;
    LocalCluster cluster;
    std::vector<transport::CertFingerprint> pins;
};

TEST(SdkCluster, SubscriberCutFiftyTimesReceivesAThousandEventsExactlyOnce) {
    Cluster c(3);
    const auto& specs = c.cluster.specs;
    auto sub = sdk_client(specs, c.pins, {"cuts"}, {}, 11);
    auto pub = sdk_client({specs[2]}, c.pins, {}, {}, 12);
    ASSERT_TRUE(sub && pub);
    ASSERT_TRUE(poll_until(30s, [&] { return registered(*sub->client, "cuts"); }))
        << sub->client->status().last_error;

    constexpr int events = 1000, cuts = 50;
    std::mt19937 rng(20261124);
    std::set<int> cut_at;
    while (static_cast<int>(cut_at.size()) < cuts) cut_at.insert(static_cast<int>(rng() % events));
    std::set<EventId> published;
    for (int i = 0; i < events; ++i) {
        auto id = pub->client->publish(
            "cuts", Bytes{static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8)});
        ASSERT_TRUE(id.ok());
        published.insert(*id);
        // The socket presumed dead at a random moment: between publications, while pushes,
        // polls and renewals are in flight. Each cut hits an established connection (a cut
        // during the reconnection of the previous one would only restart that attempt).
        if (cut_at.contains(i)) {
            ASSERT_TRUE(poll_until(
                30s, [&] { return sub->client->status().connected; }, 1ms));
            sub->client->on_connectivity_changed(true);
        }
        // Keep the publisher at most 50 ahead of acknowledgement, so the cuts spread over the
        // whole run rather than landing before the first event is stored.
        if (i % 25 == 0) {
            ASSERT_TRUE(poll_until(
                30s, [&] { return pub->seen.accepted_count() + 50 >= static_cast<std::size_t>(i); },
                5ms));
        }
    }
    ASSERT_TRUE(poll_until(
        120s, [&] { return sub->seen.received_count() == published.size(); }, 100ms))
        << "received " << sub->seen.received_count() << " of " << events;
    EXPECT_EQ(sub->seen.received_copy(), published);
    EXPECT_EQ(sub->seen.duplicates, 0u);
    auto s = sub->client->status();
    EXPECT_GE(s.core.connects, static_cast<std::uint64_t>(cuts) + 1);
    EXPECT_GE(s.core.disconnects, static_cast<std::uint64_t>(cuts));
    EXPECT_GT(s.core.poll_events_received, 0u) << "some events must have come by poll";
    std::printf("cuts: %llu connects, %llu events by poll, %llu duplicates dropped by the core\n",
                static_cast<unsigned long long>(s.core.connects),
                static_cast<unsigned long long>(s.core.poll_events_received),
                static_cast<unsigned long long>(s.core.duplicates_received));
}

TEST(SdkCluster, PhoneOfflineGetsEverythingFromPollOnReturn) {
    Cluster c(3);
    const auto& specs = c.cluster.specs;
    auto sub = sdk_client({specs[0], specs[1]}, c.pins, {"away"}, {}, 21);
    auto pub = sdk_client({specs[2]}, c.pins, {}, {}, 22);
    ASSERT_TRUE(sub && pub);
    ASSERT_TRUE(poll_until(30s, [&] { return registered(*sub->client, "away"); }));
    // Offline: the home forgets the session at once (no push can reach the phone any more:
    // the push path is gone for as long as the phone is away, however long that is).
    sub->client->on_connectivity_changed(false);
    ASSERT_TRUE(poll_until(10s, [&] { return !sub->client->status().connected; }));
    std::set<EventId> published;
    for (int i = 0; i < 100; ++i) {
        auto id = pub->client->publish("away", Bytes{'o', static_cast<std::uint8_t>(i)});
        ASSERT_TRUE(id.ok());
        published.insert(*id);
    }
    ASSERT_TRUE(poll_until(30s, [&] { return pub->seen.accepted_count() == published.size(); }));
    EXPECT_EQ(sub->seen.received_count(), 0u);
    auto before = sub->client->status().core;
    sub->client->on_connectivity_changed(true);
    ASSERT_TRUE(poll_until(60s, [&] { return sub->seen.received_count() == published.size(); }))
        << "received " << sub->seen.received_count();
    EXPECT_EQ(sub->seen.received_copy(), published);
    EXPECT_EQ(sub->seen.duplicates, 0u);
    auto after = sub->client->status().core;
    EXPECT_GE(after.poll_events_received - before.poll_events_received, published.size())
        << "everything came by poll";
}

// Publishes `n` small events on `topic` through `pub`, adding their ids to `published`.
void publish_tagged(SdkClient& pub, const std::string& topic, int n, char tag,
                    std::set<EventId>& published) {
    for (int i = 0; i < n; ++i) {
        auto id = pub.client->publish(
            topic, Bytes{static_cast<std::uint8_t>(tag), static_cast<std::uint8_t>(i)});
        ASSERT_TRUE(id.ok());
        published.insert(*id);
    }
}

// After its home was killed: `sub` received every published event once, from another node.
void expect_failed_over(SdkClient& sub, const std::set<EventId>& published, int killed_home,
                        const LocalCluster& cluster) {
    ASSERT_TRUE(poll_until(
        120s, [&] { return sub.seen.received_count() == published.size(); }, 100ms))
        << "received " << sub.seen.received_count() << " of " << published.size();
    EXPECT_EQ(sub.seen.received_copy(), published);
    EXPECT_EQ(sub.seen.duplicates, 0u);
    auto s = sub.client->status();
    EXPECT_TRUE(s.connected);
    EXPECT_NE(home_index(*sub.client, cluster), killed_home);
    EXPECT_GE(s.core.failovers, 1u);
}

TEST(SdkCluster, HomeNodeKilledClientFailsOverAndKeepsReceiving) {
    Cluster c(3);
    const auto& specs = c.cluster.specs;
    auto sub = sdk_client(specs, c.pins, {"failover"}, {}, 31);
    ASSERT_TRUE(sub);
    ASSERT_TRUE(poll_until(30s, [&] { return registered(*sub->client, "failover"); }));
    int home = home_index(*sub->client, c.cluster);
    ASSERT_GE(home, 0);
    // The publisher lives at another node than the subscriber's home.
    int other = (home + 1) % 3;
    auto pub = sdk_client({specs[static_cast<std::size_t>(other)]}, c.pins, {}, {}, 32);
    ASSERT_TRUE(pub);
    std::set<EventId> published;
    publish_tagged(*pub, "failover", 20, 'a', published);
    ASSERT_TRUE(poll_until(30s, [&] { return sub->seen.received_count() == 20; }));

    auto& killed = c.cluster.nodes[static_cast<std::size_t>(home)]->process();
    killed.signal(SIGKILL);
    ASSERT_TRUE(killed.wait(5s));
    publish_tagged(*pub, "failover", 20, 'b', published);
    expect_failed_over(*sub, published, home, c.cluster);
}

// The phone was configured with its home node only; it learns the topic's mailbox (another node)
// from the answers to its subscription, and when its home dies it fails over to that node: a
// node's client port is its UDP port's number, which is what mailbox lists carry.
TEST(SdkCluster, FailsOverToANodeLearnedFromAMailboxList) {
    Cluster c(3);
    const auto& specs = c.cluster.specs;
    // The publisher's home (node 1) becomes the topic's mailbox with its first publication.
    auto pub = sdk_client({specs[1]}, c.pins, {}, {}, 41);
    ASSERT_TRUE(pub);
    std::set<EventId> published;
    publish_tagged(*pub, "learned", 5, 'a', published);
    ASSERT_TRUE(poll_until(30s, [&] { return pub->seen.accepted_count() == 5; }));
    // The subscriber knows node 0 only.
    auto sub = sdk_client({specs[0]}, c.pins, {"learned"}, {}, 42);
    ASSERT_TRUE(sub);
    ASSERT_TRUE(poll_until(30s, [&] { return sub->seen.received_count() == 5; }))
        << "received " << sub->seen.received_count();
    ASSERT_EQ(home_index(*sub->client, c.cluster), 0);

    auto& killed = c.cluster.nodes[0]->process();
    killed.signal(SIGKILL);
    ASSERT_TRUE(killed.wait(5s));
    publish_tagged(*pub, "learned", 10, 'b', published);
    expect_failed_over(*sub, published, 0, c.cluster);
}

}  // namespace
}  // namespace elmo::sdk::test
