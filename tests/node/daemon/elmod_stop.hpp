#pragma once
// Stopping a test cluster the way an operator does (SIGTERM), each node expected to exit 0.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <vector>

#include "elmod_harness.hpp"

namespace elmo::daemon::test {

// SIGTERM to every node at once (their hand-offs overlap, as in a rolling stop gone wrong), then
// each must exit with code 0 within 10 s.
inline void expect_graceful_stop(const std::vector<Elmod*>& nodes) {
    for (Elmod* n : nodes) n->process().signal(SIGTERM);
    for (Elmod* n : nodes) {
        auto e = n->process().wait(std::chrono::seconds(10));
        ASSERT_TRUE(e) << "no exit after SIGTERM";
        EXPECT_EQ(e->code, 0) << n->process().log();
    }
}

inline void expect_graceful_stop(const std::vector<std::unique_ptr<Elmod>>& nodes) {
    std::vector<Elmod*> all;
    for (const auto& n : nodes) all.push_back(n.get());
    expect_graceful_stop(all);
}

}  // namespace elmo::daemon::test
