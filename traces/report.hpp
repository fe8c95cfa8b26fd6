#pragma once
// The reports of a replay (docs/traces.md): every DESIGN 4 measure the run has as CSV, the
// summary as JSON, and PNG plots drawn by gnuplot (delivery rate over time, latency CDF, per-node
// load sorted, mailbox pattern, churn recovery). The simulator and cluster replays fill the same
// ReplayData.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "sim/delivery_metrics.hpp"
#include "sim/node_load.hpp"
#include "sim/summary.hpp"

namespace elmo::traces {

struct TopicPattern {
    std::string topic;
    std::uint64_t subscriptions = 0;  // client subscriptions to the topic (the trace's)
    std::uint64_t mailboxes = 0;      // live nodes holding the topic
    std::uint64_t registrations = 0;  // registrations held by those mailboxes
};

struct ReplayData {
    sim::Summary summary;
    sim::DeliveryReport delivery;
    std::vector<sim::NodeLoadRow> nodes;
    std::vector<double> latencies_ms;  // sorted: publish to first delivery, subscriber online
    std::vector<TopicPattern> mailbox_pattern;
    std::optional<double> failure_s;  // since the start of the run
    double window_s = 10;
    // The trace's client id of each metrics client, for late_pairs.csv; empty when they are the
    // same (the cluster replay numbers its clients by trace id).
    std::vector<std::uint32_t> client_names;
};

// The judged pairs' counts of a delivery report as summary entries (pairs, pending_pairs,
// on_time_pairs, delivered_pairs, late_pairs_*, duplicates, events_*, worst_window_rate): the
// part of the summary both replays share.
void add_pair_counts(sim::Summary& s, const sim::DeliveryReport& rep);
// subs_follow, subs_interaction, subs_synthetic, subs_unstated, from counts by TraceRecord rule.
void add_subscription_rules(sim::Summary& s, const std::array<std::uint64_t, 4>& by_rule);
// delivered_on_time, delivered_eventually, latency_p50_ms, _p99_ms, _max_ms, latency_samples.
void add_delivery_rates(sim::Summary& s, const sim::DeliveryReport& rep);

// Writes dir/{summary.json, timeseries.csv, nodes.csv, nodes_sorted.csv, latency_cdf.csv,
// mailbox_pattern.csv, recovery.csv, late_pairs.csv, plots.gp} and, if `plots`, runs gnuplot on
// plots.gp (a missing gnuplot is reported, not fatal: the CSVs are the data).
Result<Unit, std::string> write_report(const std::string& dir, const ReplayData& d, bool plots,
                                       std::string* plot_note);

}  // namespace elmo::traces
