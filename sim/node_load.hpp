#pragma once
// Per-node elmo load over an interval (DESIGN 4, "Load"): the elmo datagrams and client frames
// each node sent and received, their bytes, and messages per second of the node's up time in the
// interval. DHT traffic is not elmo's and is left out (dht-bootstrap reports it). Counts come from
// the network's per-host counters, so they include datagrams that were then lost, as a real
// node's interface counters would.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <vector>

#include "sim/simulation.hpp"

namespace elmo::sim {

struct NodeLoadRow {
    HostId host = no_host;
    bool up = false;  // up at the end of the interval
    double up_s = 0;  // seconds up within the interval
    std::size_t mailbox_topics = 0;
    std::uint64_t msgs_in = 0, msgs_out = 0, bytes_in = 0, bytes_out = 0;
    double msgs_per_s = 0;  // (in + out) / up_s
};

struct NodeLoadSummary {
    std::size_t nodes = 0;  // counted: up at the end and up at least min_up_s
    double mean = 0, p99 = 0, max = 0;
};

class Summary;
// node_msgs_per_s_mean, _p99, _max and nodes_counted: the keys every scenario and replay reports.
void add_node_load(Summary& s, const NodeLoadSummary& load);

// Elmo messages (datagrams of the elmo kind plus client frames) of one host's counters.
struct ElmoTraffic {
    std::uint64_t msgs_in = 0, msgs_out = 0, bytes_in = 0, bytes_out = 0;
};
ElmoTraffic elmo_traffic(const HostCounters& c);

class NodeLoad {
  public:
    // Follows membership from now on. The observer it registers holds only shared state, so
    // this object may go before the simulation.
    explicit NodeLoad(Simulation& sim);

    // Starts the interval now: counters and up times are counted from here.
    void start();
    // One row per host up at some time in the interval, in host order, as of now.
    // `mailbox_topics` (may be null) gives a node's mailbox topic count.
    std::vector<NodeLoadRow> rows(const std::function<std::size_t(HostId)>& mailbox_topics) const;
    // Messages per second over nodes up at the end that were up at least `min_up_s` (a node
    // that joined a moment ago has too short a base for a rate).
    static NodeLoadSummary summarize(const std::vector<NodeLoadRow>& rows, double min_up_s);

  private:
    struct State {
        Duration start{0};
        std::vector<Duration> up_since;  // by host; Duration::min() while down
        std::vector<Duration> up_total;  // by host, within the interval, closed periods
        std::vector<ElmoTraffic> base;   // by host, at the start
    };
    Simulation& sim_;
    std::shared_ptr<State> s_;
};

// The per-node table as CSV (docs/metrics.md): a '#' header line, then one row per node.
void write_nodes_csv(std::ostream& out, const std::vector<NodeLoadRow>& rows);

}  // namespace elmo::sim
