// Dissemination (DESIGN 2.4-2.6): publications stored at a mailbox through the home node, pushes
// from mailboxes to registered clients through their home nodes, polls, and the links between
// the mailboxes of a topic (the gossip engine's tree, fed by intros and discovery walks).
#include <algorithm>

#include "node/node_core.hpp"

namespace elmo {

// ---------------- the gossip engine's port ----------------

void NodeCore::GossipBridge::send(const Endpoint& to, const wire::GossipMessage& message) {
    std::visit([&](const auto& m) { core_.send(to, wire::Message{m}); }, message);
}

gossip::Delivery NodeCore::GossipBridge::deliver(const wire::Event& event, std::uint16_t hops) {
    switch (core_.mailbox_.store_event(event, now_)) {
        case mailbox::StoreResult::stored:
            ++core_.stats_.events_from_gossip;
            core_.stats_.gossip_hops_sum += hops;
            core_.stats_.events_from_gossip_far += hops >= 4;
            core_.push_to_clients(now_, event);
            return gossip::Delivery::stored;
        case mailbox::StoreResult::duplicate:
            return gossip::Delivery::duplicate;
        default:
            return gossip::Delivery::rejected;
    }
}

std::optional<wire::Event> NodeCore::GossipBridge::find_event(const std::string& topic,
                                                              const wire::EventId& id) {
    return core_.mailbox_.find_event(topic, id);
}

// ---------------- mailbox side ----------------

wire::StoreStatus NodeCore::store_locally(TimePoint now, const wire::Event& event, bool late,
                                          bool from_client) {
    if (!mailbox_.holds(event.topic)) return wire::StoreStatus::not_held;
    gossip_bridge_.now_ = now;
    switch (mailbox_.store_event(event, now)) {
        case mailbox::StoreResult::stored:
            ++stats_.events_stored;
            // A fresh publication only: a late hand-in is mostly a copy that subscribers carry
            // to a new mailbox (hundreds at once after a crash), which would push unique
            // events out of the topic's replica ring.
            if (from_client && !late) replicate_event(event);
            push_to_clients(now, event);
            gossip_.publish(now, event, late);
            mirror_gossip_notices(now);
            return wire::StoreStatus::stored;
        case mailbox::StoreResult::duplicate:
            return wire::StoreStatus::duplicate;
        case mailbox::StoreResult::not_held:
            return wire::StoreStatus::not_held;
        default:
            return wire::StoreStatus::refused;  // expired, too large, over the byte budget
    }
}

// One ClientPush per home node, naming its registered clients: a popular topic's event costs
// one datagram per home, not per client.
void NodeCore::push_to_clients(TimePoint now, const wire::Event& event) {
    std::map<Endpoint, std::vector<Bytes>> by_home;
    for (const auto& c : mailbox_.clients(event.topic)) by_home[c.home].push_back(c.client);
    for (auto& [home, ids] : by_home) {
        for (std::size_t i = 0; i < ids.size(); i += wire::max_push_clients) {
            wire::ClientPush push;
            push.mailbox = self_addr();
            push.client_ids.assign(
                ids.begin() + static_cast<long>(i),
                ids.begin() + static_cast<long>(std::min(ids.size(), i + wire::max_push_clients)));
            push.event = event;
            ++stats_.push_messages;
            if (home == config_.endpoint)
                on_client_push(now, push);
            else
                send(home, push);
        }
    }
}

void NodeCore::on_store_request(TimePoint now, const Endpoint& from, const wire::StoreRequest& r) {
    wire::StoreReply reply{r.request_id, r.event.id, store_locally(now, r.event, r.late, true), {}};
    if (reply.status != wire::StoreStatus::not_held)
        reply.other_mailboxes = other_mailboxes(r.event.topic, now);
    send(from, reply);
}

wire::PollReply NodeCore::poll_locally(TimePoint now, const wire::PollRequest& r) {
    wire::PollReply reply;
    reply.request_id = r.request_id;
    reply.topic = r.topic;
    if (!mailbox_.holds(r.topic)) {
        reply.status = wire::PollStatus::not_held;
        return reply;
    }
    ++stats_.polls_served;
    mailbox_.note_poll(r.topic, now);
    // Oldest first, within one datagram; the client polls again from `cursor` when `more`.
    auto page = mailbox_.poll_page(r.topic, r.cursor, r.since_ms, r.known,
                                   wire::max_events_per_message, wire::max_events_bytes);
    reply.events = std::move(page.events);
    reply.more = page.more;
    reply.cursor = page.cursor;
    if (page.more) ++stats_.poll_replies_truncated;
    stats_.poll_events_sent += reply.events.size();
    reply.wanted = mailbox_.wanted(r.topic, r.known, now);
    if (reply.wanted.size() > wire::max_poll_ids) reply.wanted.resize(wire::max_poll_ids);
    reply.other_mailboxes = other_mailboxes(r.topic, now);
    // One datagram, and one client frame after the home adds a few bytes: a full page of events
    // (max_events_bytes) plus a long `wanted` list (a new mailbox lacks all of the 1,024 ids a
    // client offers: 35 KB) did not fit, was dropped as undecodable, and the client saw its
    // poll fail again and again (hottest topic after every mailbox crashed, 1,500 nodes). The
    // list shrinks until it fits; what it leaves out is asked for at the next poll.
    while (!reply.wanted.empty() && wire::encode(wire::Message{reply}).size() +
                                            poll_result_overhead >
                                        wire::limits::max_datagram_bytes) {
        reply.wanted.resize(reply.wanted.size() / 2);
        ++stats_.poll_wanted_trimmed;
    }
    return reply;
}

void NodeCore::on_mailbox_intro(TimePoint now, const wire::MailboxIntro& intro) {
    if (!mailbox_.holds(intro.topic)) {
        ++stats_.unexpected_messages;  // evaporated meanwhile: the sender learns from a poll
        return;
    }
    for (const auto& m : intro.mailboxes) link_peer(now, intro.topic, m);
}

void NodeCore::link_peer(TimePoint now, const std::string& topic, const wire::NodeAddr& peer) {
    if (peer.id == config_.id || !mailbox_.holds(topic)) return;
    if (gossip_.add_peer(now, topic, peer) == gossip::PeerResult::added) {
        ++stats_.links_made;
        mailbox_.link(topic, mailbox::MailboxRef{peer.id, peer.endpoint.to_endpoint()});
    }
    mirror_gossip_notices(now);  // a peer that never answered may have been evicted to make room
}

// The engine links and unlinks on its own (a remote join, a leave, a silent peer); the mailbox
// role keeps the same links (it names them to clients and hands off to them).
void NodeCore::mirror_gossip_notices(TimePoint now) {
    for (const auto& n : gossip_.take_notices()) {
        const mailbox::MailboxRef ref{n.peer.id, n.peer.endpoint.to_endpoint()};
        switch (n.kind) {
            case gossip::PeerNotice::Kind::admitted:
                mailbox_.link(n.topic, ref);
                break;
            case gossip::PeerNotice::Kind::left:
                mailbox_.unlink(n.topic, n.peer.id);
                // Displaced by a joiner, or the peer evaporated: alone now, look at once rather
                // than at the next discovery round (up to discovery_period away).
                if (const auto* t = gossip_.tree(n.topic); t && t->peers().empty())
                    discover_soon(n.topic, now + config_.params.discovery_first);
                break;
            case gossip::PeerNotice::Kind::dead:
                mailbox_.unlink(n.topic, n.peer.id);
                // Silent for dead_after, or never answered its join: suspected like a node that
                // missed its pings, so the directory's stale entries (they outlive a dead
                // mailbox by up to 10 minutes) do not bring it back at once.
                suspect(n.peer.id, now);
                break;
        }
    }
}

void NodeCore::topic_adopted(TimePoint now, const std::string& topic) {
    topics_changed(now);
    directory_announce(topic);
    replica_query(now, topic);  // what the topic's earlier mailboxes stored from clients
    if (!directory_timer_ && directory_ && config_.params.use_directory) {
        directory_timer_ = true;
        schedule(now + config_.params.directory_refresh, TimerKind::directory_refresh);
    }
    if (!gossip_.add_topic(topic)) return;
    for (const auto& k : known_.get(topic, now)) link_peer(now, topic, k);
    schedule_discovery({now + config_.params.discovery_first, topic, 0, {}, true});
}

// Sooner than planned, keeping the round (its gap keeps growing: a mailbox whose only link keeps
// leaving must not look every 2 s).
void NodeCore::discover_soon(const std::string& topic, TimePoint when) {
    DiscoveryDue soon{when, topic, 1, {}, true};  // alone: the directory may name others
    for (const auto& d : discovery_due_)
        if (d.topic == topic) {
            if (d.due <= when) return;  // due sooner anyway
            soon.round = std::max(soon.round, d.round);
            soon.last_directory_read = d.last_directory_read;
        }
    schedule_discovery(std::move(soon));
}

// One entry per topic (an evaporated and retaken topic, or an early round, must not start a
// second chain of rounds).
void NodeCore::schedule_discovery(DiscoveryDue d) {
    std::erase_if(discovery_due_, [&](const DiscoveryDue& o) { return o.topic == d.topic; });
    discovery_due_.insert(std::move(d));
}

// Discovery walks: the same biased walks a lookup uses, from the mailbox itself; every mailbox
// of the topic they meet (or that a node on the way knows) is linked in on_walk_result. The
// gossip engine turns whatever links result into a tree (duplicates prune redundant links).
void NodeCore::run_discovery(TimePoint now) {
    while (!discovery_due_.empty() && discovery_due_.begin()->due <= now) {
        DiscoveryDue d = *discovery_due_.begin();
        discovery_due_.erase(discovery_due_.begin());
        const std::string& topic = d.topic;
        const int round = d.round;
        if (!mailbox_.holds(topic)) continue;  // evaporated: its entry ends here
        // NodeParams::discovery_directory_rounds: the first rounds, then a period apart.
        const bool read_directory =
            d.read_directory || round < config_.params.discovery_directory_rounds ||
            now - d.last_directory_read >= Duration(config_.params.discovery_period);
        // (A client's lookup walking for the topic skips this round: it reads when it needs.)
        if (read_directory && !lookups_.contains(topic)) d.last_directory_read = now;
        // Gaps double from discovery_second - discovery_first up to discovery_period: the
        // hints of mailboxes elected at the same moment reach level 0 within seconds but
        // level 1 and 2 only at their neighbours' next refresh (up to hint_refresh later).
        Duration gap = config_.params.discovery_second - config_.params.discovery_first;
        for (int i = 0; i < round && gap < Duration(config_.params.discovery_period); ++i) gap *= 2;
        const Duration next = std::min(gap, Duration(config_.params.discovery_period));
        discovery_due_.insert({now + next, topic, round + 1, d.last_directory_read, false});
        maybe_recruit_backup(now, topic);  // before this round's walks: the last one found nobody
        if (lookups_.contains(topic)) continue;  // a client's lookup is walking already
        Lookup& l = lookups_[topic];
        l.discovery = true;
        l.generation = fresh_id();
        if (read_directory) directory_query(now, topic, l.generation);
        l.deadline = now + config_.params.lookup_timeout;
        schedule(l.deadline, TimerKind::lookup_deadline);
        ++stats_.discovery_walks;
        launch_walks(now, topic, l);
    }
}

// ---------------- home side ----------------

void NodeCore::on_publish(TimePoint now, ClientHandle c, const wire::Publish& p) {
    ++stats_.publish_requests;
    const Session& session = sessions_[c];
    auto answer = [&](wire::PublishStatus st) {
        send_to_client(c, wire::PublishResult{p.request_id, p.event.id, st, self_addr(), {}});
    };
    // The decoder checked that the id matches the content. Signatures: see docs/node.md.
    if (!wire::valid_topic(p.event.topic)) return answer(wire::PublishStatus::invalid);
    if (session.client_id.empty()) return answer(wire::PublishStatus::failed);
    std::size_t pending = 0;
    for (auto& [id, q] : subs_) {
        if (!q.event) continue;
        if (q.event->id == p.event.id) {  // a retry of one in progress joins it (maybe over a
            q.client = c;                  // new connection: the old one's answer goes nowhere)
            q.client_request = p.request_id;
            // Kept past its deadline, it may take a while yet: the phone is not left waiting
            // into its own request timeout, and the answer when stored names the event.
            if (q.overdue) answer(wire::PublishStatus::failed);
            return;
        }
        // Per publisher, not per connection: publications outlive their connection, so a
        // client reconnecting in a loop must not pile them up.
        pending += q.event->publisher == p.event.publisher;
    }
    if (pending >= config_.params.max_pending_publications) {
        ++stats_.publications_failed;
        return answer(wire::PublishStatus::failed);
    }
    if (p.hand_in && p.preferred.empty()) return answer(wire::PublishStatus::failed);
    const std::uint64_t sub_id = fresh_id();
    PendingSub& pub = subs_[sub_id];
    pub.client = c;
    pub.client_request = p.request_id;
    pub.topic = p.event.topic;
    pub.event = p.event;
    pub.hand_in = p.hand_in;
    schedule(now + config_.params.subscribe_deadline, TimerKind::sub_deadline, sub_id);
    if (p.hand_in) {
        ++stats_.hand_ins;
        pub.candidates.push_back(p.preferred.front());
    } else {
        pub.candidates = initial_candidates(now, pub.topic, p.preferred);
    }
    try_next_candidate(now, sub_id);
}

void NodeCore::send_store(TimePoint now, std::uint64_t sub_id, const wire::NodeAddr& target) {
    PendingSub& pub = subs_.at(sub_id);
    const std::uint64_t rid = fresh_id();
    Request req{RequestKind::store, sub_id, pub.topic, target};
    requests_[rid] = req;
    if (target.id == config_.id) {
        wire::StoreReply reply{rid, pub.event->id, store_locally(now, *pub.event, pub.hand_in, true), {}};
        if (reply.status != wire::StoreStatus::not_held)
            reply.other_mailboxes = other_mailboxes(pub.topic, now);
        on_store_reply(now, rid, reply);
        return;
    }
    schedule(now + config_.params.request_timeout, TimerKind::request_timeout, rid);
    send(target.endpoint.to_endpoint(), wire::StoreRequest{rid, *pub.event, pub.hand_in});
}

// The request a reply answers (gone from the table), its topic's other mailboxes learned; none
// if the reply is stray or of another kind (counted).
std::optional<NodeCore::Request> NodeCore::take_reply(TimePoint now, std::uint64_t request_id,
                                                      RequestKind kind,
                                                      const std::vector<wire::NodeAddr>& others) {
    auto rq = requests_.find(request_id);
    if (rq == requests_.end() || rq->second.kind != kind) {
        ++stats_.unexpected_messages;
        return std::nullopt;
    }
    Request req = std::move(rq->second);
    requests_.erase(rq);
    for (const auto& o : others)
        if (o.id != config_.id) known_.learn(req.topic, o, now);
    return req;
}

void NodeCore::on_store_reply(TimePoint now, std::uint64_t request_id, const wire::StoreReply& r) {
    auto taken = take_reply(now, request_id, RequestKind::store, r.other_mailboxes);
    if (!taken) return;
    const Request req = std::move(*taken);
    if (wire::accepted(r.status)) {
        known_.learn(req.topic, req.target, now);
        maybe_intro(now, req.topic, req.target, r.other_mailboxes);
        complete_pub(now, req.sub, req.target, r.other_mailboxes);
        return;
    }
    ++stats_.store_refused;
    if (r.status == wire::StoreStatus::not_held) known_.forget(req.topic, req.target.id);
    auto s = subs_.find(req.sub);
    if (s != subs_.end()) s->second.refused = true;
    if (s != subs_.end() && !s->second.hand_in)
        for (const auto& o : r.other_mailboxes)
            if (!s->second.tried.contains(o.id)) s->second.candidates.push_back(o);
    try_next_candidate(now, req.sub);
}

void NodeCore::complete_pub(TimePoint now, std::uint64_t sub_id, const wire::NodeAddr& mailbox,
                            const std::vector<wire::NodeAddr>& others) {
    (void)now;
    auto it = subs_.find(sub_id);
    if (it == subs_.end()) return;
    PendingSub pub = std::move(it->second);
    subs_.erase(it);
    if (!pub.hand_in) ++stats_.publications_accepted;
    std::vector<wire::NodeAddr> rest;
    for (const auto& o : others)
        if (o.id != mailbox.id && rest.size() < wire::max_mailboxes_listed) rest.push_back(o);
    if (sessions_.contains(pub.client))
        send_to_client(pub.client, wire::PublishResult{pub.client_request, pub.event->id,
                                                       wire::PublishStatus::accepted, mailbox,
                                                       std::move(rest)});
}

void NodeCore::on_poll(TimePoint now, ClientHandle c, const wire::Poll& p) {
    ++stats_.polls_relayed;
    wire::PollRequest rq{fresh_id(), p.topic,  sessions_[c].client_id,
                         p.known,    p.cursor, p.since_ms};
    if (!wire::valid_topic(p.topic)) {
        send_to_client(c, wire::PollResult{p.request_id,
                                           p.topic,
                                           p.mailbox,
                                           wire::PollStatus::not_held,
                                           {},
                                           {},
                                           {},
                                           false,
                                           0});
        return;
    }
    Request req{RequestKind::poll, 0, p.topic, p.mailbox};
    req.client = c;
    req.client_request = p.request_id;
    requests_[rq.request_id] = req;
    if (p.mailbox.id == config_.id) {
        on_poll_reply(now, rq.request_id, poll_locally(now, rq));
        return;
    }
    schedule(now + config_.params.request_timeout, TimerKind::request_timeout, rq.request_id);
    send(p.mailbox.endpoint.to_endpoint(), rq);
}

void NodeCore::on_poll_reply(TimePoint now, std::uint64_t request_id, const wire::PollReply& r) {
    auto taken = take_reply(now, request_id, RequestKind::poll, r.other_mailboxes);
    if (!taken) return;
    const Request req = std::move(*taken);
    if (r.status == wire::PollStatus::ok) {
        known_.learn(req.topic, req.target, now);
        maybe_intro(now, req.topic, req.target, r.other_mailboxes);
    } else {
        known_.forget(req.topic, req.target.id);
    }
    if (!sessions_.contains(req.client)) return;
    send_to_client(req.client,
                   wire::PollResult{req.client_request, req.topic, req.target, r.status, r.events,
                                    r.wanted, r.other_mailboxes, r.more, r.cursor});
}

void NodeCore::on_poll_timeout(const Request& req) {
    ++stats_.poll_timeouts;
    if (!sessions_.contains(req.client)) return;
    send_to_client(req.client, wire::PollResult{req.client_request,
                                                req.topic,
                                                req.target,
                                                wire::PollStatus::unreachable,
                                                {},
                                                {},
                                                {},
                                                false,
                                                0});
}

void NodeCore::on_client_push(TimePoint now, const wire::ClientPush& p) {
    (void)now;
    wire::Deliver d{p.mailbox, {p.event}};
    for (const auto& id : p.client_ids) {
        auto it = by_client_id_.find(id);
        if (it == by_client_id_.end()) {
            ++stats_.pushes_no_session;  // offline: it polls on its return
            continue;
        }
        for (ClientHandle h : it->second) {
            ++stats_.pushes_relayed;
            send_to_client(h, d);
        }
    }
}

void NodeCore::maybe_intro(TimePoint now, const std::string& topic, const wire::NodeAddr& mailbox,
                           const std::vector<wire::NodeAddr>& named) {
    std::vector<wire::NodeAddr> missing;
    for (const auto& k : known_.get(topic, now)) {
        if (k.id == mailbox.id) continue;
        bool listed = std::any_of(named.begin(), named.end(),
                                  [&](const wire::NodeAddr& n) { return n.id == k.id; });
        if (!listed && missing.size() < wire::max_mailboxes_listed) missing.push_back(k);
    }
    if (missing.empty()) return;
    if (mailbox.id == config_.id) {
        for (const auto& m : missing) link_peer(now, topic, m);
        return;
    }
    auto [it, fresh] = intro_sent_.try_emplace(topic, now);
    if (!fresh && now - it->second < config_.params.intro_interval) return;
    it->second = now;
    if (intro_sent_.size() > config_.params.known_topics_max) {
        // Bounded: forget intros older than the interval (they no longer limit anything).
        std::erase_if(intro_sent_, [&](const auto& kv) {
            return now - kv.second >= config_.params.intro_interval;
        });
    }
    ++stats_.intros_sent;
    send(mailbox.endpoint.to_endpoint(), wire::MailboxIntro{topic, std::move(missing)});
}

}  // namespace elmo
