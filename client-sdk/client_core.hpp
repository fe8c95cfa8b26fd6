#pragma once
// The client core (DESIGN 2.5): one connection to a home node at a time; subscriptions registered
// with mailboxes through it, renewed before they lapse, moved when a mailbox is lost; failover to
// another known node when the home stops answering. A sans-IO state machine: it never reads a
// clock, sleeps or opens a socket. Every input carries `now` and returns the next wake-up
// (TimePoint::max() if none); output goes through ClientTransport. The simulator drives it now,
// the phone SDK later. Never throws on anything from the network.
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "client-sdk/client_params.hpp"
#include "client-sdk/client_stats.hpp"
#include "client-sdk/client_transport.hpp"
#include "client-sdk/node_book.hpp"
#include "common/bytes.hpp"
#include "common/endpoint.hpp"
#include "common/time.hpp"
#include "wire/codec.hpp"

namespace elmo {

class ClientCore {
public:
    struct TopicState {
        bool registered = false;   // a registration believed live (granted, not expired or lost)
        wire::NodeAddr mailbox;    // of the current or last registration; unset if none
        TimePoint expires{};       // of the registration
        Duration lifetime{};       // as last granted
        std::vector<wire::NodeAddr> known_mailboxes;  // others of the topic, most recent first
        // When the next Subscribe (first try, retry or renewal) is due; meaningful only while
        // connected and with no request pending.
        TimePoint next_attempt{};
        std::uint64_t pending_request = 0;  // request id awaiting an answer, 0 if none
        int failures = 0;                   // consecutive failed attempts: the backoff exponent
    };

    // `client_id` must be 1 to 32 bytes (wire::max_client_id_bytes): the home refuses every
    // subscription of a client without one. With an invalid id, start() does nothing.
    ClientCore(ClientParams params, Bytes client_id, std::vector<Endpoint> bootstrap_nodes,
               ClientTransport& transport, std::uint64_t seed);

    TimePoint start(TimePoint now);  // connects to a bootstrap node
    TimePoint on_connected(TimePoint now);
    TimePoint on_connect_failed(TimePoint now);
    // The connection dropped, or the app says the network changed: reconnect (with backoff).
    TimePoint on_disconnected(TimePoint now);
    TimePoint on_frame(TimePoint now, ByteView frame);  // one message from the home node
    TimePoint on_timer(TimePoint now);
    // Subscribing to a topic already subscribed does nothing. An invalid topic (empty, over 256
    // bytes, control characters) or one beyond max_topics is refused: it is counted in
    // stats().topics_refused and does not appear in topics().
    TimePoint subscribe(TimePoint now, const std::string& topic);
    TimePoint unsubscribe(TimePoint now, const std::string& topic);
    TimePoint next_wakeup() const;

    // Inspection.
    const std::map<std::string, TopicState>& topics() const { return topics_; }
    bool subscribed(const std::string& topic) const { return topics_.contains(topic); }
    bool connected() const { return link_ == Link::connected; }
    std::optional<Endpoint> home() const;  // the node connected to, if any
    const ClientStats& stats() const { return stats_; }
    const ClientParams& params() const { return params_; }
    const NodeBook& nodes() const { return nodes_; }
    static bool valid_client_id(const Bytes& id);

private:
    enum class Link : std::uint8_t { idle, connecting, connected, waiting };
    struct Request {
        std::string topic;
        TimePoint deadline;
    };

    // Connection (client_core.cpp).
    TimePoint advance(TimePoint now);  // time never runs back; lapsed registrations expire
    void try_connect(TimePoint now);
    void schedule_reconnect(TimePoint now, std::optional<Endpoint> avoid);
    // An established connection is over; `node_fault`: the node misbehaved or stopped answering
    // (it is avoided and its failures counted even if the connection had been stable).
    void connection_lost(TimePoint now, bool tell_transport, bool node_fault);
    void send(TimePoint now, const wire::Message& message);
    void check_keepalive(TimePoint now);
    void dispatch(TimePoint now, const wire::Message& message);

    // Subscriptions (client_topics.cpp).
    void pump(TimePoint now);  // sends the Subscribes that are due, within max_in_flight
    void send_subscribe(TimePoint now, const std::string& topic, TopicState& t);
    void on_subscribe_result(TimePoint now, const wire::SubscribeResult& r);
    void on_mailbox_lost(TimePoint now, const wire::MailboxLost& m);
    void check_request_timeouts(TimePoint now);
    void expire_registrations(TimePoint now);
    void request_failed(TimePoint now, TopicState& t);
    void learn_nodes(const wire::NodeAddr& mailbox, const std::vector<wire::NodeAddr>& others);
    Duration renew_delay(Duration lifetime);
    Duration coalesce_window(const TopicState& t) const;
    void topics_due_on_new_connection(TimePoint now);

    ClientParams params_;
    Bytes client_id_;
    ClientTransport& transport_;
    std::mt19937_64 rng_;
    NodeBook nodes_;
    ClientStats stats_;
    std::map<std::string, TopicState> topics_;
    std::map<std::uint64_t, Request> requests_;  // Subscribes in flight, by request id
    std::uint64_t next_request_id_ = 1;

    Link link_ = Link::idle;
    bool started_ = false;
    TimePoint last_now_{};
    std::optional<Endpoint> target_;         // being connected to, or connected to
    std::optional<Endpoint> previous_home_;  // the last node a connection was established with
    TimePoint connect_deadline_{};
    TimePoint reconnect_at_{};
    std::optional<Endpoint> avoid_;          // the node that just failed
    int reconnect_attempt_ = 0;              // backoff exponent since the last stable connection
    TimePoint connected_since_{};
    int consecutive_timeouts_ = 0;
    std::optional<TimePoint> last_traffic_;  // last frame either way on this connection
    std::optional<TimePoint> last_link_use_; // last frame either way, any connection (exchanges)
    std::uint64_t ping_nonce_ = 0;           // keep-alive Ping awaiting its Pong, 0 if none
    TimePoint ping_deadline_{};
};

}  // namespace elmo
