// Lookups for the mailboxes of a topic: biased random walks (DESIGN 2.2), then adoption by a
// node with room or election of the home node itself.
#include <algorithm>

#include "bloom/topic_hash.hpp"
#include "node/node_core.hpp"
#include "node/walk_policy.hpp"

namespace elmo {

namespace {
using wire::add_unique;
void add_unique(std::vector<wire::RecruitOffer>& to, const wire::RecruitOffer& a, std::size_t max) {
    if (to.size() >= max) return;
    for (const auto& x : to)
        if (x.node.id == a.node.id) return;
    to.push_back(a);
}
}  // namespace

void NodeCore::start_lookup(TimePoint now, const std::string& topic, std::uint64_t sub,
                            bool elect, bool ask_directory) {
    auto [it, fresh] = lookups_.try_emplace(topic);
    Lookup& lookup = it->second;
    if (sub) lookup.waiting.push_back(sub);
    if (!fresh && lookup.discovery) {
        // A mailbox's discovery walks are out for this topic: they serve the client too.
        lookup.discovery = false;
        ++stats_.lookups_started;
    }
    if (!fresh) {
        // One lookup per topic serves every waiting client. A client whose known mailboxes all
        // refused turns it into a search for one more mailbox.
        if (elect && !lookup.need_new) {
            lookup.need_new = true;
            auto s = subs_.find(sub);
            if (s != subs_.end()) lookup.adopt_tried.insert(s->second.tried.begin(), s->second.tried.end());
        }
        return;
    }
    ++stats_.lookups_started;
    lookup.generation = fresh_id();
    if (elect) {
        // The mailboxes found refused (full): the topic needs one more mailbox. The walks look
        // for a recruiting mailbox only (a hit is no use), so that a popular topic's extra
        // mailboxes join existing ones with room rather than each refused home electing itself.
        // Nodes the client already tried are not asked again.
        auto s = subs_.find(sub);
        if (s != subs_.end()) lookup.adopt_tried = s->second.tried;
        lookup.need_new = true;
    }
    if (ask_directory) {
        // The waiting client tried (and lost) these: the walks will meet them again first.
        auto s = subs_.find(sub);
        if (s != subs_.end()) lookup.exclude = s->second.tried;
    }
    lookup.deadline = now + config_.params.lookup_timeout;
    schedule(lookup.deadline, TimerKind::lookup_deadline);
    // The directory is asked when the walks find nothing (finish_walks), or beside them when so
    // configured; never for one more mailbox (it knows no room).
    if (!lookup.need_new && (ask_directory || config_.params.directory_beside_walks)) {
        const bool asked = directory_query(now, topic, lookup.generation);
        // After a failure the answer is waited for even if the walks come back first: they
        // meet only what the client tried.
        lookup.directory_pending = asked && ask_directory;
    }
    launch_walks(now, topic, lookup);
}

void NodeCore::launch_walks(TimePoint now, const std::string& topic, Lookup& lookup) {
    if (neighbours(now).empty()) {
        finish_walks(now, topic);  // alone: nobody to ask
        return;
    }
    for (int i = 0; i < config_.params.walks; ++i) {
        wire::WalkStep step;
        step.walk_id = fresh_id();
        step.origin = self_addr();
        step.topic = topic;
        step.ttl = static_cast<std::uint8_t>(config_.params.walk_ttl);
        step.hops = 0;
        step.want_recruit = true;
        step.need_room = lookup.need_new;
        step.visited.push_back(config_.id);
        lookup.walks.insert(step.walk_id);
        ++stats_.walks_started;
        forward_walk(now, std::move(step), config_.id);
    }
}

void NodeCore::forward_walk(TimePoint now, wire::WalkStep step, const NodeId& previous) {
    const auto& nbrs = neighbours(now);
    auto th = bloom::TopicHash::of(step.topic);
    std::vector<WalkCandidate> cands(nbrs.size());
    // Looked up once per step, not once per neighbour (this loop is a large replay's hot path).
    const std::vector<wire::NodeAddr> known =
        step.need_room ? std::vector<wire::NodeAddr>{} : known_.get(step.topic, now);
    for (std::size_t i = 0; i < nbrs.size(); ++i) {
        const NodeId& id = nbrs[i].id;
        auto& c = cands[i];
        // A walk for one more mailbox has no use for the topic's (full) mailboxes: room only.
        const auto v = hints_.view(id, step.need_room ? nullptr : &th, now);
        if (!step.need_room) {
            c.known_mailbox = std::any_of(known.begin(), known.end(),
                                          [&](const wire::NodeAddr& k) { return k.id == id; });
            c.hint_level = v.level;
        }
        c.room_distance = v.room_distance;
        c.visited = std::find(step.visited.begin(), step.visited.end(), id) != step.visited.end();
        c.previous_hop = id == previous;
    }
    bool seek_room =
        step.want_recruit && step.recruits.size() < config_.params.recruit_choices &&
        (step.hits.empty() || step.need_room);
    auto choice = choose_next_hop(cands, config_.params.hint_radius, config_.params.use_hints,
                                  rng_, seek_room);
    if (!choice) {
        // No neighbour at all: the walk ends here.
        wire::WalkResult r{step.walk_id, step.topic, step.hops, step.first_hit_hop, step.hits,
                           step.recruits};
        if (step.origin.id == config_.id) on_walk_result(now, r);
        else send(step.origin.endpoint.to_endpoint(), r);
        return;
    }
    send(nbrs[choice->index].endpoint, step);
}

void NodeCore::on_walk_step(TimePoint now, const Endpoint& from, wire::WalkStep step) {
    (void)from;
    ++stats_.walk_steps_forwarded;
    step.hops = static_cast<std::uint8_t>(step.hops + 1);
    if (step.ttl > 0) step.ttl = static_cast<std::uint8_t>(step.ttl - 1);
    const auto self = self_addr();
    if (mailbox_.holds(step.topic)) {
        add_unique(step.hits, self, wire::max_walk_hits);
    } else if (step.want_recruit && recruiting(now)) {
        auto load = mailbox_.load(now);
        add_unique(step.recruits,
                   wire::RecruitOffer{self, static_cast<std::uint32_t>(load.registrations),
                                      static_cast<std::uint32_t>(load.topics)},
                   wire::max_walk_hits);
    }
    // Mailboxes of the topic this node already knows count as found (they are checked when the
    // origin registers with them).
    if (config_.params.use_hints)
        for (const auto& m : known_.get(step.topic, now))
            add_unique(step.hits, m, wire::max_walk_hits);
    if (step.first_hit_hop == 0 && !step.hits.empty()) step.first_hit_hop = step.hops;
    NodeId previous = step.visited.empty() ? config_.id : step.visited.back();
    if (step.visited.size() <= wire::max_walk_ttl) step.visited.push_back(config_.id);

    if (step.ttl == 0) {
        wire::WalkResult r;
        r.walk_id = step.walk_id;
        r.topic = step.topic;
        r.hops = step.hops;
        r.first_hit_hop = step.first_hit_hop;
        r.hits = std::move(step.hits);
        r.recruits = std::move(step.recruits);
        if (step.origin.id == config_.id) on_walk_result(now, r);  // the walk came back home
        else send(step.origin.endpoint.to_endpoint(), r);
        return;
    }
    forward_walk(now, std::move(step), previous);
}

void NodeCore::on_walk_result(TimePoint now, const wire::WalkResult& result) {
    auto it = lookups_.find(result.topic);
    if (it == lookups_.end() || !it->second.walks.erase(result.walk_id)) {
        ++stats_.unexpected_messages;  // late: the lookup is over
        for (const auto& h : result.hits) {
            if (h.id == config_.id || suspected(h.id, now)) continue;
            known_.learn(result.topic, h, now);
            link_peer(now, result.topic, h);
        }
        return;
    }
    Lookup& lookup = it->second;
    // Any mailbox of a topic this node holds that a walk met becomes a gossip link.
    if (mailbox_.holds(result.topic))
        for (const auto& h : result.hits)
            if (!suspected(h.id, now)) link_peer(now, result.topic, h);
    if (lookup.discovery) {  // a mailbox's own search: nothing to resolve, no lookup figures
        for (const auto& h : result.hits) known_.learn(result.topic, h, now);
        if (lookup.walks.empty()) lookups_.erase(it);
        return;
    }
    if (!lookup.need_new) {  // walks for room are not searches for the topic's mailboxes
        ++stats_.walks_returned;
        if (!result.hits.empty()) {
            ++stats_.walks_with_hit;
            const std::uint8_t hop = result.first_hit_hop ? result.first_hit_hop : result.hops;
            stats_.walk_hops_to_first_hit += hop;
            ++stats_.walk_first_hit_hop_histogram[std::min<std::size_t>(hop, 32)];
        }
    }
    for (const auto& h : result.hits) {
        // A mailbox that failed to answer us lately (a stale hint or cache met on the way) is
        // no hit: the lookup goes on to the directory rather than resolving on the dead. Nor
        // is one the waiting client tried already (it refused): the directory may name others.
        if (h.id != config_.id && suspected(h.id, now)) continue;
        if (lookup.exclude.contains(h.id)) continue;
        add_unique(lookup.hits, h, wire::max_walk_hits);
        known_.learn(result.topic, h, now);
    }
    for (const auto& r : result.recruits) add_unique(lookup.recruits, r, wire::max_walk_hits);
    // The first hit is enough to serve the waiting clients; later walks only add candidates.
    if (!lookup.hits.empty() && !lookup.need_new) {
        ++stats_.lookups_found_existing;
        auto hits = lookup.hits;
        resolve_lookup(now, result.topic, hits);
        return;
    }
    if (lookup.walks.empty()) finish_walks(now, result.topic);
}

void NodeCore::on_lookup_deadline(TimePoint now, const std::string& topic) {
    auto it = lookups_.find(topic);
    if (it == lookups_.end() || it->second.deadline > now) return;
    Lookup& lookup = it->second;
    lookup.deadline = TimePoint::max();  // acted on once; a new phase sets a new one
    if (lookup.directory_wait) {  // the directory did not answer in time: elect without it
        start_election(now, topic);
        return;
    }
    if (lookup.electing) {
        // Adoption did not finish in time: stop waiting for the recruits, elect ourselves or ask
        // a neighbour. A request in flight keeps its own timeout.
        lookup.recruits.clear();
        if (!lookup.adopt_in_flight) try_adopt(now, topic);
        return;
    }
    lookup.walks.clear();  // lost walks (a hop to a dead node) are given up
    finish_walks(now, topic);
}

void NodeCore::finish_walks(TimePoint now, const std::string& topic) {
    auto it = lookups_.find(topic);
    if (it == lookups_.end()) return;
    Lookup& lookup = it->second;
    if (lookup.discovery) {
        lookups_.erase(it);
        return;
    }
    if (!lookup.hits.empty() && !lookup.need_new) {
        ++stats_.lookups_found_existing;
        auto hits = lookup.hits;
        resolve_lookup(now, topic, hits);
        return;
    }
    // The walks found no mailbox: the directory may know one (mailboxes elected a moment ago,
    // before their hints spread), and if not, it names the arbiter of the election.
    // (Not again when it has answered already: a discovery's query this lookup took over.)
    if (!lookup.need_new && !lookup.directory_answered &&
        (lookup.directory_pending ||
         (!config_.params.directory_beside_walks && directory_query(now, topic, lookup.generation)))) {
        lookup.directory_wait = true;
        lookup.deadline = now + config_.params.lookup_timeout;
        schedule(lookup.deadline, TimerKind::lookup_deadline);
        return;
    }
    start_election(now, topic);
}

void NodeCore::start_election(TimePoint now, const std::string& topic) {
    auto it = lookups_.find(topic);
    if (it == lookups_.end()) return;
    Lookup& lookup = it->second;
    lookup.directory_wait = false;
    lookup.electing = true;
    lookup.deadline = now + config_.params.lookup_timeout;
    schedule(lookup.deadline, TimerKind::lookup_deadline);
    try_adopt(now, topic);
}

// No mailbox of the topic was found. A recruiting mailbox met by a walk adopts it (mailboxes fill
// up before new ones appear); else this home node elects itself if it has room; else an unvisited
// neighbour is asked (any inactive node has room).
void NodeCore::send_adopt(TimePoint now, Lookup& lookup, const std::string& topic,
                          const wire::NodeAddr& target) {
    lookup.adopt_tried.insert(target.id);
    std::uint64_t rid = fresh_id();
    Request req{RequestKind::adopt, 0, topic, target};
    req.lookup_generation = lookup.generation;
    requests_[rid] = std::move(req);
    lookup.adopt_in_flight = rid;
    schedule(now + config_.params.request_timeout, TimerKind::request_timeout, rid);
    send(target.endpoint.to_endpoint(), wire::AdoptRequest{rid, topic});
}

void NodeCore::try_adopt(TimePoint now, const std::string& topic) {
    auto it = lookups_.find(topic);
    if (it == lookups_.end()) return;
    Lookup& lookup = it->second;
    lookup.adopt_in_flight = 0;
    // Nobody is waiting any more (their clients left): elect nothing.
    bool anyone = std::any_of(lookup.waiting.begin(), lookup.waiting.end(),
                              [&](std::uint64_t s) { return subs_.contains(s); });
    if (!anyone) {
        lookups_.erase(it);
        return;
    }
    // The arbiter's winner (or our own claimed candidate, when the claim went unanswered).
    if (lookup.elected && !lookup.adopt_tried.contains(lookup.elected->id)) {
        adopt_candidate(now, lookup, topic, *lookup.elected);
        return;
    }
    auto candidate = next_candidate(now, lookup);
    if (!candidate) {
        ++stats_.lookups_failed;
        resolve_lookup(now, topic, {});
        return;
    }
    if (!lookup.arbiters.empty() && !lookup.elected) {
        send_claim(now, lookup, topic, *candidate);
        return;
    }
    adopt_candidate(now, lookup, topic, *candidate);
}

std::optional<wire::NodeAddr> NodeCore::next_candidate(TimePoint now, const Lookup& lookup) {
    // The least loaded recruit the walks met, this node included when it is recruiting itself.
    std::vector<wire::RecruitOffer> offers = lookup.recruits;
    if (recruiting(now)) {
        auto load = mailbox_.load(now);
        offers.push_back({self_addr(), static_cast<std::uint32_t>(load.registrations),
                          static_cast<std::uint32_t>(load.topics)});
    }
    std::erase_if(offers, [&](const wire::RecruitOffer& o) {
        return lookup.adopt_tried.contains(o.node.id);
    });
    std::shuffle(offers.begin(), offers.end(), rng_);  // ties broken at random
    std::stable_sort(offers.begin(), offers.end(), [](const auto& a, const auto& b) {
        return std::pair(a.registrations, a.topics) < std::pair(b.registrations, b.topics);
    });
    if (!offers.empty()) return offers.front().node;
    // Else this node if it has room, else a neighbour (any inactive node has room).
    if (!lookup.adopt_tried.contains(config_.id)) return self_addr();
    for (const auto& n : neighbours(now))
        if (!lookup.adopt_tried.contains(n.id)) return wire::NodeAddr::from(n.id, n.endpoint);
    return std::nullopt;
}

void NodeCore::adopt_candidate(TimePoint now, Lookup& lookup, const std::string& topic,
                               const wire::NodeAddr& candidate) {
    if (candidate.id != config_.id) {
        send_adopt(now, lookup, topic, candidate);
        return;
    }
    if (!elect_self(now, lookup, topic)) try_adopt(now, topic);  // full: the next candidate
}

// Arbitrated elections (docs/dissemination.md): the candidate is claimed at the node nearest the
// topic's directory key before it is asked to adopt; the answer names the node to adopt.
void NodeCore::send_claim(TimePoint now, Lookup& lookup, const std::string& topic,
                          const wire::NodeAddr& candidate) {
    lookup.elected = candidate;  // kept if the arbiter does not answer
    ++stats_.election_claims;
    const wire::NodeAddr arbiter = lookup.arbiters.front();
    if (arbiter.id == config_.id) {
        lookup.elected = arbitrate(now, topic, candidate);
        if (lookup.elected->id != candidate.id) ++stats_.election_claims_overruled;
        try_adopt(now, topic);
        return;
    }
    std::uint64_t rid = fresh_id();
    Request req{RequestKind::claim, 0, topic, arbiter};
    req.lookup_generation = lookup.generation;
    requests_[rid] = std::move(req);
    lookup.adopt_in_flight = rid;
    schedule(now + config_.params.request_timeout, TimerKind::request_timeout, rid);
    send(arbiter.endpoint.to_endpoint(), wire::ElectionClaim{rid, topic, candidate});
}

wire::NodeAddr NodeCore::arbitrate(TimePoint now, const std::string& topic,
                                   const wire::NodeAddr& candidate) {
    wire::NodeAddr winner = arbiter_.claim(topic, candidate, now);
    stats_.arbiter_granted = arbiter_.counters().granted;
    stats_.arbiter_overruled = arbiter_.counters().overruled;
    stats_.arbiter_evicted = arbiter_.counters().evicted;
    return winner;
}

void NodeCore::on_election_claim(TimePoint now, const Endpoint& from, const wire::ElectionClaim& c) {
    if (!c.candidate.endpoint.to_endpoint().valid()) {
        ++stats_.unexpected_messages;
        return;
    }
    send(from, wire::ElectionVerdict{c.request_id, c.topic, arbitrate(now, c.topic, c.candidate)});
}

void NodeCore::on_election_verdict(TimePoint now, const wire::ElectionVerdict& v) {
    auto rq = requests_.find(v.request_id);
    if (rq == requests_.end() || rq->second.kind != RequestKind::claim ||
        rq->second.topic != v.topic || !v.winner.endpoint.to_endpoint().valid()) {
        ++stats_.unexpected_messages;
        return;
    }
    Request req = rq->second;
    requests_.erase(rq);
    auto it = lookups_.find(req.topic);
    if (it == lookups_.end() || it->second.generation != req.lookup_generation ||
        it->second.adopt_in_flight != v.request_id)
        return;  // a lookup that is over, or a later one
    if (it->second.elected && it->second.elected->id != v.winner.id)
        ++stats_.election_claims_overruled;
    it->second.elected = v.winner;
    try_adopt(now, req.topic);
}

bool NodeCore::elect_self(TimePoint now, Lookup& lookup, const std::string& topic) {
    if (lookup.adopt_tried.contains(config_.id)) return false;
    lookup.adopt_tried.insert(config_.id);
    // A search for one more mailbox (the topic's are full) is not served by this node if it
    // holds the topic already: its clients were refused here too.
    if (lookup.need_new && mailbox_.holds(topic)) return false;
    auto adopted = mailbox_.adopt_topic(topic, now);
    if (adopted == mailbox::AdoptResult::refused_full) return false;
    if (adopted == mailbox::AdoptResult::adopted) {
        ++stats_.lookups_self_elected;
        topic_adopted(now, topic);
    }
    resolve_lookup(now, topic, {self_addr()});
    return true;
}

void NodeCore::on_adopt_timeout(TimePoint now, const Request& req, std::uint64_t request_id) {
    auto it = lookups_.find(req.topic);
    if (it == lookups_.end() || it->second.generation != req.lookup_generation ||
        it->second.adopt_in_flight != request_id)
        return;  // a lookup that is over, or a later one
    Lookup& lookup = it->second;
    if (req.kind == RequestKind::claim && lookup.elected) {
        // The arbiter is silent (suspected now): the same claim at the next nearest node not
        // suspected since the list was made.
        lookup.arbiters.erase(lookup.arbiters.begin());
        std::erase_if(lookup.arbiters,
                      [&](const wire::NodeAddr& a) { return suspected(a.id, now); });
    }
    if (req.kind == RequestKind::claim && lookup.elected && !lookup.arbiters.empty()) {
        ++stats_.election_arbiter_failovers;
        send_claim(now, lookup, req.topic, *lookup.elected);
        return;
    }
    try_adopt(now, req.topic);
}

void NodeCore::on_adopt_reply(TimePoint now, std::uint64_t request_id, const wire::AdoptReply& r) {
    auto rq = requests_.find(request_id);
    if (rq == requests_.end() || rq->second.kind != RequestKind::adopt) {
        ++stats_.unexpected_messages;
        return;
    }
    Request req = rq->second;
    requests_.erase(rq);
    auto it = lookups_.find(req.topic);
    bool current = it != lookups_.end() && it->second.generation == req.lookup_generation &&
                   it->second.adopt_in_flight == request_id;
    // A node that holds the topic already is not one more mailbox: the search goes on.
    if (r.status == wire::AdoptStatus::refused_full ||
        (current && it->second.need_new && r.status == wire::AdoptStatus::already_held)) {
        if (r.status == wire::AdoptStatus::already_held) known_.learn(req.topic, req.target, now);
        if (current) try_adopt(now, req.topic);
        return;
    }
    if (!current) {
        // The lookup ended meanwhile (or there was none: a backup, node_backup.cpp); the node
        // holds the topic anyway: remember it, and link it if this node holds the topic too.
        known_.learn(req.topic, req.target, now);
        if (req.lookup_generation == 0 && mailbox_.holds(req.topic)) {
            ++stats_.backups_linked;
            link_peer(now, req.topic, req.target);
        }
        return;
    }
    ++stats_.lookups_recruited;
    known_.learn(req.topic, req.target, now);
    resolve_lookup(now, req.topic, {req.target});
}

// The lookup is over: every waiting subscription tries the mailboxes found (or fails).
void NodeCore::resolve_lookup(TimePoint now, const std::string& topic,
                              const std::vector<wire::NodeAddr>& mailboxes) {
    auto it = lookups_.find(topic);
    if (it == lookups_.end()) return;
    std::vector<std::uint64_t> waiting = std::move(it->second.waiting);
    lookups_.erase(it);
    for (std::uint64_t sub_id : waiting) {
        auto s = subs_.find(sub_id);
        if (s == subs_.end()) continue;
        // A random order spreads the clients of a popular topic over all its mailboxes found,
        // rather than piling them on the one the walks meet first.
        std::vector<wire::NodeAddr> order = mailboxes;
        std::shuffle(order.begin(), order.end(), rng_);
        for (const auto& m : order)
            if (!s->second.tried.contains(m.id)) s->second.candidates.push_back(m);
        try_next_candidate(now, sub_id);
    }
}

}  // namespace elmo
