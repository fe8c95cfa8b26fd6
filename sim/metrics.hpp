#pragma once
// Measurements of a run: real (wall) time, peak memory, and traffic statistics over nodes.
#include <cstdint>
#include <vector>

#include "sim/clients.hpp"
#include "sim/delivery_metrics.hpp"
#include "sim/network.hpp"
#include "sim/summary.hpp"

namespace elmo::sim {

// Seconds of the real monotonic clock. Not steady_clock::now(), which a running simulation
// turns into virtual time (virtual_clock.hpp).
double wall_seconds();

// Peak resident set size of this process in bytes (VmHWM), 0 if unknown.
std::uint64_t peak_rss_bytes();

// Distribution of one quantity over nodes.
struct Spread {
    double mean = 0, p50 = 0, p99 = 0, max = 0, min = 0;
    static Spread of(std::vector<double> values);
};

// Per-node traffic of one class over the given hosts: messages and bytes sent and received.
struct TrafficStats {
    Spread msgs_sent, bytes_sent, msgs_received, bytes_received;
};
TrafficStats traffic_stats(const Network& net, const std::vector<HostId>& hosts, Traffic t);

// Adds "<prefix>_msgs_sent_mean" etc. (per node, and per node per second over `seconds`).
void add_traffic(Summary& s, const std::string& prefix, const TrafficStats& t, double seconds);

// One-way latency (ms) of a datagram sent directly from phone `a`, attached to node `home_a`, to
// phone `b` at `home_b`, as the simulated network would carry it: a's link, the link between the
// two homes (its stable part, Network::link_latency; none when they share the home) and b's
// link. The delay penalty's denominator (docs/metrics.md).
double direct_latency_ms(const Network& net, std::uint64_t run_seed, const ClientConfig& config,
                         ClientId a, HostId home_a, ClientId b, HostId home_b);

// delay_penalty_p50/_p90/_p99 and direct_latency_p50_ms (null without samples), then
// delay_penalty_samples: paper-synthetic's and the simulator replay's summaries.
void add_delay_penalty(Summary& s, const DeliveryReport& rep);

}  // namespace elmo::sim
