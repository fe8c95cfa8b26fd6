// The client core's subscriptions: subscribing, renewing before a registration lapses, moving
// off a lost mailbox, retrying with backoff, and unsubscribing (DESIGN 2.3, 2.5).
#include <algorithm>

#include "client-sdk/backoff.hpp"
#include "client-sdk/client_core.hpp"
#include "client-sdk/mailbox_list.hpp"

namespace elmo {

TimePoint ClientCore::subscribe(TimePoint now, const std::string& topic) {
    now = advance(now);
    if (topics_.contains(topic)) return next_wakeup();
    if (!wire::valid_topic(topic) || topics_.size() >= params_.max_topics) {
        ++stats_.topics_refused;
        return next_wakeup();
    }
    TopicState& t = topics_[topic];
    t.next_attempt = now;
    // A new subscriber asks for what arrives from now on (less the margin), not the history.
    t.caught_up_ms = wall_.to_unix_ms(now);
    // Mailboxes learned by publishing to the topic are the best first guesses.
    if (auto p = publish_topics_.find(topic); p != publish_topics_.end()) {
        t.known_mailboxes = std::move(p->second.mailboxes);
        if (t.known_mailboxes.size() > params_.mailboxes_per_topic)
            t.known_mailboxes.resize(params_.mailboxes_per_topic);
        publish_topics_.erase(p);
    }
    pump(now);  // sent at once if connected, else on the next connection
    return next_wakeup();
}

TimePoint ClientCore::unsubscribe(TimePoint now, const std::string& topic) {
    now = advance(now);
    auto it = topics_.find(topic);
    if (it == topics_.end()) return next_wakeup();
    const TopicState& t = it->second;
    // Offline, the registration simply lapses at the mailbox (no renewal): nothing to queue.
    if (link_ == Link::connected && t.registered && is_set(t.mailbox)) {
        ++stats_.unsubscribes_sent;
        send(now, wire::Unsubscribe{topic, {t.mailbox}});
    }
    // A request still in flight stays in requests_: its answer is turned into an Unsubscribe.
    // A poll in flight stays in polls_: its answer is stale.
    topics_.erase(it);
    carried_.erase_topic(topic);  // polls of the topic, which would hand them in, are over
    return next_wakeup();
}

// The home forgets a session's registrations when its connection closes (it stops watching
// those mailboxes, so no MailboxLost would come, and the mailbox must learn the new home to push
// to): every registration is renewed on every new connection, whichever node it is.
// A registration still held is polled at once too: the client may have missed pushes while
// offline (DESIGN 2.5: poll on reconnection). The others are polled once registered.
void ClientCore::topics_due_on_new_connection(TimePoint now) {
    for (auto& [topic, t] : topics_) {
        t.next_attempt = now;
        if (t.registered && is_set(t.mailbox)) request_poll(now, t);
    }
}

// A phone back after every mailbox it knew had crashed named only dead mailboxes: its home tried
// each for a request timeout (3 s) before a lookup of its own, and a publication of the hottest
// topic made 1.5 s before the phone went offline again never left it (1,500 nodes, every mailbox
// crashed: the one window below 99% 14 minutes after the crash). The client knows better: it
// tried those nodes itself and was refused.
bool ClientCore::refused_us(const wire::NodeAddr& mailbox) const {
    const Endpoint node = mailbox.endpoint.to_endpoint();
    if (link_ == Link::connected && target_ && *target_ == node) return false;  // our home now
    return nodes_.failures(node) > 0;
}

std::vector<wire::NodeAddr> ClientCore::preferred(const wire::NodeAddr& current,
                                                  const std::vector<wire::NodeAddr>& known) const {
    std::vector<wire::NodeAddr> usable;
    for (const auto& m : known)
        if (!refused_us(m)) usable.push_back(m);
    const std::size_t max = std::min(params_.max_preferred, wire::max_mailboxes_listed);
    return preferred_list(is_set(current) && !refused_us(current) ? current : wire::NodeAddr{},
                          usable, max);
}

Duration ClientCore::renew_delay(Duration lifetime) {
    Duration d = stretched(std::chrono::duration_cast<Duration>(lifetime * params_.renew_fraction),
                           params_.renew_jitter, rng_);
    return std::max(d, params_.min_renew_delay);
}

Duration ClientCore::coalesce_window(const TopicState& t) const {
    return std::chrono::duration_cast<Duration>(t.lifetime * params_.renew_fraction *
                                                params_.renew_coalesce);
}

bool ClientCore::subscribe_due(TimePoint now) const {
    if (requests_.size() >= params_.max_in_flight) return false;
    for (const auto& [topic, t] : topics_)
        if (t.pending_request == 0 && t.next_attempt <= now) return true;
    return false;
}

void ClientCore::pump_subscribes(TimePoint now, bool radio_up) {
    if (link_ != Link::connected || requests_.size() >= params_.max_in_flight) return;
    using It = std::map<std::string, TopicState>::iterator;
    std::vector<It> due, riders;
    for (auto it = topics_.begin(); it != topics_.end(); ++it) {
        const TopicState& t = it->second;
        if (t.pending_request != 0) continue;
        if (t.next_attempt <= now) due.push_back(it);
        else if (t.registered && t.failures == 0 && t.next_attempt - now <= coalesce_window(t))
            riders.push_back(it);
    }
    if (due.empty() && !radio_up) return;  // riders only ride along: no wake-up of their own
    // Topics with no live registration first (they get nothing until answered), then by due
    // time; stable sort keeps the map's name order among equals.
    std::stable_sort(due.begin(), due.end(), [](It a, It b) {
        if (a->second.registered != b->second.registered) return !a->second.registered;
        return a->second.next_attempt < b->second.next_attempt;
    });
    std::stable_sort(riders.begin(), riders.end(),
                     [](It a, It b) { return a->second.next_attempt < b->second.next_attempt; });
    due.insert(due.end(), riders.begin(), riders.end());
    for (It it : due) {
        if (requests_.size() >= params_.max_in_flight) break;
        send_subscribe(now, it->first, it->second);
    }
}

void ClientCore::send_subscribe(TimePoint now, const std::string& topic, TopicState& t) {
    std::uint64_t id = next_request_id_++;
    wire::Subscribe s{id, topic, preferred(t.mailbox, t.known_mailboxes)};
    t.pending_request = id;
    requests_[id] = Request{topic, now + params_.request_timeout};
    if (t.registered) ++stats_.renewals_sent;
    else ++stats_.subscribes_sent;
    send(now, s);
}

void ClientCore::learn_nodes(const wire::NodeAddr& mailbox,
                             const std::vector<wire::NodeAddr>& others) {
    if (is_set(mailbox)) nodes_.learn(mailbox.endpoint.to_endpoint());
    for (const auto& o : others)
        if (is_set(o)) nodes_.learn(o.endpoint.to_endpoint());
}

void ClientCore::request_failed(TimePoint now, TopicState& t) {
    ++t.failures;
    t.next_attempt = now + jittered_backoff(params_.retry_initial, params_.retry_max, t.failures,
                                            params_.backoff_jitter, rng_);
}

void ClientCore::on_subscribe_result(TimePoint now, const wire::SubscribeResult& r) {
    bool granted = r.status == wire::SubscribeStatus::registered && is_set(r.mailbox) &&
                   r.lifetime_s > 0;
    auto rq = requests_.find(r.request_id);
    if (rq == requests_.end()) {
        ++stats_.stale_results;  // timed out earlier, or from before a reconnect
        return;
    }
    std::string topic = std::move(rq->second.topic);
    requests_.erase(rq);
    auto it = topics_.find(topic);
    if (it == topics_.end() || it->second.pending_request != r.request_id) {
        // Unsubscribed while the request was out (perhaps subscribed again since).
        ++stats_.stale_results;
        if (it == topics_.end() && granted && r.topic == topic) {
            ++stats_.unsubscribes_sent;
            send(now, wire::Unsubscribe{topic, {r.mailbox}});
        }
        return;
    }
    TopicState& t = it->second;
    t.pending_request = 0;
    if (r.topic != topic) {
        ++stats_.unexpected_messages;  // the home answered about another topic: a failed try
        granted = false;
    }
    if (!granted) {
        ++stats_.subscribe_failed;
        request_failed(now, t);
        return;
    }
    ++stats_.subscribe_ok;
    // A new registration (first, after a lapse or loss, or on another mailbox) is polled at once:
    // a client that moved gets what it missed meanwhile. A renewal in place is not.
    bool new_registration = !t.registered || !is_set(t.mailbox) || t.mailbox.id != r.mailbox.id;
    std::size_t bound = params_.mailboxes_per_topic;
    if (is_set(t.mailbox) && t.mailbox.id != r.mailbox.id) {
        // The home registered elsewhere (the old mailbox refused, is full or gone): the new one
        // replaces it; the old stays known, last, in case it was only busy.
        if (t.registered) ++stats_.mailbox_changes;
        learn_back(t.known_mailboxes, t.mailbox, bound);
    }
    t.mailbox = r.mailbox;
    t.registered = true;
    t.failures = 0;
    t.lifetime = std::chrono::seconds(r.lifetime_s);
    t.expires = now + t.lifetime;
    forget(t.known_mailboxes, r.mailbox.id);
    for (auto o = r.other_mailboxes.rbegin(); o != r.other_mailboxes.rend(); ++o)
        if (o->id != r.mailbox.id) learn_front(t.known_mailboxes, *o, bound);
    t.next_attempt = now + renew_delay(t.lifetime);
    learn_nodes(r.mailbox, r.other_mailboxes);
    // Moved from a mailbox it had polled: one other known mailbox is polled too, from before
    // the move (client_core.hpp, TopicState::backfill).
    if (new_registration && t.cursor_mailbox != NodeId{} && t.cursor_mailbox != r.mailbox.id) {
        t.backfill = {};
        for (const auto& k : t.known_mailboxes)
            if (k.id != r.mailbox.id) {
                t.backfill = k;
                break;
            }
        t.backfill_since_ms = poll_since_ms(t);
        t.backfill_ready = false;
        t.backfill_cursor = 0;
    }
    if (new_registration) request_poll(now, t);
    publications_due(now, topic);
}

void ClientCore::on_mailbox_lost(TimePoint now, const wire::MailboxLost& m) {
    ++stats_.mailbox_lost_notices;
    learn_nodes({}, m.successors);
    auto it = topics_.find(m.topic);
    if (it == topics_.end()) {
        // A topic only published to: its next publication must not name the lost mailbox first.
        if (auto p = publish_topics_.find(m.topic); p != publish_topics_.end())
            forget(p->second.mailboxes, m.mailbox.id);
        return;
    }
    TopicState& t = it->second;
    forget(t.known_mailboxes, m.mailbox.id);
    // Successors first, in the order given: the lost mailbox's own choice of replacement.
    for (auto s = m.successors.rbegin(); s != m.successors.rend(); ++s)
        if (s->id != m.mailbox.id) learn_front(t.known_mailboxes, *s, params_.mailboxes_per_topic);
    if (mailbox_gone(now, t, m.mailbox.id)) ++stats_.mailbox_lost_current;
}

bool ClientCore::mailbox_gone(TimePoint now, TopicState& t, const NodeId& mailbox) {
    forget(t.known_mailboxes, mailbox);
    if (!is_set(t.mailbox) || t.mailbox.id != mailbox) return false;  // not current: forgotten
    t.registered = false;
    t.mailbox = {};
    // Re-register at once (pump runs after this frame). A request already out will answer. The
    // new registration polls.
    if (t.pending_request == 0) t.next_attempt = now;
    return true;
}

std::size_t ClientCore::check_subscribe_timeouts(TimePoint now) {
    std::vector<std::uint64_t> late;
    for (const auto& [id, rq] : requests_)
        if (rq.deadline <= now) late.push_back(id);
    for (std::uint64_t id : late) {
        auto rq = requests_.find(id);
        std::string topic = std::move(rq->second.topic);
        requests_.erase(rq);
        ++stats_.request_timeouts;
        ++consecutive_timeouts_;
        auto it = topics_.find(topic);
        if (it != topics_.end() && it->second.pending_request == id) {
            it->second.pending_request = 0;
            request_failed(now, it->second);
        }
    }
    return late.size();
}

void ClientCore::expire_registrations(TimePoint now) {
    for (auto& [topic, t] : topics_) {
        if (t.registered && t.expires <= now) {
            t.registered = false;  // the mailbox has let it lapse; retries are already running
            ++stats_.registrations_lapsed;
        }
    }
}

}  // namespace elmo
