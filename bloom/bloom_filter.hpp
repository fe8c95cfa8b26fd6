#pragma once
// A Bloom filter of topic names: m bits, k positions per topic by "triple hashing", the
// Kirsch–Mitzenmacher scheme with a quadratic term (Dillinger & Manolios 2004):
//
//     g_i = (h1 + i·h2 + i²·h3) mod m,  i = 0..k-1, over the integers (no 64-bit wrap),
//
// h2 forced odd and h3 forced even, so that for a power-of-two m the k positions are distinct.
// Why not plain double hashing g_i = h1 + i·h2: two topics whose (h1, h2) agree mod m collide in
// all k positions, and progressions shifted by one step share k-1; that adds a term of order
// n/m² to the false-positive rate, which at a mailbox's load measured +19% (m=2048, k=7) and
// +37% (m=8192, k=4) over (1 - e^(-kn/m))^k. The quadratic term makes it order n/m³.
// h1, h2, h3 come from SHA-256 (TopicHash), so a filter means the same on every node.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bloom/topic_hash.hpp"
#include "common/bytes.hpp"
#include "common/result.hpp"

namespace elmo::bloom {

// Shape limits. Anything constructible is encodable and decodable, so the decoder enforces the
// same bounds (and a hostile m cannot make a receiver allocate more than max_bits / 8 bytes).
inline constexpr std::size_t min_bits = 8;
inline constexpr std::size_t max_bits = std::size_t{1} << 20;
inline constexpr std::uint32_t max_hashes = 32;

// Default shape of a hint filter (docs/bloom.md): 8,192 bits, 4 hashes. One mailbox's topics
// (design_topics, its capacity) give a false-positive rate of 2.5e-5; the union of 8
// neighbours' level 0 (design_union_topics) still gives 3.9%. Every level of an attenuated
// filter has one shape, so the shape is sized for the unions, not for one mailbox.
inline constexpr std::size_t default_bits = 8192;
inline constexpr std::uint32_t default_hashes = 4;
inline constexpr std::size_t design_topics = 150;
inline constexpr std::size_t design_union_topics = 1200;

// Two filters whose m or k differ cannot be merged: their bits mean different topics.
struct ShapeMismatch {
    std::size_t bits = 0;
    std::uint32_t hashes = 0;
    std::size_t other_bits = 0;
    std::uint32_t other_hashes = 0;

    std::string to_string() const;
    friend bool operator==(const ShapeMismatch&, const ShapeMismatch&) = default;
};

struct BloomParams {
    std::size_t bits = 0;
    std::uint32_t hashes = 0;
    friend bool operator==(const BloomParams&, const BloomParams&) = default;
};

// True when (bits, hashes) is a shape BloomFilter accepts: min_bits <= bits <= max_bits,
// 1 <= hashes <= max_hashes. Check configuration with this before constructing.
bool valid_shape(std::size_t bits, std::uint32_t hashes);

// The classic approximation of the false-positive rate after n insertions: (1 - e^(-kn/m))^k.
double fp_rate(std::size_t bits, std::uint32_t hashes, double n);

// The smallest shape (bits a multiple of 64, i.e. whole words) whose fp_rate for n topics is at
// most `target` (0 < target < 1), with k = round(m/n · ln 2); clamped to the shape limits.
BloomParams choose_params(std::size_t n, double target);

class BloomFilter {
public:
    // An empty filter of the default shape.
    BloomFilter();
    // An empty filter. Throws std::invalid_argument if !valid_shape(bits, hashes): a programming
    // error, since configured shapes are checked with valid_shape and decoded ones by the codec.
    BloomFilter(std::size_t bits, std::uint32_t hashes);

    // The filter with bits [0, bits) taken from `packed` (bit j is bit j % 8 of byte j / 8).
    // Preconditions (checked by the codec first; std::invalid_argument otherwise): valid shape,
    // packed.size() == (bits + 7) / 8, no bit at a position >= bits.
    static BloomFilter from_packed(std::size_t bits, std::uint32_t hashes, ByteView packed);
    // The bits in that layout: (bits + 7) / 8 bytes.
    Bytes packed() const;

