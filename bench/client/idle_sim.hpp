#pragma once
// The idle-budget simulation (see idle_budget.cpp): the client core under fake time with a
// simulated home node, the OS and the SDK's background policy. Shared by the benchmark binary and
// the regression test (tests/client-sdk/budget_test.cpp).
#include <functional>
#include <map>
#include <queue>
#include <string>
#include <tuple>
#include <vector>

#include "client-sdk/client_core.hpp"
#include "wire/codec.hpp"

namespace elmo::bench {

using std::chrono::minutes;
using std::chrono::seconds;

inline const TimePoint t0 = TimePoint{} + std::chrono::hours(1000);
inline const Duration rtt = std::chrono::milliseconds(50);

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

}  // namespace elmo::bench
