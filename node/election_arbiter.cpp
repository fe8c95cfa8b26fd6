#include "node/election_arbiter.hpp"

namespace elmo {

wire::NodeAddr ElectionArbiter::claim(const std::string& topic, const wire::NodeAddr& candidate,
                                      TimePoint now) {
    auto it = claims_.find(topic);
    if (it != claims_.end() && it->second.expires > now) {
        ++counters_.overruled;
        return it->second.winner;
    }
    ++counters_.granted;
    if (it != claims_.end()) erase(it);
    if (max_topics_ == 0) return candidate;
    make_room(now);
    const TimePoint expires = now + window_;
    claims_.emplace(topic, Claim{candidate, expires});
    by_expiry_.emplace(expires, topic);
    return candidate;
}

void ElectionArbiter::erase(std::map<std::string, Claim>::iterator it) {
    by_expiry_.erase({it->second.expires, it->first});
    claims_.erase(it);
}

void ElectionArbiter::make_room(TimePoint now) {
    while (!by_expiry_.empty() && by_expiry_.begin()->first <= now)
        erase(claims_.find(by_expiry_.begin()->second));
    while (claims_.size() >= max_topics_) {
        ++counters_.evicted;
        erase(claims_.find(by_expiry_.begin()->second));
    }
}

}  // namespace elmo
