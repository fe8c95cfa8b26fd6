// Battery and data budget of an idle subscribed phone (issue 6): the client core under fake time
// with a simulated home node (50 ms round trip, every Subscribe granted for the mailbox's 30 min,
// every Poll answered with nothing new), run for `hours` hours per seed; hours 2 and onwards are
// measured (the first hour holds the subscription's start-up). Counted: exchanges the client
// starts (a frame sent after 10 s of silence: a radio wake-up, ClientStats::exchanges_started),
// frames and wire bytes both ways (TCP/TLS overhead not included; see docs/client-sdk.md).
//
//   idle_budget [seeds=20] [hours=4]
//
// Scenarios:
//   connected-1       one topic, the connection stays up (the SDK in the background)
//   connected-6       six topics subscribed at scattered times
//   pushes-6/h        one topic, an event pushed every 10 min (no client-started traffic added)
//   keepalive-60s     one topic with the foreground keep-alive (what the background turns off)
//   os-closes-socket  the OS closes an idle socket after 30 s; the SDK's background policy:
//                     offline until the next poll period, then one connection (renew + poll)
#include <cstdio>
#include <cstdlib>

#include "bench/client/idle_sim.hpp"

int main(int argc, char** argv) {
    using namespace elmo;
    using namespace elmo::bench;
    int seeds = argc > 1 ? std::atoi(argv[1]) : 20;
    int hours = argc > 2 ? std::atoi(argv[2]) : 4;
    if (seeds < 1 || hours < 2) {
        std::fprintf(stderr, "usage: idle_budget [seeds>=1] [hours>=2]\n");
        return 2;
    }
    std::vector<Scenario> scenarios = {
        {"connected-1", 1},
        {"connected-6", 6},
        {"pushes-6/h", 1, std::chrono::minutes(10)},
        {"keepalive-60s", 1, Duration::zero(), std::chrono::seconds(60)},
        {"os-closes-socket", 1, Duration::zero(), Duration::zero(), std::chrono::seconds(30)},
    };
    std::printf(
        "%d seeds, hours 2-%d measured; per hour: client-started exchanges (min mean max), "
        "frames out/in, wire bytes out/in (mean)\n",
        seeds, hours);
    std::printf("%-18s %5s %6s %5s %9s %9s %10s %10s\n", "scenario", "min", "mean", "max",
                "frames>", "frames<", "bytes>", "bytes<");
    for (const auto& s : scenarios) {
        double mn = 1e9, mx = 0;
        Figures sum;
        for (int seed = 1; seed <= seeds; ++seed) {
            Sim sim(s, static_cast<std::uint64_t>(seed));
            Figures f = sim.run(std::chrono::hours(1), std::chrono::hours(hours - 1));
            mn = std::min(mn, f.exchanges);
            mx = std::max(mx, f.exchanges);
            sum.exchanges += f.exchanges;
            sum.frames_out += f.frames_out;
            sum.frames_in += f.frames_in;
            sum.bytes_out += f.bytes_out;
            sum.bytes_in += f.bytes_in;
        }
        double n = seeds;
        std::printf("%-18s %5.2f %6.2f %5.2f %9.1f %9.1f %10.0f %10.0f\n", s.name.c_str(), mn,
                    sum.exchanges / n, mx, sum.frames_out / n, sum.frames_in / n, sum.bytes_out / n,
                    sum.bytes_in / n);
    }
    return 0;
}
