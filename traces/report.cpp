#include "traces/report.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace elmo::traces {
namespace {

// The gnuplot program: one PNG per measure, reading the CSVs beside it.
constexpr const char* plots_gp =
    R"gp(# Plots of an elmo replay report (elmo-replay writes and runs this; rerun: gnuplot plots.gp).
set datafile separator ","
set datafile missing "NaN"
set terminal pngcairo size 900,560 font ",10"
set grid
)gp";
constexpr const char* plot_delivery = R"gp(
set output "delivery.png"
set title "Delivery on time per 10 s window (by publication time)"
set xlabel "simulated time (s)"
set ylabel "fraction of pairs on time"
set yrange [0:1.02]
set y2label "online clients"
set y2tics
plot "timeseries.csv" using 1:($2 == 1 && $4 > 0 ? $8 : 1/0) with linespoints pt 7 ps 0.4 title "on time (measured)", \
     "timeseries.csv" using 1:9 axes x1y2 with lines lc rgb "#aaaaaa" title "online clients"
unset y2label
unset y2tics
set yrange [*:*]
)gp";
constexpr const char* plot_latency = R"gp(
set output "latency_cdf.png"
set title "Latency: publish to delivery, subscribers online at publication"
set xlabel "latency (ms)"
set ylabel "fraction of deliveries"
set logscale x
set yrange [0:1]
plot "latency_cdf.csv" using 1:2 with lines lw 2 title "CDF"
unset logscale x
set yrange [*:*]
)gp";
constexpr const char* plot_load = R"gp(
set output "node_load.png"
set title "Per-node elmo load, sorted (messages in+out per second)"
set xlabel "node rank"
set ylabel "messages / s"
set logscale y
plot "nodes_sorted.csv" using 1:2 with lines lw 2 title "msgs/s"
unset logscale y
)gp";
constexpr const char* plot_pattern = R"gp(
set output "mailbox_pattern.png"
set title "Mailbox pattern: registrations per mailbox against subscriptions per topic"
set xlabel "client subscriptions to the topic"
set ylabel "registrations per mailbox; mailboxes"
set logscale xy
plot "mailbox_pattern.csv" using 2:($3 > 0 ? $4 / $3 : 1/0) with points pt 7 ps 0.5 title "topic", \
     "mailbox_pattern.csv" using 2:($3 > 0 ? $3 : 1/0) with points pt 1 ps 0.5 title "mailboxes of the topic"
unset logscale xy
)gp";
constexpr const char* plot_recovery = R"gp(
set output "recovery.png"
set title "Churn recovery: delivery on time after the failure"
set xlabel "seconds since the failure"
set ylabel "fraction on time"
set yrange [0:1.02]
set arrow from 0, graph 0 to 0, graph 1 nohead lc rgb "red"
plot "recovery.csv" using 1:2 with linespoints pt 7 ps 0.4 title "on time", 0.99 with lines dt 2 title "99%"
)gp";

}  // namespace

void add_pair_counts(sim::Summary& s, const sim::DeliveryReport& rep) {
    auto n = [](std::uint64_t v) { return static_cast<unsigned long>(v); };
    s.set("worst_window_rate", rep.worst_window_rate);
    s.set("pairs", n(rep.pairs));
    s.set("pending_pairs", n(rep.pending_pairs));
    s.set("on_time_pairs", n(rep.on_time));
    s.set("delivered_pairs", n(rep.delivered));
    s.set("late_pairs_online", n(rep.late_pairs_online));
    s.set("late_pairs_new_subscriber", n(rep.late_pairs_new_subscriber));
    s.set("late_pairs_publish_delayed", n(rep.late_pairs_publish_delayed));
    s.set("duplicates", n(rep.duplicates));
    s.set("events_published", n(rep.events_published));
    s.set("events_accepted", n(rep.events_accepted));
    s.set("events_without_pairs", n(rep.events_without_pairs));
}

void add_subscription_rules(sim::Summary& s, const std::array<std::uint64_t, 4>& by_rule) {
    auto n = [](std::uint64_t v) { return static_cast<unsigned long>(v); };
    s.set("subs_follow", n(by_rule[1]));
    s.set("subs_interaction", n(by_rule[2]));
    s.set("subs_synthetic", n(by_rule[3]));
    s.set("subs_unstated", n(by_rule[0]));
}

void add_delivery_rates(sim::Summary& s, const sim::DeliveryReport& rep) {
    s.set("delivered_on_time", rep.delivered_on_time);
    s.set("delivered_eventually", rep.delivered_eventually);
    s.set("latency_p50_ms", rep.latency_p50_ms);
    s.set("latency_p99_ms", rep.latency_p99_ms);
    s.set("latency_max_ms", rep.latency_max_ms);
    s.set("latency_samples", static_cast<unsigned long>(rep.latency_samples));
}

