#include "gossip/topic_tree.hpp"

#include <algorithm>

namespace elmo::gossip {

namespace {
std::uint16_t next_hop(std::uint16_t hops) {
    return hops == UINT16_MAX ? hops : static_cast<std::uint16_t>(hops + 1);
}
}  // namespace

TopicTree::TopicTree(std::string topic, TreeContext ctx)
    : topic_(std::move(topic)), ctx_(ctx), seen_(ctx.params->seen_capacity) {}

// ---------------------------------------------------------------- peers

PeerResult TopicTree::add_peer(const wire::NodeAddr& addr, TimePoint now,
                               std::optional<Evicted>* evicted, bool displace) {
    if (addr.id == ctx_.self) return PeerResult::is_self;
    if (auto it = peers_.find(addr.id); it != peers_.end()) {
        it->second.addr = addr;
        it->second.endpoint = addr.endpoint.to_endpoint();
        return PeerResult::already_linked;
    }
    if (peers_.size() >= ctx_.params->max_peers_per_topic) {
        // Links to mailboxes that never answered (a dead mailbox's directory entry outlives it
        // by up to 10 minutes) must not keep live ones out: after every mailbox of a topic died,
        // the new ones each linked to the old entries, filled their tables and refused each
        // other, and a quarter of them never received an event (1,500 nodes).
        auto victim = peers_.end();
        for (auto it = peers_.begin(); it != peers_.end(); ++it) {
            const Peer& q = it->second;
            const Duration silent = now - q.last_heard;
            const bool stale = (!q.ever_heard && silent >= ctx_.params->evict_unheard_after) ||
                               silent >= ctx_.params->dead_after;
            if (stale && (victim == peers_.end() || q.last_heard < victim->second.last_heard))
                victim = it;
        }
        bool stale = victim != peers_.end();
        // A mailbox refused by every peer it knows stays alone for good: the first 17 mailboxes
        // of a hot topic linked all to all (16 peers each, the bound) and the 18th, refused
        // by each of them, never got an event (1,500 nodes, seed 2). So a join displaces a
        // live peer, as HyParView admits every join: the displaced one keeps its other links.
        if (!stale && displace)
            for (auto it = peers_.begin(); it != peers_.end(); ++it) {
                const Peer& q = it->second;
                if (victim == peers_.end() ||
                    std::pair(q.eager, q.last_heard) <
                        std::pair(victim->second.eager, victim->second.last_heard))
                    victim = it;
            }
        if (victim == peers_.end()) return PeerResult::refused_full;
        if (evicted) *evicted = Evicted{victim->second.addr, stale};
        ++(stale ? ctx_.counters->peers_evicted : ctx_.counters->peers_displaced);
        remove_peer(victim->first);
    }
    Peer p;
    p.addr = addr;
    p.endpoint = addr.endpoint.to_endpoint();
    p.last_heard = now;
    p.next_digest = now + std::min(ctx_.params->first_digest, ctx_.params->digest_period);
    peers_.emplace(addr.id, std::move(p));
    return PeerResult::added;
}

bool TopicTree::remove_peer(const NodeId& id) {
    auto it = peers_.find(id);
    if (it == peers_.end()) return false;
    ctx_.counters->ihave_ids_dropped += it->second.pending_ihave.size();
    peers_.erase(it);
    // Missing ids keep this peer among their announcers; fire_missing skips it.
    return true;
}

std::optional<NodeId> TopicTree::peer_at(const Endpoint& endpoint) const {
    for (const auto& [id, p] : peers_)
        if (p.endpoint == endpoint) return id;
    return std::nullopt;
}

std::optional<wire::NodeAddr> TopicTree::peer_addr(const NodeId& id) const {
    auto it = peers_.find(id);
    if (it == peers_.end()) return std::nullopt;
    return it->second.addr;
}

void TopicTree::heard(const NodeId& id, TimePoint now) {
    auto it = peers_.find(id);
    if (it == peers_.end()) return;
    Peer& p = it->second;
    p.last_heard = std::max(p.last_heard, now);
    p.ever_heard = true;
    // Back after a digest went unanswered: after a partition heals, the events each side got
    // meanwhile are compared within seconds, not at the next period (up to a minute later).
    if (p.last_digest_unanswered != TimePoint::max() &&
        now - p.last_digest_unanswered > ctx_.params->digest_followup) {
        p.last_digest_unanswered = TimePoint::max();
        p.next_digest = std::min(p.next_digest, now + ctx_.params->digest_followup);
        ++ctx_.counters->digests_after_silence;
    }
}

void TopicTree::rejoined(const NodeId& id, TimePoint now) {
    auto it = peers_.find(id);
    if (it == peers_.end()) return;
    Peer& p = it->second;
    p.acked = 0;
    p.listed = 0;
    p.next_digest = std::min(p.next_digest, now + ctx_.params->first_digest);
    ++ctx_.counters->peers_rejoined;
}

void TopicTree::set_eager(const NodeId& id, bool eager) {
    if (auto it = peers_.find(id); it != peers_.end()) it->second.eager = eager;
}

void TopicTree::send(const Peer& p, wire::GossipMessage m) {
    ctx_.port->send(p.endpoint, m);
}

// ---------------------------------------------------------------- events

void TopicTree::remember(const wire::EventId& id, TimePoint now) {
    std::size_t evicted = 0;
    seen_.insert(id, now, evicted);
    ctx_.counters->seen_evicted += evicted;
    if (auto it = missing_.find(id); it != missing_.end()) {
        missing_by_deadline_.erase({it->second.deadline, id});
        missing_.erase(it);
        ++ctx_.counters->missing_resolved;
    }
}

bool TopicTree::publish(const wire::Event& event, bool late, TimePoint now) {
    if (seen_.contains(event.id)) return false;
    ++ctx_.counters->events_local;
    remember(event.id, now);
    forward(event, 1, late ? wire::GossipKind::repair : wire::GossipKind::push, std::nullopt, now);
    return true;
}

bool TopicTree::note_held(const wire::EventId& id, TimePoint now) {
    if (seen_.contains(id)) return false;
    remember(id, now);
    return true;
}

void TopicTree::on_gossip(const std::optional<NodeId>& from, const wire::GossipEvent& g,
                          TimePoint now) {
    const wire::EventId& id = g.event.id;
    // Only an eager push that arrives twice shows a redundant eager path; pulled copies are late
    // by nature (see wire::GossipKind).
    const bool pruning = from && g.kind == wire::GossipKind::push;
    if (seen_.contains(id)) {
        ++ctx_.counters->duplicates;
        if (pruning) prune(*from);
        return;
    }
    switch (ctx_.port->deliver(g.event, g.hops)) {
        case Delivery::rejected:
            // Not remembered: a forged copy must not shadow the genuine one.
            ++ctx_.counters->events_rejected;
            return;
        case Delivery::duplicate:
            ++ctx_.counters->duplicates;
            remember(id, now);
            if (pruning) prune(*from);
            return;
        case Delivery::stored:
            break;
    }
    ++ctx_.counters->events_delivered;
    remember(id, now);
    // Plumtree: the link a new event came by is a tree link (keeps eagerness symmetric after a
    // prune crossed a push). A repair says nothing about the tree.
    if (from && g.kind != wire::GossipKind::repair) set_eager(*from, true);
    auto kind =
        g.kind == wire::GossipKind::push ? wire::GossipKind::push : wire::GossipKind::repair;
    forward(g.event, next_hop(g.hops), kind, from, now);
}

void TopicTree::forward(const wire::Event& e, std::uint16_t hops, wire::GossipKind kind,
                        const std::optional<NodeId>& except, TimePoint now) {
    const wire::GossipMessage msg{wire::GossipEvent{e, hops, kind}};
    for (auto& [id, p] : peers_) {
        if (except && id == *except) continue;
        if (p.eager) {
            ctx_.port->send(p.endpoint, msg);
            ++ctx_.counters->events_sent;
            if (kind == wire::GossipKind::push) ++ctx_.counters->pushes_sent;
        } else {
            queue_ihave(p, e.id, now);
        }
    }
}

void TopicTree::queue_ihave(Peer& p, const wire::EventId& id, TimePoint now) {
    p.pending_ihave.push_back(id);
    ++ctx_.counters->ihave_ids_queued;
    if (p.pending_ihave.size() == 1) p.ihave_flush_at = now + ctx_.params->ihave_flush_interval;
    std::size_t cap =
        std::clamp<std::size_t>(ctx_.params->ihave_batch_max, 1, wire::max_gossip_ids);
    if (p.pending_ihave.size() >= cap) {
        ++ctx_.counters->ihave_flushed_full;
        flush_ihave(p);
    }
}

void TopicTree::flush_ihave(Peer& p) {
    p.ihave_flush_at = TimePoint::max();
    if (p.pending_ihave.empty()) return;
    send(p, wire::IHave{topic_, std::move(p.pending_ihave)});
    p.pending_ihave.clear();
    ++ctx_.counters->ihave_sent;
}

void TopicTree::prune(const NodeId& from) {
    auto it = peers_.find(from);
    if (it == peers_.end()) return;
    it->second.eager = false;
    send(it->second, wire::Prune{topic_});
    ++ctx_.counters->prunes_sent;
    ++ctx_.counters->duplicates_pruning;
}

void TopicTree::on_ihave(const NodeId& from, const std::vector<wire::EventId>& ids, TimePoint now) {
    for (const auto& id : ids) {
        if (seen_.contains(id)) continue;
        if (auto it = missing_.find(id); it != missing_.end()) {
            auto& a = it->second.announcers;
            if (std::find(a.begin(), a.end(), from) != a.end()) continue;
            if (a.size() < ctx_.params->max_announcers)
                a.push_back(from);
            else
                ++ctx_.counters->announcers_dropped;
            continue;
        }
        if (missing_.size() >= ctx_.params->max_missing_per_topic) {
            ++ctx_.counters->missing_dropped_full;  // newest dropped: the digest repairs it
            continue;
        }
        Missing& m = missing_[id];
        m.announcers.push_back(from);
        set_deadline(id, m, now + ctx_.params->ihave_timeout);
        ++ctx_.counters->missing_tracked;
    }
}

void TopicTree::set_deadline(const wire::EventId& id, Missing& m, TimePoint deadline) {
    missing_by_deadline_.erase({m.deadline, id});
    m.deadline = deadline;
    missing_by_deadline_.emplace(deadline, id);
}

void TopicTree::on_graft(const NodeId& from, const std::vector<wire::EventId>& ids, TimePoint) {
    ++ctx_.counters->grafts_received;
    auto it = peers_.find(from);
    if (it == peers_.end()) return;
    it->second.eager = true;
    send_events(it->second, ids, wire::GossipKind::graft);
}

void TopicTree::on_prune(const NodeId& from) {
    ++ctx_.counters->prunes_received;
    set_eager(from, false);
}

void TopicTree::on_digest(const NodeId& from, const std::vector<wire::EventId>& ids, TimePoint) {
    ++ctx_.counters->digests_received;
    auto it = peers_.find(from);
    if (it == peers_.end()) return;
    wire::DigestWant want{topic_, {}};
    std::set<wire::EventId> asked;
    for (const auto& id : ids)
        if (!seen_.contains(id) && asked.insert(id).second) want.ids.push_back(id);
    ctx_.counters->digest_ids_wanted += want.ids.size();
    send(it->second, std::move(want));  // always: the answer is also the liveness ack
}

void TopicTree::on_digest_want(const NodeId& from, const std::vector<wire::EventId>& ids,
                               TimePoint now) {
    auto it = peers_.find(from);
    if (it == peers_.end()) return;
    Peer& p = it->second;
    p.last_digest_unanswered = TimePoint::max();
    std::size_t truncated = 0;
    auto not_found = send_events(p, ids, wire::GossipKind::repair, &truncated);
    // A peer that lacks more than one reply carries (a mailbox elected after its topic's others
    // died, linked to a history of hundreds of events) gets the next digest soon rather than a
    // period later: at max_events_per_reply per period a 600-event history took 10 minutes.
    if (truncated > 0)
        p.next_digest = std::min(p.next_digest, now + ctx_.params->digest_followup);
    // Everything listed before the first id the peer lacks is acknowledged and never listed to
    // it again; from that id on, the next digest lists again (in case the repair is lost). An id
    // the store no longer has cannot be repaired from here and does not hold the others back.
    std::uint64_t first_lacking = UINT64_MAX;
    for (const auto& id : ids)
        if (auto pos = seen_.position(id); pos && !not_found.contains(id))
            first_lacking = std::min(first_lacking, *pos);
    std::uint64_t acked =
        first_lacking == UINT64_MAX ? p.listed : std::min(p.listed, first_lacking - 1);
    // A full listing answered with progress goes on a second later, not a period later: a peer
    // that joined again (its acknowledgements reset) has most of the window's first 256 ids and
    // wants none of them, and the ones it lacks come after (docs/gossip.md, "After a restart").
    // Without progress the next period lists the same ids again, so a peer that keeps losing
    // them is not flooded.
    if (p.listing_full && acked > p.acked) {
        p.next_digest = std::min(p.next_digest, now + ctx_.params->digest_followup);
        ++ctx_.counters->digests_continued;
    }
    p.listing_full = false;
    p.acked = std::max(p.acked, acked);
}

std::set<wire::EventId> TopicTree::send_events(Peer& p, const std::vector<wire::EventId>& ids,
                                               wire::GossipKind kind, std::size_t* truncated) {
    std::set<wire::EventId> not_found;
    std::set<wire::EventId> done;
    std::size_t sent = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (!done.insert(ids[i]).second) continue;
        if (sent == ctx_.params->max_events_per_reply) {
            ctx_.counters->reply_truncated += ids.size() - i;
            if (truncated) *truncated = ids.size() - i;
            break;
        }
        auto e = ctx_.port->find_event(topic_, ids[i]);
        if (!e || e->topic != topic_) {
            ++ctx_.counters->pulls_not_found;
            not_found.insert(ids[i]);
            continue;
        }
        send(p, wire::GossipEvent{std::move(*e), 1, kind});
        ++sent;
        ++ctx_.counters->events_sent;
        if (kind == wire::GossipKind::repair) ++ctx_.counters->repairs_sent;
    }
    return not_found;
}

