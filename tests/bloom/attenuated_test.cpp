#include "bloom/attenuated_bloom_filter.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace elmo::bloom {
namespace {

TEST(AttenuatedBloom, DefaultShape) {
    AttenuatedBloomFilter a;
    EXPECT_EQ(a.radius(), default_radius);
    EXPECT_EQ(a.level_count(), default_radius + 1);
    EXPECT_EQ(a.bits(), default_bits);
    EXPECT_EQ(a.hashes(), default_hashes);
    for (const BloomFilter& l : a.levels()) EXPECT_TRUE(l.empty());
    EXPECT_EQ(a.first_match("anything"), std::nullopt);
}

TEST(AttenuatedBloom, InvalidConstructionThrows) {
    EXPECT_THROW(AttenuatedBloomFilter(max_radius + 1), std::invalid_argument);
    EXPECT_THROW(AttenuatedBloomFilter(2, 7, 1), std::invalid_argument);
    EXPECT_NO_THROW(AttenuatedBloomFilter(0));
    EXPECT_NO_THROW(AttenuatedBloomFilter{max_radius});
    AttenuatedBloomFilter a;
    EXPECT_THROW((void)a.level(3), std::out_of_range);
    EXPECT_THROW(a.insert(3, "x"), std::out_of_range);
    EXPECT_THROW(AttenuatedBloomFilter::from_levels({}), std::invalid_argument);
    EXPECT_THROW(AttenuatedBloomFilter::from_levels({BloomFilter(64, 1), BloomFilter(64, 2)}),
                 std::invalid_argument);
}

TEST(AttenuatedBloom, FirstMatchPrefersTheLowestLevel) {
    AttenuatedBloomFilter a;
    a.insert(2, "far");
    a.insert(1, "near");
    a.insert(2, "near");
    a.insert(0, "here");
    a.insert(2, "here");
    EXPECT_EQ(a.first_match("here"), 0);
    EXPECT_EQ(a.first_match("near"), 1);
    EXPECT_EQ(a.first_match("far"), 2);
    EXPECT_EQ(a.first_match(TopicHash::of("far")), 2);
    EXPECT_EQ(a.first_match("nowhere"), std::nullopt);
}

TEST(AttenuatedBloom, MergeShiftedMovesEachLevelOneFurther) {
    AttenuatedBloomFilter neighbour;
    neighbour.insert(0, "n0");
    neighbour.insert(1, "n1");
    neighbour.insert(2, "n2");
    AttenuatedBloomFilter me;
    me.insert(0, "mine");
    const BloomFilter my_level0 = me.level(0);

    ASSERT_TRUE(me.merge_shifted(neighbour).ok());
    EXPECT_EQ(me.level(0), my_level0);  // our own level is ours alone
    EXPECT_EQ(me.first_match("mine"), 0);
    EXPECT_EQ(me.first_match("n0"), 1);
    EXPECT_EQ(me.first_match("n1"), 2);
    EXPECT_EQ(me.first_match("n2"), std::nullopt);  // R + 1 hops away: dropped
    EXPECT_EQ(me.level(1), neighbour.level(0));
    EXPECT_EQ(me.level(2), neighbour.level(1));
}

TEST(AttenuatedBloom, MergeShiftedIsAUnionAcrossNeighbours) {
    AttenuatedBloomFilter a;
    AttenuatedBloomFilter b;
    a.insert(0, "a0");
    b.insert(0, "b0");
    b.insert(1, "b1");
    AttenuatedBloomFilter me;
    ASSERT_TRUE(me.merge_shifted(a).ok());
    ASSERT_TRUE(me.merge_shifted(b).ok());
    EXPECT_EQ(me.first_match("a0"), 1);
    EXPECT_EQ(me.first_match("b0"), 1);
    EXPECT_EQ(me.first_match("b1"), 2);
    BloomFilter l1 = a.level(0);
    ASSERT_TRUE(l1.merge(b.level(0)).ok());
    EXPECT_EQ(me.level(1), l1);
    // Merging the same neighbour again changes nothing.
    const AttenuatedBloomFilter before = me;
    ASSERT_TRUE(me.merge_shifted(b).ok());
    EXPECT_EQ(me, before);
}

// A line of nodes n0 - n1 - n2 - n3 - n4, each advertising its own topic at level 0 plus its
// right neighbour's advertisement shifted: n0 sees n1's topic at 0 (through n1 directly), n2's
// at 1, n3's at 2, and n4's not at all (R = 2).
TEST(AttenuatedBloom, AdvertisementsPropagateRHops) {
    constexpr int nodes = 5;
    std::vector<AttenuatedBloomFilter> adv(nodes);
    for (int i = nodes - 1; i >= 0; --i) {
        adv[i].insert(0, "topic-of-n" + std::to_string(i));
        if (i + 1 < nodes) {
            ASSERT_TRUE(adv[i].merge_shifted(adv[i + 1]).ok());
        }
    }
    // What n0 keeps for its neighbour n1 is n1's advertisement.
    const AttenuatedBloomFilter& via_n1 = adv[1];
    EXPECT_EQ(via_n1.first_match("topic-of-n1"), 0);
    EXPECT_EQ(via_n1.first_match("topic-of-n2"), 1);
    EXPECT_EQ(via_n1.first_match("topic-of-n3"), 2);
    EXPECT_EQ(via_n1.first_match("topic-of-n4"), std::nullopt);
    EXPECT_EQ(via_n1.first_match("topic-of-n0"), std::nullopt);  // no back-propagation here
}

// A recruiting mailbox advertises "anything": its level 0 is all ones, so through it every topic
// is one hop further (and two for the neighbours of its neighbours).
TEST(AttenuatedBloom, RecruitingNeighbourMatchesEverything) {
    AttenuatedBloomFilter recruiting;
    recruiting.set_all(0);
    EXPECT_EQ(recruiting.first_match("whatever"), 0);
    AttenuatedBloomFilter me;
    me.insert(0, "mine");
    ASSERT_TRUE(me.merge_shifted(recruiting).ok());
    EXPECT_TRUE(me.level(1).is_all_ones());
    EXPECT_EQ(me.first_match("mine"), 0);
    EXPECT_EQ(me.first_match("whatever"), 1);
    AttenuatedBloomFilter further;
    ASSERT_TRUE(further.merge_shifted(me).ok());
    EXPECT_EQ(further.first_match("whatever"), 2);
    EXPECT_EQ(further.first_match("mine"), 1);
}

TEST(AttenuatedBloom, MergeShiftedShapeMismatchIsAValue) {
    AttenuatedBloomFilter me;
    me.insert(0, "mine");
    const AttenuatedBloomFilter before = me;
    AttenuatedBloomFilter other_m(2, 4096, default_hashes);
    other_m.insert(0, "x");
    auto r = me.merge_shifted(other_m);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), (ShapeMismatch{default_bits, default_hashes, 4096, default_hashes}));
    AttenuatedBloomFilter other_k(2, default_bits, 5);
    other_k.insert(0, "x");
    ASSERT_FALSE(me.merge_shifted(other_k).ok());
    EXPECT_EQ(me, before);

    auto r2 = me.merge_level(0, BloomFilter(2048, 7));
    ASSERT_FALSE(r2.ok());
    EXPECT_EQ(me, before);
}

