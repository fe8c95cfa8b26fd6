// The client core's small parts: backoff draws, the node book's choice of the next home, and
// the per-topic mailbox list.
#include <map>
#include <set>

#include "client-sdk/backoff.hpp"
#include "client-sdk/mailbox_list.hpp"
#include "client-sdk/node_book.hpp"
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

}  // namespace
}  // namespace elmo::client_test
