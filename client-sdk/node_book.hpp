#pragma once
// The nodes a client may connect to: its bootstrap nodes plus the nodes of the mailboxes it has
// learned (a mailbox is a node, DESIGN 2.5). Bounded; ordered containers only, so that the choice
// of the next home depends on the seed and nothing else.
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <vector>

#include "common/endpoint.hpp"

namespace elmo {

class NodeBook {
public:
    // Invalid and duplicate bootstrap endpoints are dropped. Bootstrap nodes are never evicted;
    // learned ones fill the room left up to `max_nodes`.
    NodeBook(const std::vector<Endpoint>& bootstrap, std::size_t max_nodes);

    // A node seen as a mailbox. When the book is full, the learned node with the most failures
    // (then the longest unconfirmed) makes room. A `fallback` node (named by a home, not seen
    // as a mailbox) is picked only when every other node has failed more often; learning it
    // again as a mailbox makes it an ordinary node.
    void learn(const Endpoint& node, bool fallback = false);
    // Fresh bootstrap nodes from the app's seed: the named ones (at most max_nodes) become the
    // bootstrap nodes, with no failures; earlier bootstrap nodes that failed are dropped (they
    // were replaced), the others become learned nodes; learned nodes with the most failures
    // make room.
    void reseed(const std::vector<Endpoint>& nodes);
    // A connect failed, or a connection was lost before it proved stable, or misbehaved.
    void failed(const Endpoint& node);
    // A connection lasted: the node's failure count starts again.
    void succeeded(const Endpoint& node);

    // The next node to try: one with the fewest failures, ties broken at random, other than
    // `avoid` unless it is the only one. Empty if the book is empty.
    std::optional<Endpoint> pick(const std::optional<Endpoint>& avoid, std::mt19937_64& rng) const;

    std::size_t size() const { return nodes_.size(); }
    bool contains(const Endpoint& node) const { return nodes_.contains(node); }
    std::uint32_t failures(const Endpoint& node) const;
    // The learned (not bootstrap) nodes, least recently learned first: learning them again in
    // this order rebuilds the same recency (persistence).
    std::vector<Endpoint> learned() const;

private:
    struct Entry {
        bool bootstrap = false;
        std::uint64_t seen = 0;  // sequence number of the last learn(); higher is more recent
        std::uint32_t failures = 0;
        bool fallback = false;
    };
    // Drops the learned node with the most failures (then the least recently learned); false
    // if every node is a bootstrap node.
    bool evict_learned();
    std::map<Endpoint, Entry> nodes_;
    std::size_t max_nodes_;
    std::uint64_t seq_ = 0;
};

}  // namespace elmo
