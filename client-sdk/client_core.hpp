#pragma once
// The client core (DESIGN 2.5, 2.6): one connection to a home node at a time; subscriptions
// registered with mailboxes through it, renewed before they lapse, moved when a mailbox is lost;
// publications kept in an outbox until a mailbox stored them; events received by push and poll,
// each handed to the app once; failover to another known node when the home stops answering.
// A sans-IO state machine: it never reads a clock, sleeps or opens a socket. Every input carries
// `now` and returns the next wake-up (TimePoint::max() if none); output goes through
// ClientTransport. The simulator drives it now, the phone SDK later. Never throws on anything
// from the network.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "client-sdk/client_params.hpp"
#include "client-sdk/client_snapshot.hpp"
#include "client-sdk/client_stats.hpp"
#include "client-sdk/client_transport.hpp"
#include "client-sdk/event_cache.hpp"
#include "client-sdk/node_book.hpp"
#include "client-sdk/outbox.hpp"
#include "client-sdk/seen_ids.hpp"
#include "client-sdk/wall_clock.hpp"
#include "common/bytes.hpp"
#include "common/endpoint.hpp"
#include "common/result.hpp"
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

        // --- delivery and polling (client_poll.cpp) ---
        SeenIds seen;  // ids received, for dedup and for the polls' `known`
        // When the next Poll is due (TimePoint::max(): none planned); sent only while connected
        // and registered, with no poll pending.
        TimePoint next_poll = TimePoint::max();
        std::uint64_t pending_poll = 0;  // Poll awaiting its result, 0 if none
        bool poll_again = false;         // a poll was asked for while one was out
        int poll_failures = 0;           // consecutive unanswered or unreachable polls: backoff
        // Paging through a mailbox's history: where the last answer of `cursor_mailbox`
        // stopped, and the wall time (ms) up to which the client has every event of the topic.
        NodeId cursor_mailbox{};
        std::uint64_t poll_cursor = 0;
        std::int64_t caught_up_ms = 0;
        // A client whose registration moved to another mailbox polls one other known mailbox
        // once, from the `since` it had before the move: the new mailbox may be younger than
        // the client's absence (elected after the old one died or was full) and lack the
        // events before its election, which an older mailbox of the topic still holds.
        wire::NodeAddr backfill;  // unset: none due
        std::int64_t backfill_since_ms = 0;
        bool backfill_ready = false;  // the current mailbox has answered in full since the move
        std::uint64_t backfill_cursor = 0;  // paging through the backfill mailbox's answer
    };

    enum class PublishError : std::uint8_t { invalid_topic, payload_too_large, outbox_full };
    enum class PublishOutcome : std::uint8_t { accepted, failed_invalid };
    // Called once per (event, subscribed topic) received by push or poll, never for events this
    // client published (the app knows its own).
    using EventHandler = std::function<void(TimePoint now, const wire::Event&)>;
    // Called once per publication when it leaves the outbox: stored by a mailbox, or malformed.
    using PublishHandler =
        std::function<void(TimePoint now, const wire::EventId&, PublishOutcome)>;

    // `client_id` must be 1 to 32 bytes (wire::max_client_id_bytes): the home refuses every
    // subscription of a client without one. With an invalid id, start() does nothing.
    ClientCore(ClientParams params, Bytes client_id, std::vector<Endpoint> bootstrap_nodes,
               ClientTransport& transport, std::uint64_t seed);

    TimePoint start(TimePoint now);  // connects to a bootstrap node
    TimePoint on_connected(TimePoint now);
    TimePoint on_connect_failed(TimePoint now);
    // The connection dropped: reconnect (with backoff).
    TimePoint on_disconnected(TimePoint now);
    // The phone's network went away (`available` false: no connection attempts until it is back,
    // and failures while it is gone are not the nodes' fault) or came (back), or changed (true
    // again): the socket is presumed dead, the backoff starts over and the client connects at
    // once, so that a phone coming back online is served within a round trip, not after a
    // backoff grown while it was offline.
    TimePoint network_changed(TimePoint now, bool available);
    bool network_available() const { return network_; }
    TimePoint on_frame(TimePoint now, ByteView frame);  // one message from the home node
    TimePoint on_timer(TimePoint now);
    // Subscribing to a topic already subscribed does nothing. An invalid topic (empty, over 256
    // bytes, control characters) or one beyond max_topics is refused: it is counted in
    // stats().topics_refused and does not appear in topics().
    TimePoint subscribe(TimePoint now, const std::string& topic);
    TimePoint unsubscribe(TimePoint now, const std::string& topic);
    TimePoint next_wakeup() const;
    // Changes keepalive_period from now on (the SDK keeps a connection checked in the
    // foreground and silent in the background, where each wake-up costs battery). 0: off.
    TimePoint set_keepalive_period(TimePoint now, Duration period);
    // Waiting out a reconnection backoff (not connected, not connecting, not offline).
    bool waiting_to_reconnect() const { return link_ == Link::waiting; }
    // Every node the client knows failed in a row (or it knows none): the driver should ask the
    // app's seed (a DNS name listing live nodes, as a real app resolves at start) and hand the
    // answer to add_seed_nodes. A phone offline while its bootstrap nodes and home were all
    // replaced otherwise never reaches the service again (issue 8, replace10).
    bool wants_seed_nodes() const { return seed_wanted_; }
    // Fresh bootstrap nodes (at most max_known_nodes are kept): tried first, at the next
    // connection attempt (the backoff is not cut short, so a stale seed cannot make a loop).
    void add_seed_nodes(const std::vector<Endpoint>& nodes);

    // Builds, seals and queues an event (publisher = client id, seq = the next sequence number,
    // timestamp_ms = wall time of `now`, expiry_ms = timestamp + event_lifetime) and sends it at
    // once if connected. Returns its id, or why it was refused. It does not return a wake-up:
    // call next_wakeup() after it.
    Result<wire::EventId, PublishError> publish(TimePoint now, const std::string& topic,
                                                Bytes payload);
    // Polls every registered topic now (a topic with a poll out is polled again when it answers).
    TimePoint poll_now(TimePoint now);
    // Handlers run at the end of the core call that produced them (on_frame), after the core's
    // state is updated, so they may call back into the core (publish, unsubscribe, ...).
    void set_event_handler(EventHandler h) { event_handler_ = std::move(h); }
    void set_publish_handler(PublishHandler h) { publish_handler_ = std::move(h); }
    // Which wall time one steady instant is (events carry wall times). Default: unix_ms 0 at
    // TimePoint{}. Call again after the wall clock is stepped.
    void set_wall_clock(WallClock clock) { wall_ = clock; }
    void set_wall_clock(std::int64_t unix_ms_at, TimePoint at) {
        wall_ = WallClock{at, unix_ms_at};
    }

    // Persistence (client_snapshot.cpp). snapshot() is what should outlive the process.
    // restore() must come before start(): topics come back unregistered but with their last
    // mailbox preferred, so the first connection renews them there and polls from caught_up_ms
    // with the seen ids as `known` (what was missed while the app was dead arrives once); the
    // outbox is due at once; next_seq never goes back (ids stay unique per publisher anyway,
    // the timestamp is hashed in). Entries beyond the bounds (max_topics, max_outbox,
    // seen_ids_per_topic, ...) are dropped as the live state would drop them. Returns false
    // (and changes nothing) after start().
    ClientSnapshot snapshot() const;
    bool restore(TimePoint now, const ClientSnapshot& snapshot);

    // Inspection.
    const std::map<std::string, TopicState>& topics() const { return topics_; }
    bool subscribed(const std::string& topic) const { return topics_.contains(topic); }
    bool connected() const { return link_ == Link::connected; }
    std::optional<Endpoint> home() const;  // the node connected to, if any
    const ClientStats& stats() const { return stats_; }
    const ClientParams& params() const { return params_; }
    const NodeBook& nodes() const { return nodes_; }
    static bool valid_client_id(const Bytes& id);
    std::size_t outbox_size() const { return outbox_.size(); }
    const Outbox& outbox() const { return outbox_; }
    const EventCache& own_history() const { return own_history_; }
    const EventCache& carried() const { return carried_; }
    const WallClock& wall_clock() const { return wall_; }
    std::uint64_t next_seq() const { return next_seq_; }

