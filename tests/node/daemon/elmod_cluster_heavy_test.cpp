// The heavy scenario (label `heavy`, minutes of CPU): 16 elmod processes, 100 TLS
// clients over 20 topics, and kill -9 of 4 nodes while events are being published; the killed
// nodes restart from their data dirs 10 s later. Every accepted publication must reach every
// subscriber of its topic exactly once (DESIGN 2.6), whatever node each client was homed at.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>

#include "common/hash.hpp"
#include "elmod_clients.hpp"
#include "elmod_stop.hpp"
#include "temp_dir.hpp"

namespace elmo::daemon::test {
namespace {

constexpr int node_count = 16;
constexpr int client_count = 100;
constexpr int topic_count = 20;
constexpr int publish_seconds = 30;
const std::vector<int> victims = {3, 7, 10, 14};

std::string topic_of(int client) {
    return "topic-" + std::to_string(client % topic_count);
}

TEST(ElmodHeavy, SixteenNodesHundredClientsFourKilledWhilePublishing) {
    TempDir dir;
    LocalCluster cluster(dir.path(), node_count);
    auto& [specs, nodes] = cluster;
    ASSERT_TRUE(poll_until(
        120s, [&] { return cluster.dht_formed(3); }, 500ms))
        << nodes[5]->process().log();
    std::vector<transport::CertFingerprint> pins;
    for (const auto& s : specs) pins.push_back(fingerprint(s));

    asio::io_context io;
    auto credentials = transport::TlsCredentials::client();
    ASSERT_TRUE(credentials.ok());
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int c = 0; c < client_count; ++c) {
        // Home first, then two other nodes to fail over to.
        std::vector<NodeSpec> homes;
        for (int k = 0; k < 3; ++k)
            homes.push_back(specs[static_cast<std::size_t>((c + 5 * k) % node_count)]);
        clients.push_back(
            make_client(io, "client-" + std::to_string(c), homes, pins, *credentials));
        ASSERT_TRUE(clients.back());
        clients.back()->client->subscribe(topic_of(c));
    }
    ASSERT_TRUE(run_until(io, 60s, [&] {
        for (auto& c : clients)
            if (!c->client->connected()) return false;
        return true;
    }));

    // One publication per topic per second (clients 0..19 publish), 4 nodes killed at 10 s and
    // restarted at 20 s.
    std::map<std::string, std::set<wire::EventId>> published;
    std::map<wire::EventId, int> published_second;
    std::uint64_t refused = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int s = 0; s < publish_seconds; ++s) {
        for (int c = 0; c < topic_count; ++c) {
            auto id = clients[static_cast<std::size_t>(c)]->client->publish(
                topic_of(c), Bytes(100, static_cast<std::uint8_t>(s)));
            if (id.ok()) {
                published[topic_of(c)].insert(*id);
                published_second[*id] = s;
            } else
                ++refused;
        }
        if (s == 10)
            for (int v : victims) nodes[static_cast<std::size_t>(v)]->process().signal(SIGKILL);
        if (s == 20)
            for (int v : victims) {
                nodes[static_cast<std::size_t>(v)]->process().wait(5s);
                nodes[static_cast<std::size_t>(v)] =
                    std::make_unique<Elmod>(specs[static_cast<std::size_t>(v)],
                                            dir / ("n" + std::to_string(v) + ".restart.log"));
            }
        const auto until = start + std::chrono::seconds(s + 1);
        run_until(io, 2s, [&] { return std::chrono::steady_clock::now() >= until; });
    }
    EXPECT_EQ(refused, 0u);

