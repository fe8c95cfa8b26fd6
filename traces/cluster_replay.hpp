#pragma once
// elmo-replay --cluster: plays a trace against real elmod nodes in real time, with one
// client::AsioClient (the real client driver: TCP or TLS, length-prefixed frames, the client
// core) per trace client, all on one io_context in this process (docs/traces.md).
//
// Time: trace time 0 is `warmup_s` after the start (the cluster's DHT settles); a record at trace
// time t is applied at start + warmup + t / speedup of the steady clock. Presence: a client's
// first `online` creates and starts its AsioClient (bootstrap: its home node by a hash of its id,
// then 3 others), later ones call on_connectivity_changed(true), `offline` (false): the core
// closes the connection and stays quiet, as a phone without network. Load: each node's
// Prometheus metrics (--admin endpoints, same order as the client endpoints) are scraped at the
// start and the end of the measurement.
#include <string>
#include <vector>

#include "common/endpoint.hpp"
#include "common/result.hpp"
#include "traces/report.hpp"

namespace elmo::traces {

struct ClusterReplayOptions {
    std::string trace;
    std::vector<Endpoint> nodes;    // the nodes' client (TCP) endpoints
    std::vector<Endpoint> admins;   // their metrics endpoints, same order; may be empty
    bool plain_tcp = false;         // the nodes run --plain-tcp
    std::vector<std::string> pins;  // TLS: the nodes' certificate fingerprints (hex)
    std::uint64_t seed = 1;
    double warmup_s = 10;
    double speedup = 1;
    double drain_s = 60;
    double measure_from_s = 0;
    double stop_at_s = -1;
    double window_s = 10;
    std::FILE* progress = stderr;
};

Result<ReplayData, std::string> replay_cluster(const ClusterReplayOptions& o);

// "host:port,host:port" (IPv4 dotted quads) to endpoints.
Result<std::vector<Endpoint>, std::string> parse_endpoints(const std::string& list);

}  // namespace elmo::traces
