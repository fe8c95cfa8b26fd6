#pragma once
// The on/off session model of generated traces: each client alternates online and offline
// periods drawn from exponential distributions (means in trace time), starting in its stationary
// state. A generator interleaves the resulting online/offline records with its own, in time
// order: before writing a record at time t it calls emit_until(t). Each client draws from its own
// seeded stream, so its sessions do not depend on the order clients were added in.
#include <cstdint>
#include <functional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "traces/record.hpp"

namespace elmo::traces {

class Sessions {
  public:
    using Emit = std::function<void(const Record&)>;
    // online_mean_ms <= 0: clients are always online (one `online` record each, no toggles).
    Sessions(double online_mean_ms, double offline_mean_ms, std::uint64_t seed, Emit emit);

    // The client appears at `t` (not before the last emitted time): online with the stationary
    // probability (an `online` record), its first toggle scheduled. Repeats are ignored.
    void add(std::uint32_t client, std::uint64_t t);
    // Emits every toggle due at or before `t`, in time order (ties by client order of scheduling).
    void emit_until(std::uint64_t t);
    // The client must be online at `t` (it publishes): an `online` record if it was offline, and
    // a fresh online period from `t`. Call emit_until(t) first.
    void ensure_online(std::uint32_t client, std::uint64_t t);
    bool online(std::uint32_t client) const;
    bool known(std::uint32_t client) const { return state_.contains(client); }
    std::size_t clients() const { return state_.size(); }
    std::uint64_t toggles() const { return toggles_; }

  private:
    struct State {
        std::uint64_t rng[2] = {0, 0};  // splitmix-style counter stream: seed and position
        bool online = false;
        std::uint32_t generation = 0;  // invalidates a superseded toggle in the heap
    };
    struct Due {
        std::uint64_t t;
        std::uint64_t seq;
        std::uint32_t client, generation;
        bool operator>(const Due& o) const { return t != o.t ? t > o.t : seq > o.seq; }
    };
    double draw(State& s, double mean);
    void schedule(std::uint32_t client, State& s, std::uint64_t from);

    double on_ms_, off_ms_;
    std::uint64_t seed_;
    Emit emit_;
    std::unordered_map<std::uint32_t, State> state_;  // lookups only
    std::priority_queue<Due, std::vector<Due>, std::greater<>> heap_;
    std::uint64_t seq_ = 0, toggles_ = 0;
};

}  // namespace elmo::traces
