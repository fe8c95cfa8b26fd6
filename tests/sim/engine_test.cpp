#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "sim/engine.hpp"
#include "sim/virtual_clock.hpp"

namespace elmo::sim {
namespace {

using namespace std::chrono_literals;

TEST(Engine, OrdersByTimeThenBySchedulingOrder) {
    Engine e;
    std::vector<int> seen;
    const EventKind k = e.add_kind([&](std::uint32_t a, std::uint64_t) { seen.push_back(static_cast<int>(a)); });
    e.schedule(Duration(30ms), k, 3);
    e.schedule(Duration(10ms), k, 1);
    e.schedule(Duration(30ms), k, 4);  // same time as 3, scheduled later: runs after it
    e.schedule(Duration(20ms), k, 2);
    e.schedule(Duration(10ms), k, 11);
    while (e.step()) {
    }
    EXPECT_EQ(seen, (std::vector<int>{1, 11, 2, 3, 4}));
    EXPECT_EQ(e.now(), Duration(30ms));
    EXPECT_EQ(e.events_processed(), 5u);
}

TEST(Engine, EventsScheduledWhileRunningKeepOrderAndPastIsClampedToNow) {
    Engine e;
    std::vector<std::pair<Duration, int>> seen;
    e.call_at(Duration(10ms), [&] {
        seen.emplace_back(e.now(), 1);
        e.call_at(Duration(5ms), [&] { seen.emplace_back(e.now(), 3); });  // in the past
        e.call_in(Duration(0), [&] { seen.emplace_back(e.now(), 4); });
    });
    e.call_at(Duration(10ms), [&] { seen.emplace_back(e.now(), 2); });
    e.run_until(Duration(1s));
    ASSERT_EQ(seen.size(), 4u);
    EXPECT_EQ(seen[0].second, 1);
    EXPECT_EQ(seen[1].second, 2);
    EXPECT_EQ(seen[2], (std::pair<Duration, int>{Duration(10ms), 3}));
    EXPECT_EQ(seen[3], (std::pair<Duration, int>{Duration(10ms), 4}));
    EXPECT_EQ(e.now(), Duration(1s));  // run_until advances the clock to its bound
}

TEST(Engine, RunUntilStopsAtTheBound) {
    Engine e;
    int ran = 0;
    e.call_at(Duration(100ms), [&] { ++ran; });
    e.call_at(Duration(200ms), [&] { ++ran; });
    e.run_until(Duration(100ms));  // inclusive
    EXPECT_EQ(ran, 1);
    EXPECT_EQ(e.pending(), 1u);
    EXPECT_EQ(e.next_event_time(), Duration(200ms));
}

TEST(Engine, ClosureSlotsAreReused) {
    Engine e;
    int ran = 0;
    for (int round = 0; round < 100; ++round) {
        e.call_in(Duration(1ms), [&] { ++ran; });
        e.step();
    }
    EXPECT_EQ(ran, 100);
}

TEST(VirtualClock, SteadyAndSystemClocksFollowTheActiveEngine) {
    Engine e;
    e.call_at(Duration(1500ms), [] {});
    e.run_until(Duration(2s));
    e.activate();
    EXPECT_EQ(std::chrono::steady_clock::now(), Engine::epoch() + Duration(2s));
    EXPECT_EQ(std::chrono::system_clock::now().time_since_epoch(),
              std::chrono::duration_cast<std::chrono::system_clock::duration>(virtual_wall_epoch + 2s));
    activate_clock(nullptr);
    // The real clock again: nowhere near the virtual epoch (ten years after the clock's zero).
    EXPECT_LT(std::chrono::steady_clock::now(), Engine::epoch() - std::chrono::hours(24 * 365));
}

TEST(VirtualClock, SeveralEnginesInOneProcess) {
    Engine a, b;
    a.run_until(Duration(5s));
    b.run_until(Duration(7s));
    a.activate();
    EXPECT_EQ(std::chrono::steady_clock::now(), Engine::epoch() + Duration(5s));
    b.activate();
    EXPECT_EQ(std::chrono::steady_clock::now(), Engine::epoch() + Duration(7s));
    a.run_until(Duration(6s));  // running activates the engine that runs
    EXPECT_EQ(std::chrono::steady_clock::now(), Engine::epoch() + Duration(6s));
    activate_clock(nullptr);
}

TEST(VirtualClock, DestroyedEngineReleasesTheClock) {
    {
        Engine e;
        e.activate();
        EXPECT_EQ(active_clock(), &e);
    }
    EXPECT_EQ(active_clock(), nullptr);
}

}  // namespace
}  // namespace elmo::sim