// ---------------------------------------------------------------- time

std::vector<wire::NodeAddr> TopicTree::on_timer(TimePoint now) {
    for (auto& [id, p] : peers_)
        if (p.ihave_flush_at <= now) flush_ihave(p);
    fire_missing(now);
    return fire_digests(now);
}

void TopicTree::fire_missing(TimePoint now) {
    std::vector<wire::EventId> due;
    for (auto it = missing_by_deadline_.begin();
         it != missing_by_deadline_.end() && it->first <= now; ++it)
        due.push_back(it->second);
    std::map<NodeId, std::vector<wire::EventId>> grafts;  // one Graft per peer, ordered
    for (const auto& id : due) {
        Missing& m = missing_.at(id);
        // Announcers that are no longer peers are skipped.
        auto live = std::find_if(m.announcers.begin(), m.announcers.end(),
                                 [&](const NodeId& a) { return peers_.contains(a); });
        m.announcers.erase(m.announcers.begin(), live);
        if (m.announcers.empty()) {
            // Every announcer was grafted in vain (or is gone): the digest is the last resort.
            missing_by_deadline_.erase({m.deadline, id});
            missing_.erase(id);
            ++ctx_.counters->missing_given_up;
            continue;
        }
        grafts[m.announcers.front()].push_back(id);
        m.announcers.erase(m.announcers.begin());
        set_deadline(id, m, now + ctx_.params->graft_timeout);
    }
    for (auto& [to, ids] : grafts) {
        Peer& p = peers_.at(to);
        p.eager = true;  // Plumtree: the grafted link becomes a tree link on both sides
        for (std::size_t i = 0; i < ids.size(); i += wire::max_gossip_ids) {
            std::size_t n = std::min(wire::max_gossip_ids, ids.size() - i);
            std::vector<wire::EventId> chunk(ids.begin() + static_cast<long>(i),
                                             ids.begin() + static_cast<long>(i + n));
            send(p, wire::Graft{topic_, std::move(chunk)});
            ++ctx_.counters->grafts_sent;
            ctx_.counters->graft_ids_sent += n;
        }
    }
}