private:
    // offline: the network is gone (network_changed(false)); nothing is attempted.
    enum class Link : std::uint8_t { idle, connecting, connected, waiting, offline };
    struct Request {
        std::string topic;
        TimePoint deadline;
    };
    struct PollRequest {
        std::string topic;
        NodeId mailbox;  // polled
        TimePoint deadline;
        TimePoint sent{};
        bool backfill = false;  // the one poll of another mailbox after a move (TopicState)
    };
    // Mailboxes of a topic not subscribed, learned from PublishResults.
    struct PublishTopic {
        std::vector<wire::NodeAddr> mailboxes;  // most recent first
        std::uint64_t last_use = 0;             // for least-recently-used eviction
    };
    // App callbacks waiting for the end of the core call (see set_event_handler).
    using Callback = std::variant<wire::Event, std::pair<wire::EventId, PublishOutcome>>;

    // Connection (client_core.cpp).
    TimePoint advance(TimePoint now);  // time never runs back; lapsed registrations expire
    void try_connect(TimePoint now);
    // Waits the grown backoff before the next attempt, or none (`at_once`: the backoff does
    // not grow).
    void schedule_reconnect(TimePoint now, std::optional<Endpoint> avoid, bool at_once = false);
    void unanswered_failure(TimePoint now, const Endpoint& node);
    // An established connection is over; `node_fault`: the node misbehaved or stopped answering
    // (it is avoided and its failures counted even if the connection had been stable).
    // `network_event`: the phone's network changed, which says nothing about the node.
    void connection_lost(TimePoint now, bool tell_transport, bool node_fault,
                         bool network_event = false);
    void send(TimePoint now, const wire::Message& message);
    void check_keepalive(TimePoint now);
    void dispatch(TimePoint now, const wire::Message& message);
    // Every request kind's timeouts, then failover if the home looks dead.
    void check_request_timeouts(TimePoint now);
    // Publishes, then Subscribes, then Polls; renewals and polls due soon ride along when
    // anything is sent.
    void pump(TimePoint now);
    void run_callbacks();

    // Subscriptions (client_topics.cpp).
    bool subscribe_due(TimePoint now) const;
    // Sends the Subscribes that are due, within max_in_flight; with `radio_up` (something goes
    // out now anyway) renewals due within their coalesce window too.
    void pump_subscribes(TimePoint now, bool radio_up);
    void send_subscribe(TimePoint now, const std::string& topic, TopicState& t);
    void on_subscribe_result(TimePoint now, const wire::SubscribeResult& r);
    void on_mailbox_lost(TimePoint now, const wire::MailboxLost& m);
    // `mailbox` is gone for `t` (MailboxLost, or a poll answered not_held): forgotten, and if it
    // was the current one the topic re-registers at once. Returns whether it was the current one.
    bool mailbox_gone(TimePoint now, TopicState& t, const NodeId& mailbox);
    std::size_t check_subscribe_timeouts(TimePoint now);  // returns how many timed out
    void expire_registrations(TimePoint now);
    void request_failed(TimePoint now, TopicState& t);
    void learn_nodes(const wire::NodeAddr& mailbox, const std::vector<wire::NodeAddr>& others);
    Duration renew_delay(Duration lifetime);
    Duration coalesce_window(const TopicState& t) const;
    void topics_due_on_new_connection(TimePoint now);

    // Publishing (client_publish.cpp).
    bool pump_publishes(TimePoint now);  // returns whether anything was sent
    void send_publish(TimePoint now, Outbox::Entry& e);
    std::vector<wire::NodeAddr> publish_preferred(const std::string& topic) const;
    // preferred_list without the mailboxes whose node refused this client's own connection
    // since it last worked (client_topics.cpp says why).
    std::vector<wire::NodeAddr> preferred(const wire::NodeAddr& current,
                                          const std::vector<wire::NodeAddr>& known) const;
    bool refused_us(const wire::NodeAddr& mailbox) const;
    void on_publish_result(TimePoint now, const wire::PublishResult& r);
    void learn_publish_mailboxes(const std::string& topic, const wire::PublishResult& r);
    // A mailbox of `topic` just answered (a publication accepted, a registration granted): the
    // topic's publications waiting out a backoff are due now (their backoff exponent kept).
    void publications_due(TimePoint now, const std::string& topic);
    std::size_t check_publish_timeouts(TimePoint now);
    void hand_in(TimePoint now, const wire::Event& event, const wire::NodeAddr& mailbox);
    const wire::Event* held_event(const wire::EventId& id) const;  // own or carried

    // Delivery and polling (client_poll.cpp).
    void on_deliver(TimePoint now, const wire::Deliver& d);
    // Checks, dedups, records and hands to the app one event received for subscribed `topic`.
    void receive_event(TimePoint now, const std::string& topic, const wire::Event& e);
    bool poll_due(TimePoint now) const;
    void pump_polls(TimePoint now, bool radio_up);
    void send_poll(TimePoint now, const std::string& topic, TopicState& t);
    std::vector<wire::EventId> known_ids(const std::string& topic, const TopicState& t) const;
    // A poll's `since`: the wall time the client is caught up to, less poll_since_margin.
    std::int64_t poll_since_ms(const TopicState& t) const;
    void request_poll(TimePoint now, TopicState& t);  // at once, or when the pending one answers
    void poll_done(TimePoint now, TopicState& t, bool again_now);
    void poll_failed(TimePoint now, TopicState& t);
    void on_poll_result(TimePoint now, const wire::PollResult& r);
    std::size_t check_poll_timeouts(TimePoint now);

    ClientParams params_;
    Bytes client_id_;
    ClientTransport& transport_;
    std::mt19937_64 rng_;
    NodeBook nodes_;
    ClientStats stats_;
    std::map<std::string, TopicState> topics_;
    std::map<std::uint64_t, Request> requests_;  // Subscribes in flight, by request id
    std::uint64_t next_request_id_ = 1;          // shared by every request kind

    // Publishing and delivery.
    WallClock wall_;
    std::uint64_t next_seq_ = 1;  // of the next own event
    Outbox outbox_;
    EventCache own_history_;  // own accepted events, offered in polls
    EventCache carried_;      // recently received events, to hand in when wanted
    std::map<std::string, PublishTopic> publish_topics_;
    std::uint64_t publish_topic_use_ = 0;
    // Request ids of recent hand-ins, so that their results are told from stale ones. Bounded by
    // max_hand_ins_remembered: the oldest (smallest id) is forgotten first; a forgotten one's
    // result then counts as stale, which is harmless.
    std::set<std::uint64_t> hand_ins_;
    static constexpr std::size_t max_hand_ins_remembered = 256;
    std::map<std::uint64_t, PollRequest> polls_;  // Polls in flight, by request id
    // At most the events of one frame (max_events_per_message) plus one publish result.
    std::vector<Callback> callbacks_;
    EventHandler event_handler_;
    PublishHandler publish_handler_;

    Link link_ = Link::idle;
    bool started_ = false;
    bool network_ = true;
    TimePoint last_now_{};
    std::optional<Endpoint> target_;         // being connected to, or connected to
    std::optional<Endpoint> previous_home_;  // the last node a connection was established with
    TimePoint connect_deadline_{};
    TimePoint reconnect_at_{};
    std::optional<Endpoint> avoid_;          // the node that just failed
    int reconnect_attempt_ = 0;              // backoff exponent since the last stable connection
    // Connections in a row that failed before the node answered anything (refused, reset, or
    // dropped unanswered): each moves on to another known node at once, without backoff, until
    // every known node has had its turn (client_core.cpp, unanswered_failure).
    std::size_t unanswered_in_row_ = 0;
    bool seed_wanted_ = false;               // every known node failed in a row: ask the seed
    bool answered_ = false;                  // the current connection's node has sent a frame
    TimePoint connected_since_{};
    int consecutive_timeouts_ = 0;
    std::optional<TimePoint> last_traffic_;  // last frame either way on this connection
    std::optional<TimePoint> last_link_use_; // last frame either way, any connection (exchanges)
    std::uint64_t ping_nonce_ = 0;           // keep-alive Ping awaiting its Pong, 0 if none
    TimePoint ping_deadline_{};
};

}  // namespace elmo
