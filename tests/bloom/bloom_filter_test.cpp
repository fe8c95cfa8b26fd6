#include "bloom/bloom_filter.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>

namespace elmo::bloom {
namespace {

std::string topic(int i) { return "topic/" + std::to_string(i); }

TEST(BloomFilter, DefaultShape) {
    BloomFilter f;
    EXPECT_EQ(f.bits(), default_bits);
    EXPECT_EQ(f.hashes(), default_hashes);
    EXPECT_TRUE(f.empty());
    EXPECT_EQ(f.popcount(), 0u);
    EXPECT_EQ(f.words().size(), default_bits / 64);
}

TEST(BloomFilter, ValidShape) {
    EXPECT_TRUE(valid_shape(8, 1));
    EXPECT_TRUE(valid_shape(max_bits, max_hashes));
    EXPECT_FALSE(valid_shape(7, 1));
    EXPECT_FALSE(valid_shape(0, 1));
    EXPECT_FALSE(valid_shape(max_bits + 1, 1));
    EXPECT_FALSE(valid_shape(64, 0));
    EXPECT_FALSE(valid_shape(64, max_hashes + 1));
    EXPECT_THROW(BloomFilter(7, 1), std::invalid_argument);
    EXPECT_THROW(BloomFilter(64, 0), std::invalid_argument);
    EXPECT_NO_THROW(BloomFilter(8, 32));
}

// Whatever the shape (power of two, prime, tiny, not a multiple of 64), an inserted topic is
// always found.
TEST(BloomFilter, NoFalseNegatives) {
    const BloomParams shapes[] = {{8192, 4}, {2048, 7}, {3001, 5}, {100, 3}, {8, 1}, {64, 32}};
    for (auto [m, k] : shapes) {
        BloomFilter f(m, k);
        for (int i = 0; i < 5000; ++i) f.insert(topic(i));
        for (int i = 0; i < 5000; ++i) {
            ASSERT_TRUE(f.contains(topic(i))) << "m=" << m << " k=" << k << " " << topic(i);
            ASSERT_TRUE(f.contains(TopicHash::of(topic(i))));
        }
    }
}

TEST(BloomFilter, HashAndStringOverloadsAgree) {
    BloomFilter a;
    BloomFilter b;
    for (int i = 0; i < 200; ++i) {
        a.insert(topic(i));
        b.insert(TopicHash::of(topic(i)));
    }
    EXPECT_EQ(a, b);
    for (int i = 0; i < 2000; ++i)
        EXPECT_EQ(a.contains(topic(i)), a.contains(TopicHash::of(topic(i))));
}

// Golden values, computed once (independently, with Python's hashlib): a change of hash, of
// byte order or of the position formula would split a network of mixed builds.
TEST(BloomFilter, GoldenPositionsOfHiggs) {
    const TopicHash h = TopicHash::of("higgs");
    // SHA-256("higgs") = a93f7a91f88ee389 a5147b54b22968c2 521a59e41b1bf98f ...
    EXPECT_EQ(h.h1, 0x89e38ef8917a3fa9ull);
    EXPECT_EQ(h.h2, 0xc26829b2547b14a5ull);
    EXPECT_EQ(h.h3, 0x8ff91b1be4591a52ull);
    EXPECT_EQ(BloomFilter(8192, 4).positions(h), (std::vector<std::size_t>{8105, 3744, 4667, 2682}));
    EXPECT_EQ(BloomFilter(2048, 7).positions(h),
              (std::vector<std::size_t>{1961, 1696, 571, 634, 1885, 228, 1807}));
    EXPECT_EQ(BloomFilter(1000, 5).positions(h),
              (std::vector<std::size_t>{753, 248, 395, 194, 645}));

    BloomFilter f(8192, 4);
    f.insert("higgs");
    EXPECT_EQ(f.popcount(), 4u);
    for (std::size_t p : {8105, 3744, 4667, 2682}) EXPECT_TRUE(f.test(p));
}

// The finite-difference walk equals the closed form (h1 + i·h2 + i²·h3) mod m, h2 odd, h3 even,
// for powers of two, primes and the extremes of the shape limits.
TEST(BloomFilter, PositionsMatchClosedForm) {
    const BloomParams shapes[] = {{8192, 4}, {2048, 7}, {3001, 32}, {1000, 5}, {8, 32}, {max_bits, 32},
                                  {max_bits - 1, 32}};
    for (auto [m, k] : shapes) {
        BloomFilter f(m, k);
        for (int t = 0; t < 300; ++t) {
            const TopicHash h = TopicHash::of(topic(t));
            const std::uint64_t a = h.h1 % m, b = (h.h2 | 1) % m, c = (h.h3 & ~1ull) % m;
            const auto p = f.positions(h);
            ASSERT_EQ(p.size(), k);
            for (std::uint64_t i = 0; i < k; ++i)
                ASSERT_EQ(p[i], (a + i * b % m + (i * i % m) * c % m) % m) << m << " " << i;
        }
    }
    EXPECT_FALSE(BloomFilter(8, 1).test(8));
}

// h2 is forced odd and h3 even, so with a power-of-two m the k positions are distinct even for
// k = m/2 (g_i - g_j = (i - j)(h2 + (i + j)h3), an odd multiple of i - j).
TEST(BloomFilter, PositionsDistinctForPowerOfTwo) {
    BloomFilter f(64, 32);
    for (int i = 0; i < 1000; ++i) {
        auto p = f.positions(TopicHash::of(topic(i)));
        EXPECT_EQ(std::set<std::size_t>(p.begin(), p.end()).size(), 32u);
    }
}

TEST(BloomFilter, MergeIsUnion) {
    BloomFilter a;
    BloomFilter b;
    for (int i = 0; i < 100; ++i) a.insert(topic(i));
    for (int i = 100; i < 200; ++i) b.insert(topic(i));
    BloomFilter u = a;
    ASSERT_TRUE(u.merge(b).ok());
    for (int i = 0; i < 200; ++i) EXPECT_TRUE(u.contains(topic(i)));
    for (std::size_t w = 0; w < u.words().size(); ++w)
        EXPECT_EQ(u.words()[w], a.words()[w] | b.words()[w]);
    BloomFilter again = u;
    ASSERT_TRUE(again.merge(a).ok());  // idempotent
    EXPECT_EQ(again, u);
}

TEST(BloomFilter, MergeShapeMismatchIsAValue) {
    BloomFilter a(2048, 7);
    a.insert("x");
    const BloomFilter before = a;
    auto r = a.merge(BloomFilter(4096, 7));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), (ShapeMismatch{2048, 7, 4096, 7}));
    EXPECT_FALSE(r.error().to_string().empty());
    auto r2 = a.merge(BloomFilter(2048, 6));
    ASSERT_FALSE(r2.ok());
    EXPECT_EQ(r2.error(), (ShapeMismatch{2048, 7, 2048, 6}));
    EXPECT_EQ(a, before);
}

