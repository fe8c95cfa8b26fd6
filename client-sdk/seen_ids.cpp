#include "client-sdk/seen_ids.hpp"

#include <algorithm>

namespace elmo {

std::size_t SeenIds::insert(const wire::EventId& id, std::size_t capacity) {
    if (capacity == 0 || ids_.contains(id)) return 0;
    ids_.insert(id);
    order_.push_back(id);
    ++inserted_;
    std::size_t evicted = 0;
    while (order_.size() > capacity) {
        ids_.erase(order_.front());
        order_.pop_front();
        ++evicted;
    }
    return evicted;
}

std::vector<wire::EventId> SeenIds::newest_first(std::size_t max) const {
    std::vector<wire::EventId> out;
    out.reserve(std::min(max, order_.size()));
    for (auto it = order_.rbegin(); it != order_.rend() && out.size() < max; ++it)
        out.push_back(*it);
    return out;
}

}  // namespace elmo
