#pragma once
// Bodies of events the client keeps so that it can hand them to a mailbox that asks for them in a
// poll answer (DESIGN 2.5: clients carry events between mailboxes that do not know each other).
// Two of these live in the core: its own accepted publications (so that an event whose only
// mailbox died before forwarding it is re-injected at the next poll) and the most recent events
// it received per topic. Both are bounded; when over a bound the event added longest ago goes
// first (the oldest is the one other mailboxes most likely have by now), and the caller counts it.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/time.hpp"
#include "wire/event.hpp"

namespace elmo {

class EventCache {
public:
    struct Bounds {
        std::size_t per_topic = std::numeric_limits<std::size_t>::max();
        std::size_t total = std::numeric_limits<std::size_t>::max();
        std::size_t bytes = std::numeric_limits<std::size_t>::max();  // see event_bytes()
        Duration max_age = Duration::max();  // after being added; dropped silently (not counted)
    };

    explicit EventCache(Bounds bounds) : bounds_(bounds) {}

    // Adds `event` (nothing if its id is there). Returns how many events were dropped to fit the
    // bounds, the new one included if it alone is over a bound.
    std::size_t add(const wire::Event& event, TimePoint now);
    const wire::Event* find(const wire::EventId& id) const;
    // Ids of `topic`, most recently added first, at most `max`.
    std::vector<wire::EventId> ids_newest_first(const std::string& topic, std::size_t max) const;
    // Drops what was added max_age or more before `now`.
    void expire(TimePoint now);
    void erase_topic(const std::string& topic);

    std::size_t size() const { return by_age_.size(); }
    std::size_t bytes() const { return bytes_; }
    // What an event counts for against the byte bound: its variable fields plus a fixed overhead
    // for the id, numbers and containers.
    static std::size_t event_bytes(const wire::Event& e);

private:
    struct Entry {
        wire::Event event;
        TimePoint added;
        std::size_t bytes;
    };
    void drop(std::uint64_t key);

    Bounds bounds_;
    std::uint64_t next_key_ = 0;
    std::map<std::uint64_t, Entry> by_age_;  // by insertion order: oldest first
    std::map<wire::EventId, std::uint64_t> by_id_;
    std::map<std::string, std::set<std::uint64_t>> by_topic_;
    std::size_t bytes_ = 0;
};

}  // namespace elmo
