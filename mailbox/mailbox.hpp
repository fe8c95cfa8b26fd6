#pragma once
// The mailbox role a node takes for a set of topics (DESIGN 2.3, 2.5, 2.6): which topics it holds,
// the clients registered for push, each topic's bounded event history, the linked mailboxes of
// each topic, admission against capacity and load budget, and evaporation of idle topics.
//
// Sans-IO: nothing here reads a clock, sends, or sleeps. Every call that depends on time takes
// `now` (steady-clock protocol time; a `now` earlier than one seen before is treated as the latest
// seen). Calls that take `now` first apply every time-driven drop that is due (lapsed
// registrations, expired events), so answers never depend on how often the driver ticks; the
// driver calls expire() and evaporate_idle() at next_wakeup() to collect the notices. Results
// never depend on hash-map order: topics, clients and links are ordered, events go by arrival.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/time.hpp"
#include "mailbox/change_observer.hpp"
#include "mailbox/params.hpp"
#include "mailbox/rate_meter.hpp"
#include "mailbox/topic_history.hpp"
#include "mailbox/types.hpp"
#include "mailbox/wall_clock.hpp"
#include "wire/event.hpp"

namespace elmo::mailbox {

class Mailbox {
public:
    explicit Mailbox(MailboxParams params = {}, WallClock wall_clock = {});

    const MailboxParams& params() const { return params_; }
    const Counters& counters() const { return counters_; }
    // A new wall-clock base (after the host's clock was stepped); applies to events stored later.
    void set_wall_clock(WallClock wall_clock) { wall_clock_ = wall_clock; }
    const WallClock& wall_clock() const { return wall_clock_; }
    // Reports every later change of the durable state (null: none); see change_observer.hpp.
    void set_observer(ChangeObserver* observer) { observer_ = observer; }

    // ---- state and load ----
    MailboxState state(TimePoint now) const;
    // At or over any load budget (registrations, stored bytes, message rate): no room for more.
    bool over_budget(TimePoint now) const;
    Load load(TimePoint now) const;
    // Counts one message the mailbox role handled, for the message-rate budget.
    void note_message(TimePoint now, std::size_t bytes);

    // ---- topics ----
    bool holds(const std::string& topic) const { return topics_.contains(topic); }
    std::vector<std::string> topics() const;  // sorted
    // Refused when at capacity in topics or over budget; a held topic is always `already_held`.
    AdoptResult adopt_topic(const std::string& topic, TimePoint now);
    // Counts a client's poll of `topic`, which keeps the topic alive. False if not held.
    bool note_poll(const std::string& topic, TimePoint now);

    // ---- registrations ----
    // A new registration is refused when the registration budget is reached or the mailbox is
    // over another budget (a mailbox full only in topics still takes clients for the topics it
    // holds); renewing an existing one always passes and updates its home endpoint.
    // `beyond_topic_budget`: the topic found no other mailbox; max_registrations_per_topic is
    // not applied.
    RegisterOutcome register_client(const std::string& topic, const ClientId& client,
                                    const Endpoint& home, TimePoint now,
                                    bool beyond_topic_budget = false);
    // A registration read back from the daemon's journal at start-up: kept with its recorded
    // expiry (wall-clock ms), without the budget check it passed when it was made. False if the
    // topic is not held or the expiry has passed.
    bool restore_registration(const std::string& topic, const ClientId& client,
                              const Endpoint& home, std::int64_t expires_unix_ms, TimePoint now);
    // False if there was no such registration.
    bool unregister_client(const std::string& topic, const ClientId& client, TimePoint now);
    // The registered clients of `topic`, ordered by client id (empty if not held).
    std::vector<RegisteredClient> clients(const std::string& topic) const;
    // Registrations that lapsed since the last call (including those applied by other calls),
    // ordered by lapse time, then topic, then client.
    std::vector<LapsedRegistration> expire(TimePoint now);

