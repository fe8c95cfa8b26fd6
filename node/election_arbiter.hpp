#pragma once
// The arbiter of concurrent mailbox elections (docs/dissemination.md, "Arbitrated elections").
// Every node plays it for the topics whose directory key it is nearest to: a home about to elect
// a mailbox for a topic nobody holds claims its candidate here first; the first claim of a
// topic within `window` wins and every later claim is told the winner, so homes electing at the
// same moment (a flash crowd, every mailbox of a hot topic dead) agree on one mailbox while the
// candidate itself is still chosen by the usual placement policy (recruit, self, neighbour).
// Bounded: at most `max_topics` claims; when full, expired claims go first, then the one that
// expires soonest (counted).
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "common/time.hpp"
#include "wire/node_addr.hpp"

namespace elmo {

struct ElectionArbiterCounters {
    std::uint64_t granted = 0;    // claims that won (no live claim for the topic)
    std::uint64_t overruled = 0;  // claims told an earlier winner
    std::uint64_t evicted = 0;    // live claims dropped to make room
};

class ElectionArbiter {
public:
    ElectionArbiter(Duration window, std::size_t max_topics)
        : window_(window), max_topics_(max_topics) {}

    // The winner for `topic`: the candidate of the first claim within the window, or
    // `candidate` itself (recorded as the winner) when there is none.
    wire::NodeAddr claim(const std::string& topic, const wire::NodeAddr& candidate,
                         TimePoint now);
    std::size_t size() const { return claims_.size(); }
    const ElectionArbiterCounters& counters() const { return counters_; }

private:
    struct Claim {
        wire::NodeAddr winner;
        TimePoint expires;
    };
    void erase(std::map<std::string, Claim>::iterator it);
    void make_room(TimePoint now);

    Duration window_;
    std::size_t max_topics_;
    std::map<std::string, Claim> claims_;
    std::set<std::pair<TimePoint, std::string>> by_expiry_;
    ElectionArbiterCounters counters_;
};

}  // namespace elmo
