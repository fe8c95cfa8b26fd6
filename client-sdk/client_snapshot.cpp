// Export and restore of what outlives the process (client_snapshot.hpp).
#include <algorithm>

#include "client-sdk/client_core.hpp"
#include "client-sdk/mailbox_list.hpp"

namespace elmo {

ClientSnapshot ClientCore::snapshot() const {
    ClientSnapshot s;
    s.next_seq = next_seq_;
    s.topics.reserve(topics_.size());
    for (const auto& [name, t] : topics_) {
        ClientSnapshot::Topic out;
        out.name = name;
        out.mailbox = t.mailbox;
        out.known = t.known_mailboxes;
        out.seen.assign(t.seen.oldest_first().begin(), t.seen.oldest_first().end());
        out.caught_up_ms = t.caught_up_ms;
        out.cursor_mailbox = t.cursor_mailbox;
        out.poll_cursor = t.poll_cursor;
        s.topics.push_back(std::move(out));
    }
    for (const auto& [key, e] : outbox_.entries()) s.outbox.push_back(e.event);
    s.nodes = nodes_.learned();
    return s;
}

bool ClientCore::restore(TimePoint now, const ClientSnapshot& s) {
    if (started_) return false;
    now = advance(now);
    next_seq_ = std::max(next_seq_, s.next_seq);
    for (const auto& n : s.nodes) nodes_.learn(n);  // least recent first: recency kept
    for (const auto& in : s.topics) {
        if (!wire::valid_topic(in.name) || topics_.size() >= params_.max_topics) {
            ++stats_.topics_refused;
            continue;
        }
        TopicState& t = topics_[in.name];
        t = TopicState{};
        t.mailbox = in.mailbox;
        for (const auto& m : in.known)
            if (is_set(m) && m.id != in.mailbox.id)
                learn_back(t.known_mailboxes, m, params_.mailboxes_per_topic);
        for (const auto& id : in.seen)
            stats_.seen_evicted += t.seen.insert(id, params_.seen_ids_per_topic);
        t.caught_up_ms = in.caught_up_ms;
        t.cursor_mailbox = in.cursor_mailbox;
        t.poll_cursor = in.poll_cursor;
        t.next_attempt = now;  // sent on the first connection
        // A mailbox is a node (DESIGN 2.5); normally in s.nodes already.
        auto learn = [&](const wire::NodeAddr& m) {
            Endpoint e = m.endpoint.to_endpoint();
            if (is_set(m) && !nodes_.contains(e)) nodes_.learn(e);
        };
        learn(t.mailbox);
        for (const auto& m : t.known_mailboxes) learn(m);
    }
    for (const auto& e : s.outbox) {
        if (e.publisher != client_id_ || outbox_.full()) continue;  // not ours, or no room
        if (!outbox_.add(e, now)) continue;                         // duplicate
        next_seq_ = std::max(next_seq_, e.seq + 1);
    }
    return true;
}

}  // namespace elmo
