#include "node/hint_table.hpp"

#include <algorithm>

namespace elmo {

namespace {
// XOR distance order between ids, for choosing the neighbours whose hints are merged.
bool closer(const NodeId& self, const NodeId& a, const NodeId& b) {
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto da = static_cast<std::uint8_t>(a[i] ^ self[i]);
        auto db = static_cast<std::uint8_t>(b[i] ^ self[i]);
        if (da != db) return da < db;
    }
    return false;
}
}  // namespace

bool HintTable::receive(const NodeId& from, const wire::HintUpdate& hint, TimePoint now) {
    if (hint.topics && (hint.topics->bits() != bits_ || hint.topics->hashes() != hashes_)) {
        ++rejected_;
        return false;
    }
    Held h;
    h.seq = hint.seq;
    h.expires = now + std::min<Duration>(std::chrono::seconds(hint.lifetime_s), max_lifetime_);
    h.room_distance = hint.room_distance;
    h.topics = hint.topics;
    by_neighbour_[from] = std::move(h);
    return true;
}

std::size_t HintTable::expire(TimePoint now) {
    return std::erase_if(by_neighbour_, [&](const auto& kv) { return kv.second.expires <= now; });
}

const HintTable::Held* HintTable::live(const NodeId& n, TimePoint now) const {
    auto it = by_neighbour_.find(n);
    if (it == by_neighbour_.end() || it->second.expires <= now) return nullptr;
    return &it->second;
}

HintTable::View HintTable::view(const NodeId& neighbour, const bloom::TopicHash* topic,
                                TimePoint now) const {
    View v;
    const Held* h = live(neighbour, now);
    if (!h) return v;
    if (topic && h->topics) v.level = h->topics->first_match(*topic);
    if (h->room_distance != wire::no_room && h->room_distance <= radius_)
        v.room_distance = h->room_distance;
    return v;
}

wire::HintUpdate HintTable::advertise(const std::vector<std::string>& own_topics, bool recruiting,
                                      const NodeId& self, std::uint64_t seq, Duration lifetime,
                                      TimePoint now) const {
    wire::HintUpdate out;
    out.seq = seq;
    out.lifetime_s =
        static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(lifetime).count());

    // Neighbours with a live hint, XOR-closest first.
    std::vector<const std::pair<const NodeId, Held>*> live_hints;
    for (const auto& kv : by_neighbour_)
        if (kv.second.expires > now) live_hints.push_back(&kv);
    std::sort(live_hints.begin(), live_hints.end(),
              [&](auto* a, auto* b) { return closer(self, a->first, b->first); });

    int room = recruiting ? 0 : wire::no_room;
    for (auto* kv : live_hints) {
        const Held& h = kv->second;
        if (h.room_distance != wire::no_room && h.room_distance + 1 <= radius_)
            room = std::min(room, h.room_distance + 1);
    }
    out.room_distance = static_cast<std::uint8_t>(room);

    bloom::AttenuatedBloomFilter f(static_cast<std::size_t>(radius_), bits_, hashes_);
    bool any = false;
    for (const auto& t : own_topics) {
        f.insert(0, t);
        any = true;
    }
    std::size_t merged = 0;
    for (auto* kv : live_hints) {
        if (merged == merge_fanout_) break;
        if (!kv->second.topics) continue;
        if (f.merge_shifted(*kv->second.topics).ok()) {
            ++merged;
            for (std::size_t l = 0; l + 1 < kv->second.topics->level_count(); ++l)
                any = any || !kv->second.topics->level(l).empty();
        }
    }
    if (any) out.topics = std::move(f);
    return out;
}

}  // namespace elmo
