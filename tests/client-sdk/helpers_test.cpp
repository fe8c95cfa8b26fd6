// The client core's small parts: backoff draws, the node book's choice of the next home, the
// per-topic mailbox list, and the bounded stores (seen ids, event cache, outbox).
#include <map>
#include <set>

#include "client-sdk/backoff.hpp"
#include "client-sdk/event_cache.hpp"
#include "client-sdk/mailbox_list.hpp"
#include "client-sdk/node_book.hpp"
#include "client-sdk/outbox.hpp"
#include "client-sdk/seen_ids.hpp"
#include "tests/client-sdk/fixtures.hpp"

namespace elmo::client_test {
namespace {

TEST(Backoff, DoublesFromInitialToMaxWithinTheJitterBand) {
    std::mt19937_64 rng(1);
    for (int attempt = 1; attempt <= 12; ++attempt) {
        Duration hi = std::min<Duration>(Duration(5s) * (1 << (attempt - 1)), Duration(120s));
        for (int i = 0; i < 200; ++i) {
            Duration d = jittered_backoff(5s, 120s, attempt, 0.5, rng);
            EXPECT_GE(d, hi / 2);
            EXPECT_LE(d, hi);
        }
    }
    EXPECT_EQ(jittered_backoff(5s, 120s, 1'000'000, 0.0, rng), Duration(120s)) << "no overflow";
}

TEST(Backoff, JitterSpreadsDraws) {
    std::mt19937_64 rng(3);
    std::set<Duration> seen;
    for (int i = 0; i < 50; ++i) seen.insert(stretched(900s, 0.2, rng));
    EXPECT_GT(seen.size(), 45u);
    for (Duration d : seen) {
        EXPECT_GE(d, Duration(900s));
        EXPECT_LE(d, Duration(1080s));
    }
}

TEST(NodeBook, AvoidsTheNodeThatJustFailedUnlessItIsTheOnlyOne) {
    std::mt19937_64 rng(1);
    NodeBook one({node_ep(1)}, 32);
    EXPECT_EQ(one.pick(node_ep(1), rng), node_ep(1));
    NodeBook two({node_ep(1), node_ep(2)}, 32);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(two.pick(node_ep(1), rng), node_ep(2));
    NodeBook none({}, 32);
    EXPECT_EQ(none.pick(std::nullopt, rng), std::nullopt);
}

TEST(NodeBook, PrefersFewerFailuresAndSpreadsTies) {
    std::mt19937_64 rng(1);
    NodeBook book({node_ep(1), node_ep(2), node_ep(3)}, 32);
    book.failed(node_ep(1));
    book.failed(node_ep(2));
    EXPECT_EQ(book.pick(std::nullopt, rng), node_ep(3));
    book.succeeded(node_ep(1));
    std::map<Endpoint, int> counts;
    for (int i = 0; i < 1'000; ++i) ++counts[*book.pick(std::nullopt, rng)];
    EXPECT_EQ(counts.count(node_ep(2)), 0u);
    EXPECT_NEAR(counts[node_ep(1)], 500, 80);
    EXPECT_NEAR(counts[node_ep(3)], 500, 80);
}

// Nodes a home named are fallbacks: chosen only once every ordinary node has failed more often,
// and ordinary once seen as a mailbox.
TEST(NodeBook, FallbackNodesComeAfterOrdinaryOnesWithAsFewFailures) {
    std::mt19937_64 rng(1);
    NodeBook book({node_ep(1)}, 32);
    book.learn(node_ep(2));
    book.learn(node_ep(3), /*fallback=*/true);
    for (int i = 0; i < 50; ++i) EXPECT_NE(book.pick(std::nullopt, rng), node_ep(3));
    book.failed(node_ep(1));
    book.failed(node_ep(2));
    EXPECT_EQ(book.pick(std::nullopt, rng), node_ep(3));
    book.failed(node_ep(3));
    book.learn(node_ep(3));  // seen as a mailbox: ordinary, and tied with the others
    std::map<Endpoint, int> counts;
    for (int i = 0; i < 300; ++i) ++counts[*book.pick(std::nullopt, rng)];
    EXPECT_EQ(counts.size(), 3u);
}

TEST(NodeBook, LearnedNodesAreBoundedAndBootstrapNodesStay) {
    NodeBook book({node_ep(1), node_ep(2), Endpoint{}}, 4);
    EXPECT_EQ(book.size(), 2u) << "an invalid endpoint is dropped";
    for (int i = 10; i < 20; ++i) book.learn(node_ep(i));
    EXPECT_EQ(book.size(), 4u);
    EXPECT_TRUE(book.contains(node_ep(1)));
    EXPECT_TRUE(book.contains(node_ep(2)));
    EXPECT_TRUE(book.contains(node_ep(18)));
    EXPECT_TRUE(book.contains(node_ep(19)));
    // A node that keeps failing is the first to make room.
    book.failed(node_ep(19));
    book.learn(node_ep(30));
    EXPECT_FALSE(book.contains(node_ep(19)));
    EXPECT_TRUE(book.contains(node_ep(18)));
}

TEST(NodeBook, ASeedReplacesFailedBootstrapNodesAndComesFirst) {
    std::mt19937_64 rng{1};
    NodeBook book({node_ep(1), node_ep(2)}, 4);
    book.learn(node_ep(10));
    book.learn(node_ep(11));
    book.failed(node_ep(1));  // replaced while the phone was away
    book.failed(node_ep(10));
    book.reseed({node_ep(20), node_ep(21), node_ep(2)});
    EXPECT_FALSE(book.contains(node_ep(1))) << "a failed bootstrap node the seed no longer names";
    EXPECT_TRUE(book.contains(node_ep(2)));
    EXPECT_FALSE(book.contains(node_ep(10))) << "the learned node with most failures made room";
    EXPECT_TRUE(book.contains(node_ep(11)));
    EXPECT_EQ(book.size(), 4u);
    book.failed(node_ep(11));
    for (int i = 0; i < 20; ++i) {
        auto p = book.pick(std::nullopt, rng);
        ASSERT_TRUE(p);
        EXPECT_NE(*p, node_ep(11));
    }
    // More seed nodes than room: max_nodes of them, the earlier nodes made room.
    book.reseed({node_ep(30), node_ep(31), node_ep(32), node_ep(33), node_ep(34)});
    EXPECT_EQ(book.size(), 4u);
    for (int i = 30; i < 34; ++i) EXPECT_TRUE(book.contains(node_ep(i))) << i;
}

TEST(MailboxList, MostRecentFirstOnePerNodeBounded) {
    std::vector<wire::NodeAddr> list;
    for (int i = 1; i <= 5; ++i) learn_front(list, mbx(i), 3);
    EXPECT_EQ(ids(list), ids({mbx(5), mbx(4), mbx(3)}));
    learn_front(list, mbx(3), 3);
    EXPECT_EQ(ids(list), ids({mbx(3), mbx(5), mbx(4)}));
    learn_back(list, mbx(9), 3);
    EXPECT_EQ(list.size(), 3u) << "learn_back never evicts";
    forget(list, mbx(5).id);
    learn_back(list, mbx(9), 3);
    EXPECT_EQ(ids(list), ids({mbx(3), mbx(4), mbx(9)}));
    learn_front(list, wire::NodeAddr{}, 3);
    EXPECT_EQ(list.size(), 3u) << "an unset address is not a mailbox";
}

TEST(MailboxList, PreferredIsCurrentThenKnownWithoutDuplicates) {
    auto p = preferred_list(mbx(1), {mbx(2), mbx(1), mbx(3), mbx(4)}, 3);
    EXPECT_EQ(ids(p), ids({mbx(1), mbx(2), mbx(3)}));
    EXPECT_EQ(ids(preferred_list(wire::NodeAddr{}, {mbx(2)}, 3)), ids({mbx(2)}));
}

TEST(SeenIds, ForgetsTheOldestBeyondCapacityAndListsNewestFirst) {
    SeenIds seen;
    auto a = make_event("t", 1).id, b = make_event("t", 2).id, c = make_event("t", 3).id;
    EXPECT_EQ(seen.insert(a, 2), 0u);
    EXPECT_EQ(seen.insert(b, 2), 0u);
    EXPECT_EQ(seen.insert(a, 2), 0u) << "already there: nothing changes";
    EXPECT_EQ(seen.insert(c, 2), 1u);
    EXPECT_FALSE(seen.contains(a));
    EXPECT_EQ(seen.newest_first(10), (std::vector{c, b}));
    EXPECT_EQ(seen.newest_first(1), std::vector{c});
    EXPECT_EQ(seen.insert(a, 0), 0u);
    EXPECT_FALSE(seen.contains(a)) << "capacity 0 remembers nothing";
}

TEST(EventCache, BoundsPerTopicTotalBytesAndAge) {
    EventCache per_topic({.per_topic = 2});
    auto a1 = make_event("a", 1), a2 = make_event("a", 2), a3 = make_event("a", 3);
    auto b1 = make_event("b", 1);
    EXPECT_EQ(per_topic.add(a1, t0), 0u);
    EXPECT_EQ(per_topic.add(b1, t0), 0u);
    EXPECT_EQ(per_topic.add(a2, t0), 0u);
    EXPECT_EQ(per_topic.add(a3, t0), 1u);
    EXPECT_EQ(per_topic.find(a1.id), nullptr);
    EXPECT_NE(per_topic.find(b1.id), nullptr) << "another topic's events are not touched";
    EXPECT_EQ(per_topic.ids_newest_first("a", 5), (std::vector{a3.id, a2.id}));
    per_topic.erase_topic("a");
    EXPECT_EQ(per_topic.size(), 1u);

    std::size_t one = EventCache::event_bytes(a1);
    EventCache bytes({.bytes = 2 * one});
    bytes.add(a1, t0);
    bytes.add(b1, t0);
    EXPECT_EQ(bytes.add(a2, t0), 1u);
    EXPECT_EQ(bytes.find(a1.id), nullptr) << "oldest over all topics first";
    EXPECT_LE(bytes.bytes(), 2 * one);
    EXPECT_EQ(bytes.add(make_event("a", 9, {'x'}, std::string(3 * one, 'x')), t0), 1u)
        << "an event over the whole bound is not kept, and evicts nothing";
    EXPECT_EQ(bytes.size(), 2u);

    EventCache aged({.total = 2, .max_age = std::chrono::minutes(30)});
    aged.add(a1, t0);
    aged.add(a2, t0 + 10min);
    EXPECT_EQ(aged.add(a3, t0 + 20min), 1u);
    aged.expire(t0 + 40min);
    EXPECT_EQ(aged.size(), 1u);
    aged.expire(t0 + 50min);
    EXPECT_EQ(aged.size(), 0u);
}

TEST(Outbox, KeepsOrderCountsInFlightAndRefusesWhenFull) {
    Outbox box(2);
    auto a = make_event("t", 1), b = make_event("t", 2);
    EXPECT_TRUE(box.add(a, t0));
    EXPECT_FALSE(box.add(a, t0)) << "no duplicate";
    EXPECT_TRUE(box.add(b, t0));
    EXPECT_TRUE(box.full());
    EXPECT_FALSE(box.add(make_event("t", 3), t0));
    box.mark_sent(*box.find(a.id), 7, t0 + 15s);
    box.mark_sent(*box.find(a.id), 8, t0 + 15s);
    EXPECT_EQ(box.in_flight(), 1u);
    box.mark_sent(*box.find(b.id), 9, t0 + 15s);
    EXPECT_EQ(box.in_flight(), 2u);
    EXPECT_EQ(box.remove(a.id), a);
    EXPECT_EQ(box.in_flight(), 1u);
    box.all_due(t0 + 1min);
    EXPECT_EQ(box.in_flight(), 0u);
    EXPECT_EQ(box.entries().begin()->second.next_attempt, t0 + 1min);
    EXPECT_TRUE(box.entries().begin()->second.sent_before);
    EXPECT_EQ(box.remove(a.id), std::nullopt);
}

}  // namespace
}  // namespace elmo::client_test