// A different radius is not a shape mismatch: R can then be changed one node at a time.
TEST(AttenuatedBloom, MergeShiftedAcrossRadii) {
    AttenuatedBloomFilter small(1);
    small.insert(0, "s0");
    small.insert(1, "s1");
    AttenuatedBloomFilter big(4);
    for (int i = 0; i <= 4; ++i) big.insert(i, "b" + std::to_string(i));

    AttenuatedBloomFilter me;  // R = 2
    ASSERT_TRUE(me.merge_shifted(small).ok());
    ASSERT_TRUE(me.merge_shifted(big).ok());
    EXPECT_EQ(me.first_match("s0"), 1);
    EXPECT_EQ(me.first_match("s1"), 2);
    EXPECT_EQ(me.first_match("b0"), 1);
    EXPECT_EQ(me.first_match("b1"), 2);
    for (int i = 2; i <= 4; ++i) EXPECT_EQ(me.first_match("b" + std::to_string(i)), std::nullopt);

    AttenuatedBloomFilter zero(0);  // radius 0: only its own level, nothing shifts in
    ASSERT_TRUE(zero.merge_shifted(big).ok());
    EXPECT_TRUE(zero.level(0).empty());
}

TEST(AttenuatedBloom, MergeLevelAndClear) {
    BloomFilter own;
    own.insert("a");
    own.insert("b");
    AttenuatedBloomFilter adv;
    ASSERT_TRUE(adv.merge_level(0, own).ok());
    EXPECT_EQ(adv.level(0), own);
    adv.insert(2, "c");
    adv.clear(0);
    EXPECT_TRUE(adv.level(0).empty());
    EXPECT_EQ(adv.first_match("c"), 2);
    adv.clear();
    EXPECT_EQ(adv, AttenuatedBloomFilter());
}

}  // namespace
}  // namespace elmo::bloom
