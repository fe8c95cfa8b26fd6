#include "sim/scenario.hpp"

#include <cstdio>
#include <ostream>

#include "sim/metrics.hpp"

namespace elmo::sim {

double ScenarioOptions::param(const std::string& key, double fallback) const {
    auto it = params.find(key);
    return it == params.end() ? fallback : std::stod(it->second);
}

const ScenarioInfo* find_scenario(std::string_view name) {
    for (const auto& s : scenarios())
        if (s.name == name) return &s;
    return nullptr;
}

namespace scenario_util {

void add_header(Summary& s, const std::string& name, const ScenarioOptions& o) {
    s.set("scenario", name);
    s.set("nodes", static_cast<unsigned long>(o.nodes));
    s.set("seed", static_cast<unsigned long>(o.seed));
    s.set("overlay", to_string(o.overlay));
    s.set("sim_seconds", std::chrono::duration<double>(o.duration).count());
    s.set("loss", o.loss);
}

void add_run_stats(Summary& s, const Simulation& sim, double wall_start) {
    const double wall = wall_seconds() - wall_start;
    const auto events = sim.events();
    s.set("events", static_cast<unsigned long>(events));
    s.set("wall_s", wall);
    s.set("events_per_s", wall > 0 ? static_cast<double>(events) / wall : 0.0);
    s.set("sim_speedup", wall > 0 ? std::chrono::duration<double>(sim.now()).count() / wall : 0.0);
    s.set("peak_rss_mb", static_cast<double>(peak_rss_bytes()) / (1024.0 * 1024.0));
}

void progress(const ScenarioOptions& o, const Simulation& sim, double wall_start,
              const std::string& detail) {
    if (!o.progress) return;
    char buf[160];
    std::snprintf(buf, sizeof buf, "[t=%7.1fs wall=%7.1fs] live=%zu events=%llu ",
                  std::chrono::duration<double>(sim.now()).count(), wall_seconds() - wall_start,
                  sim.live_count(),
                  static_cast<unsigned long long>(sim.events()));
    *o.progress << buf << detail << std::endl;
}

Duration progress_step(const ScenarioOptions& o) {
    if (o.progress_every > Duration(0)) return o.progress_every;
    return std::max<Duration>(o.duration / 10, std::chrono::seconds(1));
}

}  // namespace scenario_util
}  // namespace elmo::sim
