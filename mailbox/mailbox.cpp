#include "mailbox/mailbox.hpp"

#include <algorithm>
#include <tuple>

namespace elmo::mailbox {

namespace {

TimePoint saturating_add(TimePoint t, Duration d) {
    return t > TimePoint::max() - d ? TimePoint::max() : t + d;
}

}  // namespace

Mailbox::Mailbox(MailboxParams params, WallClock wall_clock)
    : params_(params), wall_clock_(wall_clock), rate_(params.rate_window, params.rate_buckets) {}

// ---------------------------------------------------------------- time-driven drops

void Mailbox::advance(TimePoint now) {
    now_ = std::max(now_, now);
    if (now_ < due_) return;
    due_ = TimePoint::max();
    for (auto& [name, t] : topics_) {
        lapse_registrations(name, t);
        count_drops(t.history.drop_due(now_));
        forget_lapsed(t);
        if (!t.by_expiry.empty()) due_ = std::min(due_, t.by_expiry.begin()->first);
        if (auto d = t.history.next_drop()) due_ = std::min(due_, *d);
    }
}

void Mailbox::lapse_registrations(const std::string& name, Topic& t) {
    while (!t.by_expiry.empty() && t.by_expiry.begin()->first <= now_) {
        auto [at, client] = *t.by_expiry.begin();
        t.by_expiry.erase(t.by_expiry.begin());
        auto it = t.registrations.find(client);
        LapsedRegistration r{name, client, it->second.home, at};
        t.registrations.erase(it);
        ++counters_.registrations_expired;
        if (observer_) observer_->registration_dropped(name, client);
        // The topic had a client until the lapse, whenever this call noticed it.
        t.last_active = std::max(t.last_active, at);
        pending_lapsed_.push_back(r);
        remember_lapsed(t, std::move(r));
    }
}

void Mailbox::remember_lapsed(Topic& t, LapsedRegistration r) {
    if (params_.max_lapsed_per_topic == 0) return;
    if (t.lapsed.size() >= params_.max_lapsed_per_topic) {
        t.lapsed.pop_front();
        ++counters_.lapsed_forgotten;
    }
    t.lapsed.push_back(std::move(r));
}

void Mailbox::forget_lapsed(Topic& t) {
    while (!t.lapsed.empty() && now_ - t.lapsed.front().lapsed_at > params_.lapsed_memory) {
        t.lapsed.pop_front();
        ++counters_.lapsed_forgotten;
    }
}

void Mailbox::count_drops(const DropCounts& d) {
    counters_.dropped_by_count += d.by_count;
    counters_.dropped_by_bytes += d.by_bytes;
    counters_.dropped_by_age += d.by_age;
    counters_.dropped_by_expiry += d.by_expiry;
    counters_.seen_forgotten_early += d.seen_forgotten_early;
}

std::vector<LapsedRegistration> Mailbox::expire(TimePoint now) {
    advance(now);
    for (auto& [name, t] : topics_) forget_lapsed(t);
    std::vector<LapsedRegistration> out = std::move(pending_lapsed_);
    pending_lapsed_.clear();
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return std::tie(a.lapsed_at, a.topic, a.client) < std::tie(b.lapsed_at, b.topic, b.client);
    });
    return out;
}

TimePoint Mailbox::next_wakeup() const {
    TimePoint next = TimePoint::max();
    for (const auto& [name, t] : topics_) {
        if (!t.by_expiry.empty())
            next = std::min(next, t.by_expiry.begin()->first);
        else
            next = std::min(next, saturating_add(t.last_active, params_.idle_period));
        if (auto d = t.history.next_drop()) next = std::min(next, *d);
    }
    return next;
}

// ---------------------------------------------------------------- state and load

std::size_t Mailbox::live_registrations(TimePoint now) const {
    std::size_t n = 0;
    for (const auto& [name, t] : topics_) {
        n += t.registrations.size();
        for (auto it = t.by_expiry.begin(); it != t.by_expiry.end() && it->first <= now; ++it) --n;
    }
    return n;
}