std::vector<wire::NodeAddr> TopicTree::fire_digests(TimePoint now) {
    const auto& params = *ctx_.params;
    std::vector<wire::NodeAddr> dead;
    const std::size_t max_ids = std::min(params.digest_max_ids, wire::max_gossip_ids);
    for (auto& [id, p] : peers_) {
        if (p.next_digest > now) continue;
        if (now - p.last_heard >= params.dead_after) {
            dead.push_back(p.addr);
            continue;
        }
        p.next_digest = now + params.digest_period;
        // What this peer has not acknowledged yet, old enough that the tree is done with it.
        auto listing =
            seen_.list(p.acked, now - params.digest_window, now - params.digest_settle, max_ids);
        // Nothing to compare and the peer is evidently alive: an empty digest would only be a
        // keepalive. Quiet links thus exchange about one digest per two periods, not two per one.
        // (A peer never heard from gets it anyway: it may not know of the link, its join lost.)
        if (listing.ids.empty() && p.ever_heard && now - p.last_heard < params.digest_period) {
            ++ctx_.counters->digests_skipped;
            continue;
        }
        p.listed = listing.last;
        p.listing_full = listing.ids.size() >= max_ids;
        p.last_digest_unanswered = now;
        send(p, wire::Digest{topic_, ctx_.self, std::move(listing.ids)});
        ++ctx_.counters->digests_sent;
    }
    for (const auto& a : dead) {
        remove_peer(a.id);
        ++ctx_.counters->peers_dead;
    }
    return dead;
}

