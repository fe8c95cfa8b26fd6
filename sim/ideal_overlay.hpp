#pragma once
// The idealised overlay: Kademlia neighbour tables computed from node ids over the live set,
// without running the DHT protocol, for runs of 100,000 nodes and more.
//
// Node x's table has one bucket per prefix length b (the live nodes whose id shares exactly b
// leading bits with x), each holding the k nodes of that bucket closest to x by XOR distance;
// that is the routing table a converged Kademlia node with perfect knowledge would have.
//
// The live ids are kept in one sorted array (24 bytes per node). A bucket is a contiguous range
// of that array, found by binary search on one bit at a time, and its k XOR-closest members are
// found by descending the same bit structure, so a table costs O(log^2 N) to compute and a
// membership change costs one insertion in the array. Tables are computed when asked for; a node
// caches its own as host numbers (4 bytes an entry) until the membership changes (epoch()).
#include <cstdint>
#include <vector>

#include "node/ports.hpp"
#include "sim/network.hpp"

namespace elmo::sim {

class IdealOverlay {
public:
    explicit IdealOverlay(std::size_t k = 8) : k_(k) {}

    void add(const NodeId& id, HostId host);
    void remove(const NodeId& id);
    bool contains(const NodeId& id) const;
    std::size_t size() const { return entries_.size(); }
    std::size_t k() const { return k_; }

    // The hosts in `self`'s table (self excluded), in id order.
    std::vector<HostId> table(const NodeId& self) const;
    // The same table as the OverlayPort shows it (ids and endpoints), in id order.
    std::vector<Neighbour> neighbours(const NodeId& self, const Network& network) const;
    // Ids and endpoints of hosts (as returned by table(), in the same order).
    std::vector<Neighbour> neighbours_of_hosts(const std::vector<HostId>& hosts) const;

    // Bumped on every membership change (lets callers cache).
    std::uint64_t epoch() const { return epoch_; }

private:
    struct Entry {
        NodeId id;
        HostId host;
    };
    using It = std::vector<Entry>::const_iterator;
    std::vector<const Entry*> pick(const NodeId& self) const;
    void collect_closest(It lo, It hi, unsigned bit, const NodeId& target, std::size_t want,
                         std::vector<const Entry*>& out) const;

    std::size_t k_;
    std::vector<Entry> entries_;  // sorted by id
    std::vector<NodeId> id_by_host_;
    std::uint64_t epoch_ = 0;
};

// Bit `i` of an id, most significant first.
inline bool id_bit(const NodeId& id, unsigned i) { return (id[i / 8] >> (7 - i % 8)) & 1u; }

}  // namespace elmo::sim
