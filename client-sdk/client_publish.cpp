// The client core's publications (DESIGN 2.6): building and sealing events, the outbox and its
// retries until a mailbox has stored each event, the mailboxes learned from the answers, and the
// hand-ins of events a mailbox asked for in a poll answer (DESIGN 2.5).
#include <algorithm>

#include "client-sdk/backoff.hpp"
#include "client-sdk/client_core.hpp"
#include "client-sdk/mailbox_list.hpp"

namespace elmo {

Result<wire::EventId, ClientCore::PublishError> ClientCore::publish(TimePoint now,
                                                                    const std::string& topic,
                                                                    Bytes payload) {
    now = advance(now);
    if (!wire::valid_topic(topic)) return Err{PublishError::invalid_topic};
    if (payload.size() > wire::limits::max_payload_bytes)
        return Err{PublishError::payload_too_large};
    // Refused rather than queued by dropping another: an accepted publish() is a promise.
    if (outbox_.full()) {
        ++stats_.outbox_refused;
        return Err{PublishError::outbox_full};
    }
    wire::Event e;
    e.topic = topic;
    e.publisher = client_id_;
    e.seq = next_seq_++;
    e.timestamp_ms = wall_.to_unix_ms(now);
    e.expiry_ms =
        e.timestamp_ms +
        std::chrono::duration_cast<std::chrono::milliseconds>(params_.event_lifetime).count();
    e.payload = std::move(payload);
    e.seal();
    wire::EventId id = e.id;
    outbox_.add(std::move(e), now);  // cannot fail: not full, and a new seq gives a new id
    if (auto p = publish_topics_.find(topic); p != publish_topics_.end())
        p->second.last_use = ++publish_topic_use_;
    pump(now);  // at once if connected; queued otherwise
    return id;
}

bool ClientCore::pump_publishes(TimePoint now) {
    if (link_ != Link::connected) return false;
    bool sent = false;
    // Publication order: the oldest waiting event goes first.
    for (auto& [key, e] : outbox_.entries()) {
        if (outbox_.in_flight() >= params_.max_publish_in_flight) break;
        if (e.request_id != 0 || e.next_attempt > now) continue;
        send_publish(now, e);
        sent = true;
    }
    return sent;
}

void ClientCore::send_publish(TimePoint now, Outbox::Entry& e) {
    std::uint64_t id = next_request_id_++;
    if (e.sent_before) ++stats_.publish_retries;
    ++stats_.publishes_sent;
    outbox_.mark_sent(e, id, now + params_.request_timeout);
    send(now, wire::Publish{id, e.event, publish_preferred(e.event.topic), /*hand_in=*/false});
}

// The topic's current (or last) mailbox first, then the others known: the home tries them before
// a lookup of its own, as for a Subscribe.
std::vector<wire::NodeAddr> ClientCore::publish_preferred(const std::string& topic) const {
    if (auto t = topics_.find(topic); t != topics_.end())
        return preferred(t->second.mailbox, t->second.known_mailboxes);
    if (auto p = publish_topics_.find(topic); p != publish_topics_.end())
        return preferred({}, p->second.mailboxes);
    return {};
}

void ClientCore::on_publish_result(TimePoint now, const wire::PublishResult& r) {
    if (hand_ins_.erase(r.request_id) > 0) {
        ++stats_.hand_in_results;  // fire-and-forget: the next poll tells if it is still wanted
        return;
    }
    Outbox::Entry* e = outbox_.find(r.event_id);
    if (e == nullptr) {
        ++stats_.stale_results;  // accepted already through an earlier request, or not ours
        return;
    }
    if (r.status == wire::PublishStatus::accepted) {
        // Whichever of the event's requests this answers: a mailbox holds it, it is safe.
        std::optional<wire::Event> event = outbox_.remove(r.event_id);
        ++stats_.publishes_accepted;
        learn_publish_mailboxes(event->topic, r);
        publications_due(now, event->topic);
        stats_.own_history_dropped += own_history_.add(*event, now);
        callbacks_.emplace_back(std::pair{r.event_id, PublishOutcome::accepted});
        return;
    }
    // A failure speaks only for the request it answers: an older one's is overtaken by events.
    if (e->request_id != r.request_id) {
        ++stats_.stale_results;
        return;
    }
    if (r.status == wire::PublishStatus::invalid) {
        // The home cannot parse or verify what we built: sending it again would be refused again.
        outbox_.remove(r.event_id);
        ++stats_.publish_failed_invalid;
        callbacks_.emplace_back(std::pair{r.event_id, PublishOutcome::failed_invalid});
        return;
    }
    ++stats_.publish_failed;  // no mailbox stored it (or an unknown status): retry later
    outbox_.mark_idle(*e);
    ++e->failures;
    e->next_attempt = now + jittered_backoff(params_.retry_initial, params_.retry_max, e->failures,
                                             params_.backoff_jitter, rng_);
}

// The backoff is for a topic without a reachable mailbox; once one answers, the publications
// behind it need not wait: after a mailbox was killed, a publisher's 6 events failed once or
// twice and sat out 5-20 s backoffs while the next event of the topic was accepted at once
// (ElmodHeavy, session 13).
void ClientCore::publications_due(TimePoint now, const std::string& topic) {
    for (auto& [key, e] : outbox_.entries()) {
        if (e.request_id != 0 || e.failures == 0 || e.next_attempt <= now || e.event.topic != topic)
            continue;
        // The backoff exponent stays: one that keeps failing is not retried at every success.
        e.next_attempt = now;
        ++stats_.publications_woken;
    }
}

void ClientCore::learn_publish_mailboxes(const std::string& topic, const wire::PublishResult& r) {
    if (!is_set(r.mailbox)) return;
    learn_nodes(r.mailbox, r.other_mailboxes);
    std::vector<wire::NodeAddr>* list = nullptr;
    std::size_t bound = params_.mailboxes_per_topic;
    NodeId current{};
    bool has_current = false;
    if (auto t = topics_.find(topic); t != topics_.end()) {
        list = &t->second.known_mailboxes;
        has_current = is_set(t->second.mailbox);
        current = t->second.mailbox.id;
    } else {
        if (params_.publish_topics_remembered == 0) return;
        if (!publish_topics_.contains(topic) &&
            publish_topics_.size() >= params_.publish_topics_remembered) {
            auto oldest = std::min_element(
                publish_topics_.begin(), publish_topics_.end(),
                [](const auto& a, const auto& b) { return a.second.last_use < b.second.last_use; });
            publish_topics_.erase(oldest);
        }
        PublishTopic& p = publish_topics_[topic];
        p.last_use = ++publish_topic_use_;
        list = &p.mailboxes;
    }
    // The mailbox that stored the event first (it is alive), then the others it named.
    for (auto o = r.other_mailboxes.rbegin(); o != r.other_mailboxes.rend(); ++o)
        if (!has_current || o->id != current) learn_front(*list, *o, bound);
    if (!has_current || r.mailbox.id != current) learn_front(*list, r.mailbox, bound);
}

std::size_t ClientCore::check_publish_timeouts(TimePoint now) {
    std::size_t late = 0;
    for (auto& [key, e] : outbox_.entries()) {
        if (e.request_id == 0 || e.deadline > now) continue;
        // Its answer may still come and is taken if it says accepted; meanwhile, back off.
        outbox_.mark_idle(e);
        ++late;
        ++stats_.request_timeouts;
        ++consecutive_timeouts_;
        ++e.failures;
        e.next_attempt = now + jittered_backoff(params_.retry_initial, params_.retry_max,
                                                e.failures, params_.backoff_jitter, rng_);
    }
    return late;
}

void ClientCore::hand_in(TimePoint now, const wire::Event& event, const wire::NodeAddr& mailbox) {
    std::uint64_t id = next_request_id_++;
    hand_ins_.insert(id);
    while (hand_ins_.size() > max_hand_ins_remembered) hand_ins_.erase(hand_ins_.begin());
    ++stats_.hand_ins_sent;
    send(now, wire::Publish{id, event, {mailbox}, /*hand_in=*/true});
}

const wire::Event* ClientCore::held_event(const wire::EventId& id) const {
    if (const wire::Event* e = own_history_.find(id)) return e;
    return carried_.find(id);
}

}  // namespace elmo
