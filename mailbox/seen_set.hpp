#pragma once
// The ids of one topic's events seen recently, for dedup after an event has left the history
// (dropped by count or bytes) but before its time contract ends: without it, a client or a
// neighbour re-sending an old event would make the mailbox store and forward it again.
//
// Each id is remembered until its `forget_at` (the event's drop time; after that a re-sent copy is
// refused as expired anyway). The set is bounded: when full, the id with the earliest forget_at
// is forgotten first (it would have gone first anyway; ties broken by id), and the caller counts
// it, because from then on a re-sent copy of that event is stored again.
#include <cstddef>
#include <map>
#include <set>
#include <utility>

#include "common/time.hpp"
#include "wire/event.hpp"

namespace elmo::mailbox {

class SeenSet {
public:
    explicit SeenSet(std::size_t capacity) : capacity_(capacity) {}

    // Whether `id` is remembered at `now` (an id whose forget_at has passed is not).
    bool contains(const wire::EventId& id, TimePoint now) const;
    // Remembers `id` until `forget_at` (keeps the later time if already there). Returns how many
    // ids were forgotten early to make room: 0 or 1, and the 1 may be `id` itself when its
    // forget_at is the earliest of all. Capacity 0 remembers nothing and returns 0.
    std::size_t insert(const wire::EventId& id, TimePoint forget_at);
    // Forgets every id whose forget_at is at or before `now`.
    void forget_until(TimePoint now);

    std::size_t size() const { return by_id_.size(); }
    std::size_t capacity() const { return capacity_; }

private:
    std::size_t capacity_;
    std::map<wire::EventId, TimePoint> by_id_;
    std::set<std::pair<TimePoint, wire::EventId>> by_time_;
};

}  // namespace elmo::mailbox