TimePoint TopicTree::next_wakeup() const {
    TimePoint t =
        missing_by_deadline_.empty() ? TimePoint::max() : missing_by_deadline_.begin()->first;
    for (const auto& [id, p] : peers_) t = std::min({t, p.ihave_flush_at, p.next_digest});
    return t;
}

// ---------------------------------------------------------------- inspection

std::vector<NodeId> TopicTree::peers() const {
    std::vector<NodeId> out;
    for (const auto& [id, p] : peers_) out.push_back(id);
    return out;
}

std::vector<NodeId> TopicTree::eager_peers() const {
    std::vector<NodeId> out;
    for (const auto& [id, p] : peers_)
        if (p.eager) out.push_back(id);
    return out;
}

std::vector<NodeId> TopicTree::lazy_peers() const {
    std::vector<NodeId> out;
    for (const auto& [id, p] : peers_)
        if (!p.eager) out.push_back(id);
    return out;
}

bool TopicTree::is_eager(const NodeId& id) const {
    auto it = peers_.find(id);
    return it != peers_.end() && it->second.eager;
}

bool TopicTree::answered(const NodeId& id) const {
    auto it = peers_.find(id);
    return it != peers_.end() && it->second.ever_heard;
}

std::size_t TopicTree::pending_ihave(const NodeId& id) const {
    auto it = peers_.find(id);
    return it == peers_.end() ? 0 : it->second.pending_ihave.size();
}

}  // namespace elmo::gossip
