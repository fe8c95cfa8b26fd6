#pragma once
// The ids of one topic's events the client has received, for dedup (DESIGN 2.6: a subscriber
// receives every event exactly once) and for the `known` list of a poll. Bounded: when full, the
// id received longest ago is forgotten first (mailbox histories drop the oldest first too, so it
// is the id least likely to come again); the caller counts it, because a copy of that event
// arriving later would be delivered again.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <set>
#include <vector>

#include "wire/event.hpp"

namespace elmo {

class SeenIds {
public:
    bool contains(const wire::EventId& id) const { return ids_.contains(id); }
    // Records `id` (nothing if already there). Returns how many ids were forgotten to stay within
    // `capacity`; capacity 0 remembers nothing and returns 0.
    std::size_t insert(const wire::EventId& id, std::size_t capacity);
    // The most recently recorded ids first, at most `max`.
    std::vector<wire::EventId> newest_first(std::size_t max) const;

    std::size_t size() const { return order_.size(); }
    bool empty() const { return order_.empty(); }
    // Every id held, oldest first (what a persisted copy restores through insert()).
    const std::deque<wire::EventId>& oldest_first() const { return order_; }
    // How many ids were ever recorded: a store that saw `n` of them writes the last
    // inserted() - n of oldest_first() and nothing else.
    std::uint64_t inserted() const { return inserted_; }

private:
    std::deque<wire::EventId> order_;  // oldest first
    std::set<wire::EventId> ids_;
    std::uint64_t inserted_ = 0;
};

}  // namespace elmo