std::pair<std::size_t, std::size_t> Mailbox::live_events_and_bytes(TimePoint now) const {
    std::size_t events = 0, bytes = 0;
    for (const auto& [name, t] : topics_) {
        auto [due_events, due_bytes] = t.history.due_at(now);
        events += t.history.size() - due_events;
        bytes += t.history.bytes() - due_bytes;
    }
    return {events, bytes};
}

bool Mailbox::budget_full(TimePoint now) const {
    return live_registrations(now) >= params_.max_registrations ||
           live_events_and_bytes(now).second >= params_.max_stored_bytes ||
           rate_.messages_per_sec(now) >= static_cast<double>(params_.max_msgs_per_sec);
}

bool Mailbox::over_budget(TimePoint now) const { return budget_full(std::max(now, now_)); }

MailboxState Mailbox::state(TimePoint now) const {
    now = std::max(now, now_);
    if (topics_.size() >= params_.capacity_topics || budget_full(now)) return MailboxState::full;
    return topics_.empty() ? MailboxState::inactive : MailboxState::recruiting;
}

Load Mailbox::load(TimePoint now) const {
    now = std::max(now, now_);
    Load l;
    l.topics = topics_.size();
    l.registrations = live_registrations(now);
    std::tie(l.stored_events, l.stored_bytes) = live_events_and_bytes(now);
    l.msgs_per_sec = rate_.messages_per_sec(now);
    l.bytes_per_sec = rate_.bytes_per_sec(now);
    return l;
}

void Mailbox::note_message(TimePoint now, std::size_t bytes) {
    now_ = std::max(now_, now);
    rate_.add(now_, 1, bytes);
}

// ---------------------------------------------------------------- topics

Mailbox::Topic* Mailbox::find(const std::string& topic) {
    auto it = topics_.find(topic);
    return it == topics_.end() ? nullptr : &it->second;
}

const Mailbox::Topic* Mailbox::find(const std::string& topic) const {
    auto it = topics_.find(topic);
    return it == topics_.end() ? nullptr : &it->second;
}

std::vector<std::string> Mailbox::topics() const {
    std::vector<std::string> out;
    out.reserve(topics_.size());
    for (const auto& [name, t] : topics_) out.push_back(name);
    return out;
}

AdoptResult Mailbox::adopt_topic(const std::string& topic, TimePoint now) {
    advance(now);
    if (holds(topic)) return AdoptResult::already_held;
    if (topics_.size() >= params_.capacity_topics || budget_full(now_)) {
        ++counters_.refused_topics;
        return AdoptResult::refused_full;
    }
    HistoryBounds bounds{params_.max_events_per_topic, params_.max_bytes_per_topic,
                         params_.max_seen_ids_per_topic};
    auto [it, inserted] = topics_.emplace(topic, Topic(bounds));
    it->second.last_active = now_;
    ++counters_.topics_adopted;
    if (observer_) observer_->topic_adopted(topic);
    return AdoptResult::adopted;
}

bool Mailbox::note_poll(const std::string& topic, TimePoint now) {
    advance(now);
    Topic* t = find(topic);
    if (!t) return false;
    t->last_active = now_;
    ++counters_.polls;
    return true;
}

// ---------------------------------------------------------------- registrations

