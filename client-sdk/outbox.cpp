#include "client-sdk/outbox.hpp"

namespace elmo {

bool Outbox::add(wire::Event event, TimePoint now) {
    if (full() || by_id_.contains(event.id)) return false;
    std::uint64_t key = next_key_++;
    by_id_.emplace(event.id, key);
    Entry e;
    e.event = std::move(event);
    e.next_attempt = now;
    entries_.emplace(key, std::move(e));
    return true;
}

Outbox::Entry* Outbox::find(const wire::EventId& id) {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &entries_.at(it->second);
}

std::optional<wire::Event> Outbox::remove(const wire::EventId& id) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    auto e = entries_.find(it->second);
    if (e->second.request_id != 0) --in_flight_;
    wire::Event event = std::move(e->second.event);
    entries_.erase(e);
    by_id_.erase(it);
    return event;
}

void Outbox::mark_sent(Entry& e, std::uint64_t request_id, TimePoint deadline) {
    if (e.request_id == 0) ++in_flight_;
    e.request_id = request_id;
    e.deadline = deadline;
    e.sent_before = true;
}

void Outbox::mark_idle(Entry& e) {
    if (e.request_id != 0) --in_flight_;
    e.request_id = 0;
}

void Outbox::all_due(TimePoint now) {
    for (auto& [key, e] : entries_) {
        e.request_id = 0;
        e.next_attempt = now;
    }
    in_flight_ = 0;
}

}  // namespace elmo
