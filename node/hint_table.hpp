#pragma once
// Per-neighbour hints (DESIGN 2.1) and the hint this node advertises.
//
// Each neighbour's last HintUpdate is kept until it expires. What this node advertises is:
// level 0, its own mailbox topics; levels 1..R, the levels of up to `merge_fanout` neighbours'
// hints shifted by one (the XOR-closest neighbours that sent one, so the choice is stable and
// symmetric enough: Kademlia's closest neighbours tend to know each other); and the distance to
// the nearest mailbox with room (0 when this node is a recruiting mailbox).
#include <map>
#include <set>
#include <optional>
#include <vector>

#include "bloom/attenuated_bloom_filter.hpp"
#include "common/node_id.hpp"
#include "common/time.hpp"
#include "wire/msg_hint.hpp"

namespace elmo {

class HintTable {
public:
    // `max_lifetime`: a hint is kept at most this long, whatever its sender says.
    HintTable(int radius, std::uint32_t bits, std::uint32_t hashes, std::size_t merge_fanout,
              Duration max_lifetime)
        : radius_(radius), bits_(bits), hashes_(hashes), merge_fanout_(merge_fanout),
          max_lifetime_(max_lifetime) {}

    // Stores a neighbour's hint, replacing the one held (hints are minutes apart, so a reordered
    // older one is not worth guarding against, and a restarted neighbour counts from 1 again).
    // Returns false (and ignores it) when its filter's shape differs from ours.
    bool receive(const NodeId& from, const wire::HintUpdate& hint, TimePoint now);
    // Keeps only the hints of these neighbours (the others left the overlay).
    void retain(const std::set<NodeId>& neighbours) {
        std::erase_if(by_neighbour_, [&](const auto& kv) { return !neighbours.contains(kv.first); });
    }
    // Drops expired hints; returns how many.
    std::size_t expire(TimePoint now);

    // The lowest level of `neighbour`'s hint matching the topic (not matched when `topic` is
    // null), and its room distance within the radius: one search of the table, since a walk step
    // asks for every neighbour.
    struct View {
        std::optional<int> level;
        std::optional<int> room_distance;
    };
    View view(const NodeId& neighbour, const bloom::TopicHash* topic, TimePoint now) const;

    // The hint to advertise, given this node's own mailbox topics and whether it has room.
    wire::HintUpdate advertise(const std::vector<std::string>& own_topics, bool recruiting,
                               const NodeId& self, std::uint64_t seq, Duration lifetime,
                               TimePoint now) const;

    std::size_t size() const { return by_neighbour_.size(); }
    std::uint64_t rejected() const { return rejected_; }

private:
    struct Held {
        std::uint64_t seq = 0;
        TimePoint expires;
        std::uint8_t room_distance = wire::no_room;
        std::optional<bloom::AttenuatedBloomFilter> topics;
    };
    const Held* live(const NodeId& n, TimePoint now) const;

    int radius_;
    std::uint32_t bits_;
    std::uint32_t hashes_;
    std::size_t merge_fanout_;
    Duration max_lifetime_;
    std::map<NodeId, Held> by_neighbour_;
    std::uint64_t rejected_ = 0;
};

}  // namespace elmo
