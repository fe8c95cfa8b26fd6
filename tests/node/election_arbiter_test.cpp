// The arbiter of concurrent elections (node/election_arbiter.hpp): the first claim of a topic
// within the window wins, later ones are told its winner, and the claim table is bounded.
#include "node/election_arbiter.hpp"

#include <gtest/gtest.h>

namespace elmo {
namespace {

using namespace std::chrono_literals;

wire::NodeAddr addr(std::uint8_t n) {
    NodeId id{};
    id[0] = n;
    return wire::NodeAddr::from(id, Endpoint::v4(0x7f000000u + n, 4222));
}

TEST(ElectionArbiter, TheFirstClaimWithinTheWindowWins) {
    ElectionArbiter a{30s, 16};
    const TimePoint t0{};
    EXPECT_EQ(a.claim("t", addr(1), t0).id, addr(1).id);
    EXPECT_EQ(a.claim("t", addr(2), t0 + 1s).id, addr(1).id);
    EXPECT_EQ(a.claim("t", addr(3), t0 + 29s).id, addr(1).id);
    EXPECT_EQ(a.claim("u", addr(3), t0 + 2s).id, addr(3).id) << "topics are arbitrated apart";
    EXPECT_EQ(a.counters().granted, 2u);
    EXPECT_EQ(a.counters().overruled, 2u);
}

TEST(ElectionArbiter, AfterTheWindowTheNextClaimWinsAnew) {
    ElectionArbiter a{30s, 16};
    const TimePoint t0{};
    a.claim("t", addr(1), t0);
    EXPECT_EQ(a.claim("t", addr(2), t0 + 30s).id, addr(2).id);
    EXPECT_EQ(a.claim("t", addr(3), t0 + 31s).id, addr(2).id);
    EXPECT_EQ(a.size(), 1u);
}

TEST(ElectionArbiter, AFullTableDropsExpiredClaimsFirstThenTheSoonestToExpire) {
    ElectionArbiter a{30s, 2};
    const TimePoint t0{};
    a.claim("a", addr(1), t0);
    a.claim("b", addr(2), t0 + 10s);
    a.claim("c", addr(3), t0 + 31s);  // "a" expired: dropped without counting
    EXPECT_EQ(a.size(), 2u);
    EXPECT_EQ(a.counters().evicted, 0u);
    a.claim("d", addr(4), t0 + 32s);  // full of live claims: "b" expires soonest
    EXPECT_EQ(a.size(), 2u);
    EXPECT_EQ(a.counters().evicted, 1u);
    EXPECT_EQ(a.claim("b", addr(5), t0 + 33s).id, addr(5).id) << "its claim was forgotten";
    EXPECT_EQ(a.claim("d", addr(6), t0 + 33s).id, addr(4).id);
}

}  // namespace
}  // namespace elmo
