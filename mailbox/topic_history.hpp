#pragma once
// One topic's bounded event history (DESIGN 2.6, issue 8 item 3) and its dedup memory.
//
// Drop policy: events are kept in arrival order; when the topic holds more than `max_events`
// events or `max_bytes` bytes, the oldest-arrived go first; any event goes when its drop time
// (own expiry, or max_event_age, computed by the caller) is reached. Arrival order rather than the
// publisher's timestamp: the timestamp is the publisher's clock, and an old event a client carries
// in late must not be evicted the moment it is stored. A new event never evicts itself: only one
// that alone exceeds the bounds is refused, and the caller checks that first (fits_alone).
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "common/time.hpp"
#include "mailbox/seen_set.hpp"
#include "mailbox/types.hpp"
#include "wire/event.hpp"

namespace elmo::mailbox {

// What an event costs in the store: its variable-size fields plus its fixed fields (id, seq,
// timestamps). Stable, so that budgets mean the same on every node.
std::size_t event_bytes(const wire::Event& e);

// Which time bound sets an event's drop time.
enum class TimeLimit : std::uint8_t { age, expiry };

struct HistoryBounds {
    std::size_t max_events = 1'000;
    std::size_t max_bytes = 4u * 1024 * 1024;
    std::size_t max_seen_ids = 4'000;
};

// Drops one call caused, by reason, and the bytes they freed.
struct DropCounts {
    std::uint64_t by_count = 0;
    std::uint64_t by_bytes = 0;
    std::uint64_t by_age = 0;
    std::uint64_t by_expiry = 0;
    std::uint64_t seen_forgotten_early = 0;
    std::size_t freed_bytes = 0;
};

class TopicHistory {
public:
    explicit TopicHistory(HistoryBounds bounds) : bounds_(bounds), seen_(bounds.max_seen_ids) {}

    // Whether the event is in the history now.
    bool stored(const wire::EventId& id) const { return by_id_.contains(id); }
    // Whether the event is stored or its id is remembered at `now`: a copy would be a duplicate.
    bool known(const wire::EventId& id, TimePoint now) const;
    // Whether an event of `bytes` fits the bounds at all, with nothing else stored.
    bool fits_alone(std::size_t bytes) const;
    // The bytes that storing one more event of `bytes` would evict by count or bytes, so that the
    // caller can check a mailbox-wide budget on the net growth before storing.
    std::size_t bytes_displaced_by(std::size_t bytes) const;

    // Stores a new event (the caller checked known() and fits_alone()) with its arrival number
    // `seq` (increasing) and drop time; evicts the oldest-arrived others to stay within bounds.
    DropCounts insert(wire::Event event, std::size_t bytes, TimePoint drop_at, TimeLimit limit,
                      std::uint64_t seq, TimePoint arrived = TimePoint{});
    // Drops the events whose drop time is at or before `now`, and forgets lapsed ids.
    DropCounts drop_due(TimePoint now);
    // Empties the history, returning the events oldest arrival first (for a hand-off).
    std::vector<wire::Event> take_all();

    // ---- queries, all in arrival order ----
    // The stored events whose ids are not in `known`: what a polling client lacks.
    std::vector<wire::Event> missing(const std::vector<wire::EventId>& known) const;
    // The stored events that arrived after `cursor` (0: all), and the cursor to use next.
    EventsSince since(std::uint64_t cursor) const;
    // The ids of the stored events, for digests.
    std::vector<wire::EventId> ids() const;
    // Those of `offered` this topic neither stores nor remembers: what to ask the offerer for.
    // Keeps the offered order and drops repeats.
    std::vector<wire::EventId> unknown_of(const std::vector<wire::EventId>& offered,
                                          TimePoint now) const;

    std::size_t size() const { return history_.size(); }
    std::size_t bytes() const { return bytes_; }
    std::size_t seen_ids() const { return seen_.size(); }
    std::optional<TimePoint> next_drop() const;
    // A poll's page: the stored events that arrived after `cursor`, at or after `since`, whose
    // ids are not in `known_sorted`, oldest arrival first, within `max_events` and `max_bytes`;
    // `cursor` of the result is the last arrival examined, so that paging always advances.
    PollPage page(std::uint64_t cursor, TimePoint since,
                  const std::vector<wire::EventId>& known_sorted, std::size_t max_events,
                  std::size_t max_bytes) const;
    // The stored event with this id, or null.
    const wire::Event* find(const wire::EventId& id) const;
    // How many stored events, and how many bytes, are due to drop at `now` but not dropped yet,
    // so that const queries can answer as of `now`.
    std::pair<std::size_t, std::size_t> due_at(TimePoint now) const;

private:
    struct Entry {
        wire::Event event;
        std::size_t bytes = 0;
        TimePoint drop_at{};
        TimeLimit limit = TimeLimit::age;
        TimePoint arrived{};
    };
    void erase(std::map<std::uint64_t, Entry>::iterator it);

    HistoryBounds bounds_;
    std::map<std::uint64_t, Entry> history_;             // by arrival number, oldest first
    std::map<wire::EventId, std::uint64_t> by_id_;       // id -> arrival number
    std::set<std::pair<TimePoint, std::uint64_t>> by_drop_;  // drop time -> arrival number
    std::size_t bytes_ = 0;
    std::uint64_t last_seq_ = 0;
    SeenSet seen_;
};

}  // namespace elmo::mailbox
