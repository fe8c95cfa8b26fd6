#include "client-sdk/node_book.hpp"

#include <algorithm>

namespace elmo {

NodeBook::NodeBook(const std::vector<Endpoint>& bootstrap, std::size_t max_nodes)
    : max_nodes_(max_nodes) {
    for (const auto& e : bootstrap)
        if (e.valid() && e.port != 0) nodes_[e].bootstrap = true;
}

void NodeBook::learn(const Endpoint& node) {
    if (!node.valid() || node.port == 0) return;
    auto it = nodes_.find(node);
    if (it != nodes_.end()) {
        it->second.seen = ++seq_;
        return;
    }
    if (nodes_.size() >= max_nodes_) {
        auto victim = nodes_.end();
        for (auto i = nodes_.begin(); i != nodes_.end(); ++i) {
            if (i->second.bootstrap) continue;
            if (victim == nodes_.end() || i->second.failures > victim->second.failures ||
                (i->second.failures == victim->second.failures &&
                 i->second.seen < victim->second.seen))
                victim = i;
        }
        if (victim == nodes_.end()) return;  // all bootstrap: no room for learned nodes
        nodes_.erase(victim);
    }
    nodes_[node].seen = ++seq_;
}

void NodeBook::failed(const Endpoint& node) {
    auto it = nodes_.find(node);
    if (it != nodes_.end()) ++it->second.failures;
}

void NodeBook::succeeded(const Endpoint& node) {
    auto it = nodes_.find(node);
    if (it != nodes_.end()) it->second.failures = 0;
}

std::vector<Endpoint> NodeBook::learned() const {
    std::vector<std::pair<std::uint64_t, Endpoint>> by_seen;
    for (const auto& [e, entry] : nodes_)
        if (!entry.bootstrap) by_seen.emplace_back(entry.seen, e);
    std::sort(by_seen.begin(), by_seen.end());
    std::vector<Endpoint> out;
    out.reserve(by_seen.size());
    for (auto& [seen, e] : by_seen) out.push_back(e);
    return out;
}

std::uint32_t NodeBook::failures(const Endpoint& node) const {
    auto it = nodes_.find(node);
    return it == nodes_.end() ? 0 : it->second.failures;
}

std::optional<Endpoint> NodeBook::pick(const std::optional<Endpoint>& avoid,
                                       std::mt19937_64& rng) const {
    std::vector<Endpoint> best;
    std::uint32_t best_failures = 0;
    for (const auto& [e, entry] : nodes_) {
        if (avoid && e == *avoid) continue;
        if (best.empty() || entry.failures < best_failures) {
            best.assign(1, e);
            best_failures = entry.failures;
        } else if (entry.failures == best_failures) {
            best.push_back(e);
        }
    }
    if (best.empty()) {
        if (avoid && nodes_.contains(*avoid)) return avoid;
        return std::nullopt;
    }
    return best[rng() % best.size()];
}

}  // namespace elmo
