#include "client-sdk/event_cache.hpp"

namespace elmo {

std::size_t EventCache::event_bytes(const wire::Event& e) {
    return 96 + e.topic.size() + e.publisher.size() + e.payload.size() + e.signature.size();
}

std::size_t EventCache::add(const wire::Event& event, TimePoint now) {
    if (by_id_.contains(event.id)) return 0;
    std::size_t size = event_bytes(event);
    if (size > bounds_.bytes || bounds_.per_topic == 0 || bounds_.total == 0) return 1;
    std::size_t dropped = 0;
    // Make room first, so that the new event never pushes out itself.
    auto topic_it = by_topic_.find(event.topic);
    while (topic_it != by_topic_.end() && topic_it->second.size() >= bounds_.per_topic) {
        drop(*topic_it->second.begin());  // may erase the topic's set when it empties
        ++dropped;
        topic_it = by_topic_.find(event.topic);
    }
    while (!by_age_.empty() && (by_age_.size() >= bounds_.total || bytes_ + size > bounds_.bytes)) {
        drop(by_age_.begin()->first);
        ++dropped;
    }
    std::uint64_t key = next_key_++;
    by_age_.emplace(key, Entry{event, now, size});
    by_id_.emplace(event.id, key);
    by_topic_[event.topic].insert(key);
    bytes_ += size;
    return dropped;
}

const wire::Event* EventCache::find(const wire::EventId& id) const {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return nullptr;
    return &by_age_.at(it->second).event;
}

std::vector<wire::EventId> EventCache::ids_newest_first(const std::string& topic,
                                                        std::size_t max) const {
    std::vector<wire::EventId> out;
    auto it = by_topic_.find(topic);
    if (it == by_topic_.end()) return out;
    for (auto k = it->second.rbegin(); k != it->second.rend() && out.size() < max; ++k)
        out.push_back(by_age_.at(*k).event.id);
    return out;
}

void EventCache::expire(TimePoint now) {
    if (bounds_.max_age == Duration::max()) return;
    // Insertion order is age order (time never runs back in the core).
    while (!by_age_.empty() && now - by_age_.begin()->second.added >= bounds_.max_age)
        drop(by_age_.begin()->first);
}

void EventCache::erase_topic(const std::string& topic) {
    auto it = by_topic_.find(topic);
    if (it == by_topic_.end()) return;
    std::set<std::uint64_t> keys = it->second;
    for (std::uint64_t k : keys) drop(k);
}

void EventCache::drop(std::uint64_t key) {
    auto it = by_age_.find(key);
    if (it == by_age_.end()) return;
    const wire::Event& e = it->second.event;
    auto t = by_topic_.find(e.topic);
    if (t != by_topic_.end()) {
        t->second.erase(key);
        if (t->second.empty()) by_topic_.erase(t);
    }
    by_id_.erase(e.id);
    bytes_ -= it->second.bytes;
    by_age_.erase(it);
}

}  // namespace elmo