    std::size_t bits() const { return bits_; }
    std::uint32_t hashes() const { return hashes_; }
    bool same_shape(const BloomFilter& o) const {
        return bits_ == o.bits_ && hashes_ == o.hashes_;
    }

    void insert(std::string_view topic) { insert(TopicHash::of(topic)); }
    void insert(const TopicHash& h);
    bool contains(std::string_view topic) const { return contains(TopicHash::of(topic)); }
    // The hot path: no hashing, no allocation, stops at the first clear bit.
    bool contains(const TopicHash& h) const;

    // Bitwise union. A shape mismatch leaves this filter unchanged.
    Result<Unit, ShapeMismatch> merge(const BloomFilter& other);

    void clear();
    // Every bit set: matches every topic (a recruiting mailbox advertises "anything").
    void set_all();
    bool is_all_ones() const;
    bool empty() const;

    std::size_t popcount() const;
    // Fraction of bits set, X/m.
    double estimated_fill() const;
    // Estimated number of distinct topics inserted: -m/k · ln(1 - X/m); +infinity when all bits
    // are set (an all-ones filter says nothing about its count).
    double estimated_count() const;
    // fp_rate(bits(), hashes(), n).
    double expected_fp_rate(double n) const;

    // The k bit positions of a topic in this filter's shape, in order i = 0..k-1 (golden tests,
    // debugging).
    std::vector<std::size_t> positions(const TopicHash& h) const;
    // Bit `bit` (false beyond m).
    bool test(std::size_t bit) const {
        return bit < bits_ && ((words_[bit >> 6] >> (bit & 63)) & 1u);
    }
    std::span<const std::uint64_t> words() const { return words_; }

    friend bool operator==(const BloomFilter&, const BloomFilter&) = default;

private:
    // Walks the k positions g_i = a + i·b + i²·c (mod m) by finite differences: additions and
    // conditional subtractions only, no division inside the loop.
    struct Walk {
        std::uint64_t g;   // current position
        std::uint64_t d;   // g_{i+1} - g_i = b + (2i + 1)·c
        std::uint64_t dd;  // 2c
        std::uint64_t m;
        void next() {  // all values < m <= 2^20: no overflow
            g += d;
            if (g >= m) g -= m;
            d += dd;
            if (d >= m) d -= m;
        }
    };
    Walk walk(const TopicHash& h) const {
        const std::uint64_t m = bits_;
        std::uint64_t a, b, c;
        if ((m & (m - 1)) == 0) {  // power of two: a mask, no division
            a = h.h1 & (m - 1);
            b = (h.h2 | 1u) & (m - 1);
            c = (h.h3 & ~std::uint64_t{1}) & (m - 1);
        } else {
            a = h.h1 % m;
            b = (h.h2 | 1u) % m;
            c = (h.h3 & ~std::uint64_t{1}) % m;
        }
        std::uint64_t d = b + c;
        if (d >= m) d -= m;
        std::uint64_t dd = 2 * c;
        if (dd >= m) dd -= m;
        return {a, d, dd, m};
    }
    void mask_tail();

    std::size_t bits_;
    std::uint32_t hashes_;
    // Invariant: bits at positions >= bits_ in the last word are zero (equality, popcount).
    std::vector<std::uint64_t> words_;
};

inline bool BloomFilter::contains(const TopicHash& h) const {
    Walk w = walk(h);
    for (std::uint32_t i = 0; i < hashes_; ++i, w.next())
        if (!((words_[w.g >> 6] >> (w.g & 63)) & 1u)) return false;
    return true;
}

inline void BloomFilter::insert(const TopicHash& h) {
    Walk w = walk(h);
    for (std::uint32_t i = 0; i < hashes_; ++i, w.next())
        words_[w.g >> 6] |= std::uint64_t{1} << (w.g & 63);
}

}  // namespace elmo::bloom