    // A client has an event of its topic if it received it or published it (accepted).
    auto has = [](const TestClient& c, const wire::EventId& id) {
        return c.received.contains(id) || c.accepted.contains(id);
    };
    auto delivered = [&] {
        std::size_t pairs = 0, got = 0;
        for (const auto& c : clients) {
            const auto& want = published[topic_of(static_cast<int>(&c - &clients[0]))];
            pairs += want.size();
            for (const auto& id : want) got += has(*c, id);
        }
        return std::pair{got, pairs};
    };
    auto all_accepted = [&] {
        std::size_t n = 0;
        for (int c = 0; c < topic_count; ++c)
            n += clients[static_cast<std::size_t>(c)]->accepted.size();
        return n;
    };
    // Which pairs are missing, to trace them in the daemons' logs (ELMO_KEEP_TEST_DIR keeps them).
    // For each client that lacks something: the pairs, then its home and mailbox (node index by
    // port) and the counters that tell how it got its events.
    auto print_missing = [&](const char* what) {
        std::printf("%s (test dir %s):\n", what, dir.path().c_str());
        auto node_of = [&](std::uint16_t port) {
            for (std::size_t n = 0; n < specs.size(); ++n)
                if (specs[n].client_port == port) return static_cast<int>(n);
            return -1;
        };
        for (std::size_t i = 0; i < clients.size(); ++i) {
            const auto& c = clients[i];
            const std::string topic = topic_of(static_cast<int>(i));
            bool lacks = false;
            for (const auto& id : published[topic])
                if (!has(*c, id)) {
                    lacks = true;
                    std::printf("  client-%zu (homes n%zu n%zu n%zu) %s event %s of second %d\n", i,
                                i % node_count, (i + 5) % node_count, (i + 10) % node_count,
                                topic.c_str(), to_hex(ByteView(id.data(), 8)).c_str(),
                                published_second[id]);
                }
            if (!lacks) continue;
            const auto& core = c->client->core();
            const auto& st = core.stats();
            const auto home = core.home();
            auto t = core.topics().find(topic);
            std::printf(
                "  client-%zu: home n%d, mailbox n%d (registered %d), connects %llu failovers "
                "%llu, subscribe ok %llu, mailbox changes %llu, lost notices %llu, polls %llu "
                "(results %llu, unreachable %llu, not held %llu), backfill polls %llu, "
                "delivered %llu, outbox %zu\n",
                i, home ? node_of(home->port) : -1,
                t != core.topics().end() ? node_of(t->second.mailbox.endpoint.to_endpoint().port)
                                         : -1,
                t != core.topics().end() ? int(t->second.registered) : -1,
                (unsigned long long)st.connects, (unsigned long long)st.failovers,
                (unsigned long long)st.subscribe_ok, (unsigned long long)st.mailbox_changes,
                (unsigned long long)st.mailbox_lost_notices, (unsigned long long)st.polls_sent,
                (unsigned long long)st.poll_results, (unsigned long long)st.polls_unreachable,
                (unsigned long long)st.polls_not_held, (unsigned long long)st.backfill_polls,
                (unsigned long long)st.events_delivered, core.outbox_size());
        }
    };
    const bool all_delivered_soon = run_until(io, 5s, [&] {
        auto [got, pairs] = delivered();
        return got == pairs;
    });
    if (!all_delivered_soon) {
        print_missing("missing 5 s after the last publication");
        // Every node's counters at that moment, beside its log (kept with ELMO_KEEP_TEST_DIR).
        for (std::size_t n = 0; n < nodes.size(); ++n)
            if (auto m = nodes[n]->metrics())
                std::ofstream(dir / ("n" + std::to_string(n) + ".metrics")) << *m;
    }
    // Clients poll their mailboxes on reconnection and periodically; the deadline covers a
    // client whose home died and whose mailbox moved.
    const bool complete = run_until(io, 240s, [&] {
        auto [got, pairs] = delivered();
        return got == pairs && all_accepted() == topic_count * publish_seconds;
    });
    auto [got, pairs] = delivered();
    std::uint64_t duplicates = 0;
    for (const auto& c : clients) duplicates += c->duplicates;
    std::printf(
        "published %d, accepted %zu; delivered %zu of %zu (event, subscriber) pairs "
        "(%.4f); duplicates seen by handlers %llu; %.0f s after publishing began\n",
        topic_count * publish_seconds, all_accepted(), got, pairs,
        pairs ? double(got) / double(pairs) : 0.0, static_cast<unsigned long long>(duplicates),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    EXPECT_TRUE(complete);
    if (!complete) print_missing("never delivered");
    EXPECT_EQ(all_accepted(), static_cast<std::size_t>(topic_count * publish_seconds));
    EXPECT_EQ(duplicates, 0u);

    for (auto& c : clients) c->client->stop();
    expect_graceful_stop(nodes);
}

}  // namespace
}  // namespace elmo::daemon::test