Result<Unit, std::string> write_report(const std::string& dir, const ReplayData& d, bool plots,
                                       std::string* plot_note) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Err{"cannot create " + dir + ": " + ec.message()};
    auto open = [&](const char* name) { return std::ofstream(dir + "/" + name); };
    {
        auto f = open("summary.json");
        f << d.summary.to_json() << "\n";
        if (!f) return Err{"cannot write " + dir + "/summary.json"};
    }
    {
        auto f = open("timeseries.csv");
        sim::write_timeseries_csv(f, d.delivery);
        auto n = open("nodes.csv");
        sim::write_nodes_csv(n, d.nodes);
        auto l = open("late_pairs.csv");
        sim::write_late_pairs_csv(l, d.delivery, d.client_names);
    }
    {
        // Nodes counted in the load summary (up at the end), busiest first.
        std::vector<double> rates;
        for (const auto& r : d.nodes)
            if (r.up) rates.push_back(r.msgs_per_s);
        std::sort(rates.rbegin(), rates.rend());
        auto f = open("nodes_sorted.csv");
        f << "# rank,msgs_per_s\n";
        for (std::size_t i = 0; i < rates.size(); ++i) f << i + 1 << ',' << rates[i] << '\n';
    }
    {
        // Quantiles of the latency distribution: at most ~500 points, and the extremes.
        auto f = open("latency_cdf.csv");
        f << "# latency_ms,fraction\n";
        const auto& v = d.latencies_ms;
        const std::size_t step = std::max<std::size_t>(1, v.size() / 500);
        for (std::size_t i = 0; i < v.size(); i += step)
            f << std::max(v[i], 1.0) << ','
              << static_cast<double>(i + 1) / static_cast<double>(v.size()) << '\n';
        if (!v.empty()) f << std::max(v.back(), 1.0) << ",1\n";
    }
    {
        auto f = open("mailbox_pattern.csv");
        f << "# topic,subscriptions,mailboxes,registrations\n";
        for (const auto& t : d.mailbox_pattern)
            f << t.topic << ',' << t.subscriptions << ',' << t.mailboxes << ',' << t.registrations
              << '\n';
    }
    {
        auto f = open("recovery.csv");
        f << "# seconds_since_failure,rate,pairs_due\n";
        if (d.failure_s)
            for (const auto& w : d.delivery.series)
                if (w.measured && w.pairs_due > 0 && w.start_s + d.window_s > *d.failure_s - 60)
                    f << w.start_s - *d.failure_s << ',' << w.rate << ',' << w.pairs_due << '\n';
    }
    std::vector<std::string> pngs;
    {
        // Only plots with data: gnuplot stops at an empty file.
        auto f = open("plots.gp");
        f << plots_gp;
        bool any_window = false;
        for (const auto& w : d.delivery.series) any_window |= w.measured && w.pairs_due > 0;
        const bool any_load = std::any_of(d.nodes.begin(), d.nodes.end(),
                                          [](const auto& r) { return r.up && r.msgs_per_s > 0; });
        const bool any_pattern =
            std::any_of(d.mailbox_pattern.begin(), d.mailbox_pattern.end(),
                        [](const auto& t) { return t.mailboxes > 0 && t.subscriptions > 0; });
        if (any_window) f << plot_delivery, pngs.push_back("delivery");
        if (!d.latencies_ms.empty()) f << plot_latency, pngs.push_back("latency_cdf");
        if (any_load) f << plot_load, pngs.push_back("node_load");
        if (any_pattern) f << plot_pattern, pngs.push_back("mailbox_pattern");
        if (d.failure_s && any_window) f << plot_recovery, pngs.push_back("recovery");
        if (!f) return Err{"cannot write " + dir + "/plots.gp"};
    }
    if (!plots) return unit;
    // gnuplot (Debian gnuplot-nox) rather than a plotting library: the CSVs stay the interface,
    // and the script can be edited and rerun.
    const std::string cmd = "cd '" + dir + "' && gnuplot plots.gp 2> gnuplot.log";
    const int rc = std::system(cmd.c_str());
    if (plot_note) {
        std::string list;
        for (const auto& p : pngs) list += (list.empty() ? "" : ",") + p;
        *plot_note = rc == 0 ? "plots: " + dir + "/{" + list + "}.png"
                             : "gnuplot failed or is missing (see " + dir +
                                   "/gnuplot.log; scripts/setup.sh installs gnuplot-nox)";
    }
    return unit;
}

}  // namespace elmo::traces
