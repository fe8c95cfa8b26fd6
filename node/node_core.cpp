#include "node/node_core.hpp"

#include <algorithm>
#include <cassert>

namespace elmo {

namespace {
// How long a copy of the overlay's neighbour list is used before asking the overlay again.
constexpr Duration neighbours_refresh = std::chrono::seconds(5);
}  // namespace

NodeCore::NodeCore(NodeCoreConfig config, DatagramPort& datagrams, OverlayPort& overlay,
                   ClientPort& clients)
    : config_(std::move(config)),
      datagrams_(datagrams),
      overlay_(overlay),
      clients_(clients),
      rng_(config_.seed),
      node_list_rng_(config_.seed ^ 0x6e6f64656c697374ull),
      mailbox_(config_.mailbox),
      hints_(config_.params.hint_radius, config_.params.hint_bits, config_.params.hint_hashes,
             config_.params.hint_merge_fanout, config_.params.hint_expiry),
      known_(config_.params.known_topics_max, config_.params.known_mailboxes_per_topic,
             config_.params.known_mailbox_ttl),
      arbiter_(config_.params.election_claim_window, config_.params.max_election_claims),
      gossip_bridge_(*this),
      gossip_(config_.id, gossip_bridge_, config_.gossip) {
    // Parameters are checked where they are parsed (CLI, config file); these are bugs.
    assert(config_.params.walk_ttl >= 1 &&
           static_cast<std::size_t>(config_.params.walk_ttl) <= wire::max_walk_ttl);
    assert(config_.params.hint_radius >= 0 && config_.params.hint_radius <= 8);
    assert(config_.params.subscribe_deadline > config_.params.request_timeout);
}

TimePoint NodeCore::on_start(TimePoint now) {
    // Spread periodic work so that nodes started together do not send in lockstep.
    auto jitter = [&](Duration period) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(period).count();
        return std::chrono::milliseconds(
            std::uniform_int_distribution<std::int64_t>(0, std::max<std::int64_t>(ms, 1) - 1)(rng_));
    };
    schedule(now + jitter(config_.params.hint_refresh), TimerKind::hint_refresh);
    schedule(now + jitter(config_.params.mailbox_ping_period), TimerKind::ping_round);
    return next_wakeup();
}

TimePoint NodeCore::next_wakeup() const {
    TimePoint t = timers_.empty() ? TimePoint::max() : timers_.top().when;
    t = std::min(t, gossip_.next_wakeup());
    if (!discovery_due_.empty()) t = std::min(t, discovery_due_.begin()->due);
    return std::min(t, mailbox_.next_wakeup());
}

void NodeCore::schedule(TimePoint when, TimerKind kind, std::uint64_t key) {
    timers_.push(Timer{when, timer_seq_++, kind, key});
}

void NodeCore::send(const Endpoint& to, const wire::Message& m) {
    Bytes bytes = wire::encode(m);
    ++stats_.datagrams_out;
    stats_.bytes_out += bytes.size();
    if (std::holds_alternative<wire::HintUpdate>(m)) {
        ++stats_.hints_sent;
        stats_.hint_bytes_out += bytes.size();
    }
    datagrams_.send(to, bytes);
}

void NodeCore::send_to_client(ClientHandle c, const wire::Message& m) {
    Bytes bytes = wire::encode(m);
    ++stats_.client_frames_out;
    clients_.send_to_client(c, bytes);
}

const std::vector<Neighbour>& NodeCore::neighbours(TimePoint now) {
    if (!neighbours_valid_ || now - neighbours_refreshed_ >= neighbours_refresh) {
        neighbours_ = overlay_.neighbours();
        std::erase_if(neighbours_, [&](const Neighbour& n) { return n.id == config_.id; });
        endpoint_to_id_.clear();
        std::set<NodeId> ids;
        for (const auto& n : neighbours_) {
            endpoint_to_id_[n.endpoint] = n.id;
            ids.insert(n.id);
        }
        hints_.retain(ids);  // hints of nodes that left the overlay are not merged any more
        neighbours_refreshed_ = now;
        neighbours_valid_ = true;
    }
    return neighbours_;
}

std::optional<NodeId> NodeCore::neighbour_id(const Endpoint& from, TimePoint now) {
    neighbours(now);
    auto it = endpoint_to_id_.find(from);
    if (it == endpoint_to_id_.end()) return std::nullopt;
    return it->second;
}

TimePoint NodeCore::on_datagram(TimePoint now, const Endpoint& from, ByteView datagram) {
    ++stats_.datagrams_in;
    stats_.bytes_in += datagram.size();
    auto decoded = wire::decode(datagram);
    if (!decoded.ok()) {
        ++stats_.decode_errors[static_cast<std::size_t>(decoded.error().code)];
        return next_wakeup();
    }
    if (mailbox_.state(now) != mailbox::MailboxState::inactive)
        mailbox_.note_message(now, datagram.size());
    gossip_bridge_.now_ = now;
    handle(now, from, *decoded);
    mirror_gossip_notices(now);
    mailbox_housekeeping(now);
    return next_wakeup();
}

