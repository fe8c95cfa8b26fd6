// The bounded seen-set: dedup, oldest-arrival eviction, digest selection by window.
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "gossip/recent_ids.hpp"

namespace elmo::gossip::test {
namespace {

TEST(RecentIds, DedupsAndEvictsOldestArrival) {
    RecentIds r(3);
    std::size_t evicted = 0;
    EXPECT_TRUE(r.insert(id_of(1), t0, evicted));
    EXPECT_FALSE(r.insert(id_of(1), t0 + 1s, evicted));
    EXPECT_TRUE(r.insert(id_of(2), t0 + 1s, evicted));
    EXPECT_TRUE(r.insert(id_of(3), t0 + 2s, evicted));
    EXPECT_EQ(evicted, 0u);
    EXPECT_TRUE(r.insert(id_of(4), t0 + 3s, evicted));
    EXPECT_EQ(evicted, 1u);
    EXPECT_FALSE(r.contains(id_of(1)));
    EXPECT_TRUE(r.contains(id_of(4)));
    EXPECT_EQ(r.size(), 3u);
}

TEST(RecentIds, ZeroCapacityRemembersNothing) {
    RecentIds r(0);
    std::size_t evicted = 0;
    EXPECT_TRUE(r.insert(id_of(1), t0, evicted));
    EXPECT_FALSE(r.contains(id_of(1)));
    EXPECT_EQ(evicted, 1u);
}

TEST(RecentIds, ListsAfterAPositionWithinAWindowOldestFirst) {
    RecentIds r(100);
    std::size_t evicted = 0;
    for (int i = 0; i < 10; ++i) (void)r.insert(id_of(i), t0 + std::chrono::seconds(i), evicted);
    EXPECT_EQ(r.position(id_of(0)), 1u);
    EXPECT_EQ(r.position(id_of(9)), 10u);
    EXPECT_FALSE(r.position(id_of(50)));
    // Arrived in [t0+3s, t0+7s]: ids 3..7; at most 3 of them, oldest first.
    auto l = r.list(0, t0 + 3s, t0 + 7s, 3);
    EXPECT_EQ(l.ids, (std::vector<wire::EventId>{id_of(3), id_of(4), id_of(5)}));
    EXPECT_EQ(l.last, 6u);
    // The rest, after the last position listed.
    l = r.list(l.last, t0 + 3s, t0 + 7s, 3);
    EXPECT_EQ(l.ids, (std::vector<wire::EventId>{id_of(6), id_of(7)}));
    EXPECT_EQ(l.last, 8u);
    l = r.list(l.last, t0 + 3s, t0 + 7s, 3);
    EXPECT_TRUE(l.ids.empty());
    EXPECT_EQ(l.last, 8u);
}

TEST(RecentIds, PositionsSurviveEviction) {
    RecentIds r(3);
    std::size_t evicted = 0;
    for (int i = 0; i < 5; ++i) (void)r.insert(id_of(i), t0, evicted);
    EXPECT_EQ(evicted, 2u);
    EXPECT_EQ(r.position(id_of(2)), 3u);
    EXPECT_EQ(r.position(id_of(4)), 5u);
    // A position already evicted lists from the oldest remembered.
    auto l = r.list(1, t0, t0, 10);
    EXPECT_EQ(l.ids, (std::vector<wire::EventId>{id_of(2), id_of(3), id_of(4)}));
    EXPECT_EQ(r.list(4, t0, t0, 10).ids, std::vector<wire::EventId>{id_of(4)});
}

}  // namespace
}  // namespace elmo::gossip::test
