#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "sim/ideal_overlay.hpp"
#include "sim/rng.hpp"

namespace elmo::sim {
namespace {

NodeId random_id(Rng& rng) {
    NodeId id;
    for (auto& b : id) b = static_cast<std::uint8_t>(rng());
    return id;
}

NodeId xor_of(const NodeId& a, const NodeId& b) {
    NodeId r;
    for (std::size_t i = 0; i < r.size(); ++i) r[i] = a[i] ^ b[i];
    return r;
}

unsigned common_prefix(const NodeId& a, const NodeId& b) {
    for (unsigned i = 0; i < 160; ++i)
        if (id_bit(a, i) != id_bit(b, i)) return i;
    return 160;
}

// Brute force: per prefix length, the k XOR-closest, then sorted by id.
std::vector<HostId> brute_table(const std::map<NodeId, HostId>& all, const NodeId& self, std::size_t k) {
    std::map<unsigned, std::vector<std::pair<NodeId, HostId>>> buckets;
    for (const auto& [id, h] : all)
        if (id != self) buckets[common_prefix(id, self)].emplace_back(id, h);
    std::vector<std::pair<NodeId, HostId>> picked;
    for (auto& [b, v] : buckets) {
        std::sort(v.begin(), v.end(), [&](const auto& x, const auto& y) {
            return xor_of(x.first, self) < xor_of(y.first, self);
        });
        for (std::size_t i = 0; i < std::min(k, v.size()); ++i) picked.push_back(v[i]);
    }
    std::sort(picked.begin(), picked.end());
    std::vector<HostId> out;
    for (auto& p : picked) out.push_back(p.second);
    return out;
}

TEST(IdealOverlay, MatchesBruteForceKBuckets) {
    Rng rng(1);
    IdealOverlay ov(8);
    std::map<NodeId, HostId> all;
    for (HostId h = 0; h < 400; ++h) {
        const NodeId id = random_id(rng);
        ov.add(id, h);
        all[id] = h;
    }
    for (const auto& [id, h] : all) ASSERT_EQ(ov.table(id), brute_table(all, id, 8)) << h;
    // A node not in the set gets the table it would have.
    const NodeId outsider = random_id(rng);
    EXPECT_EQ(ov.table(outsider), brute_table(all, outsider, 8));
}

TEST(IdealOverlay, FollowsMembershipChanges) {
    Rng rng(2);
    IdealOverlay ov(4);
    std::map<NodeId, HostId> all;
    std::vector<NodeId> ids;
    for (HostId h = 0; h < 200; ++h) {
        ids.push_back(random_id(rng));
        ov.add(ids.back(), h);
        all[ids.back()] = h;
    }
    const auto epoch = ov.epoch();
    for (std::size_t i = 0; i < ids.size(); i += 3) {
        ov.remove(ids[i]);
        all.erase(ids[i]);
    }
    EXPECT_GT(ov.epoch(), epoch);
    EXPECT_EQ(ov.size(), all.size());
    EXPECT_FALSE(ov.contains(ids[0]));
    EXPECT_TRUE(ov.contains(ids[1]));
    for (const auto& [id, h] : all) ASSERT_EQ(ov.table(id), brute_table(all, id, 4));
}

TEST(IdealOverlay, SmallAndEmptySets) {
    IdealOverlay ov;
    Rng rng(3);
    const NodeId a = random_id(rng), b = random_id(rng);
    EXPECT_TRUE(ov.table(a).empty());
    ov.add(a, 0);
    EXPECT_TRUE(ov.table(a).empty());
    ov.add(b, 1);
    EXPECT_EQ(ov.table(a), std::vector<HostId>{1});
    EXPECT_EQ(ov.table(b), std::vector<HostId>{0});
}

}  // namespace
}  // namespace elmo::sim
