// Graceful stop of a mailbox (SIGTERM): the topic is handed to its linked mailbox and nothing a
// subscriber relies on is lost. Three nodes; n1 takes two registrations only, so the topic gets
// a second mailbox (n0) when a third subscriber arrives, and the two link. n1 is then stopped
// with SIGTERM while holding the topic's events and a registration of a client homed elsewhere.
#include <gtest/gtest.h>

#include <csignal>
#include <memory>

#include "elmod_clients.hpp"
#include "elmod_stop.hpp"
#include "temp_dir.hpp"

namespace elmo::daemon::test {
namespace {

constexpr const char* topic = "handoff";

double value(Elmod& n, const std::string& sample) {
    return n.sample(sample).value_or(-1);
}

// Where the topic is, for failure messages.
std::string where(LocalCluster& c) {
    std::string s;
    for (std::size_t i = 0; i < c.nodes.size(); ++i) {
        auto& n = *c.nodes[i];
        s += " n" + std::to_string(i) + ": topics " +
             std::to_string(value(n, "elmo_mailbox_topics")) + " registrations " +
             std::to_string(value(n, "elmo_mailbox_registrations")) + " links " +
             std::to_string(value(n, "elmo_mailbox_links")) + " stored " +
             std::to_string(value(n, "elmo_mailbox_stored_events")) + ";";
    }
    return s;
}

TEST(ElmodHandoff, SigtermHandsTheTopicToTheLinkedMailboxAndSubscribersKeepEverything) {
    TempDir dir;
    LocalCluster cluster(dir.path(), 3, [](int i) {
        return i == 1 ? std::vector<std::string>{"--mailbox.max_registrations", "2"}
                      : std::vector<std::string>{};
    });
    auto& [specs, nodes] = cluster;
    Elmod& n0 = *nodes[0];
    Elmod& n1 = *nodes[1];
    ASSERT_TRUE(poll_until(
        60s, [&] { return cluster.dht_formed(2); }, 250ms))
        << nodes[1]->process().log();
    std::vector<transport::CertFingerprint> pins;
    for (const auto& s : specs) pins.push_back(fingerprint(s));

    // Each client has one home, so that where the topic lands is known: s1's home n1 elects
    // itself mailbox; s2 (home n2) registers there too and fills n1; s3's home n0 finds no room
    // and becomes the second mailbox, linked to n1.
    asio::io_context io;
    auto s1 = make_client(io, "sub-1", {specs[1]}, pins);
    ASSERT_TRUE(s1);
    s1->client->subscribe(topic);
    ASSERT_TRUE(run_until(io, 30s,
                          [&] {
                              return value(n1, "elmo_mailbox_topics") == 1 &&
                                     value(n1, "elmo_mailbox_registrations") == 1;
                          }))
        << "n1 did not become the mailbox: " << s1->client->last_error() << where(cluster);
    auto s2 = make_client(io, "sub-2", {specs[2]}, pins);
    ASSERT_TRUE(s2);
    s2->client->subscribe(topic);
    ASSERT_TRUE(run_until(io, 30s, [&] { return value(n1, "elmo_mailbox_registrations") == 2; }))
        << where(cluster);
    auto s3 = make_client(io, "sub-3", {specs[0]}, pins);
    ASSERT_TRUE(s3);
    s3->client->subscribe(topic);
    ASSERT_TRUE(run_until(io, 30s, [&] {
        return value(n0, "elmo_mailbox_registrations") == 1 &&
               value(n0, "elmo_mailbox_links") >= 1 && value(n1, "elmo_mailbox_links") >= 1;
    })) << where(cluster);

    auto pub = make_client(io, "pub-1", {specs[2]}, pins);
    ASSERT_TRUE(pub);
    std::set<wire::EventId> published;
    auto publish = [&](int count) {
        for (int i = 0; i < count; ++i) {
            auto id = pub->client->publish(topic,
                                           Bytes{'e', static_cast<std::uint8_t>(published.size())});
            ASSERT_TRUE(id.ok());
            published.insert(*id);
        }
    };
    publish(20);
    ASSERT_TRUE(run_until(io, 60s,
                          [&] {
                              return pub->accepted.size() == 20 && s1->received == published &&
                                     s2->received == published && s3->received == published &&
                                     value(n0, "elmo_mailbox_stored_events") == 20 &&
                                     value(n1, "elmo_mailbox_stored_events") == 20;
                          }))
        << "accepted " << pub->accepted.size() << ", s1 " << s1->received.size() << ", s2 "
        << s2->received.size() << ", s3 " << s3->received.size() << where(cluster);

    // s1's home goes away with n1 (home failover is the heavy test's business).
    s1->client->stop();
    const std::string duplicate = "elmo_mailbox_events_refused_total{reason=\"duplicate\"}";
    const double duplicates_before = value(n0, duplicate);
    n1.process().signal(SIGTERM);
    auto exit = n1.process().wait(10s);
    ASSERT_TRUE(exit);
    EXPECT_TRUE(exit->exited);
    EXPECT_EQ(exit->code, 0) << n1.process().log();
    EXPECT_NE(n1.process().log().find("handed off 1 topics"), std::string::npos);
    // The history n1 handed over reached n0 (each event a duplicate there: gossip had copied it).
    EXPECT_TRUE(run_until(io, 10s, [&] { return value(n0, duplicate) >= duplicates_before + 20; }))
        << "duplicates at n0 " << duplicates_before << " -> " << value(n0, duplicate);
    EXPECT_EQ(value(n0, "elmo_mailbox_stored_events"), 20);

    // s2, registered at n1, is moved to n0 by the evaporation notice and receives what is
    // published next; a late subscriber gets the whole history from the remaining mailbox.
    publish(5);
    auto late = make_client(io, "sub-4", {specs[2]}, pins);
    ASSERT_TRUE(late);
    late->client->subscribe(topic);
    EXPECT_TRUE(run_until(io, 90s,
                          [&] {
                              return pub->accepted.size() == published.size() &&
                                     s2->received == published && s3->received == published &&
                                     late->received == published;
                          }))
        << "accepted " << pub->accepted.size() << " of " << published.size() << ", s2 "
        << s2->received.size() << ", s3 " << s3->received.size() << ", late "
        << late->received.size() << where(cluster);
    EXPECT_EQ(s1->duplicates + s2->duplicates + s3->duplicates + late->duplicates, 0u);

    for (auto* c : {s2.get(), s3.get(), pub.get(), late.get()}) c->client->stop();
    expect_graceful_stop(std::vector<Elmod*>{nodes[0].get(), nodes[2].get()});
}

}  // namespace
}  // namespace elmo::daemon::test
