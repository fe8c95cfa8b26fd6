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
#include <map>
#include <queue>
#include <string>
#include <vector>

#include "client-sdk/client_core.hpp"
#include "wire/codec.hpp"

namespace elmo::bench {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint t0 = TimePoint{} + std::chrono::hours(1000);
const Duration rtt = std::chrono::milliseconds(50);

struct Scenario {
    std::string name;
    int topics = 1;
    Duration push_every = Duration::zero();
    Duration keepalive = Duration::zero();
    Duration os_idle_close = Duration::zero();  // 0: the OS leaves the socket alone
};

struct Figures {
    double exchanges = 0, frames_out = 0, frames_in = 0, bytes_out = 0, bytes_in = 0;
};

// The home node and the driver in one: answers frames after a round trip, fires the core's
// wake-ups, pushes events and plays the OS and the SDK's background policy.
class Sim final : public ClientTransport {
  public:
    Sim(const Scenario& s, std::uint64_t seed)
        : s_(s),
          core_(ClientParams{}, Bytes{'p', 'h', 'o', 'n', 'e'}, {Endpoint::v4(0x0a000001, 4223)},
                *this, seed) {
        core_.set_keepalive_period(now_, s.keepalive);
        mailbox_.id[0] = 7;
        mailbox_.endpoint = wire::WireEndpoint::from(Endpoint::v4(0x0a000001, 4222));
    }

    void connect(const Endpoint&) override {
        at(now_ + rtt, [this] { core_.on_connected(now_); });
    }
    void disconnect() override { ++epoch_; }
    void send(ByteView frame) override {
        auto m = wire::decode(frame);
        if (!m) return;
        std::uint64_t epoch = epoch_;
        auto reply = [this, epoch](wire::Message r) {
            at(now_ + rtt, [this, epoch, r = std::move(r)] {
                if (epoch == epoch_ && core_.connected()) core_.on_frame(now_, wire::encode(r));
            });
        };
        if (auto* sub = std::get_if<wire::Subscribe>(&*m)) {
            reply(wire::SubscribeResult{sub->request_id,
                                        sub->topic,
                                        wire::SubscribeStatus::registered,
                                        mailbox_,
                                        1800,
                                        {}});
        } else if (auto* p = std::get_if<wire::Poll>(&*m)) {
            reply(wire::PollResult{
                p->request_id, p->topic, mailbox_, wire::PollStatus::ok, {}, {}, {}, false});
        } else if (auto* ping = std::get_if<wire::Ping>(&*m)) {
            reply(wire::Pong{ping->nonce});
        }
    }

    Figures run(Duration warmup, Duration measured) {
        core_.start(now_);
        for (int i = 0; i < s_.topics; ++i)  // subscribed at scattered times in the first hour
            at(t0 + minutes(i * 11),
               [this, i] { core_.subscribe(now_, "topic-" + std::to_string(i)); });
        if (s_.push_every > Duration::zero()) schedule_push(t0 + s_.push_every);
        TimePoint mark = t0 + warmup, end = mark + measured;
        ClientStats before{};
        bool marked = false;
        while (now_ < end) {
            TimePoint next = std::min(core_.next_wakeup(),
                                      queue_.empty() ? TimePoint::max() : queue_.top().when);
            if (s_.os_idle_close > Duration::zero() && core_.connected())
                next = std::min(next, last_traffic() + s_.os_idle_close);
            if (!marked && next >= mark) {
                before = core_.stats();
                marked = true;
            }
            if (next > end) break;
            now_ = std::max(now_, next);
            if (!queue_.empty() && queue_.top().when <= now_) {
                auto ev = queue_.top();
                queue_.pop();
                ev.run();
            } else if (s_.os_idle_close > Duration::zero() && core_.connected() &&
                       now_ >= last_traffic() + s_.os_idle_close) {
                ++epoch_;
                core_.on_disconnected(now_);
            } else {
                core_.on_timer(now_);
            }
            background_policy();
        }
        const ClientStats& a = core_.stats();
        double h = std::chrono::duration<double, std::ratio<3600>>(measured).count();
        return {static_cast<double>(a.exchanges_started - before.exchanges_started) / h,
                static_cast<double>(a.frames_out - before.frames_out) / h,
                static_cast<double>(a.frames_in - before.frames_in) / h,
                static_cast<double>(a.bytes_out - before.bytes_out) / h,
                static_cast<double>(a.bytes_in - before.bytes_in) / h};
    }

  private:
    struct Ev {
        TimePoint when;
        std::uint64_t order;
        std::function<void()> run;
        bool operator>(const Ev& o) const {
            return std::tie(when, order) > std::tie(o.when, o.order);
        }
    };
    void at(TimePoint when, std::function<void()> f) {
        queue_.push({when, order_++, std::move(f)});
    }

    TimePoint last_traffic() const {
        // The core does not expose its link's last frame; traffic happens only at exchanges
        // and their answers, which the simulation tracks itself.
        return last_frame_;
    }

    void schedule_push(TimePoint when) {
        at(when, [this, when] {
            if (core_.connected()) {
                wire::Event e;
                e.topic = "topic-0";
                e.publisher = {'o', 't', 'h', 'e', 'r'};
                e.seq = ++pushed_;
                e.timestamp_ms = core_.wall_clock().to_unix_ms(now_);
                e.expiry_ms = e.timestamp_ms + 86'400'000;
                e.payload = Bytes(100, 'x');
                e.seal();
                core_.on_frame(now_, wire::encode(wire::Deliver{mailbox_, {e}}));
            }
            schedule_push(when + s_.push_every);
        });
    }

    // What sdk::Client does in the background (client-sdk/api/client.cpp): when the connection
    // is gone, no reconnection backoff: offline until the next poll period, then one attempt.
    void background_policy() {
        std::uint64_t traffic = core_.stats().frames_in + core_.stats().frames_out;
        if (traffic != seen_traffic_) last_frame_ = now_, seen_traffic_ = traffic;
        if (s_.os_idle_close == Duration::zero() || !core_.waiting_to_reconnect()) return;
        core_.network_changed(now_, false);
        at(now_ + core_.params().poll_period, [this] { core_.network_changed(now_, true); });
    }

    Scenario s_;
    TimePoint now_ = t0;
    ClientCore core_;
    wire::NodeAddr mailbox_;
    std::priority_queue<Ev, std::vector<Ev>, std::greater<>> queue_;
    std::uint64_t order_ = 0, epoch_ = 0, pushed_ = 0, seen_traffic_ = 0;
    TimePoint last_frame_ = t0;
};

}  // namespace
}  // namespace elmo::bench

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