RegisterOutcome Mailbox::register_client(const std::string& topic, const ClientId& client,
                                         const Endpoint& home, TimePoint now,
                                         bool beyond_topic_budget) {
    advance(now);
    Topic* t = find(topic);
    if (!t) {
        ++counters_.registrations_not_held;
        return {RegisterResult::not_held, {}};
    }
    const TimePoint expires = saturating_add(now_, params_.registration_lifetime);
    if (auto it = t->registrations.find(client); it != t->registrations.end()) {
        // Renewals always pass, even when full: refusing one would only move load around.
        t->by_expiry.erase({it->second.expires_at, client});
        it->second = Registration{home, expires};
        t->by_expiry.emplace(expires, client);
        ++counters_.registrations_renewed;
        if (observer_)
            observer_->registration_set(topic, client, home, wall_clock_.to_unix_ms(expires));
        return {RegisterResult::renewed, expires};
    }
    if (budget_full(now_)) {
        ++counters_.refused_clients;
        return {RegisterResult::refused_full, {}};
    }
    if (t->registrations.size() >= params_.max_registrations_per_topic && !beyond_topic_budget) {
        ++counters_.refused_topic_full;
        return {RegisterResult::refused_full, {}};
    }
    t->registrations.emplace(client, Registration{home, expires});
    t->by_expiry.emplace(expires, client);
    std::erase_if(t->lapsed, [&](const LapsedRegistration& r) { return r.client == client; });
    t->last_active = std::max(t->last_active, now_);
    due_ = std::min(due_, expires);
    ++counters_.registrations_new;
    if (observer_)
        observer_->registration_set(topic, client, home, wall_clock_.to_unix_ms(expires));
    return {RegisterResult::registered, expires};
}

bool Mailbox::restore_registration(const std::string& topic, const ClientId& client,
                                   const Endpoint& home, std::int64_t expires_unix_ms,
                                   TimePoint now) {
    advance(now);
    Topic* t = find(topic);
    const TimePoint expires = wall_clock_.from_unix_ms(expires_unix_ms);
    if (!t || expires <= now_) return false;
    if (auto it = t->registrations.find(client); it != t->registrations.end())
        t->by_expiry.erase({it->second.expires_at, client});
    t->registrations.insert_or_assign(client, Registration{home, expires});
    t->by_expiry.emplace(expires, client);
    due_ = std::min(due_, expires);
    if (observer_) observer_->registration_set(topic, client, home, expires_unix_ms);
    return true;
}

bool Mailbox::unregister_client(const std::string& topic, const ClientId& client, TimePoint now) {
    advance(now);
    Topic* t = find(topic);
    if (!t) return false;
    auto it = t->registrations.find(client);
    if (it == t->registrations.end()) return false;
    t->by_expiry.erase({it->second.expires_at, client});
    t->registrations.erase(it);
    // The idle period counts from the moment the topic last had a client.
    t->last_active = std::max(t->last_active, now_);
    ++counters_.unregistered;
    if (observer_) observer_->registration_dropped(topic, client);
    return true;
}

std::vector<RegisteredClient> Mailbox::clients(const std::string& topic) const {
    std::vector<RegisteredClient> out;
    if (const Topic* t = find(topic))
        for (const auto& [client, r] : t->registrations)
            out.push_back(RegisteredClient{client, r.home, r.expires_at});
    return out;
}

// ---------------------------------------------------------------- events

std::pair<TimePoint, TimeLimit> Mailbox::drop_time(const wire::Event& event,
                                                   TimePoint now) const {
    const TimePoint by_expiry = wall_clock_.from_unix_ms(event.expiry_ms);
    const TimePoint by_age =
        std::min(saturating_add(wall_clock_.from_unix_ms(event.timestamp_ms), params_.max_event_age),
                 saturating_add(now, params_.max_event_age));
    if (by_expiry <= by_age) return {by_expiry, TimeLimit::expiry};
    return {by_age, TimeLimit::age};
}

