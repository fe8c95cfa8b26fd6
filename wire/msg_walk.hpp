#pragma once
// Biased random walks looking for the mailboxes of a topic (DESIGN 2.2).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wire/limits.hpp"
#include "wire/node_addr.hpp"

namespace elmo::wire {

// Most hits and visited nodes a walk carries; a walk of TTL L visits at most L nodes.
inline constexpr std::size_t max_walk_ttl = 32;
inline constexpr std::size_t max_walk_hits = 16;

// A node with room met by a walk, with its load when met: the origin asks the least loaded
// ("power of two choices": among a few random candidates the least loaded is far better than
// a random one).
struct RecruitOffer {
    NodeAddr node;
    std::uint32_t registrations = 0;
    std::uint32_t topics = 0;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.node, "recruit.node");
        v(s.registrations, "recruit.registrations");
        v(s.topics, "recruit.topics");
    }
    friend bool operator==(const RecruitOffer&, const RecruitOffer&) = default;
};

// One hop of a walk, sent to the next node.
struct WalkStep {
    static constexpr std::uint16_t type_id = 20;
    static constexpr std::string_view name = "walk_step";
    std::uint64_t walk_id = 0;
    NodeAddr origin;                 // the home node that started the walk
    std::string topic;
    std::uint8_t ttl = 0;            // hops left, this one included
    std::uint8_t hops = 0;           // hops made so far
    std::uint8_t first_hit_hop = 0;  // hop count when the first hit was recorded (0: none yet)
    bool want_recruit = false;       // also look for a node with room to adopt the topic
    bool need_room = false;          // the topic's mailboxes are full: look for room even
                                     // after a hit
    std::vector<NodeId> visited;     // nodes seen so far, origin first
    std::vector<NodeAddr> hits;      // mailboxes of the topic found so far
    std::vector<RecruitOffer> recruits;  // nodes with room met on the way

    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.walk_id, "walk_id");
        v(s.origin, "origin");
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.ttl, "ttl");
        v(s.hops, "hops");
        v(s.first_hit_hop, "first_hit_hop");
        v(s.want_recruit, "want_recruit");
        v(s.need_room, "need_room");
        v(s.visited, "visited", max_walk_ttl + 1);
        v(s.hits, "hits", max_walk_hits);
        v(s.recruits, "recruits", max_walk_hits);
    }
    std::optional<DecodeError> validate() const {
        if (ttl > max_walk_ttl) return DecodeError{DecodeErrorCode::out_of_range, "ttl"};
        return std::nullopt;
    }
    friend bool operator==(const WalkStep&, const WalkStep&) = default;
};

// A finished walk, sent back to its origin.
struct WalkResult {
    static constexpr std::uint16_t type_id = 21;
    static constexpr std::string_view name = "walk_result";
    std::uint64_t walk_id = 0;
    std::string topic;
    std::uint8_t hops = 0;
    std::uint8_t first_hit_hop = 0;  // hop count at the first hit (0: none)
    std::vector<NodeAddr> hits;
    std::vector<RecruitOffer> recruits;

    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.walk_id, "walk_id");
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.hops, "hops");
        v(s.first_hit_hop, "first_hit_hop");
        v(s.hits, "hits", max_walk_hits);
        v(s.recruits, "recruits", max_walk_hits);
    }
    friend bool operator==(const WalkResult&, const WalkResult&) = default;
};

}  // namespace elmo::wire
