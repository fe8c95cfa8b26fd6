#include "node/walk_policy.hpp"

#include <vector>

namespace elmo {

namespace {
std::size_t pick_uniform(const std::vector<std::size_t>& from, std::mt19937_64& rng) {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)];
}
}  // namespace

std::optional<HopChoice> choose_next_hop(std::span<const WalkCandidate> candidates, int radius,
                                         bool use_hints, std::mt19937_64& rng,
                                         bool seek_room) {
    if (candidates.empty()) return std::nullopt;
    std::vector<std::size_t> known, unvisited, others;
    std::vector<std::size_t> hinted, roomy;
    std::vector<double> weights, room_weights;
    auto weight = [&](int level) { return static_cast<double>(1u << (radius - level)); };
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const auto& c = candidates[i];
        if (!c.visited) {
            if (use_hints && c.known_mailbox) known.push_back(i);
            if (use_hints && c.hint_level && *c.hint_level >= 0 && *c.hint_level <= radius) {
                hinted.push_back(i);
                weights.push_back(weight(*c.hint_level));
            }
            if (use_hints && seek_room && c.room_distance && *c.room_distance >= 0 &&
                *c.room_distance <= radius) {
                roomy.push_back(i);
                room_weights.push_back(weight(*c.room_distance));
            }
            unvisited.push_back(i);
        }
        if (!c.previous_hop) others.push_back(i);
    }
    if (!known.empty()) return HopChoice{pick_uniform(known, rng), HopReason::known_mailbox};
    if (!hinted.empty()) {
        std::discrete_distribution<std::size_t> d(weights.begin(), weights.end());
        return HopChoice{hinted[d(rng)], HopReason::hint};
    }
    if (!roomy.empty()) {
        std::discrete_distribution<std::size_t> d(room_weights.begin(), room_weights.end());
        return HopChoice{roomy[d(rng)], HopReason::room};
    }
    if (!unvisited.empty()) return HopChoice{pick_uniform(unvisited, rng), HopReason::random_unvisited};
    if (!others.empty()) return HopChoice{pick_uniform(others, rng), HopReason::random_any};
    return HopChoice{0, HopReason::random_any};  // the only neighbour is where we came from
}

}  // namespace elmo
