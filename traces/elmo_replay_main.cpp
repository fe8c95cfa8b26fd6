// elmo-replay: plays a trace into the simulator (--sim) and writes the reports
// (docs/traces.md): summary table on stdout, summary.json, CSVs and PNG plots under --out.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "traces/cluster_replay.hpp"
#include "traces/sim_replay.hpp"

namespace po = boost::program_options;
using namespace elmo::traces;
using elmo::Err;
using elmo::Result;

namespace {

// The headline figures, one line each.
void print_headline(std::ostream& out, const elmo::sim::Summary& s) {
    auto num = [&](const char* k) { return s.number(k, -1); };
    const auto* m = s.get("mode");
    const std::string mode =
        m && std::holds_alternative<std::string>(*m) ? std::get<std::string>(*m) : "?";
    char buf[600];
    std::snprintf(buf, sizeof buf,
                  "%-28s %s\n%-28s %.4f (eventually %.4f; %llu pairs, %llu pending)\n"
                  "%-28s p50 %.0f ms, p99 %.0f ms (%llu samples)\n%-28s %.2f\n"
                  "%-28s max %.2f, p99 %.2f, mean %.2f msgs/s\n%-28s %llu follow, %llu "
                  "interaction, %llu synthetic\n",
                  "replay", mode.c_str(), "delivered on time", num("delivered_on_time"),
                  num("delivered_eventually"), static_cast<unsigned long long>(num("pairs")),
                  static_cast<unsigned long long>(num("pending_pairs")), "latency",
                  num("latency_p50_ms"), num("latency_p99_ms"),
                  static_cast<unsigned long long>(num("latency_samples")), "messages per delivery",
                  num("messages_per_delivery"), "node load", num("node_msgs_per_s_max"),
                  num("node_msgs_per_s_p99"), num("node_msgs_per_s_mean"), "subscriptions by rule",
                  static_cast<unsigned long long>(num("subs_follow")),
                  static_cast<unsigned long long>(num("subs_interaction")),
                  static_cast<unsigned long long>(num("subs_synthetic")));
    out << buf;
}

}  // namespace

