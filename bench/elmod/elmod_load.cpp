// The load driver of the elmod benchmark (bench/elmod/run.sh starts elmod and calls this):
// N subscribers of one topic on one elmod, publishers at stepped rates until delivery stops
// following the offered rate, then a run at half of that. Measures, from the outside, elmod's
// resident memory per idle connected client and its CPU per delivered event (/proc/PID), and
// publish-to-delivery latency (the payload carries the publication time).
#include <sys/resource.h>

#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include "load_fleet.hpp"
#include "proc_stats.hpp"

namespace po = boost::program_options;
using namespace std::chrono_literals;
using elmo::bench::Fleet;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    std::string label = "tls";
    std::uint16_t port = 0;
    std::string cert;  // the node's certificate (TLS: pinned)
    bool plain_tcp = false;
    int pid = 0;
    std::size_t clients = 1000, publishers = 4, in_flight = 64, shards = 2, payload = 64;
    double start_rate = 10, factor = 1.5, max_rate = 20000;
    double step_s = 4, half_s = 10, drain_s = 3, max_p99_ms = 1000;
    std::string csv, summary_csv;
};

double self_cpu() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto sec = [](timeval t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return sec(u.ru_utime) + sec(u.ru_stime);
}

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

// The q-quantile in ms over `expected` deliveries, of which `lat` arrived: a missing delivery
// counts as infinitely late (-1), so an incomplete step cannot look fast.
double quantile_ms(std::vector<std::uint32_t>& lat, std::size_t expected, double q) {
    if (expected == 0) return 0;
    const auto k = static_cast<std::size_t>(q * static_cast<double>(expected - 1));
    if (k >= lat.size()) return -1;
    std::nth_element(lat.begin(), lat.begin() + static_cast<long>(k), lat.end());
    return lat[k] / 1000.0;
}

struct Step {
    std::uint32_t index = 0;
    std::string kind;    // "step" or "half"
    double offered = 0;  // events per second asked of the publishers
    std::size_t published = 0, refused = 0;
    std::size_t backlog = 0;     // publications in the publishers' outboxes at the window end
    double delivered_per_s = 0;  // deliveries received during the publishing window / window
    double complete = 0;         // fraction of (event, subscriber) pairs delivered by the end
    double p50 = 0, p99 = 0, max = 0;
    double elmod_cpu_pct = 0, driver_cpu_pct = 0, elmod_us_per_delivery = 0;
    bool saturated = false;
};

class Bench {
  public:
    Bench(Options o, Fleet& f) : o_(std::move(o)), fleet_(f) {}

    // Runs shard 0 until `ok` or the timeout.
    bool wait(std::chrono::milliseconds timeout, const std::function<bool()>& ok) {
        const auto end = Clock::now() + timeout;
        while (!ok()) {
            if (Clock::now() >= end) return false;
            fleet_.run_for(5ms);
        }
        return true;
    }

    Step run_step(std::uint32_t index, const std::string& kind, double rate, double seconds) {
        Step s;
        s.index = index;
        s.kind = kind;
        s.offered = rate;
        const double cpu0 = elmo::bench::cpu_seconds(o_.pid), self0 = self_cpu();
        const std::uint64_t d0 = fleet_.deliveries();
        const auto start = Clock::now();
        const auto end = start + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(seconds));
        while (Clock::now() < end) {
            const auto due = static_cast<std::size_t>(rate * seconds_since(start));
            while (s.published < due) {
                ++s.published;
                if (!fleet_.publish(index)) ++s.refused;
            }
            fleet_.run_for(1ms);
        }
        const double window = seconds_since(start);
        s.backlog = fleet_.publishers_outbox();
        const std::uint64_t d1 = fleet_.deliveries();
        const double cpu1 = elmo::bench::cpu_seconds(o_.pid), self1 = self_cpu();
        const std::size_t expected = (s.published - s.refused) * o_.clients;
        wait(std::chrono::milliseconds(static_cast<long>(o_.drain_s * 1000)),
             [&] { return fleet_.delivered(index) >= expected; });
        const double cpu2 = elmo::bench::cpu_seconds(o_.pid);
        const std::uint64_t d2 = fleet_.deliveries();

