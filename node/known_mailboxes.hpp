#pragma once
// What a node knows of the mailboxes of topics: learned from walk results, registration replies
// and evaporation notices, forgotten after a time-to-live or when found dead. Bounded in topics
// (the topic learned least recently is dropped) and in mailboxes per topic (the oldest entry
// dropped); both drops are counted.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/time.hpp"
#include "wire/node_addr.hpp"

namespace elmo {

class KnownMailboxes {
public:
    KnownMailboxes(std::size_t max_topics, std::size_t max_per_topic, Duration ttl)
        : max_topics_(max_topics), max_per_topic_(max_per_topic), ttl_(ttl) {}

    void learn(const std::string& topic, const wire::NodeAddr& mailbox, TimePoint now);
    void forget(const std::string& topic, const NodeId& mailbox);
    // Forgets a node for every topic (it was found dead).
    void forget_node(const NodeId& mailbox);
    // Live entries for a topic, most recently learned first.
    std::vector<wire::NodeAddr> get(const std::string& topic, TimePoint now) const;
    std::size_t topics() const { return by_topic_.size(); }
    std::uint64_t dropped() const { return dropped_; }

private:
    struct Entry {
        wire::NodeAddr addr;
        TimePoint learned;
    };
    struct Topic {
        std::vector<Entry> entries;  // newest last
        std::uint64_t touched = 0;   // sequence of the last learn, for eviction
    };
    void evict_oldest_topic();

    std::size_t max_topics_;
    std::size_t max_per_topic_;
    Duration ttl_;
    std::map<std::string, Topic> by_topic_;
    std::uint64_t seq_ = 0;
    std::uint64_t dropped_ = 0;
};

}  // namespace elmo
