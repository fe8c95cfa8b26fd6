#include "sim/ideal_overlay.hpp"

#include <algorithm>

namespace elmo::sim {

void IdealOverlay::add(const NodeId& id, HostId host) {
    if (host >= id_by_host_.size()) id_by_host_.resize(host + 1);
    id_by_host_[host] = id;
    auto it = std::lower_bound(entries_.begin(), entries_.end(), id,
                               [](const Entry& e, const NodeId& v) { return e.id < v; });
    if (it != entries_.end() && it->id == id) {
        it->host = host;
    } else {
        entries_.insert(it, Entry{id, host});
    }
    ++epoch_;
}

void IdealOverlay::remove(const NodeId& id) {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), id,
                               [](const Entry& e, const NodeId& v) { return e.id < v; });
    if (it != entries_.end() && it->id == id) {
        entries_.erase(it);
        ++epoch_;
    }
}

bool IdealOverlay::contains(const NodeId& id) const {
    return std::binary_search(entries_.begin(), entries_.end(), Entry{id, 0},
                              [](const Entry& a, const Entry& b) { return a.id < b.id; });
}

// The `want` entries of [lo, hi) closest to `target` by XOR; all entries of the range share the
// bits before `bit`. Taking the side that agrees with target at `bit` first is exactly XOR order.
void IdealOverlay::collect_closest(It lo, It hi, unsigned bit, const NodeId& target,
                                   std::size_t want, std::vector<const Entry*>& out) const {
    if (want == 0 || lo == hi) return;
    if (static_cast<std::size_t>(hi - lo) <= want || bit >= 160) {
        for (It it = lo; it != hi && want > 0; ++it, --want) out.push_back(&*it);
        return;
    }
    const It mid = std::partition_point(lo, hi, [bit](const Entry& e) { return !id_bit(e.id, bit); });
    const bool t = id_bit(target, bit);
    const It near_lo = t ? mid : lo, near_hi = t ? hi : mid;
    const It far_lo = t ? lo : mid, far_hi = t ? mid : hi;
    const std::size_t before = out.size();
    collect_closest(near_lo, near_hi, bit + 1, target, want, out);
    const std::size_t taken = out.size() - before;
    if (taken < want) collect_closest(far_lo, far_hi, bit + 1, target, want - taken, out);
}

std::vector<const IdealOverlay::Entry*> IdealOverlay::pick(const NodeId& self) const {
    std::vector<const Entry*> picked;
    It lo = entries_.begin(), hi = entries_.end();
    // Walk down self's path: at each bit the other half is bucket `bit`.
    for (unsigned bit = 0; bit < 160 && lo != hi; ++bit) {
        if (hi - lo == 1 && lo->id == self) break;
        const It mid =
            std::partition_point(lo, hi, [bit](const Entry& e) { return !id_bit(e.id, bit); });
        const bool s = id_bit(self, bit);
        const It b_lo = s ? lo : mid, b_hi = s ? mid : hi;  // differ from self at `bit`
        collect_closest(b_lo, b_hi, bit + 1, self, k_, picked);
        if (s) lo = mid; else hi = mid;
    }
    // The entries live in one array sorted by id: address order is id order, and cheaper.
    std::sort(picked.begin(), picked.end(), std::less<const Entry*>());
    return picked;
}

std::vector<HostId> IdealOverlay::table(const NodeId& self) const {
    const auto picked = pick(self);
    std::vector<HostId> out;
    out.reserve(picked.size());
    for (const Entry* e : picked) out.push_back(e->host);
    return out;
}

std::vector<Neighbour> IdealOverlay::neighbours(const NodeId& self, const Network& network) const {
    const auto picked = pick(self);
    std::vector<Neighbour> out;
    out.reserve(picked.size());
    for (const Entry* e : picked) out.push_back(Neighbour{e->id, network.endpoint_of(e->host)});
    return out;
}

std::vector<Neighbour> IdealOverlay::neighbours_of_hosts(const std::vector<HostId>& hosts) const {
    std::vector<Neighbour> out;
    out.reserve(hosts.size());
    for (HostId h : hosts) out.push_back(Neighbour{id_by_host_[h], Network::endpoint_of(h)});
    return out;
}

}  // namespace elmo::sim
