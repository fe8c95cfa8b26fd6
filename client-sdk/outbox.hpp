#pragma once
// The client's own publications not yet accepted by a mailbox (DESIGN 2.6), in publication order.
// An entry leaves only when a mailbox has stored it (or the home says it is malformed): an
// unacknowledged publication is never dropped, so the outbox refuses new ones when full instead.
// Plain data plus bookkeeping; the sending and retrying is ClientCore's (client_publish.cpp).
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>

#include "common/time.hpp"
#include "wire/event.hpp"

namespace elmo {

class Outbox {
public:
    struct Entry {
        wire::Event event;
        std::uint64_t request_id = 0;  // the Publish awaiting an answer, 0 if none in flight
        TimePoint deadline{};          // of that request
        TimePoint next_attempt{};      // when to send next, while none is in flight
        int failures = 0;              // consecutive failed or unanswered tries: backoff exponent
        bool sent_before = false;      // a later send is a retry
    };
    using Entries = std::map<std::uint64_t, Entry>;  // by publication order

    explicit Outbox(std::size_t capacity) : capacity_(capacity) {}

    bool full() const { return entries_.size() >= capacity_; }
    // Queues `event`, due at `now`. False if full or already queued.
    bool add(wire::Event event, TimePoint now);
    Entry* find(const wire::EventId& id);
    // Removes the entry and returns its event.
    std::optional<wire::Event> remove(const wire::EventId& id);

    // In-flight bookkeeping: every change of Entry::request_id goes through these.
    void mark_sent(Entry& e, std::uint64_t request_id, TimePoint deadline);
    void mark_idle(Entry& e);
    // Every request died with the connection: nothing is in flight, everything is due at `now`.
    void all_due(TimePoint now);

    Entries& entries() { return entries_; }
    const Entries& entries() const { return entries_; }
    std::size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }
    std::size_t in_flight() const { return in_flight_; }
    std::size_t capacity() const { return capacity_; }

private:
    std::size_t capacity_;
    std::uint64_t next_key_ = 0;
    Entries entries_;
    std::map<wire::EventId, std::uint64_t> by_id_;
    std::size_t in_flight_ = 0;
};

}  // namespace elmo
