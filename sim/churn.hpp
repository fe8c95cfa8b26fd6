#pragma once
// Churn schedules: nodes leaving, crashing, joining and coming back, driven by the churn random
// stream of the run (so the same seed gives the same victims at the same times).
//
//   mass_failure   one event at time t: a fraction of the live nodes fails at once
//   replacement    every period: a fraction of the live nodes fails and as many new nodes join
//   partition      one split: a fraction of the live nodes is cut off from the rest, then healed
//   sessions       each given node alternates up and down, durations drawn from distributions;
//                  a node coming back restarts with the same id and address and fresh state
//
// Victims are drawn uniformly from the live nodes in host order (not in the order of the live
// list, which depends on past churn), so a schedule picks the same hosts whatever ran before.
#include <functional>
#include <memory>
#include <vector>

#include "sim/distribution.hpp"
#include "sim/simulation.hpp"

namespace elmo::sim {

enum class Departure : std::uint8_t { crash, leave };

struct ChurnStats {
    std::uint64_t departures = 0;
    std::uint64_t joins = 0;     // new nodes
    std::uint64_t restarts = 0;  // returning nodes (sessions)
};

// A handle on churn schedules. Scheduled events share its state, so the handle may be dropped
// once the schedules are set (they run as long as the simulation does).
class Churn {
public:
    explicit Churn(Simulation& sim);

    // At `at`, round(fraction * live) live nodes depart.
    void mass_failure(Duration at, double fraction, Departure how = Departure::crash);

    // From `start` on, every `period` until `end`: round(fraction * live) live nodes depart and
    // as many new nodes join.
    void replacement(Duration start, Duration period, double fraction, Duration end = Duration::max(),
                     Departure how = Departure::crash);

    // Each host in `hosts` stays up for a draw of `up`, then down for a draw of `down`, and so
    // on until `end`. Hosts already down at the start begin with a down period.
    void sessions(const std::vector<HostId>& hosts, DurationDist up, DurationDist down,
                  Duration end = Duration::max(), Departure how = Departure::crash);

    // At `at`, round(fraction * live) live nodes are cut off from the others (network group 1:
    // no datagram crosses between the groups, Network "Partitions") until `at + length`, when
    // the network heals (in-flight datagrams then arrive). Phones are not cut off from their home
    // (client links are not network links), so they are on their home's side. `on_split`, if
    // set, is told the cut-off hosts (sorted) at the split.
    void partition(Duration at, Duration length, double fraction,
                   std::function<void(const std::vector<HostId>&)> on_split = nullptr);

    // Picks round(fraction * live) distinct live hosts (uniformly, in host order).
    std::vector<HostId> pick_victims(double fraction);

    const ChurnStats& stats() const { return s_->stats; }

private:
    struct State {
        Simulation& sim;
        Rng rng;
        ChurnStats stats;
    };
    using StatePtr = std::shared_ptr<State>;
    static std::vector<HostId> pick(State& s, double fraction);
    static void depart(State& s, HostId h, Departure how);
    static void replace_step(const StatePtr& s, Duration at, Duration period, double fraction,
                             Duration end, Departure how);
    static void session_step(const StatePtr& s, HostId h, bool going_up, DurationDist up,
                             DurationDist down, Duration end, Departure how);

    StatePtr s_;
};

}  // namespace elmo::sim
