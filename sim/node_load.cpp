#include "sim/node_load.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>

#include "sim/metrics.hpp"
#include "sim/summary.hpp"

namespace elmo::sim {

namespace {
double secs(Duration d) {
    return std::chrono::duration<double>(d).count();
}
}  // namespace

ElmoTraffic elmo_traffic(const HostCounters& c) {
    const auto e = static_cast<std::size_t>(Traffic::elmo),
               cl = static_cast<std::size_t>(Traffic::client);
    return ElmoTraffic{
        c.received[e].messages + c.received[cl].messages, c.sent[e].messages + c.sent[cl].messages,
        c.received[e].bytes + c.received[cl].bytes, c.sent[e].bytes + c.sent[cl].bytes};
}

NodeLoad::NodeLoad(Simulation& sim) : sim_(sim), s_(std::make_shared<State>()) {
    std::weak_ptr<State> weak = s_;
    Simulation* simp = &sim;
    sim.on_membership([weak, simp](HostId h, bool up) {
        auto s = weak.lock();
        if (!s) return;
        if (h >= s->up_since.size()) {
            s->up_since.resize(h + 1, Duration::min());
            s->up_total.resize(h + 1, Duration(0));
        }
        const Duration now = simp->now();
        if (up) {
            s->up_since[h] = now;
        } else if (s->up_since[h] != Duration::min()) {
            s->up_total[h] += now - std::max(s->up_since[h], s->start);
            s->up_since[h] = Duration::min();
        }
    });
    start();
}

void NodeLoad::start() {
    State& s = *s_;
    s.start = sim_.now();
    const std::size_t n = sim_.hosts();
    s.up_since.assign(n, Duration::min());
    s.up_total.assign(n, Duration(0));
    s.base.assign(n, ElmoTraffic{});
    for (HostId h = 0; h < n; ++h) {
        if (sim_.is_up(h)) s.up_since[h] = s.start;
        s.base[h] = elmo_traffic(sim_.network().counters(h));
    }
}

std::vector<NodeLoadRow> NodeLoad::rows(
    const std::function<std::size_t(HostId)>& mailbox_topics) const {
    const State& s = *s_;
    const Duration now = sim_.now();
    std::vector<NodeLoadRow> out;
    for (HostId h = 0; h < sim_.hosts(); ++h) {
        NodeLoadRow r;
        r.host = h;
        r.up = sim_.is_up(h);
        Duration up = h < s.up_total.size() ? s.up_total[h] : Duration(0);
        if (h < s.up_since.size() && s.up_since[h] != Duration::min())
            up += now - std::max(s.up_since[h], s.start);
        if (up <= Duration(0) && !r.up) continue;  // never up in the interval
        r.up_s = secs(up);
        const ElmoTraffic t = elmo_traffic(sim_.network().counters(h));
        const ElmoTraffic b = h < s.base.size() ? s.base[h] : ElmoTraffic{};
        r.msgs_in = t.msgs_in - b.msgs_in;
        r.msgs_out = t.msgs_out - b.msgs_out;
        r.bytes_in = t.bytes_in - b.bytes_in;
        r.bytes_out = t.bytes_out - b.bytes_out;
        r.msgs_per_s = r.up_s > 0 ? static_cast<double>(r.msgs_in + r.msgs_out) / r.up_s : 0.0;
        r.mailbox_topics = r.up && mailbox_topics ? mailbox_topics(h) : 0;
        out.push_back(r);
    }
    return out;
}

NodeLoadSummary NodeLoad::summarize(const std::vector<NodeLoadRow>& rows, double min_up_s) {
    std::vector<double> rates;
    for (const auto& r : rows)
        if (r.up && r.up_s >= min_up_s) rates.push_back(r.msgs_per_s);
    const Spread sp = Spread::of(rates);
    return NodeLoadSummary{rates.size(), sp.mean, sp.p99, sp.max};
}

void write_nodes_csv(std::ostream& out, const std::vector<NodeLoadRow>& rows) {
    out << "# node,up,up_s,mailbox_topics,msgs_in,msgs_out,bytes_in,bytes_out,msgs_per_s\n";
    char buf[256];
    for (const auto& r : rows) {
        std::snprintf(buf, sizeof buf, "%u,%d,%.1f,%zu,%llu,%llu,%llu,%llu,%.4f\n", r.host,
                      r.up ? 1 : 0, r.up_s, r.mailbox_topics,
                      static_cast<unsigned long long>(r.msgs_in),
                      static_cast<unsigned long long>(r.msgs_out),
                      static_cast<unsigned long long>(r.bytes_in),
                      static_cast<unsigned long long>(r.bytes_out), r.msgs_per_s);
        out << buf;
    }
}

void add_node_load(Summary& s, const NodeLoadSummary& load) {
    s.set("node_msgs_per_s_mean", load.mean);
    s.set("node_msgs_per_s_p99", load.p99);
    s.set("node_msgs_per_s_max", load.max);
    s.set("nodes_counted", static_cast<unsigned long>(load.nodes));
}

}  // namespace elmo::sim
