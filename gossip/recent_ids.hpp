#pragma once
// A topic's recently seen event ids, in arrival order: the engine's dedup set and the source of
// its digests. Bounded: when full the oldest arrival is forgotten first (it is the one least
// likely to be announced or asked for again; the mailbox store still dedups it). The caller
// counts what is forgotten.
//
// Each id gets a position (1, 2, ... in arrival order, never reused) so that a digest can list
// "what arrived after the position this peer has acknowledged" without repeating old ids.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "common/time.hpp"
#include "wire/event.hpp"

namespace elmo::gossip {

class RecentIds {
  public:
    explicit RecentIds(std::size_t capacity) : capacity_(capacity) {}

    bool contains(const wire::EventId& id) const { return positions_.contains(id); }
    // Remembers `id` as arrived at `now` (times must not decrease between calls). Returns false
    // if it was already there. `evicted` is increased by the number of ids forgotten to make
    // room (0 or 1; capacity 0 remembers none).
    bool insert(const wire::EventId& id, TimePoint now, std::size_t& evicted);
    // The position of a remembered id.
    std::optional<std::uint64_t> position(const wire::EventId& id) const;

    struct Listing {
        std::vector<wire::EventId> ids;
        std::uint64_t last = 0;  // position of the last id listed; `after` if none
    };
    // Ids at positions after `after` that arrived in [since, until], oldest first, at most `max`.
    Listing list(std::uint64_t after, TimePoint since, TimePoint until, std::size_t max) const;

    std::size_t size() const { return order_.size(); }
    std::size_t capacity() const { return capacity_; }

  private:
    struct Entry {
        wire::EventId id;
        TimePoint arrival;
    };
    std::size_t capacity_;
    std::deque<Entry> order_;  // oldest first; order_[i] is at position first_ + i
    std::uint64_t first_ = 1;
    std::map<wire::EventId, std::uint64_t> positions_;
};

}  // namespace elmo::gossip
