#include <gtest/gtest.h>

#include <random>

#include "common/stats.hpp"

namespace elmo::stats {
namespace {

TEST(Stats, GiniOfEqualAndConcentratedValues) {
    EXPECT_DOUBLE_EQ(gini({5, 5, 5, 5}), 0.0);
    EXPECT_NEAR(gini({0, 0, 0, 10}), 0.75, 1e-12);  // (n-1)/n for one holder
    EXPECT_NEAR(gini({1, 2, 3, 4}), 0.25, 1e-12);
    EXPECT_DOUBLE_EQ(gini({}), 0.0);
}

TEST(Stats, Percentiles) {
    std::vector<double> v{5, 1, 4, 2, 3};
    EXPECT_EQ(percentile(v, 50), 3);
    EXPECT_EQ(percentile(v, 100), 5);
    EXPECT_EQ(percentile(v, 0), 1);
    EXPECT_DOUBLE_EQ(mean(v), 3.0);
}

TEST(Stats, ZipfFrequenciesFollowTheLaw) {
    ZipfSampler z(1000, 0.9);
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<int> count(1000);
    const int n = 200'000;
    for (int i = 0; i < n; ++i) ++count[z.sample(u(rng))];
    for (std::size_t k : {0u, 1u, 9u}) EXPECT_NEAR(count[k] / double(n), z.probability(k), 0.005);
    EXPECT_NEAR(z.probability(0) / z.probability(9), std::pow(10.0, 0.9), 1e-9);
}

}  // namespace
}  // namespace elmo::stats
