// 100,000 random and mutated buffers through both decoders: each gives a typed error or a valid
// filter, never a crash or an exception (run under the sanitizer build in CI).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "bloom/codec.hpp"

namespace elmo::bloom {
namespace {

// Bytes that steer msgpack into its interesting paths: container and bin/str headers of every
// width, the reserved 0xc1, nil/bool, and integer edges.
constexpr std::array<std::uint8_t, 22> interesting{0x00, 0x01, 0x07, 0x08, 0x7f, 0x80, 0x90,
                                                   0x91, 0x92, 0x93, 0x9f, 0xc0, 0xc1, 0xc4,
                                                   0xc5, 0xc6, 0xcc, 0xcf, 0xdc, 0xdd, 0xff, 0xe0};

std::vector<Bytes> seeds() {
    std::vector<Bytes> out;
    for (auto [m, k] : {std::pair<std::size_t, std::uint32_t>{8, 1}, {13, 2}, {64, 3}, {2048, 7}}) {
        BloomFilter f(m, k);
        for (int i = 0; i < 5; ++i) f.insert("s" + std::to_string(i));
        out.push_back(encode(f));
    }
    for (std::size_t r : {0u, 1u, 2u}) {
        AttenuatedBloomFilter a(r, 64, 3);
        a.insert(0, "x");
        a.insert(r, "y");
        out.push_back(encode(a));
    }
    out.push_back(encode(AttenuatedBloomFilter(2, 200, 4)));
    return out;
}

Bytes mutate(Bytes b, std::mt19937_64& rng) {
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    const std::size_t rounds = 1 + pick(4);
    for (std::size_t r = 0; r < rounds; ++r) {
        switch (pick(7)) {
            case 0:  // flip one bit
                if (!b.empty()) b[pick(b.size())] ^= static_cast<std::uint8_t>(1u << pick(8));
                break;
            case 1:  // overwrite one byte (header bytes mostly, where the structure is)
                if (!b.empty())
                    b[pick(std::min<std::size_t>(b.size(), 12))] = interesting[pick(interesting.size())];
                break;
            case 2:  // random byte anywhere
                if (!b.empty()) b[pick(b.size())] = static_cast<std::uint8_t>(rng());
                break;
            case 3:  // truncate
                if (!b.empty()) b.resize(pick(b.size()));
                break;
            case 4:  // insert a byte
                b.insert(b.begin() + long(pick(b.size() + 1)), interesting[pick(interesting.size())]);
                break;
            case 5:  // delete a byte
                if (!b.empty()) b.erase(b.begin() + long(pick(b.size())));
                break;
            default:  // append junk
                for (std::size_t i = 1 + pick(3); i > 0; --i) b.push_back(static_cast<std::uint8_t>(rng()));
                break;
        }
    }
    return b;
}

Bytes random_buffer(std::mt19937_64& rng) {
    Bytes b(rng() % 48);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    // Half start with a container or bin header so that parsing goes past the first byte.
    if (!b.empty() && rng() % 2) b[0] = interesting[rng() % interesting.size()];
    return b;
}

template <class T>
void check_result(const Result<T, BloomDecodeError>& r, std::map<std::string, int>& tally) {
    if (!r.ok()) {
        tally[to_string(r.error())]++;
        return;
    }
    tally["ok"]++;
    // A decoded filter is a valid one: it re-encodes and decodes to itself.
    const Bytes again = encode(r.value());
    if constexpr (std::is_same_v<T, BloomFilter>) {
        auto d = decode_bloom(again);
        ASSERT_TRUE(d.ok());
        EXPECT_EQ(d.value(), r.value());
        EXPECT_TRUE(valid_shape(r.value().bits(), r.value().hashes()));
        EXPECT_LE(r.value().popcount(), r.value().bits());
    } else {
        auto d = decode_attenuated(again);
        ASSERT_TRUE(d.ok());
        EXPECT_EQ(d.value(), r.value());
        EXPECT_LE(r.value().radius(), max_radius);
    }
}

TEST(BloomFuzz, RandomAndMutatedBuffersNeverCrash) {
    std::mt19937_64 rng(20240601);
    const std::vector<Bytes> base = seeds();
    std::map<std::string, int> bloom_tally;
    std::map<std::string, int> attenuated_tally;
    constexpr int total = 100'000;
    for (int i = 0; i < total; ++i) {
        const Bytes b = (i % 4 == 0) ? random_buffer(rng) : mutate(base[rng() % base.size()], rng);
        check_result(decode_bloom(b), bloom_tally);
        check_result(decode_attenuated(b), attenuated_tally);
        if (::testing::Test::HasFatalFailure()) return;
    }
    std::printf("[fuzz] %d buffers\n", total);
    for (const auto& [name, n] : bloom_tally) std::printf("[fuzz] decode_bloom %-22s %d\n", name.c_str(), n);
    for (const auto& [name, n] : attenuated_tally)
        std::printf("[fuzz] decode_attenuated %-22s %d\n", name.c_str(), n);
    // The mutations reach deep into the format, not just the parser.
    EXPECT_GT(bloom_tally["ok"], 1000);
    EXPECT_GT(attenuated_tally["ok"], 1000);
    EXPECT_GE(bloom_tally.size(), 10u);
    EXPECT_GE(attenuated_tally.size(), 10u);
}

// Sizes claimed by headers far beyond the input, at every width, in every position.
TEST(BloomFuzz, HostileHeaders) {
    const std::vector<Bytes> heads{{0xdd, 0xff, 0xff, 0xff, 0xff}, {0xdc, 0xff, 0xff},
                                   {0xc6, 0xff, 0xff, 0xff, 0xff}, {0xc5, 0xff, 0xff},
                                   {0xdb, 0xff, 0xff, 0xff, 0xff}, {0xdf, 0xff, 0xff, 0xff, 0xff},
                                   {0xc9, 0xff, 0xff, 0xff, 0xff, 0x01}};
    for (const Bytes& h : heads) {
        for (const Bytes& prefix : {Bytes{}, Bytes{0x93, 0xcd, 0x20, 0x00, 0x04}, Bytes{0x92, 0x02},
                                    Bytes{0x92, 0x00, 0x91}}) {
            Bytes b = prefix;
            b.insert(b.end(), h.begin(), h.end());
            EXPECT_FALSE(decode_bloom(b).ok());
            EXPECT_FALSE(decode_attenuated(b).ok());
        }
    }
    // Deep nesting.
    Bytes deep(10'000, 0x91);
    deep.push_back(0x00);
    EXPECT_EQ(decode_bloom(deep).error(), BloomDecodeError::too_large);
    EXPECT_EQ(decode_attenuated(deep).error(), BloomDecodeError::too_large);
}

}  // namespace
}  // namespace elmo::bloom