TEST(BloomFilter, ClearSetAllAndPopcount) {
    for (std::size_t m : {8u, 63u, 64u, 100u, 2048u, 3001u}) {
        BloomFilter f(m, 3);
        f.set_all();
        EXPECT_TRUE(f.is_all_ones());
        EXPECT_EQ(f.popcount(), m);
        EXPECT_DOUBLE_EQ(f.estimated_fill(), 1.0);
        EXPECT_TRUE(std::isinf(f.estimated_count()));
        EXPECT_TRUE(f.contains("anything at all"));
        EXPECT_TRUE(f.contains(""));
        // No bit beyond m: equality and popcount depend on it.
        if (m % 64) {
            EXPECT_EQ(f.words().back() >> (m % 64), 0u);
        }
        f.clear();
        EXPECT_TRUE(f.empty());
        EXPECT_FALSE(f.is_all_ones());
        EXPECT_EQ(f.popcount(), 0u);
        EXPECT_EQ(f.estimated_count(), 0.0);
        EXPECT_FALSE(f.contains("anything at all"));
    }
}

TEST(BloomFilter, EstimatedCountAndFill) {
    for (auto [m, k, n] : {std::tuple{8192u, 4u, 150}, {8192u, 4u, 1200}, {2048u, 7u, 150}}) {
        BloomFilter f(m, k);
        for (int i = 0; i < n; ++i) f.insert(topic(i));
        EXPECT_NEAR(f.estimated_count(), n, 0.1 * n) << m << "/" << k;
        const double expected_fill = 1.0 - std::exp(-double(k) * n / m);
        EXPECT_NEAR(f.estimated_fill(), expected_fill, 0.05 * expected_fill);
        EXPECT_EQ(f.estimated_fill(), double(f.popcount()) / m);
    }
}

