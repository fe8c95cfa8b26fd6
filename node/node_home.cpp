// This node as the home node of its clients: sessions, subscriptions and registrations made on
// their behalf, and the liveness of the mailboxes they are registered with (DESIGN 2.5).
#include <algorithm>

#include "node/node_core.hpp"

namespace elmo {

TimePoint NodeCore::on_client_connected(TimePoint now, ClientHandle client) {
    if (sessions_.size() >= config_.params.max_clients) {
        ++stats_.clients_refused;
        clients_.close_client(client);
        return next_wakeup();
    }
    sessions_[client];
    ++stats_.clients_connected;
    (void)now;
    return next_wakeup();
}

TimePoint NodeCore::on_client_disconnected(TimePoint now, ClientHandle client) {
    auto it = sessions_.find(client);
    if (it == sessions_.end()) return next_wakeup();
    auto registrations = it->second.registrations;  // drop_registration edits the set
    for (const auto& [topic, mailbox] : registrations) drop_registration(client, topic, mailbox);
    if (auto b = by_client_id_.find(it->second.client_id); b != by_client_id_.end()) {
        b->second.erase(client);
        if (b->second.empty()) by_client_id_.erase(b);
    }
    sessions_.erase(client);
    // Subscriptions in flight for this client complete into nothing (dropped). Publications go
    // on: the event is in hand, and a phone that published and lost its connection a moment
    // later (back offline, for good) would otherwise lose it although its home had it (1,500
    // nodes: the hottest topic's event, 3 s at the home, the phone gone 3 s after). Their
    // result goes nowhere; the client's retry, if it comes back, is answered by the mailbox's
    // dedup (or joins the one still in flight).
    std::erase_if(subs_, [&](const auto& kv) {
        return kv.second.client == client && !kv.second.event;
    });
    return on_timer(now);
}

TimePoint NodeCore::on_client_frame(TimePoint now, ClientHandle client, ByteView frame) {
    ++stats_.client_frames_in;
    auto s = sessions_.find(client);
    auto decoded = wire::decode(frame);
    if (s == sessions_.end() || !decoded.ok()) {
        // A client connection with bad bytes is answered by closing it.
        if (!decoded.ok()) ++stats_.decode_errors[static_cast<std::size_t>(decoded.error().code)];
        clients_.close_client(client);
        return next_wakeup();
    }
    std::visit(
        [&](const auto& msg) {
            using T = std::decay_t<decltype(msg)>;
            if constexpr (std::is_same_v<T, wire::ClientHello>) {
                if (auto b = by_client_id_.find(s->second.client_id); b != by_client_id_.end()) {
                    b->second.erase(client);
                    if (b->second.empty()) by_client_id_.erase(b);
                }
                s->second.client_id = msg.client_id;
                if (!msg.client_id.empty()) by_client_id_[msg.client_id].insert(client);
                send_to_client(client, wire::NodeList{nodes_for_client(now)});
            } else if constexpr (std::is_same_v<T, wire::Subscribe>) {
                on_subscribe(now, client, msg);
            } else if constexpr (std::is_same_v<T, wire::Unsubscribe>) {
                on_unsubscribe(now, client, msg);
            } else if constexpr (std::is_same_v<T, wire::Ping>) {
                send_to_client(client, wire::Pong{msg.nonce});
            } else if constexpr (std::is_same_v<T, wire::Publish>) {
                on_publish(now, client, msg);
            } else if constexpr (std::is_same_v<T, wire::Poll>) {
                on_poll(now, client, msg);
            } else {
                ++stats_.unexpected_messages;
            }
        },
        *decoded);
    mailbox_housekeeping(now);
    return next_wakeup();
}

// A few live neighbours, drawn at random so that a home's clients spread their failovers.
std::vector<wire::NodeAddr> NodeCore::nodes_for_client(TimePoint now) {
    std::vector<wire::NodeAddr> pool;
    for (const auto& n : neighbours(now))
        if (!suspected(n.id, now)) pool.push_back(wire::NodeAddr::from(n.id, n.endpoint));
    const std::size_t k = std::min(pool.size(), config_.params.nodes_for_clients);
    for (std::size_t i = 0; i < k; ++i)
        std::swap(pool[i], pool[i + static_cast<std::size_t>(node_list_rng_() % (pool.size() - i))]);
    pool.resize(k);
    return pool;
}

void NodeCore::on_subscribe(TimePoint now, ClientHandle c, const wire::Subscribe& s) {
    ++stats_.subscribe_requests;
    if (!wire::valid_topic(s.topic) || sessions_[c].client_id.empty()) {
        send_to_client(c, wire::SubscribeResult{s.request_id, s.topic,
                                                wire::SubscribeStatus::failed, self_addr(), 0, {}});
        return;
    }
    // A repeat of a subscription still in progress (the client timed out and asked again) joins
    // it: answering twice could register the client at two mailboxes.
    std::size_t pending = 0;
    for (auto& [id, p] : subs_) {
        if (p.client != c || p.event) continue;  // publications are counted on their own
        if (p.topic == s.topic) {
            p.client_request = s.request_id;
            return;
        }
        ++pending;
    }
    if (pending >= max_pending_per_client) {
        ++stats_.subscribe_refused_busy;
        send_to_client(c, wire::SubscribeResult{s.request_id, s.topic,
                                                wire::SubscribeStatus::failed, self_addr(), 0, {}});
        return;
    }
    std::uint64_t sub_id = fresh_id();
    PendingSub& sub = subs_[sub_id];
    sub.client = c;
    sub.client_request = s.request_id;
    sub.topic = s.topic;
    // Answer before the client gives up (its request timeout is longer): a late success would be
    // ignored by the client and leave a registration nobody renews.
    schedule(now + config_.params.subscribe_deadline, TimerKind::sub_deadline, sub_id);
    // The client's own mailboxes first (a renewal), at most a few: each dead one costs a
    // request timeout. Then what this node knows.
    sub.candidates = initial_candidates(now, s.topic, s.preferred);
    for (std::size_t i = 0; i < std::min(s.preferred.size(), config_.params.max_preferred); ++i)
        sub.own.insert(s.preferred[i].id);
    try_next_candidate(now, sub_id);
}

// Where a subscription or publication tries first: the client's own mailboxes, at most a few
// (each dead one costs a request timeout); this node if it holds the topic; then the mailboxes
// this node knows, shuffled to spread load over the topic's mailboxes.
std::vector<wire::NodeAddr> NodeCore::initial_candidates(TimePoint now, const std::string& topic,
                                                         const std::vector<wire::NodeAddr>& preferred) {
    std::vector<wire::NodeAddr> out(
        preferred.begin(),
        preferred.begin() + static_cast<long>(std::min(preferred.size(), config_.params.max_preferred)));
    if (mailbox_.holds(topic)) out.push_back(self_addr());
    auto known = known_.get(topic, now);
    std::shuffle(known.begin(), known.end(), rng_);
    out.insert(out.end(), known.begin(), known.end());
    return out;
}

void NodeCore::on_unsubscribe(TimePoint now, ClientHandle c, const wire::Unsubscribe& u) {
    auto s = sessions_.find(c);
    if (s == sessions_.end()) return;
    for (const auto& m : u.mailboxes) {
        drop_registration(c, u.topic, m.id);
        if (m.id == config_.id) mailbox_.unregister_client(u.topic, s->second.client_id, now);
        // Remote registrations lapse on their own (no renewal); no message needed.
    }
}

void NodeCore::try_next_candidate(TimePoint now, std::uint64_t sub_id) {
    auto it = subs_.find(sub_id);
    if (it == subs_.end()) return;
    PendingSub& sub = it->second;
    while (!sub.candidates.empty()) {
        wire::NodeAddr target = sub.candidates.front();
        sub.candidates.erase(sub.candidates.begin());
        if (!sub.tried.insert(target.id).second) continue;
        if (target.id != config_.id && suspected(target.id, now)) {
            report_unreachable(sub.client, sub.topic, target);
            continue;
        }
        if (!sub.event && !sub.beyond_topic_budget && !sub.own.contains(target.id) &&
            known_full(sub.topic, target.id, now)) {
            ++stats_.registrations_skipped_full;
            met_full(sub, target);
            continue;
        }
        if (sub.event) {
            send_store(now, sub_id, target);
            return;
        }
        Bytes client_id = sessions_[sub.client].client_id;
        wire::RegisterRequest rq{fresh_id(), sub.topic, client_id};
        if (target.id == config_.id) {
            auto reply = register_locally(now, config_.endpoint, rq, sub.beyond_topic_budget);
            requests_[rq.request_id] = Request{RequestKind::register_client, sub_id, {}, target};
            on_register_reply(now, rq.request_id, reply);
            return;
        }
        requests_[rq.request_id] = Request{RequestKind::register_client, sub_id, {}, target};
        schedule(now + config_.params.request_timeout, TimerKind::request_timeout, rq.request_id);
        if (sub.beyond_topic_budget)
            send(target.endpoint.to_endpoint(),
                 wire::RegisterBeyondTopicBudget{rq});
        else
            send(target.endpoint.to_endpoint(), rq);
        return;
    }
    // Every lookup is spent and the mailboxes that refused were full: the topic could get no
    // other mailbox (in a small cluster every node may hold it already), so they are asked once
    // more to take the client beyond their per-topic budget.
    if (sub.lookups >= 3 && !sub.event && !sub.hand_in && !sub.beyond_topic_budget && !sub.refused_full.empty()) {
        sub.beyond_topic_budget = true;
        ++stats_.registrations_beyond_topic_budget;
        for (const auto& m : sub.refused_full) {
            sub.tried.erase(m.id);
            sub.candidates.push_back(m);
        }
        try_next_candidate(now, sub_id);
        return;
    }
    // Nothing left to try: look the topic up, up to three times, then give up (the client
    // retries later). A hand-in goes to the mailbox that asked for it or nowhere.
    //  1. walks and the directory (beside them by default; else if they find no live mailbox);
    //  2. once mailboxes tried failed (dead: stale hints or caches) or refused (full): the
    //     directory at once, beside the walks; it names every mailbox of the topic, the walks a
    //     few, and a hot topic's other mailboxes may have room (electing one more instead made
    //     a mailbox without the topic's history: its subscribers back from offline missed it);
    //  3. if one refused, one more mailbox elected; else as the second.
    if (sub.lookups < 3 && !sub.hand_in) {
        const bool elect = sub.lookups == 2 && sub.refused;
        const bool ask_directory = !elect && !sub.tried.empty();
        if (lookups_.size() >= max_lookups && !lookups_.contains(sub.topic)) {
            ++stats_.lookups_refused_busy;
            fail_sub(sub_id);
            return;
        }
        ++sub.lookups;
        start_lookup(now, sub.topic, sub_id, elect, ask_directory);
        return;
    }
    fail_sub(sub_id);
}

void NodeCore::on_register_reply(TimePoint now, std::uint64_t request_id,
                                 const wire::RegisterReply& r) {
    auto rq = requests_.find(request_id);
    if (rq == requests_.end() || rq->second.kind != RequestKind::register_client) {
        ++stats_.unexpected_messages;
        return;
    }
    Request req = rq->second;
    requests_.erase(rq);
    for (const auto& o : r.other_mailboxes) known_.learn(r.topic, o, now);
    switch (r.status) {
        case wire::RegisterStatus::registered:
        case wire::RegisterStatus::renewed:
            ++stats_.registrations_ok;
            known_.learn(r.topic, req.target, now);
            maybe_intro(now, r.topic, req.target, r.other_mailboxes);
            complete_sub(now, req.sub, req.target, r.lifetime_s, r.other_mailboxes);
            return;
        case wire::RegisterStatus::refused_full:
            ++stats_.registrations_refused;
            remember_full(r.topic, req.target.id, now);
            break;
        case wire::RegisterStatus::not_held:
            ++stats_.registrations_refused;
            known_.forget(r.topic, req.target.id);
            break;
    }
    auto s = subs_.find(req.sub);
    if (s != subs_.end()) {
        s->second.refused = true;
        for (const auto& o : r.other_mailboxes)
            if (!s->second.tried.contains(o.id)) s->second.candidates.push_back(o);
        if (r.status == wire::RegisterStatus::refused_full) met_full(s->second, req.target);
    }
    try_next_candidate(now, req.sub);
}

void NodeCore::on_request_timeout(TimePoint now, std::uint64_t request_id) {
    auto rq = requests_.find(request_id);
    if (rq == requests_.end()) return;  // answered in time
    Request req = rq->second;
    requests_.erase(rq);
    // One lost datagram must not move a client off a live mailbox: a mailbox this home pings
    // and that answered its last ping is not reported on one timeout (its pings decide).
    const auto w = watched_.find(req.target.id);
    const bool report = suspected(req.target.id, now) || w == watched_.end() || w->second.misses > 0;
    suspect(req.target.id, now);
    if (req.kind == RequestKind::adopt || req.kind == RequestKind::claim) {
        ++(req.kind == RequestKind::claim ? stats_.election_claim_timeouts : stats_.adopt_timeouts);
        on_adopt_timeout(now, req, request_id);  // a claim: our own candidate is adopted
        return;
    }
    if (req.kind == RequestKind::poll) {
        if (report) report_unreachable(req.client, req.topic, req.target);
        on_poll_timeout(req);
        return;
    }
    if (req.kind == RequestKind::store) ++stats_.store_timeouts;
    else ++stats_.registration_timeouts;
    auto s = subs_.find(req.sub);
    if (s != subs_.end()) {
        known_.forget(s->second.topic, req.target.id);
        if (report) report_unreachable(s->second.client, s->second.topic, req.target);
    }
    try_next_candidate(now, req.sub);
}

void NodeCore::complete_sub(TimePoint now, std::uint64_t sub_id, const wire::NodeAddr& mailbox,
                            std::uint32_t lifetime_s, std::vector<wire::NodeAddr> others) {
    (void)now;
    auto it = subs_.find(sub_id);
    if (it == subs_.end()) return;
    PendingSub sub = std::move(it->second);
    subs_.erase(it);
    std::erase_if(others, [&](const wire::NodeAddr& o) { return o.id == mailbox.id; });
    if (others.size() > wire::max_mailboxes_listed) others.resize(wire::max_mailboxes_listed);
    auto s = sessions_.find(sub.client);
    if (s == sessions_.end()) return;
    // One registration per (client, topic) as far as this home is concerned: a renewal that
    // landed on another mailbox replaces the old one (which lapses on its own).
    std::vector<NodeId> old;
    for (const auto& [topic, m] : s->second.registrations)
        if (topic == sub.topic && m != mailbox.id) old.push_back(m);
    for (const auto& m : old) drop_registration(sub.client, sub.topic, m);
    s->second.registrations.insert({sub.topic, mailbox.id});
    if (mailbox.id != config_.id) watch(mailbox, sub.client, sub.topic);
    send_to_client(sub.client,
                   wire::SubscribeResult{sub.client_request, sub.topic,
                                         wire::SubscribeStatus::registered, mailbox, lifetime_s,
                                         std::move(others)});
}

// A publication still looking for a mailbox at the deadline is answered `failed` (the phone
// retries) but kept, once, for publication_grace more: the phone may leave at any moment, and
// then the home holds the only copy. After every mailbox of a topic died the election of a new
// one took 46 s (1,500 nodes, seed 2): topic-2's publication made 10 s after the crash was
// dropped at 12 s, its phone offline since 0.5 s after its retry, back 21 minutes later; keeping
// only publications whose phone had already gone, topic-4's was dropped at 12 s, its phone
// offline 0.1 s later for good.
void NodeCore::on_sub_deadline(TimePoint now, std::uint64_t sub_id) {
    auto it = subs_.find(sub_id);
    if (it == subs_.end()) return;
    PendingSub& p = it->second;
    if (!p.overdue) ++stats_.subscribe_deadline_missed;  // once, not again when the grace ends
    if (p.event && !p.hand_in && !p.overdue) {
        p.overdue = true;
        ++stats_.publications_kept;
        if (sessions_.contains(p.client))
            send_to_client(p.client, wire::PublishResult{p.client_request, p.event->id,
                                                         wire::PublishStatus::failed, self_addr(),
                                                         {}});
        schedule(now + config_.params.publication_grace, TimerKind::sub_deadline, sub_id);
        return;
    }
    fail_sub(sub_id);
}

void NodeCore::fail_sub(std::uint64_t sub_id) {
    auto it = subs_.find(sub_id);
    if (it == subs_.end()) return;
    if (it->second.event) {
        ++stats_.publications_failed;
        // An overdue publication's client was told `failed` when it became overdue (or when
        // its retry joined it): not twice for one request.
        if (!it->second.overdue && sessions_.contains(it->second.client))
            send_to_client(it->second.client,
                           wire::PublishResult{it->second.client_request, it->second.event->id,
                                               wire::PublishStatus::failed, self_addr(), {}});
        subs_.erase(it);
        return;
    }
    ++stats_.subscriptions_failed;
    send_to_client(it->second.client,
                   wire::SubscribeResult{it->second.client_request, it->second.topic,
                                         wire::SubscribeStatus::failed, self_addr(), 0, {}});
    subs_.erase(it);
}

void NodeCore::drop_registration(ClientHandle c, const std::string& topic, const NodeId& mailbox) {
    auto s = sessions_.find(c);
    if (s != sessions_.end()) s->second.registrations.erase({topic, mailbox});
    auto w = watched_.find(mailbox);
    if (w == watched_.end()) return;
    w->second.users.erase({c, topic});
    if (w->second.users.empty()) watched_.erase(w);
}

// A mailbox that let this home's request time out (or that it already suspects) is reported to
// the client that named it, as a dead one found by pings is: the client forgets it and stops
// naming it. Without this a phone whose home died with its mailboxes (so no MailboxLost came)
// named the same four dead mailboxes in every Subscribe and Publish; its new home spent its 12 s
// deadline on them (3 s each), never reached its own lookup, and forgot its suspicion after 60 s,
// before the next retry (1,500 nodes, every mailbox crashed, seed 2: subscribers of topic-2
// unregistered for up to 18 minutes; the poll of the dead mailbox said only `unreachable`).
void NodeCore::report_unreachable(ClientHandle c, const std::string& topic,
                                  const wire::NodeAddr& mailbox) {
    if (mailbox.id == config_.id || !sessions_.contains(c)) return;
    drop_registration(c, topic, mailbox.id);
    ++stats_.mailbox_lost_notices;
    ++stats_.unreachable_notices;
    send_to_client(c, wire::MailboxLost{topic, mailbox, {}});
}

void NodeCore::watch(const wire::NodeAddr& mailbox, ClientHandle c, const std::string& topic) {
    Watched& w = watched_[mailbox.id];
    w.endpoint = mailbox.endpoint.to_endpoint();
    w.users.insert({c, topic});
}

// Every period, each watched mailbox gets one ping; `mailbox_ping_misses` rounds in a row without
// a pong declare it gone. One ping per mailbox, however many clients use it.
void NodeCore::ping_round(TimePoint now) {
    std::vector<NodeId> dead;
    for (auto& [id, w] : watched_) {
        if (w.awaiting && ++w.misses >= config_.params.mailbox_ping_misses) {
            dead.push_back(id);
            continue;
        }
        w.awaiting = true;
        w.nonce = fresh_id();
        send(w.endpoint, wire::Ping{w.nonce});
    }
    for (const auto& id : dead) {
        ++stats_.mailboxes_lost;
        suspect(id, now);
        mailbox_gone(now, id, nullptr, {});
    }
}

void NodeCore::suspect(const NodeId& node, TimePoint now) {
    if (node == config_.id) return;
    known_.forget_node(node);  // dead for every topic, not only the one asked about
    if (suspects_.size() >= config_.params.known_topics_max)
        std::erase_if(suspects_, [&](const auto& kv) { return kv.second <= now; });
    if (suspects_.size() >= config_.params.known_topics_max) return;  // full of fresh ones
    suspects_[node] = now + config_.params.suspect_period;
}

void NodeCore::remember_full(const std::string& topic, const NodeId& mailbox, TimePoint now) {
    if (full_until_.size() >= config_.params.full_memory_max)
        std::erase_if(full_until_, [&](const auto& kv) { return kv.second <= now; });
    if (full_until_.size() >= config_.params.full_memory_max) {
        full_until_.erase(full_until_.begin());  // in key order: deterministic
        ++stats_.full_memory_dropped;
    }
    full_until_[{topic, mailbox}] = now + config_.params.full_memory;
}

bool NodeCore::known_full(const std::string& topic, const NodeId& mailbox, TimePoint now) const {
    auto it = full_until_.find({topic, mailbox});
    return it != full_until_.end() && it->second > now;
}

void NodeCore::met_full(PendingSub& sub, const wire::NodeAddr& mailbox) {
    sub.refused = true;
    sub.refused_full.push_back(mailbox);
    if (sub.refused_full.size() < config_.params.full_refusals_before_new_mailbox) return;
    // The topic's mailboxes are full, likely all of them: one more mailbox (the lookup that
    // elects one, try_next_candidate) rather than asking each of the others in turn.
    sub.candidates.clear();
    sub.lookups = std::max(sub.lookups, 2);
}

bool NodeCore::suspected(const NodeId& node, TimePoint now) const {
    auto it = suspects_.find(node);
    return it != suspects_.end() && it->second > now;
}

void NodeCore::on_pong(const Endpoint& from, const wire::Pong& p) {
    for (auto& [id, w] : watched_) {
        if (w.endpoint == from && w.awaiting && w.nonce == p.nonce) {
            w.awaiting = false;
            w.misses = 0;
            return;
        }
    }
}

// A mailbox is gone for one topic (evaporated) or for all (dead): tell the clients registered
// there, so they register elsewhere.
void NodeCore::mailbox_gone(TimePoint now, const NodeId& mailbox, const std::string* only_topic,
                            const std::vector<wire::NodeAddr>& successors) {
    (void)now;
    auto w = watched_.find(mailbox);
    std::vector<std::pair<ClientHandle, std::string>> users;
    if (w != watched_.end()) users.assign(w->second.users.begin(), w->second.users.end());
    else if (mailbox == config_.id)
        for (const auto& [c, s] : sessions_)
            for (const auto& [topic, m] : s.registrations)
                if (m == mailbox) users.push_back({c, topic});
    wire::NodeAddr addr;
    addr.id = mailbox;
    if (w != watched_.end()) addr.endpoint = wire::WireEndpoint::from(w->second.endpoint);
    else addr = self_addr();
    for (const auto& [c, topic] : users) {
        if (only_topic && topic != *only_topic) continue;
        auto s = sessions_.find(c);
        if (s != sessions_.end()) s->second.registrations.erase({topic, mailbox});
        if (w != watched_.end()) w->second.users.erase({c, topic});
        ++stats_.mailbox_lost_notices;
        send_to_client(c, wire::MailboxLost{topic, addr, successors});
    }
    if (w != watched_.end() && (!only_topic || w->second.users.empty())) watched_.erase(w);
}

}  // namespace elmo
