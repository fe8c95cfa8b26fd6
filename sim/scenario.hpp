#pragma once
// Named scenarios for the elmo-sim CLI. A scenario is one function from options to a Summary; it
// prints progress lines on the way. Adding one is one file under sim/scenarios/ plus one line in
// sim/scenarios/registry.cpp.
#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sim/simulation.hpp"
#include "sim/summary.hpp"

namespace elmo::sim {

struct ScenarioOptions {
    std::size_t nodes = 1000;
    std::uint64_t seed = 1;
    OverlayMode overlay = OverlayMode::dht;
    Duration duration = std::chrono::seconds(600);  // simulated
    // Interval of the trivial ping protocol on every node; negative: the scenario's default.
    Duration ping_interval = Duration(-1);
    double loss = 0.0;
    Duration progress_every = Duration(0);  // 0: a tenth of the duration
    std::ostream* progress = nullptr;       // null: no progress lines
    std::map<std::string, std::string> params;  // scenario-specific (--param key=value)
    // Directory for the scenario's CSV files (<dir>/<scenario>-*.csv); empty: none written.
    std::string csv_dir;

    double param(const std::string& key, double fallback) const;
};

using ScenarioFn = std::function<Summary(const ScenarioOptions&)>;

struct ScenarioInfo {
    std::string name;
    std::string description;
    ScenarioFn run;
};

const std::vector<ScenarioInfo>& scenarios();
const ScenarioInfo* find_scenario(std::string_view name);

// Shared pieces for scenario implementations.
namespace scenario_util {
// The common leading entries of every summary (scenario, nodes, seed, overlay, ...).
void add_header(Summary& s, const std::string& name, const ScenarioOptions& o);
// Wall time, events, events/s and peak memory.
void add_run_stats(Summary& s, const Simulation& sim, double wall_start);
// Prints one progress line if o.progress is set.
void progress(const ScenarioOptions& o, const Simulation& sim, double wall_start,
              const std::string& detail);
// Duration between progress lines.
Duration progress_step(const ScenarioOptions& o);
}  // namespace scenario_util

}  // namespace elmo::sim