TEST(BloomFilter, FpRateFormula) {
    // Reference values from Python's math module.
    EXPECT_NEAR(fp_rate(2048, 7, 150), 1.670806e-3, 1e-9);
    EXPECT_NEAR(fp_rate(8192, 4, 150), 2.487804e-5, 1e-11);
    EXPECT_NEAR(fp_rate(8192, 4, 1200), 3.865860e-2, 1e-8);
    EXPECT_NEAR(fp_rate(8192, 4, 1000), 2.227346e-2, 1e-8);
    EXPECT_EQ(fp_rate(8192, 4, 0), 0.0);
    EXPECT_EQ(BloomFilter(2048, 7).expected_fp_rate(150), fp_rate(2048, 7, 150));
}

TEST(BloomFilter, ChooseParams) {
    for (std::size_t n : {10u, 150u, 1200u, 10000u}) {
        for (double target : {0.1, 0.01, 1e-3, 2.5e-5}) {
            const BloomParams p = choose_params(n, target);
            ASSERT_TRUE(valid_shape(p.bits, p.hashes));
            EXPECT_EQ(p.bits % 64, 0u);
            EXPECT_LE(fp_rate(p.bits, p.hashes, double(n)), target) << n << " " << target;
            // Near the optimum m = -n ln p / ln^2 2: at most a few words more.
            const double ideal = -double(n) * std::log(target) / (std::log(2.0) * std::log(2.0));
            EXPECT_LE(double(p.bits), ideal * 1.05 + 128) << n << " " << target;
        }
    }
    EXPECT_EQ(choose_params(150, 0.01), (BloomParams{1472, 7}));
    EXPECT_TRUE(valid_shape(choose_params(0, 0.01).bits, choose_params(0, 0.01).hashes));
}

TEST(BloomFilter, PackedRoundTrip) {
    for (std::size_t m : {8u, 13u, 64u, 100u, 8192u}) {
        BloomFilter f(m, 2);
        for (int i = 0; i < 20; ++i) f.insert(topic(i));
        const Bytes p = f.packed();
        EXPECT_EQ(p.size(), (m + 7) / 8);
        EXPECT_EQ(BloomFilter::from_packed(m, 2, p), f);
    }
    // Bit j is bit j % 8 of byte j / 8.
    const Bytes one{0x01, 0x80};
    BloomFilter h = BloomFilter::from_packed(16, 1, one);
    EXPECT_TRUE(h.test(0));
    EXPECT_TRUE(h.test(15));
    EXPECT_EQ(h.popcount(), 2u);
    EXPECT_THROW(BloomFilter::from_packed(16, 1, Bytes{0x01}), std::invalid_argument);
    EXPECT_THROW(BloomFilter::from_packed(12, 1, Bytes{0x00, 0x10}), std::invalid_argument);
}

}  // namespace
}  // namespace elmo::bloom
