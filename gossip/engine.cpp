#include "gossip/engine.hpp"

#include <algorithm>

namespace elmo::gossip {

namespace {
// Zero durations would make a timer due again at the instant it fired; a dead_after under two
// digest periods would declare quiet live peers dead.
GossipParams sanitized(GossipParams p) {
    const Duration tick = std::chrono::milliseconds(1);
    p.ihave_flush_interval = std::max(p.ihave_flush_interval, Duration::zero());
    p.ihave_timeout = std::max(p.ihave_timeout, tick);
    p.graft_timeout = std::max(p.graft_timeout, tick);
    p.digest_period = std::max(p.digest_period, tick);
    // A quiet live link is heard from at least every two periods (see TopicTree::fire_digests).
    p.dead_after = std::max(p.dead_after, p.digest_period * 5 / 2);
    p.ihave_batch_max = std::clamp<std::size_t>(p.ihave_batch_max, 1, wire::max_gossip_ids);
    p.digest_max_ids = std::min(p.digest_max_ids, wire::max_gossip_ids);
    return p;
}
}  // namespace

GossipEngine::GossipEngine(NodeId self, GossipPort& port, GossipParams params)
    : self_(self), port_(port), params_(sanitized(params)) {}

TimePoint GossipEngine::advance(TimePoint now) {
    now_ = std::max(now_, now);
    return now_;
}

// ---------------------------------------------------------------- topics

bool GossipEngine::add_topic(const std::string& topic) {
    TreeContext ctx{&params_, &port_, &counters_, self_};
    return topics_.try_emplace(topic, Topic{TopicTree(topic, ctx)}).second;
}

bool GossipEngine::remove_topic(TimePoint now, const std::string& topic, bool notify) {
    advance(now);
    auto it = topics_.find(topic);
    if (it == topics_.end()) return false;
    TopicTree& t = it->second.tree;
    for (const auto& id : t.peers()) {
        if (notify) {
            port_.send(t.peer_addr(id)->endpoint.to_endpoint(), wire::GossipLeave{topic});
            ++counters_.leaves_sent;
        }
        t.remove_peer(id);
        ++counters_.peers_removed;
    }
    wakeups_.erase({it->second.wake, topic});
    topics_.erase(it);
    return true;
}

std::vector<std::string> GossipEngine::topics() const {
    std::vector<std::string> out;
    for (const auto& [name, t] : topics_) out.push_back(name);
    return out;
}

const TopicTree* GossipEngine::tree(const std::string& topic) const {
    auto it = topics_.find(topic);
    return it == topics_.end() ? nullptr : &it->second.tree;
}

void GossipEngine::reschedule(TopicMap::iterator it) {
    wakeups_.erase({it->second.wake, it->first});
    it->second.wake = it->second.tree.next_wakeup();
    if (it->second.wake != TimePoint::max()) wakeups_.emplace(it->second.wake, it->first);
}

// ---------------------------------------------------------------- links

PeerResult GossipEngine::add_peer(TimePoint now, const std::string& topic,
                                  const wire::NodeAddr& peer) {
    now = advance(now);
    auto it = topics_.find(topic);
    if (it == topics_.end()) return PeerResult::not_held;
    std::optional<TopicTree::Evicted> evicted;
    PeerResult r = it->second.tree.add_peer(peer, now, &evicted);
    if (evicted) notice(topic, evicted->addr, PeerNotice::Kind::dead);  // only stale ones here
    if (r == PeerResult::added) {
        ++counters_.peers_added;
        port_.send(peer.endpoint.to_endpoint(), wire::GossipJoin{topic, self_, false});
        ++counters_.joins_sent;
        reschedule(it);
    }
    return r;
}

bool GossipEngine::remove_peer(TimePoint now, const std::string& topic, const NodeId& peer,
                               bool notify) {
    advance(now);
    auto it = topics_.find(topic);
    if (it == topics_.end()) return false;
    auto addr = it->second.tree.peer_addr(peer);
    if (!addr) return false;
    it->second.tree.remove_peer(peer);
    ++counters_.peers_removed;
    if (notify) {
        port_.send(addr->endpoint.to_endpoint(), wire::GossipLeave{topic});
        ++counters_.leaves_sent;
    }
    reschedule(it);
    return true;
}

std::vector<PeerNotice> GossipEngine::take_notices() {
    std::vector<PeerNotice> out(std::make_move_iterator(notices_.begin()),
                                std::make_move_iterator(notices_.end()));
    notices_.clear();
    return out;
}

void GossipEngine::notice(const std::string& topic, const wire::NodeAddr& peer,
                          PeerNotice::Kind kind) {
    if (params_.max_notices == 0) {
        ++counters_.notices_dropped;
        return;
    }
    while (notices_.size() >= params_.max_notices) {
        notices_.pop_front();
        ++counters_.notices_dropped;
    }
    notices_.push_back(PeerNotice{topic, peer, kind});
}

std::optional<NodeId> GossipEngine::admit(TimePoint now, const Endpoint& from,
                                          TopicMap::iterator it, const NodeId& sender, bool displace) {
    if (sender == self_) return std::nullopt;
    wire::NodeAddr addr = wire::NodeAddr::from(sender, from);
    std::optional<TopicTree::Evicted> evicted;
    const PeerResult r = it->second.tree.add_peer(addr, now, &evicted, displace);
    if (evicted && evicted->stale) notice(it->first, evicted->addr, PeerNotice::Kind::dead);
    if (evicted && !evicted->stale) {  // live: told, so that it unlinks us too
        port_.send(evicted->addr.endpoint.to_endpoint(), wire::GossipLeave{it->first});
        ++counters_.leaves_sent;
        notice(it->first, evicted->addr, PeerNotice::Kind::left);
    }
    switch (r) {
        case PeerResult::added:
            ++counters_.peers_admitted;
            notice(it->first, addr, PeerNotice::Kind::admitted);
            return sender;
        case PeerResult::already_linked:
            return sender;
        default:
            ++counters_.peers_refused;
            reply_stranger(now, from, it->first, wire::GossipLeave{it->first});
            return std::nullopt;
    }
}

void GossipEngine::reply_stranger(TimePoint now, const Endpoint& to, const std::string& topic,
                                  wire::GossipMessage reply) {
    auto key = std::make_pair(to, topic);
    auto it = strangers_.find(key);
    if (it != strangers_.end() && now - it->second < params_.stranger_reply_interval) {
        ++counters_.stranger_replies_suppressed;
        return;
    }
    if (it == strangers_.end()) {
        if (params_.max_strangers == 0) return;
        if (strangers_.size() >= params_.max_strangers) {
            auto oldest =
                std::min_element(strangers_.begin(), strangers_.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
            strangers_.erase(oldest);
        }
        it = strangers_.emplace(std::move(key), now).first;
    }
    it->second = now;
    if (std::holds_alternative<wire::GossipJoin>(reply))
        ++counters_.joins_sent;
    else
        ++counters_.leaves_sent;
    port_.send(to, reply);
}

// ---------------------------------------------------------------- events and messages

bool GossipEngine::publish(TimePoint now, const wire::Event& event, bool late) {
    now = advance(now);
    auto it = topics_.find(event.topic);
    if (it == topics_.end()) return false;
    bool fresh = it->second.tree.publish(event, late, now);
    reschedule(it);
    return fresh;
}

bool GossipEngine::note_held(TimePoint now, const std::string& topic, const wire::EventId& id) {
    now = advance(now);
    auto it = topics_.find(topic);
    if (it == topics_.end()) return false;
    bool fresh = it->second.tree.note_held(id, now);
    reschedule(it);
    return fresh;
}

void GossipEngine::on_message(TimePoint now, const Endpoint& from,
                              const wire::GossipMessage& message) {
    now = advance(now);
    if (auto* j = std::get_if<wire::GossipJoin>(&message)) {
        on_join(now, from, *j);
        return;
    }
    const std::string& topic = wire::topic_of(message);
    auto it = topics_.find(topic);
    if (it == topics_.end()) {
        ++counters_.unknown_topic;
        if (!std::holds_alternative<wire::GossipLeave>(message))
            reply_stranger(now, from, topic, wire::GossipLeave{topic});
        return;
    }
    on_topic_message(now, from, it, message);
    reschedule(it);
}

void GossipEngine::on_join(TimePoint now, const Endpoint& from, const wire::GossipJoin& j) {
    auto it = topics_.find(j.topic);
    if (it == topics_.end()) {
        ++counters_.unknown_topic;
        reply_stranger(now, from, j.topic, wire::GossipLeave{j.topic});
        return;
    }
    // A join displaces a live peer when full; a digest from a stranger (below) does not: it may
    // be a peer we just displaced whose digest crossed our leave.
    const bool linked = it->second.tree.has_peer(j.sender);
    auto peer = admit(now, from, it, j.sender, true);  // refreshes the endpoint of a known peer
    if (peer) {
        // A fresh join (not the answer to ours) from a linked peer: it restarted or lost us.
        // Without this, what it missed while down waited for the next digest period (a minute:
        // ElmodHeavy's subscribers of a restarted mailbox got 10 s of events 45 s late).
        if (linked && !j.ack) it->second.tree.rejoined(*peer, now);
        it->second.tree.heard(*peer, now);
        if (!j.ack) {
            port_.send(from, wire::GossipJoin{j.topic, self_, true});
            ++counters_.joins_sent;
        }
    }
    reschedule(it);
}

void GossipEngine::on_topic_message(TimePoint now, const Endpoint& from, TopicMap::iterator it,
                                    const wire::GossipMessage& m) {
    TopicTree& t = it->second.tree;
    std::optional<NodeId> peer = t.peer_at(from);
    if (!peer) {
        if (auto* d = std::get_if<wire::Digest>(&m)) {
            peer = admit(now, from, it, d->sender, false);  // a lost join, a healed partition
            if (!peer) return;
        } else {
            if (std::holds_alternative<wire::GossipLeave>(m)) return;
            // A node that links us without our knowing it: ask who it is. An event is still
            // taken (it is valid and may be new); there is just nobody to prune or make eager.
            ++counters_.from_strangers;
            reply_stranger(now, from, it->first, wire::GossipJoin{it->first, self_, false});
            if (auto* g = std::get_if<wire::GossipEvent>(&m)) t.on_gossip(std::nullopt, *g, now);
            return;
        }
    }
    t.heard(*peer, now);
    std::visit(
        [&](const auto& msg) {
            using T = std::decay_t<decltype(msg)>;
            if constexpr (std::is_same_v<T, wire::GossipEvent>) {
                t.on_gossip(peer, msg, now);
            } else if constexpr (std::is_same_v<T, wire::IHave>) {
                t.on_ihave(*peer, msg.ids, now);
            } else if constexpr (std::is_same_v<T, wire::Graft>) {
                t.on_graft(*peer, msg.ids, now);
            } else if constexpr (std::is_same_v<T, wire::Prune>) {
                t.on_prune(*peer);
            } else if constexpr (std::is_same_v<T, wire::Digest>) {
                t.on_digest(*peer, msg.ids, now);
            } else if constexpr (std::is_same_v<T, wire::DigestWant>) {
                t.on_digest_want(*peer, msg.ids, now);
            } else if constexpr (std::is_same_v<T, wire::GossipLeave>) {
                auto addr = *t.peer_addr(*peer);
                t.remove_peer(*peer);
                ++counters_.peers_left;
                notice(it->first, addr, PeerNotice::Kind::left);
            }
            // GossipJoin never gets here (on_join).
        },
        m);
}

// ---------------------------------------------------------------- time

void GossipEngine::on_timer(TimePoint now) {
    now = advance(now);
    std::vector<std::string> due;
    for (auto w = wakeups_.begin(); w != wakeups_.end() && w->first <= now; ++w)
        due.push_back(w->second);
    for (const auto& name : due) {
        auto it = topics_.find(name);
        if (it == topics_.end()) continue;
        for (const auto& dead : it->second.tree.on_timer(now))
            notice(name, dead, PeerNotice::Kind::dead);
        reschedule(it);
    }
}

TimePoint GossipEngine::next_wakeup() const {
    return wakeups_.empty() ? TimePoint::max() : wakeups_.begin()->first;
}

// ---------------------------------------------------------------- names

std::string_view to_string(PeerResult r) {
    switch (r) {
        case PeerResult::added:
            return "added";
        case PeerResult::already_linked:
            return "already_linked";
        case PeerResult::refused_full:
            return "refused_full";
        case PeerResult::not_held:
            return "not_held";
        case PeerResult::is_self:
            return "is_self";
    }
    return "unknown";
}

std::string_view to_string(PeerNotice::Kind k) {
    switch (k) {
        case PeerNotice::Kind::admitted:
            return "admitted";
        case PeerNotice::Kind::left:
            return "left";
        case PeerNotice::Kind::dead:
            return "dead";
    }
    return "unknown";
}

}  // namespace elmo::gossip
