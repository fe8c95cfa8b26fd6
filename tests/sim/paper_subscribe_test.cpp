// Scenario paper-subscribe (issue 4) at a size that fits CI: 300 real-DHT nodes, 900 clients,
// 2,700 subscriptions over 900 Zipf(0.9) topics. The full 1,500-node run is
// bench/sim/paper_subscribe.sh. Asserts what a user of the service relies on: every subscription
// is registered with a live mailbox that really holds it, no mailbox is over its budget, the
// load on mailboxes is more even than the topics' popularity, hints beat blind walks, and a crash
// of 10% of the nodes is repaired within 3 minutes.
#include <gtest/gtest.h>

#include "sim/scenario.hpp"

namespace elmo::sim {
namespace {

Summary run(bool hints, std::uint64_t seed, bool directory = true) {
    ScenarioOptions o;
    o.nodes = 300;
    o.seed = seed;
    o.duration = std::chrono::seconds(540);
    o.params["hints"] = hints ? "1" : "0";
    o.params["use_directory"] = directory ? "1" : "0";
    return find_scenario("paper-subscribe")->run(o);
}

TEST(PaperSubscribe, RegistersEverySubscriptionAndSurvivesACrash) {
    Summary with = run(true, 1);
    std::printf("%s\n", with.to_json().c_str());
    EXPECT_DOUBLE_EQ(with.number("registered_fraction"), 1.0);
    EXPECT_EQ(with.number("over_budget_mailboxes", -1), 0);
    // The mailbox pattern is more uniform than the topics' popularity, and no mailbox carries a
    // hot topic alone: the hottest topic (251 subscribers) is split by the per-topic budget (64)
    // over at least 4 mailboxes, and nine mailboxes in ten hold under half of its subscribers.
    // (Gini alone misleads: the walks-first lookups spread tail topics over more mailboxes with
    // few registrations each, which raises the Gini of a more even load: session 9, 0.54 with
    // p50/p90 39/80 registrations against 0.37 with 116/133 asking the directory beside them.)
    EXPECT_LT(with.number("gini_mailbox_registrations"), with.number("gini_topic_subscriptions"));
    EXPECT_GE(with.number("mailboxes_per_topic_max"), 4);
    EXPECT_LE(with.number("registrations_per_mailbox_p90"),
              0.5 * with.number("subscriptions_per_topic_max"));
    EXPECT_GT(with.number("affected_subscriptions"), 0);
    EXPECT_DOUBLE_EQ(with.number("reregistered_after_crash_fraction"), 1.0);
    EXPECT_LE(with.number("reregistration_time_s", 1e9), 180);

    // Hints against blind walks, as in the original work: walks alone (the DHT directory, asked
    // when the walks find nothing, would make up for blind walks' misses).
    with = run(true, 1, false);
    std::printf("%s\n", with.to_json().c_str());
    EXPECT_DOUBLE_EQ(with.number("registered_fraction"), 1.0);
    Summary blind = run(false, 1, false);
    std::printf("%s\n", blind.to_json().c_str());
    EXPECT_DOUBLE_EQ(blind.number("registered_fraction"), 1.0);
    // Hints find an existing mailbox more often, in fewer hops, and create fewer per topic.
    EXPECT_GT(with.number("walk_hit_fraction"), blind.number("walk_hit_fraction"));
    EXPECT_GT(with.number("lookup_existing_fraction"), blind.number("lookup_existing_fraction"));
    EXPECT_LT(with.number("walk_hops_to_hit_or_ttl_mean"),
              blind.number("walk_hops_to_hit_or_ttl_mean"));
    EXPECT_LT(with.number("mailboxes_per_topic_mean"), blind.number("mailboxes_per_topic_mean"));
}

}  // namespace
}  // namespace elmo::sim
