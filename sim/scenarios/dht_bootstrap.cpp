// Scenario dht-bootstrap: N nodes join at once and bootstrap from a few live nodes each.
// Reports the time until every node has at least 8 good routing-table nodes (DHT overlay) or
// 8 neighbours (ideal overlay), the put/get success rate over 100 random nodes (DHT overlay),
// traffic per node over the whole run, and the simulator's own speed and memory.
#include <opendht/dht.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "sim/metrics.hpp"
#include "sim/ping_protocol.hpp"
#include "sim/scenario.hpp"

namespace elmo::sim {
namespace {

using namespace std::chrono_literals;
using scenario_util::progress;

constexpr unsigned target_good = 8;

// Per node: good routing-table nodes (DHT) or overlay neighbours (ideal). In ideal mode only a
// sample of nodes is measured: a table costs microseconds, 100,000 of them a second or two.
std::vector<double> table_sizes(Simulation& sim, std::size_t max_sample) {
    std::vector<double> out;
    const auto& live = sim.live();
    const std::size_t step = std::max<std::size_t>(1, live.size() / std::max<std::size_t>(1, max_sample));
    for (std::size_t i = 0; i < live.size(); i += step) {
        SimNode& n = sim.node(live[i]);
        out.push_back(n.has_dht() ? n.good_nodes() : static_cast<double>(n.overlay().neighbours().size()));
    }
    return out;
}

bool all_have_target(Simulation& sim) {
    for (HostId h : sim.live()) {
        SimNode& n = sim.node(h);
        if (n.has_dht() ? n.good_nodes() < target_good : n.overlay().neighbours().size() < target_good)
            return false;
    }
    return true;
}

struct PutGetResult {
    unsigned puts = 0, puts_ok = 0, gets = 0, gets_ok = 0;
    double get_latency_sum_s = 0;
};

// `count` random nodes each put one value under its own key; once the puts are done (or after
// 30 s), for each key another random node gets it.
PutGetResult put_get(Simulation& sim, unsigned count) {
    PutGetResult r;
    Rng& rng = sim.rng();
    std::vector<HostId> live = sim.live_sorted();
    count = static_cast<unsigned>(std::min<std::size_t>(count, live.size()));
    for (std::size_t i = 0; i < count; ++i) std::swap(live[i], live[i + rng.below(live.size() - i)]);
    struct Op {
        dht::InfoHash key;
        HostId putter;
        bool put_done = false, put_ok = false, got = false, get_done = false;
        Duration get_start{0}, get_end{0};
    };
    auto ops = std::make_shared<std::vector<Op>>(count);
    for (unsigned i = 0; i < count; ++i) {
        Op& op = (*ops)[i];
        op.putter = live[i];
        op.key = dht::InfoHash::get("dht-bootstrap-key-" + std::to_string(i) + "-" + std::to_string(rng()));
        auto value = std::make_shared<dht::Value>(std::string("value-") + std::to_string(i));
        value->id = rng();  // not the DHT's unseedable generator
        sim.node(op.putter).with_dht([&](dht::Dht& d) {
            d.put(op.key, value, [ops, i](bool ok) {
                (*ops)[i].put_done = true;
                (*ops)[i].put_ok = ok;
            });
        });
    }
    r.puts = count;
    sim.run_until([&] { return std::all_of(ops->begin(), ops->end(), [](const Op& o) { return o.put_done; }); },
                  sim.now() + 30s, 100ms);
    for (const Op& o : *ops) r.puts_ok += o.put_ok;
    for (unsigned i = 0; i < count; ++i) {
        Op& op = (*ops)[i];
        HostId getter = sim.random_live(rng);
        while (getter == op.putter && sim.live_count() > 1) getter = sim.random_live(rng);
        op.get_start = sim.now();
        sim.node(getter).with_dht([&](dht::Dht& d) {
            d.get(op.key,
                  [ops, i, &sim](const std::vector<std::shared_ptr<dht::Value>>& vals) {
                      if (!vals.empty() && !(*ops)[i].got) {
                          (*ops)[i].got = true;
                          (*ops)[i].get_end = sim.now();
                      }
                      return true;
                  },
                  [ops, i](bool) { (*ops)[i].get_done = true; });
        });
    }
    r.gets = count;
    sim.run_until([&] { return std::all_of(ops->begin(), ops->end(), [](const Op& o) { return o.get_done; }); },
                  sim.now() + 60s, 100ms);
    for (const Op& o : *ops) {
        r.gets_ok += o.got;
        if (o.got) r.get_latency_sum_s += std::chrono::duration<double>(o.get_end - o.get_start).count();
    }
    return r;
}

}  // namespace

Summary run_dht_bootstrap(const ScenarioOptions& o) {
    const double wall0 = wall_seconds();
    Summary s;
    scenario_util::add_header(s, "dht-bootstrap", o);

    SimConfig cfg;
    cfg.seed = o.seed;
    cfg.overlay = o.overlay;
    cfg.network.loss = o.loss;
    // The ping protocol is what produces traffic without a DHT; with the DHT it is opt-in.
    const Duration ping = o.ping_interval >= Duration(0) ? o.ping_interval
                          : o.overlay == OverlayMode::ideal ? Duration(30s) : Duration(0);
    if (ping > Duration(0)) cfg.core_factory = PingCore::factory(ping);
    s.set("ping_interval_s", std::chrono::duration<double>(ping).count());

    Simulation sim(cfg);
    sim.add_nodes(o.nodes);
    progress(o, sim, wall0, "nodes added");

    // Bootstrap: poll once a simulated second (each poll reads every node's routing table).
    const bool reached = sim.run_until([&] { return all_have_target(sim); }, o.duration, 1s);
    if (reached) {
        s.set("time_to_8_good_s", std::chrono::duration<double>(sim.now()).count());
    } else {
        s.set_null("time_to_8_good_s");
    }
    progress(o, sim, wall0, reached ? "every node has >= 8 good nodes" : "bootstrap target not reached");

    if (sim.ideal() == nullptr && sim.now() < o.duration && sim.live_count() >= 2) {
        const PutGetResult pg = put_get(sim, static_cast<unsigned>(o.param("putget", 100)));
        s.set("puts", pg.puts);
        s.set("put_success", pg.puts ? static_cast<double>(pg.puts_ok) / pg.puts : 0.0);
        s.set("gets", pg.gets);
        s.set("get_success", pg.gets ? static_cast<double>(pg.gets_ok) / pg.gets : 0.0);
        s.set("get_latency_mean_s", pg.gets_ok ? pg.get_latency_sum_s / pg.gets_ok : 0.0);
        char buf[96];
        std::snprintf(buf, sizeof buf, "put/get: %u/%u puts ok, %u/%u gets found", pg.puts_ok,
                      pg.puts, pg.gets_ok, pg.gets);
        progress(o, sim, wall0, buf);
    } else {
        s.set_null("put_success");
        s.set_null("get_success");
    }

    const Duration step = scenario_util::progress_step(o);
    while (sim.now() < o.duration) {
        sim.run_to(std::min(o.duration, sim.now() + step));
        const auto sizes = Spread::of(table_sizes(sim, 1000));
        char buf[96];
        std::snprintf(buf, sizeof buf, "table min=%.0f mean=%.1f", sizes.min, sizes.mean);
        progress(o, sim, wall0, buf);
    }

    const auto sizes = Spread::of(table_sizes(sim, 2000));
    s.set("table_min", sizes.min);
    s.set("table_mean", sizes.mean);
    s.set("table_max", sizes.max);
    const auto hosts = sim.live_sorted();
    const double secs = std::chrono::duration<double>(sim.now()).count();
    add_traffic(s, "dht", traffic_stats(sim.network(), hosts, Traffic::dht), secs);
    add_traffic(s, "elmo", traffic_stats(sim.network(), hosts, Traffic::elmo), secs);
    s.set("dropped_lost", static_cast<unsigned long>(sim.network().drops().lost));
    s.set("dropped_no_host", static_cast<unsigned long>(sim.network().drops().no_host));
    scenario_util::add_run_stats(s, sim, wall0);
    return s;
}

}  // namespace elmo::sim
