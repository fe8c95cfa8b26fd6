#include "node/known_mailboxes.hpp"

#include <algorithm>

namespace elmo {

void KnownMailboxes::learn(const std::string& topic, const wire::NodeAddr& mailbox,
                           TimePoint now) {
    auto it = by_topic_.find(topic);
    if (it == by_topic_.end()) {
        if (by_topic_.size() >= max_topics_) evict_oldest_topic();
        it = by_topic_.emplace(topic, Topic{}).first;
    }
    auto& entries = it->second.entries;
    std::erase_if(entries, [&](const Entry& e) { return e.addr.id == mailbox.id; });
    entries.push_back(Entry{mailbox, now});
    if (entries.size() > max_per_topic_) {
        entries.erase(entries.begin());
        ++dropped_;
    }
    it->second.touched = ++seq_;
}

void KnownMailboxes::evict_oldest_topic() {
    auto oldest = std::min_element(by_topic_.begin(), by_topic_.end(), [](auto& a, auto& b) {
        return a.second.touched < b.second.touched;
    });
    if (oldest == by_topic_.end()) return;
    dropped_ += oldest->second.entries.size();
    by_topic_.erase(oldest);
}

void KnownMailboxes::forget(const std::string& topic, const NodeId& mailbox) {
    auto it = by_topic_.find(topic);
    if (it == by_topic_.end()) return;
    std::erase_if(it->second.entries, [&](const Entry& e) { return e.addr.id == mailbox; });
    if (it->second.entries.empty()) by_topic_.erase(it);
}

void KnownMailboxes::forget_node(const NodeId& mailbox) {
    for (auto it = by_topic_.begin(); it != by_topic_.end();) {
        std::erase_if(it->second.entries, [&](const Entry& e) { return e.addr.id == mailbox; });
        it = it->second.entries.empty() ? by_topic_.erase(it) : std::next(it);
    }
}

std::vector<wire::NodeAddr> KnownMailboxes::get(const std::string& topic, TimePoint now) const {
    std::vector<wire::NodeAddr> out;
    auto it = by_topic_.find(topic);
    if (it == by_topic_.end()) return out;
    for (auto e = it->second.entries.rbegin(); e != it->second.entries.rend(); ++e)
        if (now - e->learned < ttl_) out.push_back(e->addr);
    return out;
}

}  // namespace elmo
