#pragma once
// Shared helpers for the client core tests: a fake transport that decodes what the core sends,
// fixed node addresses, and a driver that runs the core's timers up to a chosen time (never
// sleeping: time is whatever the test says). By default the harness plays a home whose mailboxes
// answer every poll with nothing new (answer_polls), so that tests about something else need not.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "client-sdk/client_core.hpp"
#include "client-sdk/mailbox_list.hpp"
#include "wire/codec.hpp"

namespace elmo::client_test {

using namespace std::chrono_literals;

inline const TimePoint t0 = TimePoint{} + std::chrono::hours(1'000);

inline Endpoint node_ep(int n) {
    return Endpoint::v4(0x0a000000u + static_cast<std::uint32_t>(n), 4'222);
}
// Mailbox n: node id n, reachable at node_ep(100 + n).
inline wire::NodeAddr mbx(int n) {
    NodeId id{};
    id[0] = static_cast<std::uint8_t>(n);
    return wire::NodeAddr::from(id, node_ep(100 + n));
}
inline wire::NodeAddr failed_placeholder() { return wire::NodeAddr::from(NodeId{}, node_ep(99)); }
inline const Bytes client_id{'p', 'h', 'o', 'n', 'e'};

class FakeTransport : public ClientTransport {
public:
    void connect(const Endpoint& node) override { connects.push_back(node); }
    void send(ByteView frame) override {
        auto m = wire::decode(frame);
        ASSERT_TRUE(m.ok()) << "the core sent a frame that does not decode";
        sent.push_back(*m);
        if (auto p = std::get_if<wire::Poll>(&*m)) polls_out.push_back({*p, connects.size()});
    }
    void disconnect() override { ++disconnects; }

    template <class T>
    std::vector<T> sent_of() const {
        std::vector<T> out;
        for (const auto& m : sent)
            if (auto p = std::get_if<T>(&m)) out.push_back(*p);
        return out;
    }
    template <class T>
    T last() const {
        auto all = sent_of<T>();
        EXPECT_FALSE(all.empty());
        return all.empty() ? T{} : all.back();
    }
    void clear() { sent.clear(); }

    std::vector<Endpoint> connects;
    std::vector<wire::Message> sent;
    int disconnects = 0;
    // Polls not answered yet by the harness, with the connection (connects.size()) they went on.
    // Not emptied by clear().
    std::vector<std::pair<wire::Poll, std::size_t>> polls_out;
};

// One client core with its fake transport and a clock that only moves when the test says.
struct Harness {
    explicit Harness(ClientParams p = {}, std::vector<Endpoint> bootstrap = {node_ep(1), node_ep(2),
                                                                             node_ep(3)},
                     std::uint64_t seed = 42)
        : core(p, client_id, std::move(bootstrap), transport, seed) {}

    // Starts and completes the first connection.
    void connect() {
        core.start(now);
        core.on_connected(now);
        answer_polls_now();
    }
    // Answers every poll sent on the current connection with "nothing new" (if answer_polls).
    void answer_polls_now() {
        for (int round = 0; round < 100 && answer_polls && !transport.polls_out.empty(); ++round) {
            auto out = std::move(transport.polls_out);
            transport.polls_out.clear();
            for (const auto& [p, connection] : out) {
                if (!core.connected() || connection != transport.connects.size()) continue;
                core.on_frame(now, wire::encode(wire::PollResult{p.request_id, p.topic, p.mailbox,
                                                                 wire::PollStatus::ok, {}, {}, {},
                                                                 false}));
            }
        }
        if (!answer_polls) transport.polls_out.clear();
    }
    // Plays the driver: fires every wake-up up to `until`, then sets the clock there.
    void run_until(TimePoint until) {
        for (int i = 0; i < 100'000; ++i) {
            answer_polls_now();
            TimePoint w = core.next_wakeup();
            if (w > until) break;
            ASSERT_GE(w, now) << "a wake-up in the past makes a driver spin";
            now = w;
            core.on_timer(now);
            answer_polls_now();
            ASSERT_LT(i, 99'999) << "the core keeps asking to be woken at the same time";
        }
        now = until;
    }
    void run_for(Duration d) { run_until(now + d); }
    // Fires wake-ups until another Subscribe for `topic` goes out (at most `limit` from now);
    // the clock stays at the moment it was sent.
    void run_until_subscribe(const std::string& topic, Duration limit = std::chrono::hours(24)) {
        TimePoint until = now + limit;
        std::size_t before = subscribes_for(topic);
        while (subscribes_for(topic) == before) {
            TimePoint w = core.next_wakeup();
            ASSERT_LE(w, until) << "no Subscribe for " << topic;
            run_until(w);
        }
    }
    // Plays a healthy home up to `until`: every Subscribe is granted the moment it is sent, at
    // the topic's current mailbox (or `fresh` if it has none).
    void run_granting(TimePoint until, const wire::NodeAddr& fresh = mbx(1)) {
        for (;;) {
            for (const auto& [name, t] : core.topics())
                if (t.pending_request != 0) grant(name, is_set(t.mailbox) ? t.mailbox : fresh);
            TimePoint w = core.next_wakeup();
            if (w > until) break;
            run_until(w);
        }
        now = until;
    }
    TimePoint deliver(const wire::Message& m) {
        core.on_frame(now, wire::encode(m));
        answer_polls_now();
        return core.next_wakeup();
    }

    // Answers the latest Subscribe for `topic` as registered at `mailbox`.
    wire::Subscribe grant(const std::string& topic, const wire::NodeAddr& mailbox,
                          std::vector<wire::NodeAddr> others = {}, std::uint32_t lifetime_s = 1800) {
        wire::Subscribe s = last_subscribe(topic);
        deliver(wire::SubscribeResult{s.request_id, topic, wire::SubscribeStatus::registered,
                                      mailbox, lifetime_s, std::move(others)});
        return s;
    }
    // A failed result names no mailbox, but carries a well-formed placeholder: the wire codec
    // rejects an unset NodeAddr endpoint (so the home's own `{}` does not decode today).
    wire::Subscribe refuse(const std::string& topic) {
        wire::Subscribe s = last_subscribe(topic);
        deliver(wire::SubscribeResult{s.request_id, topic, wire::SubscribeStatus::failed,
                                      failed_placeholder(), 0, {}});
        return s;
    }
    wire::Subscribe last_subscribe(const std::string& topic) const {
        wire::Subscribe found;
        bool any = false;
        for (const auto& s : transport.sent_of<wire::Subscribe>())
            if (s.topic == topic) found = s, any = true;
        EXPECT_TRUE(any) << "no Subscribe for " << topic;
        return found;
    }
    std::size_t subscribes_for(const std::string& topic) const {
        std::size_t n = 0;
        for (const auto& s : transport.sent_of<wire::Subscribe>()) n += s.topic == topic;
        return n;
    }
    const ClientCore::TopicState& topic(const std::string& name) const {
        return core.topics().at(name);
    }

    FakeTransport transport;
    ClientCore core;
    TimePoint now = t0;
    bool answer_polls = true;
};

// A sealed event of another publisher (or of `publisher`).
inline wire::Event make_event(const std::string& topic, std::uint64_t seq,
                              Bytes publisher = Bytes{'o', 't', 'h', 'e', 'r'},
                              std::string payload = "hello") {
    wire::Event e;
    e.topic = topic;
    e.publisher = std::move(publisher);
    e.seq = seq;
    e.timestamp_ms = 1'700'000'000'000;
    e.expiry_ms = e.timestamp_ms + 24 * 3600 * 1000;
    e.payload.assign(payload.begin(), payload.end());
    e.seal();
    return e;
}

inline std::vector<NodeId> ids(const std::vector<wire::NodeAddr>& list) {
    std::vector<NodeId> out;
    for (const auto& a : list) out.push_back(a.id);
    return out;
}

}  // namespace elmo::client_test
