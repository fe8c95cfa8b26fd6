// The walk's next-hop choice: the preference order of DESIGN 2.2, with fixed seeds.
#include <gtest/gtest.h>

#include <map>

#include "node/walk_policy.hpp"

namespace elmo {
namespace {

std::map<std::size_t, int> histogram(const std::vector<WalkCandidate>& c, bool hints,
                                     int trials = 10'000) {
    std::mt19937_64 rng(7);
    std::map<std::size_t, int> h;
    for (int i = 0; i < trials; ++i) {
        auto choice = choose_next_hop(c, 2, hints, rng);
        EXPECT_TRUE(choice.has_value());
        ++h[choice->index];
    }
    return h;
}

TEST(WalkPolicy, NoNeighboursNoHop) {
    std::mt19937_64 rng(1);
    EXPECT_FALSE(choose_next_hop({}, 2, true, rng).has_value());
}

TEST(WalkPolicy, KnownMailboxBeatsHintsAndRandom) {
    std::vector<WalkCandidate> c(5);
    c[1].hint_level = 0;
    c[3].known_mailbox = true;
    auto h = histogram(c, true);
    EXPECT_EQ(h.size(), 1u);
    EXPECT_EQ(h[3], 10'000);
    std::mt19937_64 rng(1);
    EXPECT_EQ(choose_next_hop(c, 2, true, rng)->reason, HopReason::known_mailbox);
}

TEST(WalkPolicy, VisitedKnownMailboxIsSkipped) {
    std::vector<WalkCandidate> c(3);
    c[0].known_mailbox = true;
    c[0].visited = true;
    c[2].hint_level = 1;
    auto h = histogram(c, true);
    EXPECT_EQ(h[2], 10'000);
}

TEST(WalkPolicy, CloserHintLevelsWeighMore) {
    std::vector<WalkCandidate> c(4);
    c[0].hint_level = 0;  // weight 4
    c[1].hint_level = 1;  // weight 2
    c[2].hint_level = 2;  // weight 1
    auto h = histogram(c, true, 70'000);
    EXPECT_EQ(h.count(3), 0u) << "a hint match always beats an unhinted neighbour";
    EXPECT_NEAR(h[0] / 70'000.0, 4.0 / 7, 0.01);
    EXPECT_NEAR(h[1] / 70'000.0, 2.0 / 7, 0.01);
    EXPECT_NEAR(h[2] / 70'000.0, 1.0 / 7, 0.01);
}

TEST(WalkPolicy, HintsOffIsAPlainRandomWalk) {
    std::vector<WalkCandidate> c(4);
    c[0].hint_level = 0;
    c[1].known_mailbox = true;
    auto h = histogram(c, false, 40'000);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_NEAR(h[i] / 40'000.0, 0.25, 0.015);
    std::mt19937_64 rng(3);
    EXPECT_EQ(choose_next_hop(c, 2, false, rng)->reason, HopReason::random_unvisited);
}

TEST(WalkPolicy, PrefersUnvisitedThenAnyButPrevious) {
    std::vector<WalkCandidate> c(3);
    c[0].visited = true;
    c[1].visited = true;
    auto h = histogram(c, true);
    EXPECT_EQ(h[2], 10'000);
    c[2].visited = true;
    c[2].previous_hop = true;
    h = histogram(c, true);
    EXPECT_EQ(h.count(2), 0u);
    EXPECT_NEAR(h[0] / 10'000.0, 0.5, 0.03);
    std::mt19937_64 rng(5);
    EXPECT_EQ(choose_next_hop(c, 2, true, rng)->reason, HopReason::random_any);
}

TEST(WalkPolicy, RoomOnlyWhenSeekingAndAfterTopicHints) {
    std::vector<WalkCandidate> c(3);
    c[0].room_distance = 0;
    auto h = histogram(c, true, 30'000);
    EXPECT_NEAR(h[0] / 30'000.0, 1.0 / 3, 0.02) << "room is ignored unless the walk seeks it";
    std::mt19937_64 rng(4);
    auto choice = choose_next_hop(c, 2, true, rng, /*seek_room=*/true);
    EXPECT_EQ(choice->index, 0u);
    EXPECT_EQ(choice->reason, HopReason::room);
    c[2].hint_level = 2;  // a topic hint, even far, beats room
    EXPECT_EQ(choose_next_hop(c, 2, true, rng, true)->index, 2u);
}

TEST(WalkPolicy, HintBeyondRadiusIgnored) {
    std::vector<WalkCandidate> c(2);
    c[0].hint_level = 3;  // outside radius 2: a corrupt or foreign hint
    auto h = histogram(c, true, 20'000);
    EXPECT_NEAR(h[0] / 20'000.0, 0.5, 0.02);
}

TEST(WalkPolicy, SameSeedSameChoices) {
    std::vector<WalkCandidate> c(10);
    for (std::size_t i = 0; i < 10; i += 3) c[i].hint_level = static_cast<int>(i % 3);
    std::mt19937_64 a(99), b(99);
    for (int i = 0; i < 1000; ++i)
        EXPECT_EQ(choose_next_hop(c, 2, true, a)->index, choose_next_hop(c, 2, true, b)->index);
}

}  // namespace
}  // namespace elmo
