#include "sim/churn.hpp"

#include <algorithm>
#include <cmath>

namespace elmo::sim {

Churn::Churn(Simulation& sim)
    : s_(std::make_shared<State>(State{sim, Rng(sim.seed_for(seed_churn)), {}})) {}

std::vector<HostId> Churn::pick(State& s, double fraction) {
    std::vector<HostId> live = s.sim.live_sorted();
    const auto n = static_cast<std::size_t>(
        std::llround(std::clamp(fraction, 0.0, 1.0) * static_cast<double>(live.size())));
    // Partial Fisher-Yates: the first n slots become a uniform sample.
    for (std::size_t i = 0; i < n; ++i) std::swap(live[i], live[i + s.rng.below(live.size() - i)]);
    live.resize(n);
    return live;
}

std::vector<HostId> Churn::pick_victims(double fraction) { return pick(*s_, fraction); }

void Churn::depart(State& s, HostId h, Departure how) {
    if (!s.sim.is_up(h)) return;
    ++s.stats.departures;
    if (how == Departure::crash) s.sim.crash(h); else s.sim.leave(h);
}

void Churn::mass_failure(Duration at, double fraction, Departure how) {
    s_->sim.at(at, [s = s_, fraction, how] {
        for (HostId h : pick(*s, fraction)) depart(*s, h, how);
    });
}

void Churn::partition(Duration at, Duration length, double fraction,
                      std::function<void(const std::vector<HostId>&)> on_split) {
    s_->sim.at(at, [s = s_, fraction, on_split = std::move(on_split)] {
        auto side = pick(*s, fraction);
        std::sort(side.begin(), side.end());
        for (HostId h : side) s->sim.network().set_group(h, 1);
        if (on_split) on_split(side);
    });
    s_->sim.at(at + length, [s = s_] { s->sim.network().heal(); });
}

void Churn::replacement(Duration start, Duration period, double fraction, Duration end,
                        Departure how) {
    if (period <= Duration{0}) return;
    replace_step(s_, start, period, fraction, end, how);
}

void Churn::replace_step(const StatePtr& s, Duration at, Duration period, double fraction,
                         Duration end, Departure how) {
    s->sim.at(at, [s, at, period, fraction, end, how] {
        const auto victims = pick(*s, fraction);
        for (HostId h : victims) depart(*s, h, how);
        for (std::size_t i = 0; i < victims.size(); ++i) {
            s->sim.add_node();
            ++s->stats.joins;
        }
        if (end - period >= at) replace_step(s, at + period, period, fraction, end, how);
    });
}

void Churn::sessions(const std::vector<HostId>& hosts, DurationDist up, DurationDist down,
                     Duration end, Departure how) {
    for (HostId h : hosts) {
        const bool is_up = s_->sim.is_up(h);
        // The first period is drawn in full: a memoryless start for exponential sessions.
        const Duration at = s_->sim.now() + (is_up ? up : down).sample(s_->rng);
        if (at > end) continue;
        s_->sim.at(at, [s = s_, h, is_up, up, down, end, how] {
            session_step(s, h, !is_up, up, down, end, how);
        });
    }
}

void Churn::session_step(const StatePtr& s, HostId h, bool going_up, DurationDist up,
                         DurationDist down, Duration end, Departure how) {
    if (going_up) {
        if (s->sim.find(h) == nullptr) {
            s->sim.restart(h);
            ++s->stats.restarts;
        }
    } else {
        depart(*s, h, how);
    }
    const Duration next = s->sim.now() + (going_up ? up : down).sample(s->rng);
    if (next > end) return;
    s->sim.at(next, [s, h, going_up, up, down, end, how] {
        session_step(s, h, !going_up, up, down, end, how);
    });
}

}  // namespace elmo::sim
