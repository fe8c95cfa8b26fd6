#include "bloom/bloom_filter.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace elmo::bloom {

namespace {
std::size_t word_count(std::size_t bits) { return (bits + 63) / 64; }
}  // namespace

std::string ShapeMismatch::to_string() const {
    return "bloom shape mismatch: m=" + std::to_string(bits) + " k=" + std::to_string(hashes) +
           " vs m=" + std::to_string(other_bits) + " k=" + std::to_string(other_hashes);
}

bool valid_shape(std::size_t bits, std::uint32_t hashes) {
    return bits >= min_bits && bits <= max_bits && hashes >= 1 && hashes <= max_hashes;
}

double fp_rate(std::size_t bits, std::uint32_t hashes, double n) {
    const double k = hashes;
    return std::pow(1.0 - std::exp(-k * n / static_cast<double>(bits)), k);
}

BloomParams choose_params(std::size_t n, double target) {
    if (n == 0) return {min_bits, 1};
    target = std::clamp(target, 1e-12, 0.5);
    const double ln2 = std::log(2.0);
    const double nd = static_cast<double>(n);
    const double ideal = -nd * std::log(target) / (ln2 * ln2);
    std::size_t m = static_cast<std::size_t>(std::ceil(ideal / 64.0)) * 64;
    m = std::clamp(m, std::size_t{64}, max_bits);
    auto k_for = [&](std::size_t bits) {
        const double k = std::round(static_cast<double>(bits) / nd * ln2);
        return static_cast<std::uint32_t>(std::clamp(k, 1.0, static_cast<double>(max_hashes)));
    };
    // Rounding k away from its real optimum can leave the rate just above target: grow by words.
    while (fp_rate(m, k_for(m), nd) > target && m + 64 <= max_bits) m += 64;
    return {m, k_for(m)};
}

BloomFilter::BloomFilter() : BloomFilter(default_bits, default_hashes) {}

BloomFilter::BloomFilter(std::size_t bits, std::uint32_t hashes) : bits_(bits), hashes_(hashes) {
    if (!valid_shape(bits, hashes)) throw std::invalid_argument("invalid Bloom filter shape");
    words_.assign(word_count(bits), 0);
}

BloomFilter BloomFilter::from_packed(std::size_t bits, std::uint32_t hashes, ByteView packed) {
    BloomFilter f(bits, hashes);
    if (packed.size() != (bits + 7) / 8)
        throw std::invalid_argument("packed Bloom bits of the wrong length");
    for (std::size_t i = 0; i < packed.size(); ++i)
        f.words_[i / 8] |= std::uint64_t{packed[i]} << (8 * (i % 8));
    const std::size_t before = f.popcount();
    f.mask_tail();
    if (f.popcount() != before) throw std::invalid_argument("Bloom bits set beyond m");
    return f;
}

Bytes BloomFilter::packed() const {
    Bytes out((bits_ + 7) / 8);
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<std::uint8_t>(words_[i / 8] >> (8 * (i % 8)));
    return out;
}

Result<Unit, ShapeMismatch> BloomFilter::merge(const BloomFilter& other) {
    if (!same_shape(other)) return Err{ShapeMismatch{bits_, hashes_, other.bits_, other.hashes_}};
    for (std::size_t i = 0; i < words_.size(); ++i) words_[i] |= other.words_[i];
    return unit;
}

void BloomFilter::clear() { std::fill(words_.begin(), words_.end(), 0); }

void BloomFilter::set_all() {
    std::fill(words_.begin(), words_.end(), ~std::uint64_t{0});
    mask_tail();
}

void BloomFilter::mask_tail() {
    const std::size_t tail = bits_ % 64;
    if (tail != 0) words_.back() &= (std::uint64_t{1} << tail) - 1;
}

bool BloomFilter::is_all_ones() const { return popcount() == bits_; }

bool BloomFilter::empty() const {
    return std::all_of(words_.begin(), words_.end(), [](std::uint64_t w) { return w == 0; });
}

std::size_t BloomFilter::popcount() const {
    std::size_t n = 0;
    for (std::uint64_t w : words_) n += static_cast<std::size_t>(std::popcount(w));
    return n;
}

double BloomFilter::estimated_fill() const {
    return static_cast<double>(popcount()) / static_cast<double>(bits_);
}

double BloomFilter::estimated_count() const {
    const double x = static_cast<double>(popcount());
    const double m = static_cast<double>(bits_);
    if (x >= m) return std::numeric_limits<double>::infinity();
    return -m / static_cast<double>(hashes_) * std::log1p(-x / m);
}

double BloomFilter::expected_fp_rate(double n) const { return fp_rate(bits_, hashes_, n); }

std::vector<std::size_t> BloomFilter::positions(const TopicHash& h) const {
    std::vector<std::size_t> out;
    out.reserve(hashes_);
    Walk w = walk(h);
    for (std::uint32_t i = 0; i < hashes_; ++i, w.next()) out.push_back(static_cast<std::size_t>(w.g));
    return out;
}

}  // namespace elmo::bloom
