// The client core's connection to its home node: connecting, failing over, the frames in and
// out, keep-alive, and the wake-up computation. Subscriptions are in client_topics.cpp,
// publishing in client_publish.cpp, delivery and polling in client_poll.cpp.
#include "client-sdk/client_core.hpp"

#include <algorithm>

#include "client-sdk/backoff.hpp"
#include "client-sdk/mailbox_list.hpp"

namespace elmo {

ClientCore::ClientCore(ClientParams params, Bytes client_id, std::vector<Endpoint> bootstrap_nodes,
                       ClientTransport& transport, std::uint64_t seed)
    : params_(params),
      client_id_(std::move(client_id)),
      transport_(transport),
      rng_(seed),
      nodes_(bootstrap_nodes, params.max_known_nodes),
      outbox_(params.max_outbox),
      own_history_(EventCache::Bounds{.total = params.own_history_max,
                                      .max_age = params.own_history}),
      carried_(EventCache::Bounds{.per_topic = params.carry_events_per_topic,
                                  .bytes = params.carry_bytes}) {}

bool ClientCore::valid_client_id(const Bytes& id) {
    return !id.empty() && id.size() <= wire::max_client_id_bytes;
}

std::optional<Endpoint> ClientCore::home() const {
    if (link_ != Link::connected) return std::nullopt;
    return target_;
}

// Every input starts here: time only moves forward, and what lapsed by `now` has lapsed before
// the input is looked at, however rarely the driver calls on_timer.
TimePoint ClientCore::advance(TimePoint now) {
    last_now_ = std::max(last_now_, now);
    expire_registrations(last_now_);
    own_history_.expire(last_now_);
    return last_now_;
}

TimePoint ClientCore::start(TimePoint now) {
    now = advance(now);
    if (started_ || !valid_client_id(client_id_)) return next_wakeup();
    started_ = true;
    if (network_) try_connect(now);
    else link_ = Link::offline;
    return next_wakeup();
}

TimePoint ClientCore::network_changed(TimePoint now, bool available) {
    now = advance(now);
    network_ = available;
    if (!started_) return next_wakeup();
    if (!available) {
        if (link_ == Link::connected) {
            // Not the node's fault: its record is left alone and the backoff starts over.
            connection_lost(now, /*tell_transport=*/true, /*node_fault=*/false,
                            /*network_event=*/true);
        } else if (link_ == Link::connecting) {
            transport_.disconnect();
        }
        link_ = Link::offline;
        target_.reset();
        reconnect_attempt_ = 0;
        unanswered_in_row_ = 0;
        return next_wakeup();
    }
    if (link_ == Link::connected) {
        // The socket is presumed dead; the same home is the first choice again.
        connection_lost(now, /*tell_transport=*/true, /*node_fault=*/false,
                        /*network_event=*/true);
        avoid_.reset();
    } else if (link_ == Link::connecting) {
        transport_.disconnect();
    }
    reconnect_attempt_ = 0;
    unanswered_in_row_ = 0;
    try_connect(now);
    return next_wakeup();
}

void ClientCore::try_connect(TimePoint now) {
    auto node = nodes_.pick(avoid_, rng_);
    if (!node) {
        link_ = Link::idle;  // nobody to connect to; subscribe() still records topics
        seed_wanted_ = true;
        return;
    }
    if (stats_.connect_attempts > 0) ++stats_.reconnects;
    ++stats_.connect_attempts;
    link_ = Link::connecting;
    target_ = node;
    connect_deadline_ = now + params_.connect_timeout;
    transport_.connect(*node);
}

void ClientCore::schedule_reconnect(TimePoint now, std::optional<Endpoint> avoid, bool at_once) {
    avoid_ = std::move(avoid);
    link_ = Link::waiting;
    target_.reset();
    if (at_once) {
        reconnect_at_ = now;
        return;
    }
    ++reconnect_attempt_;
    reconnect_at_ = now + jittered_backoff(params_.reconnect_initial, params_.reconnect_max,
                                           reconnect_attempt_, params_.backoff_jitter, rng_);
}

// A node that refused the connection, or dropped it before answering anything, says only that
// this node is unreachable, not that the network or the service is: the next known node is tried
// at once. The backoff applies once every known node has failed in a row. Without this a client
// whose known nodes had mostly died (every mailbox it had learned crashed at once) waited 1, 2,
// 4, 8, 16 s between refusals and took 45 s to find a live node (issue 8's every-mailbox case).
void ClientCore::unanswered_failure(TimePoint now, const Endpoint& node) {
    ++unanswered_in_row_;
    if (unanswered_in_row_ < nodes_.size()) {
        ++stats_.quick_retries;
        schedule_reconnect(now, node, /*at_once=*/true);
        return;
    }
    unanswered_in_row_ = 0;
    seed_wanted_ = true;
    schedule_reconnect(now, node);
}

void ClientCore::add_seed_nodes(const std::vector<Endpoint>& nodes) {
    seed_wanted_ = false;
    if (nodes.empty()) return;
    ++stats_.seed_rounds;
    nodes_.reseed(nodes);
    if (link_ == Link::idle && started_ && network_) {  // it had nobody to try: now it has
        link_ = Link::waiting;
        reconnect_at_ = last_now_;
    }
}

TimePoint ClientCore::on_connected(TimePoint now) {
    now = advance(now);
    if (link_ != Link::connecting) {
        ++stats_.ignored_events;
        return next_wakeup();
    }
    ++stats_.connects;
    if (previous_home_ && *previous_home_ != *target_) ++stats_.failovers;
    previous_home_ = target_;
    link_ = Link::connected;
    connected_since_ = now;
    answered_ = false;
    consecutive_timeouts_ = 0;
    last_traffic_ = now;
    ping_nonce_ = 0;
    avoid_.reset();
    // The home refuses subscriptions from a session without a client id: hello goes first.
    send(now, wire::ClientHello{client_id_});
    topics_due_on_new_connection(now);
    outbox_.all_due(now);  // everything unacknowledged goes out again through the new home
    pump(now);
    return next_wakeup();
}

TimePoint ClientCore::on_connect_failed(TimePoint now) {
    now = advance(now);
    if (link_ != Link::connecting) {
        ++stats_.ignored_events;
        return next_wakeup();
    }
    ++stats_.connect_failures;
    nodes_.failed(*target_);
    unanswered_failure(now, *target_);
    return next_wakeup();
}

TimePoint ClientCore::on_disconnected(TimePoint now) {
    now = advance(now);
    if (link_ == Link::connecting) return on_connect_failed(now);
    if (link_ != Link::connected) {
        ++stats_.ignored_events;
        return next_wakeup();
    }
    connection_lost(now, /*tell_transport=*/false, /*node_fault=*/false);
    return next_wakeup();
}

void ClientCore::connection_lost(TimePoint now, bool tell_transport, bool node_fault,
                                 bool network_event) {
    if (tell_transport) transport_.disconnect();
    ++stats_.disconnects;
    Endpoint lost = *target_;
    // A connection that lasted was worth having: start the backoff over and clear the node's
    // record. A short one counts against the node, so that flapping backs off.
    bool stable = now - connected_since_ >= params_.stable_connection;
    if (stable) reconnect_attempt_ = 0;
    if (network_event) {
    } else if (stable && !node_fault) {
        nodes_.succeeded(lost);
    } else {
        nodes_.failed(lost);
    }
    // Requests in flight die with the connection; the new home is asked again.
    requests_.clear();
    polls_.clear();
    hand_ins_.clear();
    for (auto& [topic, t] : topics_) {
        t.pending_request = 0;
        t.pending_poll = 0;
        t.poll_again = false;
    }
    outbox_.all_due(now);
    ping_nonce_ = 0;
    last_traffic_.reset();
    if (!answered_ && !network_event && !node_fault) unanswered_failure(now, lost);
    else schedule_reconnect(now, lost);
}

TimePoint ClientCore::on_frame(TimePoint now, ByteView frame) {
    now = advance(now);
    if (link_ != Link::connected) {
        ++stats_.ignored_events;  // a frame from a connection already given up
        return next_wakeup();
    }
    ++stats_.frames_in;
    stats_.bytes_in += frame.size();
    last_traffic_ = now;
    last_link_use_ = now;
    auto decoded = wire::decode(frame);
    if (!decoded.ok()) {
        // A home that sends garbage cannot be trusted with the session: drop it, go elsewhere.
        ++stats_.decode_errors;
        connection_lost(now, /*tell_transport=*/true, /*node_fault=*/true);
        return next_wakeup();
    }
    consecutive_timeouts_ = 0;  // the home is alive
    answered_ = true;
    unanswered_in_row_ = 0;
    dispatch(now, *decoded);
    if (link_ == Link::connected) pump(now);
    run_callbacks();
    return next_wakeup();
}

void ClientCore::dispatch(TimePoint now, const wire::Message& message) {
    std::visit(
        [&](const auto& msg) {
            using T = std::decay_t<decltype(msg)>;
            if constexpr (std::is_same_v<T, wire::SubscribeResult>) {
                on_subscribe_result(now, msg);
            } else if constexpr (std::is_same_v<T, wire::MailboxLost>) {
                on_mailbox_lost(now, msg);
            } else if constexpr (std::is_same_v<T, wire::PublishResult>) {
                on_publish_result(now, msg);
            } else if constexpr (std::is_same_v<T, wire::Deliver>) {
                on_deliver(now, msg);
            } else if constexpr (std::is_same_v<T, wire::PollResult>) {
                on_poll_result(now, msg);
            } else if constexpr (std::is_same_v<T, wire::NodeList>) {
                for (const auto& n : msg.nodes)
                    if (is_set(n)) nodes_.learn(n.endpoint.to_endpoint(), /*fallback=*/true);
                stats_.nodes_offered += msg.nodes.size();
            } else if constexpr (std::is_same_v<T, wire::Pong>) {
                if (ping_nonce_ != 0 && msg.nonce == ping_nonce_) ping_nonce_ = 0;
                else ++stats_.unexpected_messages;
            } else {
                ++stats_.unexpected_messages;  // not a home-to-client message: ignored
            }
        },
        message);
}

void ClientCore::send(TimePoint now, const wire::Message& message) {
    Bytes frame = wire::encode(message);
    if (!last_link_use_ || now - *last_link_use_ >= params_.exchange_gap) ++stats_.exchanges_started;
    last_link_use_ = now;
    last_traffic_ = now;
    ++stats_.frames_out;
    stats_.bytes_out += frame.size();
    transport_.send(frame);
}

void ClientCore::pump(TimePoint now) {
    if (link_ != Link::connected) return;
    // Publications first: they are what the user is waiting for.
    bool radio_up = pump_publishes(now);
    // One radio wake-up carries every renewal and poll due soon, whichever of them woke it.
    radio_up = radio_up || subscribe_due(now) || poll_due(now);
    pump_subscribes(now, radio_up);
    pump_polls(now, radio_up);
}

void ClientCore::run_callbacks() {
    // Moved out first: a handler calling back into the core may queue more (run by that call).
    std::vector<Callback> calls = std::move(callbacks_);
    callbacks_.clear();
    TimePoint now = last_now_;
    for (auto& c : calls) {
        if (auto* e = std::get_if<wire::Event>(&c)) {
            if (event_handler_) event_handler_(now, *e);
        } else {
            auto& [id, outcome] = std::get<std::pair<wire::EventId, PublishOutcome>>(c);
            if (publish_handler_) publish_handler_(now, id, outcome);
        }
    }
}

void ClientCore::check_request_timeouts(TimePoint now) {
    std::size_t late = check_subscribe_timeouts(now) + check_publish_timeouts(now) +
                       check_poll_timeouts(now);
    if (late > 0 && consecutive_timeouts_ >= params_.timeouts_before_failover)
        connection_lost(now, /*tell_transport=*/true, /*node_fault=*/true);
}

TimePoint ClientCore::on_timer(TimePoint now) {
    now = advance(now);
    switch (link_) {
        case Link::connecting:
            if (now >= connect_deadline_) {
                transport_.disconnect();  // abandon the attempt the driver never reported
                on_connect_failed(now);
            }
            break;
        case Link::waiting:
            if (now >= reconnect_at_) try_connect(now);
            break;
        case Link::connected:
            check_request_timeouts(now);
            if (link_ == Link::connected) check_keepalive(now);
            if (link_ == Link::connected) pump(now);
            break;
        case Link::idle:
        case Link::offline:
            break;
    }
    return next_wakeup();
}

void ClientCore::check_keepalive(TimePoint now) {
    if (params_.keepalive_period <= Duration::zero()) return;
    if (ping_nonce_ != 0) {
        if (now >= ping_deadline_) {
            ++stats_.request_timeouts;
            connection_lost(now, /*tell_transport=*/true, /*node_fault=*/true);
        }
        return;
    }
    if (last_traffic_ && now - *last_traffic_ >= params_.keepalive_period) {
        ping_nonce_ = rng_() | 1;  // never 0, which means "none"
        ping_deadline_ = now + params_.request_timeout;
        ++stats_.pings_sent;
        send(now, wire::Ping{ping_nonce_});
    }
}

TimePoint ClientCore::set_keepalive_period(TimePoint now, Duration period) {
    now = advance(now);
    params_.keepalive_period = std::max(period, Duration::zero());
    // Silence longer than the new period: the ping is due now, not in the past.
    if (last_traffic_) last_traffic_ = std::max(*last_traffic_, now - params_.keepalive_period);
    return next_wakeup();
}

TimePoint ClientCore::next_wakeup() const {
    TimePoint next = TimePoint::max();
    for (const auto& [topic, t] : topics_)
        if (t.registered) next = std::min(next, t.expires);  // the state flips when it lapses
    switch (link_) {
        case Link::connecting: return std::min(next, connect_deadline_);
        case Link::waiting: return std::min(next, reconnect_at_);
        case Link::idle:
        case Link::offline: return next;
        case Link::connected: break;
    }
    for (const auto& [id, rq] : requests_) next = std::min(next, rq.deadline);
    for (const auto& [id, rq] : polls_) next = std::min(next, rq.deadline);
    // A due request waits for a free slot, which an answer or a timeout brings: no wake-up of its
    // own, or the driver would spin.
    if (requests_.size() < params_.max_in_flight)
        for (const auto& [topic, t] : topics_)
            if (t.pending_request == 0) next = std::min(next, t.next_attempt);
    if (polls_.size() < params_.max_polls_in_flight)
        for (const auto& [topic, t] : topics_)
            if (t.pending_poll == 0 && t.registered) next = std::min(next, t.next_poll);
    bool publish_slot = outbox_.in_flight() < params_.max_publish_in_flight;
    for (const auto& [key, e] : outbox_.entries()) {
        if (e.request_id != 0) next = std::min(next, e.deadline);
        else if (publish_slot) next = std::min(next, e.next_attempt);
    }
    if (params_.keepalive_period > Duration::zero()) {
        if (ping_nonce_ != 0) next = std::min(next, ping_deadline_);
        else if (last_traffic_) next = std::min(next, *last_traffic_ + params_.keepalive_period);
    }
    return next;
}

}  // namespace elmo