void NodeCore::handle(TimePoint now, const Endpoint& from, const wire::Message& m) {
    std::visit(
        [&](const auto& msg) {
            using T = std::decay_t<decltype(msg)>;
            if constexpr (std::is_same_v<T, wire::Ping>) {
                send(from, wire::Pong{msg.nonce});
            } else if constexpr (std::is_same_v<T, wire::Pong>) {
                on_pong(from, msg);
            } else if constexpr (std::is_same_v<T, wire::HintUpdate>) {
                if (auto id = neighbour_id(from, now)) hints_.receive(*id, msg, now);
                else ++stats_.hints_from_strangers;
            } else if constexpr (std::is_same_v<T, wire::WalkStep>) {
                on_walk_step(now, from, msg);
            } else if constexpr (std::is_same_v<T, wire::WalkResult>) {
                on_walk_result(now, msg);
            } else if constexpr (std::is_same_v<T, wire::AdoptRequest>) {
                on_adopt_request(now, from, msg);
            } else if constexpr (std::is_same_v<T, wire::AdoptReply>) {
                on_adopt_reply(now, msg.request_id, msg);
            } else if constexpr (std::is_same_v<T, wire::ElectionClaim>) {
                on_election_claim(now, from, msg);
            } else if constexpr (std::is_same_v<T, wire::ElectionVerdict>) {
                on_election_verdict(now, msg);
            } else if constexpr (std::is_same_v<T, wire::RegisterRequest>) {
                on_register_request(now, from, msg);
            } else if constexpr (std::is_same_v<T, wire::RegisterBeyondTopicBudget>) {
                send(from, register_locally(now, from, msg, true));
            } else if constexpr (std::is_same_v<T, wire::RegisterReply>) {
                on_register_reply(now, msg.request_id, msg);
            } else if constexpr (std::is_same_v<T, wire::TopicEvaporated>) {
                on_topic_evaporated(now, from, msg);
            } else if constexpr (std::is_same_v<T, wire::EventPush>) {
                // A hand-off from an evaporating mailbox; the id was checked by the decoder.
                // Stored like a late hand-in: pushed to clients that lack it, spread lazily.
                if (store_locally(now, msg.event, true, false) == wire::StoreStatus::stored)
                    ++stats_.events_received;
                else
                    ++stats_.events_not_stored;
            } else if constexpr (std::is_same_v<T, wire::StoreRequest>) {
                on_store_request(now, from, msg);
            } else if constexpr (std::is_same_v<T, wire::StoreReply>) {
                on_store_reply(now, msg.request_id, msg);
            } else if constexpr (std::is_same_v<T, wire::PollRequest>) {
                send(from, poll_locally(now, msg));
            } else if constexpr (std::is_same_v<T, wire::PollReply>) {
                on_poll_reply(now, msg.request_id, msg);
            } else if constexpr (std::is_same_v<T, wire::ClientPush>) {
                on_client_push(now, msg);
            } else if constexpr (std::is_same_v<T, wire::MailboxIntro>) {
                on_mailbox_intro(now, msg);
            } else if constexpr (wire::is_gossip_message_v<T>) {
                gossip_.on_message(now, from, wire::GossipMessage{msg});
            } else {
                ++stats_.unexpected_messages;  // client messages do not come by datagram
            }
        },
        m);
}

TimePoint NodeCore::on_timer(TimePoint now) {
    while (!timers_.empty() && timers_.top().when <= now) {
        Timer t = timers_.top();
        timers_.pop();
        switch (t.kind) {
            case TimerKind::hint_refresh:
                send_hints(now);
                schedule(now + config_.params.hint_refresh, TimerKind::hint_refresh);
                break;
            case TimerKind::hint_send:
                hint_send_scheduled_ = false;
                send_hints(now);
                break;
            case TimerKind::lookup_deadline: {
                // key indexes nothing: lookups are checked by their own deadlines.
                std::vector<std::string> due;
                for (auto& [topic, l] : lookups_)
                    if (l.deadline <= now) due.push_back(topic);
                for (auto& topic : due) on_lookup_deadline(now, topic);
                break;
            }
            case TimerKind::request_timeout: on_request_timeout(now, t.key); break;
            case TimerKind::sub_deadline: on_sub_deadline(now, t.key); break;
            case TimerKind::directory_refresh: directory_refresh(now); break;
            case TimerKind::ping_round:
                ping_round(now);
                schedule(now + config_.params.mailbox_ping_period, TimerKind::ping_round);
                break;
        }
    }
    gossip_bridge_.now_ = now;
    if (gossip_.next_wakeup() <= now) gossip_.on_timer(now);
    run_discovery(now);
    mirror_gossip_notices(now);
    mailbox_housekeeping(now);
    return next_wakeup();
}

bool NodeCore::recruiting(TimePoint now) const {
    return mailbox_.state(now) == mailbox::MailboxState::recruiting &&
           mailbox_.load(now).registrations < config_.params.recruit_max_registrations;
}

bool NodeCore::room_for_topics(TimePoint now) const {
    return mailbox_.state(now) != mailbox::MailboxState::full;
}

