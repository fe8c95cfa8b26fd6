#include "mailbox/topic_history.hpp"

#include <algorithm>

namespace elmo::mailbox {

std::size_t event_bytes(const wire::Event& e) {
    // id (32) + seq, timestamp, expiry (3 x 8) + the variable fields.
    return 32 + 24 + e.topic.size() + e.publisher.size() + e.payload.size() + e.signature.size();
}

bool TopicHistory::known(const wire::EventId& id, TimePoint now) const {
    return stored(id) || seen_.contains(id, now);
}

bool TopicHistory::fits_alone(std::size_t bytes) const {
    return bounds_.max_events >= 1 && bytes <= bounds_.max_bytes;
}

std::size_t TopicHistory::bytes_displaced_by(std::size_t bytes) const {
    std::size_t count = history_.size() + 1;
    std::size_t total = bytes_ + bytes;
    std::size_t displaced = 0;
    for (auto it = history_.begin();
         it != history_.end() && (count > bounds_.max_events || total > bounds_.max_bytes); ++it) {
        --count;
        total -= it->second.bytes;
        displaced += it->second.bytes;
    }
    return displaced;
}

void TopicHistory::erase(std::map<std::uint64_t, Entry>::iterator it) {
    bytes_ -= it->second.bytes;
    by_id_.erase(it->second.event.id);
    by_drop_.erase({it->second.drop_at, it->first});
    history_.erase(it);
}

DropCounts TopicHistory::insert(wire::Event event, std::size_t bytes, TimePoint drop_at,
                                TimeLimit limit, std::uint64_t seq, TimePoint arrived) {
    DropCounts d;
    // Remembered until its drop time even if count or bytes push it out of the history sooner.
    d.seen_forgotten_early += seen_.insert(event.id, drop_at);
    by_id_.emplace(event.id, seq);
    by_drop_.emplace(drop_at, seq);
    bytes_ += bytes;
    last_seq_ = std::max(last_seq_, seq);
    history_.emplace(seq, Entry{std::move(event), bytes, drop_at, limit, arrived});
    // The new event is the newest and fits alone, so these loops stop before reaching it.
    while (history_.size() > bounds_.max_events || bytes_ > bounds_.max_bytes) {
        const bool by_count = history_.size() > bounds_.max_events;
        auto oldest = history_.begin();
        d.freed_bytes += oldest->second.bytes;
        ++(by_count ? d.by_count : d.by_bytes);
        erase(oldest);
    }
    return d;
}

DropCounts TopicHistory::drop_due(TimePoint now) {
    DropCounts d;
    while (!by_drop_.empty() && by_drop_.begin()->first <= now) {
        auto it = history_.find(by_drop_.begin()->second);
        d.freed_bytes += it->second.bytes;
        ++(it->second.limit == TimeLimit::expiry ? d.by_expiry : d.by_age);
        erase(it);
    }
    seen_.forget_until(now);
    return d;
}

std::vector<wire::Event> TopicHistory::take_all() {
    std::vector<wire::Event> out;
    out.reserve(history_.size());
    for (auto& [seq, entry] : history_) out.push_back(std::move(entry.event));
    history_.clear();
    by_id_.clear();
    by_drop_.clear();
    bytes_ = 0;
    return out;
}

std::vector<wire::Event> TopicHistory::missing(const std::vector<wire::EventId>& known) const {
    std::vector<wire::EventId> sorted = known;
    std::sort(sorted.begin(), sorted.end());
    std::vector<wire::Event> out;
    for (const auto& [seq, entry] : history_)
        if (!std::binary_search(sorted.begin(), sorted.end(), entry.event.id))
            out.push_back(entry.event);
    return out;
}

EventsSince TopicHistory::since(std::uint64_t cursor) const {
    EventsSince out;
    for (auto it = history_.upper_bound(cursor); it != history_.end(); ++it)
        out.events.push_back(it->second.event);
    out.cursor = std::max(cursor, last_seq_);
    return out;
}

std::vector<wire::EventId> TopicHistory::ids() const {
    std::vector<wire::EventId> out;
    out.reserve(history_.size());
    for (const auto& [seq, entry] : history_) out.push_back(entry.event.id);
    return out;
}

std::vector<wire::EventId> TopicHistory::unknown_of(const std::vector<wire::EventId>& offered,
                                                    TimePoint now) const {
    std::vector<wire::EventId> out;
    std::set<wire::EventId> taken;
    for (const auto& id : offered)
        if (!known(id, now) && taken.insert(id).second) out.push_back(id);
    return out;
}

std::optional<TimePoint> TopicHistory::next_drop() const {
    if (by_drop_.empty()) return std::nullopt;
    return by_drop_.begin()->first;
}

std::pair<std::size_t, std::size_t> TopicHistory::due_at(TimePoint now) const {
    std::size_t count = 0, bytes = 0;
    for (auto it = by_drop_.begin(); it != by_drop_.end() && it->first <= now; ++it) {
        ++count;
        bytes += history_.at(it->second).bytes;
    }
    return {count, bytes};
}

PollPage TopicHistory::page(std::uint64_t cursor, TimePoint since,
                           const std::vector<wire::EventId>& known_sorted,
                           std::size_t max_events, std::size_t max_bytes) const {
    PollPage out;
    out.cursor = cursor;
    std::size_t bytes = 0;
    for (auto it = history_.upper_bound(cursor); it != history_.end(); ++it) {
        const Entry& e = it->second;
        const bool wanted = e.arrived >= since &&
                            !std::binary_search(known_sorted.begin(), known_sorted.end(), e.event.id);
        if (wanted) {
            if (out.events.size() >= max_events || bytes + e.bytes > max_bytes) {
                out.more = true;
                return out;
            }
            bytes += e.bytes;
            out.events.push_back(e.event);
        }
        out.cursor = it->first;
    }
    out.cursor = std::max(out.cursor, last_seq_);
    return out;
}

const wire::Event* TopicHistory::find(const wire::EventId& id) const {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return nullptr;
    auto h = history_.find(it->second);
    return h == history_.end() ? nullptr : &h->second.event;
}

}  // namespace elmo::mailbox
