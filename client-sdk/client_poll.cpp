// The client core's receiving side (DESIGN 2.5): events pushed by mailboxes (Deliver) and fetched
// by polls, each handed to the app once per topic; the polls themselves, which also hand in what
// a mailbox lacks and learn other mailboxes of the topic.
#include <algorithm>
#include <set>

#include "client-sdk/backoff.hpp"
#include "client-sdk/client_core.hpp"
#include "client-sdk/mailbox_list.hpp"

namespace elmo {

// ---------------- delivery ----------------

void ClientCore::on_deliver(TimePoint now, const wire::Deliver& d) {
    for (const auto& e : d.events) {
        if (!topics_.contains(e.topic)) {
            ++stats_.events_unsubscribed;  // a push in flight when the app unsubscribed
            continue;
        }
        receive_event(now, e.topic, e);
    }
}

void ClientCore::receive_event(TimePoint now, const std::string& topic, const wire::Event& e) {
    // The decoder already checks the id; checked again because the app must never get an event
    // whose id (the dedup key) does not name its content, whatever the transport did.
    if (e.topic != topic || e.content_id() != e.id) {
        ++stats_.events_invalid;
        return;
    }
    TopicState& t = topics_.at(topic);
    if (t.seen.contains(e.id)) {
        ++stats_.duplicates_received;
        return;
    }
    stats_.seen_evicted += t.seen.insert(e.id, params_.seen_ids_per_topic);
    if (e.publisher == client_id_) {
        // Recorded as seen (so polls offer it) but not handed back: the app knows its own.
        ++stats_.own_events_received;
        return;
    }
    ++stats_.events_delivered;
    stats_.carried_dropped += carried_.add(e, now);
    callbacks_.emplace_back(e);
}

// ---------------- polling ----------------

TimePoint ClientCore::poll_now(TimePoint now) {
    now = advance(now);
    for (auto& [topic, t] : topics_)
        if (t.registered && is_set(t.mailbox)) request_poll(now, t);
    pump(now);  // offline, the polls go out on connection
    return next_wakeup();
}

void ClientCore::request_poll(TimePoint now, TopicState& t) {
    if (t.pending_poll != 0) t.poll_again = true;
    else t.next_poll = now;
}

bool ClientCore::poll_due(TimePoint now) const {
    if (polls_.size() >= params_.max_polls_in_flight) return false;
    for (const auto& [topic, t] : topics_)
        if (t.pending_poll == 0 && t.registered && is_set(t.mailbox) && t.next_poll <= now)
            return true;
    return false;
}

void ClientCore::pump_polls(TimePoint now, bool radio_up) {
    if (link_ != Link::connected || polls_.size() >= params_.max_polls_in_flight) return;
    using It = std::map<std::string, TopicState>::iterator;
    std::vector<It> due, riders;
    const auto window =
        std::chrono::duration_cast<Duration>(params_.poll_period * params_.renew_coalesce);
    for (auto it = topics_.begin(); it != topics_.end(); ++it) {
        const TopicState& t = it->second;
        if (t.pending_poll != 0 || !t.registered || !is_set(t.mailbox)) continue;
        if (t.next_poll <= now) due.push_back(it);
        else if (radio_up && t.poll_failures == 0 && t.next_poll != TimePoint::max() &&
                 t.next_poll - now <= window)
            riders.push_back(it);
    }
    if (due.empty() && !radio_up) return;  // riders only ride along: no wake-up of their own
    auto by_time = [](It a, It b) { return a->second.next_poll < b->second.next_poll; };
    std::stable_sort(due.begin(), due.end(), by_time);
    std::stable_sort(riders.begin(), riders.end(), by_time);
    due.insert(due.end(), riders.begin(), riders.end());
    for (It it : due) {
        if (polls_.size() >= params_.max_polls_in_flight) break;
        send_poll(now, it->first, it->second);
    }
}

void ClientCore::send_poll(TimePoint now, const std::string& topic, TopicState& t) {
    std::uint64_t id = next_request_id_++;
    t.pending_poll = id;
    // The backfill goes once the current mailbox has answered in full (its cursor is its own).
    if (is_set(t.backfill) && t.backfill_ready) {
        polls_[id] = PollRequest{topic, t.backfill.id, now + params_.request_timeout, now, true};
        ++stats_.polls_sent;
        ++stats_.backfill_polls;
        send(now, wire::Poll{id, topic, t.backfill, known_ids(topic, t), t.backfill_cursor,
                             t.backfill_since_ms});
        return;
    }
    polls_[id] = PollRequest{topic, t.mailbox.id, now + params_.request_timeout, now};
    ++stats_.polls_sent;
    const std::uint64_t cursor = t.cursor_mailbox == t.mailbox.id ? t.poll_cursor : 0;
    const std::int64_t since = poll_since_ms(t);
    send(now, wire::Poll{id, topic, t.mailbox, known_ids(topic, t), cursor, since});
}

std::int64_t ClientCore::poll_since_ms(const TopicState& t) const {
    const std::int64_t margin =
        std::chrono::duration_cast<std::chrono::milliseconds>(params_.poll_since_margin).count();
    return t.caught_up_ms > margin ? t.caught_up_ms - margin : 0;
}

// Own recent publications first, so that a long seen list never crowds them out (their being
// offered is what lets a mailbox that lacks one ask for it), then the seen ids, newest first.
std::vector<wire::EventId> ClientCore::known_ids(const std::string& topic,
                                                 const TopicState& t) const {
    const std::size_t max = wire::max_poll_ids;
    std::vector<wire::EventId> out = own_history_.ids_newest_first(topic, max);
    std::set<wire::EventId> own(out.begin(), out.end());
    for (const auto& id : t.seen.newest_first(max)) {
        if (out.size() >= max) break;
        if (!own.contains(id)) out.push_back(id);
    }
    return out;
}

void ClientCore::poll_done(TimePoint now, TopicState& t, bool again_now) {
    if (again_now || t.poll_again) t.next_poll = now;
    else t.next_poll = now + stretched(params_.poll_period, params_.poll_jitter, rng_);
    t.poll_again = false;
}

void ClientCore::poll_failed(TimePoint now, TopicState& t) {
    ++t.poll_failures;
    t.next_poll = now + jittered_backoff(params_.retry_initial, params_.retry_max, t.poll_failures,
                                         params_.backoff_jitter, rng_);
    t.poll_again = false;  // the retry is the poll asked for
}

void ClientCore::on_poll_result(TimePoint now, const wire::PollResult& r) {
    auto rq = polls_.find(r.request_id);
    if (rq == polls_.end()) {
        ++stats_.stale_results;  // timed out earlier, or from before a reconnect
        return;
    }
    PollRequest p = std::move(rq->second);
    polls_.erase(rq);
    auto it = topics_.find(p.topic);
    if (it == topics_.end() || it->second.pending_poll != r.request_id) {
        ++stats_.stale_results;  // unsubscribed meanwhile
        return;
    }
    TopicState& t = it->second;
    t.pending_poll = 0;
    ++stats_.poll_results;
    if (p.backfill) {
        // Another mailbox's older events, paged like any poll (a hot topic's 20 minutes are a
        // dozen pages) but with its own cursor: `caught_up` stays the current mailbox's, and a
        // failure ends the backfill without counting against the current mailbox.
        bool again = false;
        if (r.topic == p.topic && r.status == wire::PollStatus::ok) {
            stats_.poll_events_received += r.events.size();
            stats_.backfill_events += r.events.size();
            for (const auto& e : r.events) receive_event(now, p.topic, e);
            for (auto o = r.other_mailboxes.rbegin(); o != r.other_mailboxes.rend(); ++o)
                if (!is_set(t.mailbox) || o->id != t.mailbox.id)
                    learn_front(t.known_mailboxes, *o, params_.mailboxes_per_topic);
            again = r.more && (!r.events.empty() || r.cursor != t.backfill_cursor);
            t.backfill_cursor = r.cursor;
        }
        if (!again) {
            t.backfill = {};
            t.backfill_ready = false;
        }
        poll_done(now, t, again);
        return;
    }
    if (r.topic != p.topic) {
        ++stats_.unexpected_messages;  // the home answered about another topic: a failed poll
        poll_failed(now, t);
        return;
    }
    if (r.status == wire::PollStatus::not_held) {
        ++stats_.polls_not_held;
        // As if the mailbox had been reported lost: it no longer serves the topic.
        bool was_current = mailbox_gone(now, t, p.mailbox);
        t.poll_again = false;
        if (was_current) t.next_poll = TimePoint::max();  // the new registration polls
        else t.next_poll = now;  // a stale poll of an old mailbox: poll the current one
        return;
    }
    if (r.status != wire::PollStatus::ok) {
        // The home got no answer from the mailbox. Retried after a backoff; the home's own
        // liveness check reports the mailbox lost if it is dead.
        ++stats_.polls_unreachable;
        poll_failed(now, t);
        return;
    }
    t.poll_failures = 0;
    stats_.poll_events_received += r.events.size();
    const bool backfill_due = is_set(t.backfill) && !r.more && p.mailbox == t.mailbox.id;
    if (backfill_due) t.backfill_ready = true;
    const std::uint64_t cursor_before = t.cursor_mailbox == p.mailbox ? t.poll_cursor : 0;
    t.cursor_mailbox = p.mailbox;
    t.poll_cursor = r.cursor;
    // A complete answer: everything that reached that mailbox before the poll was sent is here.
    if (!r.more) t.caught_up_ms = std::max(t.caught_up_ms, wall_.to_unix_ms(p.sent));
    for (const auto& e : r.events) receive_event(now, p.topic, e);
    // Hand the mailbox what it lacks and we hold, once each, unexpired (it would refuse those).
    std::set<wire::EventId> handed;
    const std::int64_t wall_now = wall_.to_unix_ms(now);
    if (is_set(r.mailbox)) {
        for (const auto& id : r.wanted) {
            if (!handed.insert(id).second) continue;
            const wire::Event* e = held_event(id);
            if (e != nullptr && e->topic == p.topic && e->expiry_ms > wall_now)
                hand_in(now, *e, r.mailbox);
        }
    }
    // Other mailboxes of the topic: replacements known before they are needed.
    for (auto o = r.other_mailboxes.rbegin(); o != r.other_mailboxes.rend(); ++o)
        if (!is_set(t.mailbox) || o->id != t.mailbox.id)
            learn_front(t.known_mailboxes, *o, params_.mailboxes_per_topic);
    learn_nodes({}, r.other_mailboxes);
    // `more` earns an immediate poll only with progress (events, or a cursor that moved), so
    // that a broken home cannot keep the client polling in a loop.
    bool more = r.more && (!r.events.empty() || r.cursor != cursor_before);
    // The topic moved to another mailbox while this poll was out: poll the new one now.
    bool moved = t.registered && is_set(t.mailbox) && t.mailbox.id != p.mailbox;
    poll_done(now, t, more || moved || backfill_due);
}

std::size_t ClientCore::check_poll_timeouts(TimePoint now) {
    std::vector<std::uint64_t> late;
    for (const auto& [id, rq] : polls_)
        if (rq.deadline <= now) late.push_back(id);
    for (std::uint64_t id : late) {
        auto rq = polls_.find(id);
        std::string topic = std::move(rq->second.topic);
        const bool backfill = rq->second.backfill;
        polls_.erase(rq);
        ++stats_.request_timeouts;
        ++consecutive_timeouts_;
        auto it = topics_.find(topic);
        if (it != topics_.end() && it->second.pending_poll == id) {
            it->second.pending_poll = 0;
            if (backfill) {  // given up: the current mailbox is not to blame
                it->second.backfill = {};
                it->second.backfill_ready = false;
                poll_done(now, it->second, false);
            } else {
                poll_failed(now, it->second);
            }
        }
    }
    return late.size();
}

}  // namespace elmo
