#include "bloom/attenuated_bloom_filter.hpp"

#include <stdexcept>
#include <utility>

namespace elmo::bloom {

AttenuatedBloomFilter::AttenuatedBloomFilter() : AttenuatedBloomFilter(default_radius) {}

AttenuatedBloomFilter::AttenuatedBloomFilter(std::size_t radius, std::size_t bits,
                                             std::uint32_t hashes) {
    if (radius > max_radius) throw std::invalid_argument("attenuated Bloom radius too large");
    levels_.assign(radius + 1, BloomFilter(bits, hashes));
}

AttenuatedBloomFilter AttenuatedBloomFilter::from_levels(std::vector<BloomFilter> levels) {
    if (levels.empty() || levels.size() > max_radius + 1)
        throw std::invalid_argument("attenuated Bloom level count out of range");
    for (const BloomFilter& l : levels)
        if (!l.same_shape(levels.front()))
            throw std::invalid_argument("attenuated Bloom levels of mixed shape");
    return AttenuatedBloomFilter(std::move(levels));
}

Result<Unit, ShapeMismatch> AttenuatedBloomFilter::merge_level(std::size_t level,
                                                               const BloomFilter& f) {
    return levels_.at(level).merge(f);
}

void AttenuatedBloomFilter::clear() {
    for (BloomFilter& l : levels_) l.clear();
}

Result<Unit, ShapeMismatch> AttenuatedBloomFilter::merge_shifted(
    const AttenuatedBloomFilter& neighbour) {
    const BloomFilter& mine = levels_.front();
    const BloomFilter& theirs = neighbour.levels_.front();
    // Checked once up front: all levels of each side share a shape, so no merge below can fail
    // and a refusal leaves this filter untouched.
    if (!mine.same_shape(theirs))
        return Err{ShapeMismatch{mine.bits(), mine.hashes(), theirs.bits(), theirs.hashes()}};
    for (std::size_t i = 0; i + 1 < levels_.size() && i < neighbour.levels_.size(); ++i) {
        auto r = levels_[i + 1].merge(neighbour.levels_[i]);
        (void)r;  // same shape: cannot fail
    }
    return unit;
}

std::optional<int> AttenuatedBloomFilter::first_match(const TopicHash& h) const {
    for (std::size_t i = 0; i < levels_.size(); ++i)
        if (levels_[i].contains(h)) return static_cast<int>(i);
    return std::nullopt;
}

}  // namespace elmo::bloom
