// The battery budget (issue 6) as a regression test: an idle subscribed client starts at most 4
// exchanges an hour with the default parameters, whether the connection stays up or the OS closes
// it and the SDK's background policy reconnects once per poll period. Figures: bench/client.
#include <gtest/gtest.h>

#include "bench/client/idle_sim.hpp"

namespace elmo::bench {
namespace {

void expect_within_budget(const Scenario& s) {
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
        Sim sim(s, seed);
        Figures f = sim.run(std::chrono::hours(1), std::chrono::hours(3));
        EXPECT_LE(f.exchanges, 4.0) << s.name << " seed " << seed;
        EXPECT_GE(f.exchanges, 3.0) << s.name << " seed " << seed << ": still renewing and polling";
    }
}

TEST(ClientBudget, IdleConnectedClientStartsAtMostFourExchangesAnHour) {
    expect_within_budget({"connected-1", 1});
    expect_within_budget({"connected-6", 6});
}

TEST(ClientBudget, PushesAddNoClientStartedExchange) {
    expect_within_budget({"pushes", 1, std::chrono::minutes(10)});
}

TEST(ClientBudget, SocketClosedByTheOsBackgroundPolicyStaysWithinBudget) {
    expect_within_budget(
        {"os-closes", 1, Duration::zero(), Duration::zero(), std::chrono::seconds(30)});
}

}  // namespace
}  // namespace elmo::bench