StoreResult Mailbox::store_event(const wire::Event& event, TimePoint now,
                                 std::optional<TimePoint> arrived) {
    advance(now);
    Topic* t = find(event.topic);
    if (!t) {
        ++counters_.refused_not_held;
        return StoreResult::not_held;
    }
    auto [drop_at, limit] = drop_time(event, now_);
    if (drop_at <= now_) {
        ++counters_.refused_expired;
        return StoreResult::expired;
    }
    if (t->history.known(event.id, now_)) {
        ++counters_.duplicates;
        return StoreResult::duplicate;
    }
    const std::size_t bytes = event_bytes(event);
    if (!t->history.fits_alone(bytes) || bytes > params_.max_stored_bytes) {
        ++counters_.refused_too_large;
        return StoreResult::too_large;
    }
    // The budget holds on the net growth: a topic at its own bounds rotates its history even when
    // the mailbox as a whole is at its byte budget.
    const std::size_t total = live_events_and_bytes(now_).second;
    if (total - t->history.bytes_displaced_by(bytes) + bytes > params_.max_stored_bytes) {
        ++counters_.refused_budget;
        return StoreResult::refused_budget;
    }
    // Arrival numbers start from the wall clock (1,024 per ms), not from 1: a client's poll
    // cursor names a number of this mailbox, and one it got before a restart (the journal
    // restores events, not their numbers) must not lie ahead of the new numbers, or the polls
    // would skip the restored history and what arrives next (ElmodHeavy, docs/daemon.md).
    const std::int64_t wall_ms = wall_clock_.to_unix_ms(now_);
    if (wall_ms > 0) next_seq_ = std::max(next_seq_, static_cast<std::uint64_t>(wall_ms) * 1024);
    count_drops(t->history.insert(event, bytes, drop_at, limit, next_seq_++,
                                  std::min(arrived.value_or(now_), now_)));
    due_ = std::min(due_, drop_at);
    ++counters_.events_stored;
    if (observer_) observer_->event_stored(event);
    return StoreResult::stored;
}

std::vector<wire::Event> Mailbox::events_missing(const std::string& topic,
                                                 const std::vector<wire::EventId>& known) const {
    const Topic* t = find(topic);
    return t ? t->history.missing(known) : std::vector<wire::Event>{};
}

PollPage Mailbox::poll_page(const std::string& topic, std::uint64_t cursor,
                           std::int64_t since_unix_ms, const std::vector<wire::EventId>& known,
                           std::size_t max_events, std::size_t max_bytes) const {
    const Topic* t = find(topic);
    if (!t) return {};
    std::vector<wire::EventId> sorted = known;
    std::sort(sorted.begin(), sorted.end());
    return t->history.page(cursor, wall_clock_.from_unix_ms(since_unix_ms), sorted, max_events,
                           max_bytes);
}

std::optional<wire::Event> Mailbox::find_event(const std::string& topic,
                                              const wire::EventId& id) const {
    const Topic* t = find(topic);
    if (!t) return std::nullopt;
    const wire::Event* e = t->history.find(id);
    if (!e) return std::nullopt;
    return *e;
}

EventsSince Mailbox::events_since(const std::string& topic, std::uint64_t cursor) const {
    const Topic* t = find(topic);
    return t ? t->history.since(cursor) : EventsSince{{}, cursor};
}

std::vector<wire::EventId> Mailbox::ids(const std::string& topic) const {
    const Topic* t = find(topic);
    return t ? t->history.ids() : std::vector<wire::EventId>{};
}

std::vector<wire::EventId> Mailbox::wanted(const std::string& topic,
                                           const std::vector<wire::EventId>& offered,
                                           TimePoint now) {
    advance(now);
    const Topic* t = find(topic);
    return t ? t->history.unknown_of(offered, now_) : std::vector<wire::EventId>{};
}

// ---------------------------------------------------------------- links

LinkResult Mailbox::link(const std::string& topic, const MailboxRef& other) {
    Topic* t = find(topic);
    if (!t) return LinkResult::not_held;
    if (auto it = t->links.find(other.id); it != t->links.end()) {
        if (it->second != other.endpoint) {
            it->second = other.endpoint;
            if (observer_) observer_->linked(topic, other);
        }
        return LinkResult::already_linked;
    }
    if (t->links.size() >= params_.max_links_per_topic) {
        ++counters_.links_refused;
        return LinkResult::refused_full;
    }
    t->links.emplace(other.id, other.endpoint);
    if (observer_) observer_->linked(topic, other);
    return LinkResult::linked;
}