    // ---- events ----
    // Stores an event of a held topic. The caller has verified it (id, signature); this only
    // dedups, bounds and budgets. See StoreResult for the outcomes, checked in that order:
    // not_held, expired, duplicate, too_large, refused_budget.
    // `arrived`: when it arrived, if not now (a restart restores its history: the journal keeps
    // no arrival times, so the publisher's timestamp stands in, no later than now). A poll's
    // `since` compares arrival times.
    StoreResult store_event(const wire::Event& event, TimePoint now,
                            std::optional<TimePoint> arrived = std::nullopt);
    // The stored events of `topic` whose ids are not in `known` (a poll's answer), oldest first.
    std::vector<wire::Event> events_missing(const std::string& topic,
                                            const std::vector<wire::EventId>& known) const;
    // The events stored after `cursor` (0: all): a local, per-mailbox arrival number, not a time,
    // so that an old event a client carries in late is not missed.
    EventsSince events_since(const std::string& topic, std::uint64_t cursor) const;
    // A page of what a poller lacks (see TopicHistory::page); `since_unix_ms` is converted with
    // the mailbox's wall clock. Empty if the topic is not held.
    PollPage poll_page(const std::string& topic, std::uint64_t cursor, std::int64_t since_unix_ms,
                       const std::vector<wire::EventId>& known, std::size_t max_events,
                       std::size_t max_bytes) const;
    // The stored event of `topic` with this id (a copy), if still stored.
    std::optional<wire::Event> find_event(const std::string& topic, const wire::EventId& id) const;
    // The ids of the stored events of `topic`, oldest arrival first, for digests.
    std::vector<wire::EventId> ids(const std::string& topic) const;
    // Of the ids a client or mailbox offers, those this mailbox neither stores nor has seen:
    // what to ask for. Empty if the topic is not held.
    std::vector<wire::EventId> wanted(const std::string& topic,
                                      const std::vector<wire::EventId>& offered, TimePoint now);

    // ---- links to other mailboxes of a topic ----
    // Adding a known mailbox again refreshes its endpoint (`already_linked`).
    LinkResult link(const std::string& topic, const MailboxRef& other);
    bool unlink(const std::string& topic, const NodeId& other);
    std::vector<MailboxRef> links(const std::string& topic) const;  // ordered by node id

    // ---- evaporation ----
    // Removes every topic with no registered client and no poll (nor adoption) for the idle
    // period, returning what to tell and hand off, ordered by topic.
    std::vector<Evaporation> evaporate_idle(TimePoint now);
    // Removes `topic` now, whatever its activity (graceful shutdown). Empty if not held.
    std::optional<Evaporation> evaporate(const std::string& topic, TimePoint now);

    // The earliest time something is due: a registration lapses, an idle topic evaporates, or an
    // event reaches its drop time. TimePoint::max() when nothing is. (The message rate falling
    // back under budget is not a wake-up: state(now) reads it when asked.)
    TimePoint next_wakeup() const;

private:
    struct Registration {
        Endpoint home;
        TimePoint expires_at{};
    };
    struct Topic {
        explicit Topic(HistoryBounds b) : history(b) {}
        TopicHistory history;
        std::map<ClientId, Registration> registrations;
        std::set<std::pair<TimePoint, ClientId>> by_expiry;
        std::deque<LapsedRegistration> lapsed;  // oldest lapse first, bounded
        std::map<NodeId, Endpoint> links;
        TimePoint last_active{};  // adoption, last poll, or last registration's end
    };
    using TopicMap = std::map<std::string, Topic>;

    // Applies the time-driven drops due at `now` and advances now_.
    void advance(TimePoint now);
    void lapse_registrations(const std::string& name, Topic& t);
    void forget_lapsed(Topic& t);
    void count_drops(const DropCounts& d);
    void remember_lapsed(Topic& t, LapsedRegistration r);
    Evaporation take(TopicMap::iterator it, EvaporationReason reason);
    bool budget_full(TimePoint now) const;
    // Totals as of `now`, not counting what is due to lapse or drop at `now`.
    std::size_t live_registrations(TimePoint now) const;
    std::pair<std::size_t, std::size_t> live_events_and_bytes(TimePoint now) const;
    // The time `event` stops being worth keeping here, and which bound sets it.
    std::pair<TimePoint, TimeLimit> drop_time(const wire::Event& event, TimePoint now) const;
    Topic* find(const std::string& topic);
    const Topic* find(const std::string& topic) const;

    MailboxParams params_;
    WallClock wall_clock_;
    TopicMap topics_;
    std::uint64_t next_seq_ = 1;  // arrival numbers, never reused across topics or restarts
    TimePoint now_ = TimePoint::min();
    TimePoint due_ = TimePoint::max();        // lower bound of the next time-driven drop
    std::vector<LapsedRegistration> pending_lapsed_;
    RateMeter rate_;
    Counters counters_;
    ChangeObserver* observer_ = nullptr;
};

}  // namespace elmo::mailbox
