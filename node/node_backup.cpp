// A backup mailbox (docs/dissemination.md, "Backup mailbox"). Lookups find a topic's existing
// mailbox through the walks, so a topic often has exactly one; when it dies (a churn wave, a
// crash), the events only it held die with it, and the history replica in the DHT covers only
// the last 64 of them. A mailbox alone with a topic that has subscribers therefore asks a
// neighbour to adopt the topic too and links it: the gossip tree copies every later event to
// it, and the first digests repair the last digest_window of history.
#include "node/node_core.hpp"

namespace elmo {

void NodeCore::maybe_recruit_backup(TimePoint now, const std::string& topic) {
    const std::size_t min = config_.params.backup_min_registrations;
    if (min == 0 || !mailbox_.holds(topic)) return;
    const gossip::TopicTree* tree = gossip_.tree(topic);
    if (tree && !tree->peers().empty()) return;  // not alone
    if (mailbox_.clients(topic).size() < min) return;
    for (const auto& r : requests_)  // one request at a time per topic
        if (r.second.kind == RequestKind::adopt && r.second.topic == topic &&
            r.second.lookup_generation == 0)
            return;
    // A random live neighbour: any node not at capacity adopts (it refuses when full, and the
    // next round asks another).
    std::vector<Neighbour> cands;
    for (const auto& n : neighbours(now))
        if (n.id != config_.id && !suspected(n.id, now)) cands.push_back(n);
    if (cands.empty()) return;
    const Neighbour& pick = cands[std::uniform_int_distribution<std::size_t>(0, cands.size() - 1)(rng_)];
    const wire::NodeAddr target = wire::NodeAddr::from(pick.id, pick.endpoint);
    const std::uint64_t rid = fresh_id();
    requests_[rid] = Request{RequestKind::adopt, 0, topic, target};  // generation 0: no lookup
    schedule(now + config_.params.request_timeout, TimerKind::request_timeout, rid);
    ++stats_.backups_requested;
    send(target.endpoint.to_endpoint(), wire::AdoptRequest{rid, topic});
}

}  // namespace elmo
