#pragma once
// Delivery measures of DESIGN 4 (delivery rate, latency, duplicates, lost events, churn
// recovery), computed from a record of what happened: publications, subscriptions, clients'
// online periods and deliveries. Pure bookkeeping: no simulator, no clock (every input carries
// its time), so it is unit-tested with hand-made timelines and could judge a real cluster's trace.
//
// The rule (docs/metrics.md): an (event, subscriber) pair counts when the subscriber was
// subscribed at publication and is not the publisher. Its deadline is the end of the
// subscriber's first `on_time` (60 s) of continuous online time at or after publication: 60 s
// after publication for a subscriber online throughout that minute, otherwise 60 s after its next
// return online (a session too short to hold 60 s is skipped). The pair is on time when the
// subscriber had the event by its deadline. A pair whose deadline is after the end of the run is
// pending and excluded from every fraction (counted in pending_pairs).
//
// Memory (40,000 events x ~150 subscribers = 6 M pairs): pairs are never stored; they are
// enumerated at judgement time from a topic -> subscriptions index. Deliveries are appended to
// per-client vectors of (event index, ms) (8 bytes each) and sorted once when judged, so a
// lookup is a binary search; no hash map holds pairs. Event ids map to dense indices (one hash
// map entry per event, used for lookups only: nothing iterates it).
#include <array>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/time.hpp"

