#include "mailbox/seen_set.hpp"

namespace elmo::mailbox {

bool SeenSet::contains(const wire::EventId& id, TimePoint now) const {
    auto it = by_id_.find(id);
    return it != by_id_.end() && it->second > now;
}

std::size_t SeenSet::insert(const wire::EventId& id, TimePoint forget_at) {
    if (capacity_ == 0) return 0;
    if (auto it = by_id_.find(id); it != by_id_.end()) {
        if (forget_at <= it->second) return 0;
        by_time_.erase({it->second, id});
        it->second = forget_at;
        by_time_.emplace(forget_at, id);
        return 0;
    }
    std::size_t forgotten = 0;
    if (by_id_.size() >= capacity_) {
        auto oldest = by_time_.begin();
        // The new id itself would be the first to go: do not remember it at all.
        if (std::pair{forget_at, id} < *oldest) return 1;
        by_id_.erase(oldest->second);
        by_time_.erase(oldest);
        forgotten = 1;
    }
    by_id_.emplace(id, forget_at);
    by_time_.emplace(forget_at, id);
    return forgotten;
}

void SeenSet::forget_until(TimePoint now) {
    while (!by_time_.empty() && by_time_.begin()->first <= now) {
        by_id_.erase(by_time_.begin()->second);
        by_time_.erase(by_time_.begin());
    }
}

}  // namespace elmo::mailbox
