// This node in the mailbox role: adopting topics and registering clients on request, and the
// notices of evaporated topics it receives as a home node (DESIGN 2.3).
#include "node/node_core.hpp"

namespace elmo {

wire::RegisterReply NodeCore::register_locally(TimePoint now, const Endpoint& home,
                                               const wire::RegisterRequest& r,
                                               bool beyond_topic_budget) {
    wire::RegisterReply reply;
    reply.request_id = r.request_id;
    reply.topic = r.topic;
    reply.client_id = r.client_id;
    auto outcome = mailbox_.register_client(r.topic, r.client_id, home, now, beyond_topic_budget);
    switch (outcome.result) {
        case mailbox::RegisterResult::registered:
            reply.status = wire::RegisterStatus::registered;
            break;
        case mailbox::RegisterResult::renewed: reply.status = wire::RegisterStatus::renewed; break;
        case mailbox::RegisterResult::refused_full:
            reply.status = wire::RegisterStatus::refused_full;
            break;
        case mailbox::RegisterResult::not_held: reply.status = wire::RegisterStatus::not_held; break;
    }
    reply.lifetime_s = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(mailbox_.params().registration_lifetime)
            .count());
    reply.other_mailboxes = other_mailboxes(r.topic, now);
    return reply;
}

// Other mailboxes of the topic: linked ones, then ones this node has heard of.
std::vector<wire::NodeAddr> NodeCore::other_mailboxes(const std::string& topic, TimePoint now) {
    std::vector<wire::NodeAddr> out;
    auto add = [&](const wire::NodeAddr& a) {
        if (a.id == config_.id || out.size() >= wire::max_mailboxes_listed) return;
        for (const auto& o : out)
            if (o.id == a.id) return;
        out.push_back(a);
    };
    // Only peers that answered their link, and nobody this node suspects: a new mailbox links
    // the directory's stale entries of dead ones (they live 10 minutes), and phones told of them
    // named them in every Subscribe after a crash, 3 s lost on each.
    const gossip::TopicTree* tree = gossip_.tree(topic);
    for (const auto& l : mailbox_.links(topic))
        if (tree && tree->answered(l.id) && !suspected(l.id, now))
            add(wire::NodeAddr::from(l.id, l.endpoint));
    for (const auto& k : known_.get(topic, now))
        if (!suspected(k.id, now) && !(tree && tree->has_peer(k.id) && !tree->answered(k.id)))
            add(k);
    return out;
}

void NodeCore::on_register_request(TimePoint now, const Endpoint& from,
                                   const wire::RegisterRequest& r) {
    send(from, register_locally(now, from, r));
}

void NodeCore::on_adopt_request(TimePoint now, const Endpoint& from, const wire::AdoptRequest& r) {
    wire::AdoptReply reply{r.request_id, r.topic, wire::AdoptStatus::adopted};
    if (!wire::valid_topic(r.topic)) {
        reply.status = wire::AdoptStatus::refused_full;
    } else {
        switch (mailbox_.adopt_topic(r.topic, now)) {
            case mailbox::AdoptResult::adopted:
                reply.status = wire::AdoptStatus::adopted;
                topic_adopted(now, r.topic);
                break;
            case mailbox::AdoptResult::already_held:
                reply.status = wire::AdoptStatus::already_held;
                break;
            case mailbox::AdoptResult::refused_full:
                reply.status = wire::AdoptStatus::refused_full;
                break;
        }
    }
    send(from, reply);
}

void NodeCore::on_topic_evaporated(TimePoint now, const Endpoint& from,
                                   const wire::TopicEvaporated& e) {
    // Which node sent it: a watched mailbox, or this node itself. Another mailbox of the topic
    // (a link) needs nothing more than to forget the sender.
    NodeId sender = config_.id;
    if (from != config_.endpoint) {
        bool found = false;
        for (const auto& [id, w] : watched_)
            if (w.endpoint == from) {
                sender = id;
                found = true;
                break;
            }
        if (!found) {
            if (auto id = neighbour_id(from, now)) known_.forget(e.topic, *id);
            for (const auto& s : e.successors)
                if (s.id != config_.id) known_.learn(e.topic, s, now);
            return;
        }
    }
    known_.forget(e.topic, sender);
    for (const auto& s : e.successors) known_.learn(e.topic, s, now);
    mailbox_gone(now, sender, &e.topic, e.successors);
}

}  // namespace elmo