namespace elmo::sim {

using MetricsEventId = std::array<std::uint8_t, 32>;  // wire::EventId
using MetricsClient = std::uint32_t;                  // sim::ClientId

struct DeliveryConfig {
    TimePoint origin{};        // time 0 of the run: series windows are counted from here
    TimePoint measure_from{};  // events published in [measure_from, measure_to) are measured
    TimePoint measure_to{};
    Duration on_time = std::chrono::seconds(60);
    Duration window = std::chrono::seconds(10);  // time-series bucket, by publication time
    double recovery_level = 0.99;
    std::uint64_t late_sample_seed = 1;  // the reservoir sample of late pairs
    // One-way latency (ms) of a direct datagram from the publisher's phone to the subscriber's,
    // given the nodes each is attached to at publication (client_home); <= 0: unknown. Null: no
    // delay penalty. The driver knows the network model; the recorder only divides.
    std::function<double(MetricsClient publisher, std::uint32_t publisher_home,
                         MetricsClient subscriber, std::uint32_t subscriber_home)>
        direct_latency_ms;
};

// State of the system sampled by the driver (one per window is enough): shown in the series.
struct Gauges {
    std::uint64_t online_clients = 0;
    std::uint64_t live_nodes = 0;
    std::uint64_t mailboxes = 0;  // nodes holding the mailbox role for at least one topic
};

// One window of the time series: the events published in [start, start + window) and how their
// pairs fared. rate = on_time / pairs_due, negative when no pair was due.
struct WindowRow {
    double start_s = 0;
    bool measured = false;  // inside [measure_from, measure_to)
    std::uint64_t published = 0, pairs_due = 0, on_time = 0, delivered = 0, pending = 0;
    double rate = -1;
    std::optional<Gauges> gauges;  // the last sample taken in the window
};

struct DeliveryReport {
    // Over events published in the measured window.
    std::uint64_t events_published = 0;
    std::uint64_t events_accepted = 0;       // a mailbox stored it (publish handler), by the end
    std::uint64_t events_without_pairs = 0;  // nobody else subscribed at publication
    std::uint64_t pairs = 0;                 // judged (deadline by the end)
    std::uint64_t pending_pairs = 0;         // deadline after the end: excluded
    std::uint64_t on_time = 0;
    std::uint64_t delivered = 0;  // by the end, on time or late
    // Late (or missing) pairs by circumstance, for diagnosis (a pair may be in several):
    std::uint64_t late_pairs_online = 0;           // subscriber online at publication
    std::uint64_t late_pairs_new_subscriber = 0;   // subscribed less than on_time before it
    std::uint64_t late_pairs_publish_delayed = 0;  // late or missing, event accepted > on_time
                                                   // after publication or never (publisher side)
    double delivered_on_time = 1.0;                // on_time / pairs (1 when no pair)
    double delivered_eventually = 1.0;             // delivered / pairs
    // Publish -> first delivery, for delivered pairs whose subscriber was online at publication.
    std::uint64_t latency_samples = 0;
    double latency_p50_ms = 0, latency_p90_ms = 0, latency_p95_ms = 0, latency_p99_ms = 0,
           latency_max_ms = 0;
    // Delay penalty (relative delay penalty of application-level multicast): latency / direct
    // one-way latency, over the latency pairs whose direct latency is known.
    std::uint64_t delay_penalty_samples = 0;
    double delay_penalty_p50 = 0, delay_penalty_p90 = 0, delay_penalty_p99 = 0;
    double direct_latency_p50_ms = 0;  // of the same pairs, for scale
    // Copies a subscriber received beyond the first (copy_received, or delivered() repeated).
    std::uint64_t duplicates = 0;
    double duplicates_per_delivery = 0;  // duplicates / delivered
    // Events with at least one pair due that no client had by the end. Issue 8's target counts
    // those whose publisher came back online after publishing (or is online at the end): only
    // they can be recovered whatever happened to the mailboxes (the publisher re-injects its
    // recent events at its next poll). `excused` are the others: the publisher went away for
    // good; `excused_accepted` of them had been stored by a mailbox (all of whose copies then
    // died: a mailbox crash, not a slow phone), reported apart so the excuse hides nothing.
    // An event that no client had but a live mailbox still stored at the end (the scenario can
    // tell, DeliveryRecorder::report's held_at_end) is not lost: it waits for subscribers that
    // have been offline since it got there, typically after its publisher re-injected it. It is
    // counted in `undelivered_held` instead, whether or not the publisher came back.
    std::uint64_t lost_events = 0;
    std::uint64_t lost_events_excused = 0;
    std::uint64_t lost_events_excused_accepted = 0;
    std::uint64_t undelivered_held = 0;
    // The first lost events (at most 20), for diagnosis: what happened to them is the node
    // side's question.
    struct LostEvent {
        std::string topic;
        MetricsClient publisher = 0;
        double published_s = 0;
        double accepted_s = -1;  // -1: never
        std::uint64_t pairs_due = 0;
        bool publisher_gone = false;  // excused: never back online after publishing
    };
    std::vector<LostEvent> lost_samples;
    // A uniform sample (reservoir, fixed seed: the same run gives the same sample) of the late
    // or missing measured pairs, at most max_late_samples, sorted by publication time, for
    // diagnosis (written as a CSV by the scenarios' --csv). A uniform sample rather than the
    // first ones: after a failure the late pairs of the first minutes would crowd out the rest.
    struct LatePair {
        std::string topic;
        MetricsClient publisher = 0, subscriber = 0;
        double published_s = 0, accepted_s = -1, due_s = 0, delivered_s = -1;  // -1: never
        bool online_at_publication = false;
    };
    static constexpr std::size_t max_late_samples = 5000;
    std::vector<LatePair> late_samples;
    std::uint64_t unknown_deliveries = 0;  // deliveries of ids never published (whole run)
    // Churn recovery (failure given): seconds from the failure until the windowed rate is at or
    // above recovery_level for the rest of the measured period. Null when no failure or never.
    std::optional<double> recovery_s;
    bool recovered = false;
    double worst_window_rate = 1.0;  // lowest rate of a measured window with pairs due
    std::vector<WindowRow> series;   // from the origin to the end, every window
};

// Delivery while the network is split in two (DeliveryRecorder::split_report, docs/metrics.md):
// the events published during the split, their pairs judged by the usual rule and classified by
// the sides of the publisher's and the subscriber's homes at publication, and the catch-up after
// the heal.
struct SplitWindow {
    double start_s = 0;
    std::uint64_t same_due = 0, same_on_time = 0, cross_due = 0, cross_on_time = 0;
};
struct SplitReport {
    std::uint64_t events = 0;  // published in [from, to)
    std::uint64_t same_pairs = 0, same_on_time = 0, same_delivered_in_split = 0;
    std::uint64_t cross_pairs = 0, cross_on_time = 0, cross_delivered_in_split = 0;
    std::uint64_t pending_pairs = 0;        // deadline after the end: not judged
    std::uint64_t unknown_side_pairs = 0;   // a home never reported: not classified
    double same_side_on_time = -1, cross_side_on_time = -1;  // -1: no pair due
    // After the heal. A pair is owed when its subscriber had a full on_time online at or after
    // the heal before the end; its lag is its first delivery minus the start of that first full
    // session (clamped to the heal, 0 if delivered earlier).
    std::uint64_t owed_pairs = 0, owed_undelivered = 0;
    double lag_p99_s = 0;
    // The largest lag; null when an owed pair was never delivered.
    std::optional<double> heal_to_full_delivery_s;
    // The first owed pairs never delivered (at most 20), for diagnosis.
    struct Undelivered {
        std::string topic;
        MetricsClient publisher = 0, subscriber = 0;
        double published_s = 0, accepted_s = -1;  // -1: never accepted
        double owed_from_s = 0;  // start of the subscriber's first full minute after the heal
        bool same_side = false;
    };
    std::vector<Undelivered> undelivered_samples;
    std::vector<SplitWindow> series;  // by publication time, windows of the split
};

class DeliveryRecorder {
  public:
    explicit DeliveryRecorder(DeliveryConfig config);

