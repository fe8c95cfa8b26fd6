#include "gossip/recent_ids.hpp"

#include <algorithm>

namespace elmo::gossip {

bool RecentIds::insert(const wire::EventId& id, TimePoint now, std::size_t& evicted) {
    if (capacity_ == 0) {
        ++evicted;
        return true;
    }
    if (positions_.contains(id)) return false;
    positions_.emplace(id, first_ + order_.size());
    order_.push_back({id, now});
    while (order_.size() > capacity_) {
        positions_.erase(order_.front().id);
        order_.pop_front();
        ++first_;
        ++evicted;
    }
    return true;
}

std::optional<std::uint64_t> RecentIds::position(const wire::EventId& id) const {
    auto it = positions_.find(id);
    if (it == positions_.end()) return std::nullopt;
    return it->second;
}

RecentIds::Listing RecentIds::list(std::uint64_t after, TimePoint since, TimePoint until,
                                   std::size_t max) const {
    Listing out;
    out.last = after;
    std::size_t i = after < first_ ? 0 : static_cast<std::size_t>(after + 1 - first_);
    for (; i < order_.size() && out.ids.size() < max; ++i) {
        const Entry& e = order_[i];
        if (e.arrival > until) break;  // arrival times never decrease along the deque
        if (e.arrival < since) continue;
        out.ids.push_back(e.id);
        out.last = first_ + i;
    }
    return out;
}

}  // namespace elmo::gossip
