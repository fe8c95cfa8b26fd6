#include "sim/metrics.hpp"

#include <time.h>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <utility>
#include <string>

namespace elmo::sim {

double wall_seconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::uint64_t peak_rss_bytes() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // kB
    }
    return 0;
}

Spread Spread::of(std::vector<double> v) {
    Spread s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    auto at = [&](double q) {
        return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
    };
    s.p50 = at(0.5);
    s.p99 = at(0.99);
    s.min = v.front();
    s.max = v.back();
    return s;
}

TrafficStats traffic_stats(const Network& net, const std::vector<HostId>& hosts, Traffic t) {
    std::vector<double> ms, bs, mr, br;
    const auto i = static_cast<std::size_t>(t);
    for (HostId h : hosts) {
        const auto& c = net.counters(h);
        ms.push_back(static_cast<double>(c.sent[i].messages));
        bs.push_back(static_cast<double>(c.sent[i].bytes));
        mr.push_back(static_cast<double>(c.received[i].messages));
        br.push_back(static_cast<double>(c.received[i].bytes));
    }
    return {Spread::of(ms), Spread::of(bs), Spread::of(mr), Spread::of(br)};
}

void add_traffic(Summary& s, const std::string& p, const TrafficStats& t, double seconds) {
    const double per_s = seconds > 0 ? 1.0 / seconds : 0;
    s.set(p + "_msgs_sent_per_node_mean", t.msgs_sent.mean);
    s.set(p + "_msgs_sent_per_node_max", t.msgs_sent.max);
    s.set(p + "_bytes_sent_per_node_mean", t.bytes_sent.mean);
    s.set(p + "_bytes_sent_per_node_max", t.bytes_sent.max);
    s.set(p + "_msgs_received_per_node_max", t.msgs_received.max);
    s.set(p + "_msgs_sent_per_node_per_s_mean", t.msgs_sent.mean * per_s);
    s.set(p + "_msgs_sent_per_node_per_s_p99", t.msgs_sent.p99 * per_s);
    s.set(p + "_bytes_sent_per_node_per_s_mean", t.bytes_sent.mean * per_s);
}

void add_delay_penalty(Summary& s, const DeliveryReport& rep) {
    const std::pair<const char*, double> values[] = {
        {"delay_penalty_p50", rep.delay_penalty_p50},
        {"delay_penalty_p90", rep.delay_penalty_p90},
        {"delay_penalty_p99", rep.delay_penalty_p99},
        {"direct_latency_p50_ms", rep.direct_latency_p50_ms}};
    for (const auto& [key, v] : values)
        if (rep.delay_penalty_samples > 0)
            s.set(key, v);
        else
            s.set_null(key);
    s.set("delay_penalty_samples", static_cast<unsigned long>(rep.delay_penalty_samples));
}

double direct_latency_ms(const Network& net, std::uint64_t run_seed, const ClientConfig& config,
                         ClientId a, HostId home_a, ClientId b, HostId home_b) {
    Duration d = phone_link_latency(run_seed, config, a) + phone_link_latency(run_seed, config, b);
    if (home_a != home_b) d += net.link_latency(home_a, home_b);
    return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace elmo::sim