    // A client's online periods. Repeats of the current state are ignored; an offline period of
    // zero length (a reconnection at the same instant) is merged away.
    void client_online(MetricsClient c, TimePoint at);
    void client_offline(MetricsClient c, TimePoint at);
    void subscribed(MetricsClient c, const std::string& topic, TimePoint at);
    void unsubscribed(MetricsClient c, const std::string& topic, TimePoint at);

    // A publication, when the publisher's core took it (the time latency is measured from).
    // A repeated id is ignored (returns false).
    bool published(const MetricsEventId& id, const std::string& topic, MetricsClient publisher,
                   TimePoint at);
    // The same, recording the home (HomeOf) at publication of the publisher and of every client
    // subscribed to the topic then: what the delay penalty and the split's sides need.
    using HomeOf = std::function<std::uint32_t(MetricsClient)>;
    bool published(const MetricsEventId& id, const std::string& topic, MetricsClient publisher,
                   TimePoint at, const HomeOf& home_of);
    // The node a client is attached to (an opaque number, a host in the simulator) from `at` on.
    void client_home(MetricsClient c, std::uint32_t home, TimePoint at);
    void accepted(const MetricsEventId& id, TimePoint at);
    // The subscriber's app got the event (the client core's event handler).
    void delivered(MetricsClient c, const MetricsEventId& id, TimePoint at);
    // One copy of the event arrived at the client (pushed or polled), duplicate or not; copies
    // beyond the first per client are the duplicates. Copies to the publisher are not counted.
    void copy_received(MetricsClient c, const MetricsEventId& id);
    void gauge(TimePoint at, const Gauges& g);

    // Judges every pair as of `end` (deliveries after it are ignored). `failure`: the time of
    // the failure whose recovery is measured.
    // `held_at_end`, if given, says whether a live mailbox still stores an event at the end: an
    // undelivered event it holds is not lost, its subscribers have just not been back since it
    // got there (counted apart, `undelivered_held`).
    using HeldAtEnd = std::function<bool(const std::string& topic, const MetricsEventId& id)>;
    DeliveryReport report(TimePoint end, std::optional<TimePoint> failure = std::nullopt,
                          const HeldAtEnd& held_at_end = {});

