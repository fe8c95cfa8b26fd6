#pragma once
// The next-hop rule of a biased random walk (DESIGN 2.2). At each hop a walk goes, in order of
// preference: to a known mailbox of its topic it has not visited; to an unvisited neighbour whose
// hint matches the topic, chosen at random with closer hint levels weighing more (level l weighs
// 2^(R-l)); when the walk also seeks a node with room and has no hit yet, towards the nearest
// recruiting mailbox (same weights by distance); to a random unvisited neighbour; and, when every
// neighbour was visited, to a random neighbour other than the one it came from (a walk must keep
// moving to spend its TTL).
#include <cstddef>
#include <optional>
#include <random>
#include <span>

namespace elmo {

struct WalkCandidate {
    bool known_mailbox = false;          // the node knows this neighbour is a mailbox of the topic
    std::optional<int> hint_level;       // lowest hint level matching the topic, if any
    std::optional<int> room_distance;    // hops to a recruiting mailbox through it, if within R
    bool visited = false;                // the walk has been there already
    bool previous_hop = false;           // the walk just came from there
};

enum class HopReason { known_mailbox, hint, room, random_unvisited, random_any };

struct HopChoice {
    std::size_t index = 0;
    HopReason reason = HopReason::random_any;
};

// Picks the next hop among `candidates` (the node's neighbours). `use_hints` false gives the plain
// random walk the hints are measured against. Empty when there is no candidate at all.
// `seek_room`: the walk wants a node with room (it looks for a recruit and has no hit yet).
std::optional<HopChoice> choose_next_hop(std::span<const WalkCandidate> candidates, int radius,
                                         bool use_hints, std::mt19937_64& rng,
                                         bool seek_room = false);

}  // namespace elmo
