#pragma once
// An attenuated Bloom filter (DESIGN 2.1): levels 0..R of one shape. What a node keeps per
// neighbour: level 0 holds the neighbour's own mailbox topics, level i the topics of mailboxes
// i hops further through it. A node builds what it advertises from its own mailbox topics at
// level 0 plus each neighbour's filter shifted down by one level (merge_shifted).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "bloom/bloom_filter.hpp"

namespace elmo::bloom {

inline constexpr std::size_t default_radius = 2;
// Beyond a few hops every level is saturated by unions; the bound also caps what a decoded
// filter may allocate ((max_radius + 1) * max_bits / 8 bytes).
inline constexpr std::size_t max_radius = 8;

class AttenuatedBloomFilter {
public:
    // Empty levels 0..default_radius of the default shape.
    AttenuatedBloomFilter();
    // Empty levels 0..radius. Throws std::invalid_argument if radius > max_radius or
    // !valid_shape(bits, hashes) (programming errors; configuration is checked first).
    explicit AttenuatedBloomFilter(std::size_t radius, std::size_t bits = default_bits,
                                   std::uint32_t hashes = default_hashes);

    // Adopts ready-made levels (the codec). Preconditions, std::invalid_argument otherwise:
    // 1..max_radius+1 levels, all of one shape.
    static AttenuatedBloomFilter from_levels(std::vector<BloomFilter> levels);

    std::size_t radius() const { return levels_.size() - 1; }
    std::size_t level_count() const { return levels_.size(); }
    std::size_t bits() const { return levels_.front().bits(); }
    std::uint32_t hashes() const { return levels_.front().hashes(); }
    // Levels are read-only from outside so that they cannot change shape; write through
    // insert, merge_level, set_all and clear. `i` must be <= radius() (std::out_of_range).
    const BloomFilter& level(std::size_t i) const { return levels_.at(i); }
    const std::vector<BloomFilter>& levels() const { return levels_; }

    void insert(std::size_t level, std::string_view topic) { levels_.at(level).insert(topic); }
    void insert(std::size_t level, const TopicHash& h) { levels_.at(level).insert(h); }
    // levels_[level] |= f, e.g. a node's own mailbox filter into level 0.
    Result<Unit, ShapeMismatch> merge_level(std::size_t level, const BloomFilter& f);
    // Every bit of one level set (a recruiting mailbox's level 0: "anything").
    void set_all(std::size_t level) { levels_.at(level).set_all(); }
    void clear();
    void clear(std::size_t level) { levels_.at(level).clear(); }

    // level[i + 1] |= neighbour.level[i] for i < radius(); the neighbour's levels from radius()
    // on are dropped (they would be further than R hops from us). A neighbour of another radius
    // is accepted (its missing levels add nothing), so that R can be changed one node at a time;
    // a different m or k is refused and leaves this filter unchanged.
    Result<Unit, ShapeMismatch> merge_shifted(const AttenuatedBloomFilter& neighbour);

    // The lowest level that may contain the topic (a walk prefers closer levels), or nullopt.
    std::optional<int> first_match(const TopicHash& h) const;
    std::optional<int> first_match(std::string_view topic) const {
        return first_match(TopicHash::of(topic));
    }

    friend bool operator==(const AttenuatedBloomFilter&, const AttenuatedBloomFilter&) = default;

private:
    explicit AttenuatedBloomFilter(std::vector<BloomFilter> levels) : levels_(std::move(levels)) {}

    // Invariant: 1..max_radius+1 levels, all of one shape.
    std::vector<BloomFilter> levels_;
};

}  // namespace elmo::bloom