bool Mailbox::unlink(const std::string& topic, const NodeId& other) {
    Topic* t = find(topic);
    if (!t || t->links.erase(other) == 0) return false;
    if (observer_) observer_->unlinked(topic, other);
    return true;
}

std::vector<MailboxRef> Mailbox::links(const std::string& topic) const {
    std::vector<MailboxRef> out;
    if (const Topic* t = find(topic))
        for (const auto& [id, endpoint] : t->links) out.push_back(MailboxRef{id, endpoint});
    return out;
}

// ---------------------------------------------------------------- evaporation

Evaporation Mailbox::take(TopicMap::iterator it, EvaporationReason reason) {
    Topic& t = it->second;
    forget_lapsed(t);
    Evaporation ev;
    ev.topic = it->first;
    ev.reason = reason;
    for (const auto& [client, r] : t.registrations)
        ev.clients.push_back(ClientNotice{client, r.home, false});
    std::vector<ClientNotice> lapsed;
    for (const auto& r : t.lapsed) lapsed.push_back(ClientNotice{r.client, r.home, true});
    std::sort(lapsed.begin(), lapsed.end(),
              [](const auto& a, const auto& b) { return a.client < b.client; });
    ev.clients.insert(ev.clients.end(), lapsed.begin(), lapsed.end());
    ev.links = links(it->first);
    ev.events = t.history.take_all();
    counters_.events_handed_off += ev.events.size();
    ++(reason == EvaporationReason::idle ? counters_.topics_evaporated_idle
                                         : counters_.topics_evaporated_shutdown);
    topics_.erase(it);
    if (observer_) observer_->topic_dropped(ev.topic, reason);
    return ev;
}

std::vector<Evaporation> Mailbox::evaporate_idle(TimePoint now) {
    advance(now);
    std::vector<Evaporation> out;
    for (auto it = topics_.begin(); it != topics_.end();) {
        const Topic& t = it->second;
        if (t.registrations.empty() && now_ - t.last_active >= params_.idle_period)
            out.push_back(take(it++, EvaporationReason::idle));
        else
            ++it;
    }
    return out;
}

std::optional<Evaporation> Mailbox::evaporate(const std::string& topic, TimePoint now) {
    advance(now);
    auto it = topics_.find(topic);
    if (it == topics_.end()) return std::nullopt;
    return take(it, EvaporationReason::shutdown);
}

// ---------------------------------------------------------------- names

std::string_view to_string(MailboxState s) {
    switch (s) {
        case MailboxState::inactive: return "inactive";
        case MailboxState::recruiting: return "recruiting";
        case MailboxState::full: return "full";
    }
    return "?";
}

std::string_view to_string(AdoptResult r) {
    switch (r) {
        case AdoptResult::adopted: return "adopted";
        case AdoptResult::already_held: return "already_held";
        case AdoptResult::refused_full: return "refused_full";
    }
    return "?";
}

std::string_view to_string(RegisterResult r) {
    switch (r) {
        case RegisterResult::registered: return "registered";
        case RegisterResult::renewed: return "renewed";
        case RegisterResult::refused_full: return "refused_full";
        case RegisterResult::not_held: return "not_held";
    }
    return "?";
}

std::string_view to_string(StoreResult r) {
    switch (r) {
        case StoreResult::stored: return "stored";
        case StoreResult::duplicate: return "duplicate";
        case StoreResult::expired: return "expired";
        case StoreResult::not_held: return "not_held";
        case StoreResult::too_large: return "too_large";
        case StoreResult::refused_budget: return "refused_budget";
    }
    return "?";
}

std::string_view to_string(LinkResult r) {
    switch (r) {
        case LinkResult::linked: return "linked";
        case LinkResult::already_linked: return "already_linked";
        case LinkResult::refused_full: return "refused_full";
        case LinkResult::not_held: return "not_held";
    }
    return "?";
}

}  // namespace elmo::mailbox