void NodeCore::send_hints(TimePoint now) {
    hints_.expire(now);
    if (!config_.params.use_hints) return;  // the blind baseline sends none
    advertised_topics_ = mailbox_.topics();
    auto hint = hints_.advertise(advertised_topics_, recruiting(now), config_.id, ++hint_seq_,
                                 config_.params.hint_expiry, now);
    wire::Message m{std::move(hint)};
    for (const auto& n : neighbours(now)) send(n.endpoint, m);
    last_hint_sent_ = now;
}

void NodeCore::topics_changed(TimePoint now) {
    if (mailbox_.topics() == advertised_topics_ || hint_send_scheduled_) return;
    TimePoint at = std::max(now, last_hint_sent_ + config_.params.hint_min_interval);
    schedule(at, TimerKind::hint_send);
    hint_send_scheduled_ = true;
}

void NodeCore::mailbox_housekeeping(TimePoint now) {
    if (mailbox_.next_wakeup() > now) return;
    mailbox_.expire(now);
    topics_gone(now, mailbox_.evaporate_idle(now));
}

TimePoint NodeCore::topics_restored(TimePoint now, std::optional<std::int64_t> stopped_unix_ms) {
    const auto topics = mailbox_.topics();
    for (const auto& topic : topics) {
        // The restored links are learned, so topic_adopted joins them at once: a peer that sees
        // a linked mailbox join afresh digests to it within first_digest (docs/gossip.md,
        // "After a restart"), so what was published while this node was down comes in seconds.
        for (const auto& l : mailbox_.links(topic))
            known_.learn(topic, wire::NodeAddr::from(l.id, l.endpoint), now);
        topic_adopted(now, topic);
        // The restored history goes into the digests: an event this node stored just before it
        // died may be on no other mailbox (its forwards died with it), and only the digests
        // would ever offer it; the peers dedup what they have (ElmodHeavy, docs/daemon.md). The
        // newest only, as many as the seen set holds.
        const auto ids = mailbox_.ids(topic);
        const std::size_t held = std::min(ids.size(), gossip_.params().seen_capacity);
        for (std::size_t i = ids.size() - held; i < ids.size(); ++i)
            gossip_.note_held(now, topic, ids[i]);
    }
    // Then, every topic linked, the newest events again to the restored registrations
    // (NodeParams::restart_repush_events): their pushes may have died with the process. Only
    // events published in the last restart_repush_window before the node stopped (when known):
    // an idle topic's hours-old events are no news to anyone.
    const std::int64_t window_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(config_.params.restart_repush_window)
            .count();
    for (const auto& topic : topics) {
        const auto ids = mailbox_.ids(topic);
        const std::size_t n = std::min(ids.size(), config_.params.restart_repush_events);
        for (std::size_t i = ids.size() - n; i < ids.size(); ++i) {
            auto e = mailbox_.find_event(topic, ids[i]);
            if (!e || (stopped_unix_ms && e->timestamp_ms < *stopped_unix_ms - window_ms)) continue;
            push_to_clients(now, *e);
            ++stats_.restart_repushes;
        }
    }
    return next_wakeup();
}

TimePoint NodeCore::shut_down(TimePoint now) {
    std::vector<mailbox::Evaporation> gone;
    for (const auto& topic : mailbox_.topics())
        if (auto e = mailbox_.evaporate(topic, now)) gone.push_back(std::move(*e));
    topics_gone(now, gone);
    return next_wakeup();
}

void NodeCore::topics_gone(TimePoint now, const std::vector<mailbox::Evaporation>& gone) {
    for (const auto& e : gone) {
        replica_next_slot_.erase(e.topic);
        // GossipLeave unlinks the topic's peers at once (TopicEvaporated tells their homes).
        gossip_.remove_topic(now, e.topic, true);
        wire::TopicEvaporated notice;
        notice.topic = e.topic;
        // Successors: linked mailboxes, then other mailboxes of the topic this node knows.
        auto add = [&](const wire::NodeAddr& a) {
            if (a.id == config_.id || notice.successors.size() >= wire::max_mailboxes_listed) return;
            for (const auto& s : notice.successors)
                if (s.id == a.id) return;
            notice.successors.push_back(a);
        };
        for (const auto& l : e.links) add(wire::NodeAddr::from(l.id, l.endpoint));
        for (const auto& k : known_.get(e.topic, now)) add(k);
        // Hand the unexpired history to the first successor, one event per datagram (the history
        // is bounded by count and bytes). Lost datagrams lose events here until the gossip
        // digests of issue 8 repair them.
        if (!notice.successors.empty()) {
            Endpoint heir = notice.successors.front().endpoint.to_endpoint();
            for (const auto& ev : e.events) send(heir, wire::EventPush{ev});
            stats_.events_handed_off += e.events.size();
        }
        std::set<Endpoint> told;
        auto tell = [&](const Endpoint& to) {
            if (!told.insert(to).second) return;
            if (to == config_.endpoint) on_topic_evaporated(now, to, notice);  // our own clients
            else send(to, notice);
        };
        for (const auto& c : e.clients) tell(c.home);
        for (const auto& l : e.links) tell(l.endpoint);
    }
    if (!gone.empty()) topics_changed(now);
}

}  // namespace elmo
