#pragma once
// How much a run asked of the DHT (docs/dissemination.md, "What the DHT costs"): the directory and replica
// traffic the elmo cores caused, and the searches OpenDHT keeps for it. OpenDHT keeps every
// search, finished or not, for about an hour and walks them for every node it hears of, so the
// number of distinct keys a node touched is what a large replay's speed depends on.
#include "sim/simulation.hpp"
#include "sim/summary.hpp"

namespace elmo::sim {

// Appends node_* DHT counters (sums over the live cores) and dht_searches_mean / _max (over the
// live DHT nodes, as OpenDHT reports them now); dht_messages, dht_timer_runs and
// core_timer_runs over the run so far (hosts up now), which is where a slow run's events go.
void add_dht_use(Summary& s, Simulation& sim);

}  // namespace elmo::sim
