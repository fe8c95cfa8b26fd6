#pragma once
// elmo-replay --sim: plays a trace into the simulator (real dht::Dht nodes running elmo's node
// core, phones running elmo's client core) and measures what DESIGN 4 asks (docs/traces.md).
//
// Time: the network warms up for `warmup_s` of simulated time (DHT formation), then trace time 0
// begins; a record at trace time t happens at warmup + t / speedup. The trace is read one record
// at a time: the simulation runs up to each record's time, then applies it. After the last
// record (or the trace's duration) a drain without publications lets late deliveries in.
//
// Mapping: the first `nodes` nodes start at time 0 as trace nodes 0..nodes-1; a `join` of an
// unknown id adds a node, of a stopped one restarts it. A client gets a slot at its first
// mention, its home node by a seeded hash of its id over the live nodes (and 3 other nodes it
// knows for failover); its client core is built when it first comes online, subscribing to
// what the trace subscribed it to so far. Publications carry `size` bytes of filler.
#include <map>
#include <string>

#include "common/result.hpp"
#include "sim/simulation.hpp"
#include "traces/report.hpp"

namespace elmo::traces {

struct SimReplayOptions {
    std::string trace;
    std::size_t nodes = 0;  // 0: the trace's `nodes` header, else 150
    std::uint64_t seed = 1;
    sim::OverlayMode overlay = sim::OverlayMode::dht;
    double warmup_s = 60;
    double speedup = 1;
    double drain_s = 120;
    double measure_from_s = 0;  // trace time (before speed-up) from which events are measured
    double stop_at_s = -1;      // trace time at which to stop reading (a prefix); < 0: all
    double window_s = 10;
    double fail_at_s = -1;  // extra mass failure at this trace time; < 0: none
    double fail_fraction = 0.1;
    bool count_copies = true;
    std::map<std::string, std::string> params;  // stack knobs (docs/node.md), as elmo-sim --param
    std::FILE* progress = stderr;               // null: silent
};

// Runs the replay. Errors: the trace cannot be read, a bad record (with its line), a bad knob.
Result<ReplayData, std::string> replay_sim(const SimReplayOptions& o);

}  // namespace elmo::traces