int main(int argc, char** argv) {
    SimReplayOptions o;
    std::string out_dir = "replay-report", overlay = "dht", cluster, admin;
    std::vector<std::string> pins;
    bool plain_tcp = false;
    std::vector<std::string> params;
    bool use_sim = false, no_plots = false, json = false, quiet = false;
    po::options_description d(
        "elmo-replay TRACE --sim | --cluster EPS [options]: replays a trace, writes reports under "
        "--out");
    auto add = d.add_options();
    add("help,h", "this help");
    add("trace", po::value(&o.trace)->required(), "trace file");
    add("sim", po::bool_switch(&use_sim), "replay into the simulator");
    add("cluster", po::value(&cluster),
        "a.b.c.d:port,... the nodes' client ports: replay into a real cluster");
    add("admin", po::value(&admin), "a.b.c.d:port,... their metrics ports, same order (--cluster)");
    add("plain-tcp", po::bool_switch(&plain_tcp), "the nodes run --plain-tcp (--cluster)");
    add("pin", po::value(&pins)->composing(), "a node's certificate fingerprint, hex (--cluster)");
    add("out,o", po::value(&out_dir)->default_value(out_dir), "report directory");
    add("nodes", po::value(&o.nodes)->default_value(0),
        "simulated nodes (0: the trace's `nodes`, else 150)");
    add("seed", po::value(&o.seed)->default_value(o.seed), "");
    add("overlay", po::value(&overlay)->default_value(overlay), "dht | ideal (--sim)");
    add("warmup-s", po::value(&o.warmup_s)->default_value(o.warmup_s),
        "before trace time 0: DHT warm-up (--sim: 60 simulated s; --cluster: 10 s)");
    add("speedup", po::value(&o.speedup)->default_value(o.speedup),
        "replay time = trace time / speedup");
    add("drain-s", po::value(&o.drain_s)->default_value(o.drain_s),
        "after the trace, without publications (--sim 120, --cluster 60)");
    add("measure-from-s", po::value(&o.measure_from_s)->default_value(0),
        "trace time from which events are measured");
    add("stop-at-s", po::value(&o.stop_at_s)->default_value(-1),
        "replay only the trace's first seconds");
    add("window-s", po::value(&o.window_s)->default_value(o.window_s), "time-series window");
    add("fail-at-s", po::value(&o.fail_at_s)->default_value(-1),
        "crash --fail-fraction of the nodes at this trace time (--sim)");
    add("fail-fraction", po::value(&o.fail_fraction)->default_value(o.fail_fraction), "");
    add("param", po::value(&params)->composing(), "stack knob key=value, as elmo-sim (--sim)");
    add("no-plots", po::bool_switch(&no_plots), "CSVs and JSON only");
    add("json", po::bool_switch(&json), "print the summary as one JSON line last");
    add("quiet,q", po::bool_switch(&quiet), "no progress");
    po::positional_options_description pos;
    pos.add("trace", 1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(d).positional(pos).run(), vm);
        if (vm.count("help")) {
            std::cout << d << "\n";
            return 0;
        }
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "elmo-replay: " << e.what() << "\n";
        return 2;
    }
    if (use_sim == !cluster.empty()) {
        std::cerr << "elmo-replay: give exactly one of --sim and --cluster\n";
        return 2;
    }
    if (overlay != "dht" && overlay != "ideal") {
        std::cerr << "elmo-replay: --overlay must be dht or ideal\n";
        return 2;
    }
    o.overlay = overlay == "dht" ? elmo::sim::OverlayMode::dht : elmo::sim::OverlayMode::ideal;
    for (const auto& p : params) {
        const auto eq = p.find('=');
        if (eq == std::string::npos || eq == 0) {
            std::cerr << "elmo-replay: --param wants key=value, not '" << p << "'\n";
            return 2;
        }
        o.params[p.substr(0, eq)] = p.substr(eq + 1);
    }
    if (quiet) o.progress = nullptr;
    Result<ReplayData, std::string> r = Err{std::string()};
    if (use_sim) {
        r = replay_sim(o);
    } else {
        ClusterReplayOptions c;
        auto eps = parse_endpoints(cluster);
        auto adm =
            admin.empty()
                ? Result<std::vector<elmo::Endpoint>, std::string>(std::vector<elmo::Endpoint>{})
                : parse_endpoints(admin);
        if (!eps || !adm) {
            std::cerr << "elmo-replay: " << (eps ? adm.error() : eps.error()) << "\n";
            return 2;
        }
        c.trace = o.trace;
        c.nodes = *eps;
        c.admins = *adm;
        c.plain_tcp = plain_tcp;
        c.pins = pins;
        c.seed = o.seed;
        c.warmup_s = vm["warmup-s"].defaulted() ? 10 : o.warmup_s;
        c.speedup = o.speedup;
        c.drain_s = vm["drain-s"].defaulted() ? 60 : o.drain_s;
        c.measure_from_s = o.measure_from_s;
        c.stop_at_s = o.stop_at_s;
        c.window_s = o.window_s;
        c.progress = o.progress;
        r = replay_cluster(c);
    }
    if (!r) {
        std::cerr << "elmo-replay: " << r.error() << "\n";
        return 1;
    }
    std::string note;
    auto w = write_report(out_dir, *r, !no_plots, &note);
    if (!w) {
        std::cerr << "elmo-replay: " << w.error() << "\n";
        return 1;
    }
    r->summary.print_table(std::cout);
    std::cout << "\n";
    print_headline(std::cout, r->summary);
    std::cout << "report: " << out_dir << "/summary.json and CSVs\n";
    if (!note.empty()) std::cout << note << "\n";
    if (json) std::cout << r->summary.to_json() << "\n";
    return 0;
}