        s.delivered_per_s = static_cast<double>(d1 - d0) / window;
        auto lat = fleet_.latencies(index);
        s.complete = expected ? static_cast<double>(lat.size()) / static_cast<double>(expected) : 0;
        s.p50 = quantile_ms(lat, expected, 0.5);
        s.p99 = quantile_ms(lat, expected, 0.99);
        s.max = lat.size() < expected ? -1
                : lat.empty()         ? 0
                                      : *std::max_element(lat.begin(), lat.end()) / 1000.0;
        s.elmod_cpu_pct = 100 * (cpu1 - cpu0) / window;
        s.driver_cpu_pct = 100 * (self1 - self0) / window;
        s.elmod_us_per_delivery = d2 > d0 ? 1e6 * (cpu2 - cpu0) / static_cast<double>(d2 - d0) : 0;
        const double wanted = rate * static_cast<double>(o_.clients);
        s.saturated = s.delivered_per_s < 0.9 * wanted || s.complete < 0.999 || s.refused > 0 ||
                      s.p99 < 0 || s.p99 > o_.max_p99_ms;
        total_cpu_ += cpu2 - cpu0;
        total_deliveries_ += d2 - d0;
        return s;
    }

    // After a saturated step: until the publishers' backlog is sent and deliveries stop.
    void settle() {
        std::uint64_t last = fleet_.deliveries();
        auto quiet_since = Clock::now();
        wait(30s, [&] {
            const std::uint64_t now = fleet_.deliveries();
            if (now != last || fleet_.publishers_outbox() > 0) {
                last = now;
                quiet_since = Clock::now();
            }
            return seconds_since(quiet_since) > 0.5;
        });
    }

    double total_cpu_ = 0;
    std::uint64_t total_deliveries_ = 0;

  private:
    Options o_;
    Fleet& fleet_;
};

void print(const Step& s) {
    std::fprintf(stderr,
                 "%-4s %2u offered %8.1f ev/s  published %6zu refused %4zu backlog %4zu  "
                 "delivered %9.0f /s  "
                 "complete %6.2f%%  p50 %8.1f ms  p99 %8.1f ms  elmod cpu %5.1f%%  driver cpu "
                 "%5.1f%%  %6.2f us/delivery%s\n",
                 s.kind.c_str(), s.index, s.offered, s.published, s.refused, s.backlog,
                 s.delivered_per_s, 100 * s.complete, s.p50, s.p99, s.elmod_cpu_pct,
                 s.driver_cpu_pct, s.elmod_us_per_delivery, s.saturated ? "  SATURATED" : "");
}

