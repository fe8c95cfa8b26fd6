#pragma once
// The discrete-event engine: virtual time and one event queue ordered by (time, sequence number).
//
// Events are small plain records (kind, two integer arguments) dispatched to a handler registered
// per kind, so the hot path (a datagram delivery, a node wake-up) allocates nothing; arbitrary
// closures are available for rarer events (churn, scenario steps). Ties in time are broken by
// the order of scheduling, which makes a run a pure function of its inputs.
//
// Virtual time is a Duration since the start of the run. It maps onto steady_clock time points
// as epoch() + offset, with a fixed epoch (never the real clock), so that OpenDHT and elmo cores
// see one consistent `now`. While an engine is active on a thread (activate()), the process's
// steady_clock::now() and system_clock::now() return its virtual time: see virtual_clock.hpp.
#include <cstdint>
#include <functional>
#include <vector>

#include "common/time.hpp"
#include "sim/rng.hpp"

namespace elmo::sim {

using EventKind = std::uint32_t;

class Engine {
public:
    using Handler = std::function<void(std::uint32_t a, std::uint64_t b)>;
    using Callback = std::function<void()>;

    // Fixed origin of virtual time on the steady_clock scale: ten years after the clock's zero,
    // far from any real steady_clock reading (time since boot), so a leak of real time shows.
    static constexpr TimePoint epoch() { return TimePoint{} + std::chrono::hours(24 * 365 * 10); }
    static TimePoint to_time_point(Duration offset) { return epoch() + offset; }
    static Duration to_offset(TimePoint t) { return t - epoch(); }

    Engine();
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    Duration now() const { return now_; }
    TimePoint time_point() const { return epoch() + now_; }

    // Registers a handler for a new kind of event.
    EventKind add_kind(Handler handler);

    // Schedules an event; a time in the past is clamped to now.
    void schedule(Duration at, EventKind kind, std::uint32_t a = 0, std::uint64_t b = 0);
    void schedule_in(Duration delay, EventKind kind, std::uint32_t a = 0, std::uint64_t b = 0) {
        schedule(now_ + delay, kind, a, b);
    }
    void call_at(Duration at, Callback fn);
    void call_in(Duration delay, Callback fn) { call_at(now_ + delay, std::move(fn)); }

    // Processes the next event, if any; returns false when the queue is empty.
    bool step();
    // Processes every event due at or before `t`, then sets now to `t` (if later).
    void run_until(Duration t);

    bool empty() const { return heap_.empty(); }
    std::size_t pending() const { return heap_.size(); }
    Duration next_event_time() const;
    std::uint64_t events_processed() const { return processed_; }

    // Makes this engine's virtual time the time of steady_clock/system_clock on this thread, and
    // its entropy the output of std::random_device there (see virtual_clock.hpp).
    void activate() const;

    // The entropy std::random_device hands out while this engine is active. OpenDHT seeds its
    // generators from std::random_device (node ids of searches, request ids, which nodes it
    // pings, value ids); seeded from the run seed, a real-DHT run is a pure function of its
    // inputs like an ideal-overlay one. Unseeded it is seed 0: deterministic too.
    void seed_entropy(std::uint64_t seed) { entropy_.reseed(seed); }
    std::uint32_t draw_entropy() const { return static_cast<std::uint32_t>(entropy_() >> 32); }

private:
    struct Event {
        std::int64_t t;      // ns since start
        std::uint64_t seq;
        EventKind kind;
        std::uint32_t a;
        std::uint64_t b;
    };
    static bool later(const Event& x, const Event& y) {
        return x.t != y.t ? x.t > y.t : x.seq > y.seq;
    }
    void push(Event e);
    Event pop();
    void dispatch(const Event& e);

    Duration now_{0};
    mutable Rng entropy_{0};  // drawn through const Engine* (the active engine)
    std::uint64_t seq_ = 0;
    std::uint64_t processed_ = 0;
    std::vector<Event> heap_;
    std::vector<Handler> handlers_;
    std::vector<Callback> callbacks_;       // closures of call_at events, by slot
    std::vector<std::uint32_t> free_slots_;
    EventKind callback_kind_ = 0;
};

}  // namespace elmo::sim