    // The split [from, to): pairs of events published in it by side (`side_of` a home), and the
    // catch-up after `to`, judged as of `end`.
    SplitReport split_report(TimePoint end, TimePoint from, TimePoint to,
                             const std::function<int(std::uint32_t home)>& side_of);

    std::size_t events() const { return events_.size(); }
    const DeliveryConfig& config() const { return config_; }

  private:
    static constexpr std::uint32_t never = 0xFFFFFFFFu;
    struct EventRec {
        std::uint32_t topic = 0;
        MetricsClient publisher = 0;
        std::uint32_t published_ms = 0;
        std::uint32_t accepted_ms = never;
        std::uint32_t copies = 0;
    };
    struct Subscription {
        MetricsClient client = 0;
        std::uint32_t from_ms = 0, to_ms = never;
    };
    struct Delivery {
        std::uint32_t event = 0, at_ms = 0;
        friend bool operator<(const Delivery& a, const Delivery& b) {
            return a.event != b.event ? a.event < b.event : a.at_ms < b.at_ms;
        }
    };
    struct IdHash {
        std::size_t operator()(const MetricsEventId& id) const;
    };

    std::uint32_t ms(TimePoint t) const;
    std::uint32_t topic_index(const std::string& topic);
    std::optional<std::uint32_t> event_index(const MetricsEventId& id) const;
    void grow(MetricsClient c);
    bool online_at(MetricsClient c, std::uint32_t t) const;
    std::optional<std::uint32_t> deadline(MetricsClient c, std::uint32_t pub) const;
    bool returned_after(MetricsClient c, std::uint32_t t, std::uint32_t end) const;
    std::optional<std::uint32_t> home_at(MetricsClient c, std::uint32_t t) const;
    void sort_deliveries();
    std::optional<std::uint32_t> first_delivery(MetricsClient c, std::uint32_t e,
                                                std::uint32_t end_ms) const;
    template <class Fn>  // fn(const Subscription&) for each pair of event e
    void for_pairs(std::uint32_t e, Fn&& fn) const;

    DeliveryConfig config_;
    std::map<std::string, std::uint32_t> topic_ids_;
    std::vector<const std::string*> topic_names_;  // by index, into topic_ids_'s keys
    std::vector<std::vector<Subscription>> subs_of_topic_;
    std::vector<EventRec> events_;
    std::unordered_map<MetricsEventId, std::uint32_t, IdHash> event_ids_;  // lookups only
    // Per client: times (ms) of alternating transitions, online first (even index = online).
    std::vector<std::vector<std::uint32_t>> transitions_;
    std::vector<std::vector<Delivery>> deliveries_;
    bool sorted_ = true;
    // Per client: (ms, home) from that time on, in time order; only changes are kept.
    std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> homes_;
    std::vector<std::pair<std::uint32_t, Gauges>> gauges_;
    std::uint64_t unknown_deliveries_ = 0;
};

// Seconds from `failure_s` until every measured window that ends after it has a rate at or above
// `level` (windows without pairs due do not count): the end of the last window below it, minus
// the failure time; 0 when none is below. Null when the last measured window with pairs due is
// below `level` (never recovered for the rest of the run).
std::optional<double> recovery_seconds(const std::vector<WindowRow>& series, double window_s,
                                       double failure_s, double level);

// The time series as CSV (docs/metrics.md): a '#' header line, then one row per window.
void write_timeseries_csv(std::ostream& out, const DeliveryReport& report);
// The split's per-window same-side and cross-side pairs (SplitReport::series) as CSV.
void write_split_csv(std::ostream& out, const SplitReport& report);
// The late pairs sampled (DeliveryReport::late_samples) as CSV. `names`, if not empty, gives each
// metrics client the name to print (a replay's trace client id), so that a row can be traced back
// to its trace.
void write_late_pairs_csv(std::ostream& out, const DeliveryReport& report,
                          const std::vector<std::uint32_t>& names = {});

}  // namespace elmo::sim