int parse(int argc, char** argv, Options& o) {
    po::options_description d("elmod_load: drive one elmod with subscribers and publishers");
    d.add_options()("help", "this text")("label", po::value(&o.label)->default_value(o.label),
                                         "name of this run in the CSVs")(
        "client-port", po::value(&o.port)->required(), "elmod's client port on 127.0.0.1")(
        "cert", po::value(&o.cert), "elmod's node.crt (TLS: its fingerprint is pinned)")(
        "plain-tcp", po::bool_switch(&o.plain_tcp), "no TLS (elmod runs with --plain-tcp)")(
        "pid", po::value(&o.pid)->required(), "elmod's pid (/proc: memory and CPU)")(
        "clients", po::value(&o.clients)->default_value(o.clients), "subscribers")(
        "publishers", po::value(&o.publishers)->default_value(o.publishers), "publisher clients")(
        "in-flight", po::value(&o.in_flight)->default_value(o.in_flight),
        "publications outstanding per publisher (the node allows 64 per session)")(
        "shards", po::value(&o.shards)->default_value(o.shards),
        "io_contexts (threads) the subscribers are spread over")(
        "payload", po::value(&o.payload)->default_value(o.payload), "payload bytes (>= 12)")(
        "start-rate", po::value(&o.start_rate)->default_value(o.start_rate), "first step, ev/s")(
        "factor", po::value(&o.factor)->default_value(o.factor), "rate multiplier per step")(
        "max-rate", po::value(&o.max_rate)->default_value(o.max_rate), "last step at most")(
        "step-seconds", po::value(&o.step_s)->default_value(o.step_s), "publishing per step")(
        "half-seconds", po::value(&o.half_s)->default_value(o.half_s), "the half-rate run")(
        "drain-seconds", po::value(&o.drain_s)->default_value(o.drain_s),
        "wait after a step for its deliveries")(
        "max-p99-ms", po::value(&o.max_p99_ms)->default_value(o.max_p99_ms),
        "a step whose p99 exceeds this is saturated")("csv", po::value(&o.csv),
                                                      "append one line per step")(
        "summary-csv", po::value(&o.summary_csv), "append one summary line");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, d), vm);
        if (vm.count("help")) {
            std::cout << d;
            return 0;
        }
        po::notify(vm);
    } catch (const std::exception& e) {
        std::cerr << "elmod_load: " << e.what() << "\n";
        return 2;
    }
    if (!o.plain_tcp && o.cert.empty()) {
        std::cerr << "elmod_load: --cert is required unless --plain-tcp\n";
        return 2;
    }
    return -1;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (int rc = parse(argc, argv, o); rc >= 0) return rc;
    elmo::bench::FleetConfig fc;
    fc.node = elmo::Endpoint::v4(0x7f000001, o.port);
    fc.plain_tcp = o.plain_tcp;
    fc.shards = o.shards;
    fc.payload_bytes = o.payload;
    if (!o.plain_tcp) {
        std::ifstream in(o.cert);
        std::stringstream pem;
        pem << in.rdbuf();
        auto fp = elmo::transport::certificate_fingerprint(pem.str());
        if (!fp.ok()) {
            std::cerr << "elmod_load: " << o.cert << ": " << fp.error() << "\n";
            return 1;
        }
        fc.pin = *fp;
    }
    Fleet fleet(fc);
    Bench bench(o, fleet);

    if (!fleet.add_publishers(o.publishers, o.in_flight) ||
        !bench.wait(20s, [&] { return fleet.publishers_connected() == o.publishers; })) {
        std::cerr << "elmod_load: publishers did not connect: " << fleet.first_error() << "\n";
        return 1;
    }
    // Idle memory per client: elmod's RSS before and after the subscribers connect and register.
    const long rss0 = elmo::bench::rss_kib(o.pid);
    const auto t0 = Clock::now();
    fleet.add_subscribers(o.clients);
    // A subscriber counts once it received a warm-up event: registered at the mailbox, pushed to.
    auto last_warmup = Clock::now() - 1h;
    const bool warm = bench.wait(120s, [&] {
        if (fleet.subscribers_warm() == o.clients) return true;
        if (seconds_since(last_warmup) > 0.25) {
            fleet.publish(elmo::bench::warmup_step);
            last_warmup = Clock::now();
        }
        return false;
    });
    const double ready_s = seconds_since(t0);
    std::fprintf(stderr, "%s: %zu subscribers connected %llu, registered %llu in %.2f s\n",
                 o.label.c_str(), o.clients,
                 static_cast<unsigned long long>(fleet.subscribers_connected()),
                 static_cast<unsigned long long>(fleet.subscribers_warm()), ready_s);
    if (!warm) {
        std::cerr << "elmod_load: not every subscriber registered: " << fleet.first_error() << "\n";
        return 1;
    }
    bench.settle();
    const long rss1 = elmo::bench::rss_kib(o.pid);
    const double kib_per_client = static_cast<double>(rss1 - rss0) / static_cast<double>(o.clients);
    std::fprintf(stderr, "%s: elmod RSS %ld KiB -> %ld KiB: %.1f KiB per idle client\n",
                 o.label.c_str(), rss0, rss1, kib_per_client);

    std::vector<Step> steps;
    double best = 0;  // deliveries per second at saturation
    std::uint32_t index = 0;
    for (double rate = o.start_rate; rate <= o.max_rate; rate *= o.factor) {
        Step s = bench.run_step(index++, "step", rate, o.step_s);
        print(s);
        steps.push_back(s);
        best = std::max(best, s.delivered_per_s);
        if (s.saturated) break;
    }
    const bool saturated = !steps.empty() && steps.back().saturated;
    bench.settle();
    const double half_rate = best / static_cast<double>(o.clients) / 2;
    Step half = bench.run_step(index++, "half", half_rate, o.half_s);
    print(half);
    steps.push_back(half);
    const double us_per_delivery =
        bench.total_deliveries_ ? 1e6 * bench.total_cpu_ / bench.total_deliveries_ : 0;

    std::printf(
        "%s: %zu clients: saturation %.0f deliveries/s (%.1f events/s)%s; at half (%.1f ev/s) "
        "p50 %.1f ms p99 %.1f ms; %.1f KiB per idle client; elmod %.2f us CPU per delivery\n",
        o.label.c_str(), o.clients, best, best / static_cast<double>(o.clients),
        saturated ? "" : " (not reached: a lower bound)", half_rate, half.p50, half.p99,
        kib_per_client, us_per_delivery);
    if (!o.csv.empty()) {
        std::ofstream csv(o.csv, std::ios::app);
        for (const auto& s : steps)
            csv << o.label << ',' << s.kind << ',' << s.index << ',' << s.offered << ','
                << s.published << ',' << s.refused << ',' << s.backlog << ',' << s.delivered_per_s
                << ',' << s.complete << ',' << s.p50 << ',' << s.p99 << ',' << s.max << ','
                << s.elmod_cpu_pct << ',' << s.driver_cpu_pct << ',' << s.elmod_us_per_delivery
                << ',' << (s.saturated ? 1 : 0) << '\n';
    }
    if (!o.summary_csv.empty()) {
        std::ofstream csv(o.summary_csv, std::ios::app);
        csv << o.label << ',' << o.clients << ',' << best << ','
            << best / static_cast<double>(o.clients) << ',' << (saturated ? 1 : 0) << ','
            << half_rate << ',' << half.p50 << ',' << half.p99 << ',' << rss0 << ',' << rss1 << ','
            << kib_per_client << ',' << us_per_delivery << ',' << ready_s << '\n';
    }
    return 0;
}
