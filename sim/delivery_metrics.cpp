#include "sim/delivery_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ostream>
#include <random>

namespace elmo::sim {

namespace {
constexpr std::uint32_t never_ms = 0xFFFFFFFFu;

std::uint32_t to_ms(Duration d) {
    const auto v = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    if (v <= 0) return 0;
    return v >= static_cast<long long>(never_ms) ? never_ms - 1 : static_cast<std::uint32_t>(v);
}

// Nearest-rank percentile of sorted values (as stats::percentile).
template <class T>
double rank(const std::vector<T>& sorted, double p) {
    if (sorted.empty()) return 0;
    const double r = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
    const std::size_t i = r < 1 ? 0 : static_cast<std::size_t>(r) - 1;
    return static_cast<double>(sorted[std::min(i, sorted.size() - 1)]);
}
}  // namespace

std::size_t DeliveryRecorder::IdHash::operator()(const MetricsEventId& id) const {
    std::uint64_t h = 0x9E3779B97F4A7C15ull;
    for (std::size_t i = 0; i < id.size(); i += 8) {
        std::uint64_t w = 0;
        std::memcpy(&w, id.data() + i, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    return static_cast<std::size_t>(h);
}

DeliveryRecorder::DeliveryRecorder(DeliveryConfig config) : config_(config) {}

std::uint32_t DeliveryRecorder::ms(TimePoint t) const {
    return to_ms(t - config_.origin);
}

std::uint32_t DeliveryRecorder::topic_index(const std::string& topic) {
    auto [it, added] = topic_ids_.try_emplace(topic, static_cast<std::uint32_t>(topic_ids_.size()));
    if (added) {
        subs_of_topic_.emplace_back();
        topic_names_.push_back(&it->first);
    }
    return it->second;
}

std::optional<std::uint32_t> DeliveryRecorder::event_index(const MetricsEventId& id) const {
    auto it = event_ids_.find(id);
    if (it == event_ids_.end()) return std::nullopt;
    return it->second;
}

void DeliveryRecorder::grow(MetricsClient c) {
    if (c >= transitions_.size()) {
        transitions_.resize(c + 1);
        deliveries_.resize(c + 1);
        homes_.resize(c + 1);
    }
}

void DeliveryRecorder::client_online(MetricsClient c, TimePoint at) {
    grow(c);
    auto& t = transitions_[c];
    if (t.size() % 2 == 1) return;  // already online
    const std::uint32_t now = ms(at);
    // Offline and back at the same instant (a failover reconnecting): not an offline period.
    if (!t.empty() && t.back() == now)
        t.pop_back();
    else
        t.push_back(now);
}

void DeliveryRecorder::client_offline(MetricsClient c, TimePoint at) {
    grow(c);
    auto& t = transitions_[c];
    if (t.size() % 2 == 0) return;  // not online
    t.push_back(ms(at));
}

void DeliveryRecorder::subscribed(MetricsClient c, const std::string& topic, TimePoint at) {
    grow(c);
    auto& subs = subs_of_topic_[topic_index(topic)];
    for (const auto& s : subs)
        if (s.client == c && s.to_ms == never_ms) return;  // already subscribed
    subs.push_back(Subscription{c, ms(at), never_ms});
}

void DeliveryRecorder::unsubscribed(MetricsClient c, const std::string& topic, TimePoint at) {
    auto it = topic_ids_.find(topic);
    if (it == topic_ids_.end()) return;
    for (auto& s : subs_of_topic_[it->second])
        if (s.client == c && s.to_ms == never_ms) s.to_ms = ms(at);
}

bool DeliveryRecorder::published(const MetricsEventId& id, const std::string& topic,
                                 MetricsClient publisher, TimePoint at) {
    const auto index = static_cast<std::uint32_t>(events_.size());
    if (!event_ids_.try_emplace(id, index).second) return false;
    grow(publisher);
    events_.push_back(EventRec{topic_index(topic), publisher, ms(at), never_ms, 0});
    return true;
}

bool DeliveryRecorder::published(const MetricsEventId& id, const std::string& topic,
                                 MetricsClient publisher, TimePoint at, const HomeOf& home_of) {
    if (!published(id, topic, publisher, at)) return false;
    if (!home_of) return true;
    client_home(publisher, home_of(publisher), at);
    for_pairs(static_cast<std::uint32_t>(events_.size() - 1),
              [&](const Subscription& s) { client_home(s.client, home_of(s.client), at); });
    return true;
}

void DeliveryRecorder::client_home(MetricsClient c, std::uint32_t home, TimePoint at) {
    grow(c);
    auto& h = homes_[c];
    if (!h.empty() && h.back().second == home) return;
    const std::uint32_t t = ms(at);
    if (!h.empty() && h.back().first >= t)
        h.back() = {h.back().first, home};  // a change at the same instant replaces
    else
        h.emplace_back(t, home);
}

std::optional<std::uint32_t> DeliveryRecorder::home_at(MetricsClient c, std::uint32_t t) const {
    if (c >= homes_.size()) return std::nullopt;
    const auto& h = homes_[c];
    auto it = std::upper_bound(h.begin(), h.end(), t,
                               [](std::uint32_t x, const auto& e) { return x < e.first; });
    if (it == h.begin()) return std::nullopt;
    return std::prev(it)->second;
}

void DeliveryRecorder::accepted(const MetricsEventId& id, TimePoint at) {
    if (auto e = event_index(id))
        events_[*e].accepted_ms = std::min(events_[*e].accepted_ms, ms(at));
}

void DeliveryRecorder::delivered(MetricsClient c, const MetricsEventId& id, TimePoint at) {
    auto e = event_index(id);
    if (!e) {
        ++unknown_deliveries_;
        return;
    }
    grow(c);
    deliveries_[c].push_back(Delivery{*e, ms(at)});
    sorted_ = false;
}

void DeliveryRecorder::copy_received(MetricsClient c, const MetricsEventId& id) {
    auto e = event_index(id);
    if (e && events_[*e].publisher != c) ++events_[*e].copies;
}

void DeliveryRecorder::gauge(TimePoint at, const Gauges& g) {
    gauges_.emplace_back(ms(at), g);
}

bool DeliveryRecorder::online_at(MetricsClient c, std::uint32_t t) const {
    if (c >= transitions_.size()) return false;
    const auto& v = transitions_[c];
    // Transitions at or before t: an odd count means the last one was "online".
    return (std::upper_bound(v.begin(), v.end(), t) - v.begin()) % 2 == 1;
}

// The end of the client's first on_time of continuous online time at or after `pub`; null if
// no session recorded so far gives it (the pair can only be pending).
std::optional<std::uint32_t> DeliveryRecorder::deadline(MetricsClient c, std::uint32_t pub) const {
    if (c >= transitions_.size()) return std::nullopt;
    const auto& v = transitions_[c];
    const std::uint64_t need = to_ms(config_.on_time);
    auto i = static_cast<std::size_t>(std::upper_bound(v.begin(), v.end(), pub) - v.begin());
    // Session k spans [v[2k], v[2k+1]) (open when v[2k+1] is missing). Online at pub: the
    // session holding it; offline: the next one.
    std::size_t k = i % 2 == 1 ? (i - 1) / 2 : i / 2;
    for (; 2 * k < v.size(); ++k) {
        const std::uint64_t begin = std::max(v[2 * k], pub);
        const std::uint64_t stop = 2 * k + 1 < v.size() ? v[2 * k + 1] : ~std::uint64_t{0};
        if (stop >= begin + need) {
            const std::uint64_t d = begin + need;
            return d >= never_ms ? never_ms - 1 : static_cast<std::uint32_t>(d);
        }
    }
    return std::nullopt;
}

// Came online (a transition to online) in (t, end].
bool DeliveryRecorder::returned_after(MetricsClient c, std::uint32_t t, std::uint32_t end) const {
    if (c >= transitions_.size()) return false;
    const auto& v = transitions_[c];
    for (auto i = static_cast<std::size_t>(std::upper_bound(v.begin(), v.end(), t) - v.begin());
         i < v.size() && v[i] <= end; ++i)
        if (i % 2 == 0) return true;
    return false;
}

void DeliveryRecorder::sort_deliveries() {
    if (sorted_) return;
    for (auto& list : deliveries_) std::sort(list.begin(), list.end());
    sorted_ = true;
}

// The client's first delivery of event e at or before end_ms (deliveries sorted).
std::optional<std::uint32_t> DeliveryRecorder::first_delivery(MetricsClient c, std::uint32_t e,
                                                              std::uint32_t end_ms) const {
    if (c >= deliveries_.size()) return std::nullopt;
    const auto& list = deliveries_[c];
    auto it = std::lower_bound(list.begin(), list.end(), Delivery{e, 0});
    if (it == list.end() || it->event != e || it->at_ms > end_ms) return std::nullopt;
    return it->at_ms;
}

template <class Fn>
void DeliveryRecorder::for_pairs(std::uint32_t e, Fn&& fn) const {
    const EventRec& ev = events_[e];
    for (const Subscription& s : subs_of_topic_[ev.topic])
        if (s.client != ev.publisher && ev.published_ms >= s.from_ms && ev.published_ms < s.to_ms)
            fn(s);
}

DeliveryReport DeliveryRecorder::report(TimePoint end, std::optional<TimePoint> failure,
                                        const HeldAtEnd& held_at_end) {
    DeliveryReport r;
    const std::uint32_t end_ms = ms(end);
    const std::uint32_t from_ms = ms(config_.measure_from), to_ms_ = ms(config_.measure_to);
    const std::uint64_t window_ms = std::max<std::uint64_t>(1, to_ms(config_.window));
    const std::uint64_t on_time_ms = to_ms(config_.on_time);
    const double window_s = static_cast<double>(window_ms) / 1000.0;

    // Per event: distinct clients that had it, and handler calls (both by the end).
    std::vector<std::uint32_t> distinct(events_.size(), 0), calls(events_.size(), 0);
    sort_deliveries();
    for (auto& list : deliveries_) {
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (list[i].at_ms > end_ms) continue;
            ++calls[list[i].event];
            // Sorted by (event, time): an event's first entry is its earliest delivery.
            if (i == 0 || list[i - 1].event != list[i].event) ++distinct[list[i].event];
        }
    }

    const std::size_t windows =
        static_cast<std::size_t>((std::uint64_t{end_ms} + window_ms - 1) / window_ms);
    r.series.resize(std::max<std::size_t>(windows, 1));
    for (std::size_t w = 0; w < r.series.size(); ++w) {
        const std::uint64_t start = w * window_ms;
        r.series[w].start_s = static_cast<double>(start) / 1000.0;
        r.series[w].measured = start >= from_ms && start < to_ms_;
    }

    std::vector<std::uint32_t> latencies;
    std::vector<float> penalties, directs;  // 4 bytes a pair: millions at full size
    std::uint64_t distinct_total = 0;
    // Event ids by index, for held_at_end (filled by index: no dependence on the map's order).
    std::vector<const MetricsEventId*> id_of;
    if (held_at_end) {
        id_of.resize(events_.size());
        for (const auto& [id, index] : event_ids_) id_of[index] = &id;
    }
    std::mt19937_64 late_rng(config_.late_sample_seed);
    std::uint64_t late_seen = 0;
    for (std::uint32_t e = 0; e < events_.size(); ++e) {
        const EventRec& ev = events_[e];
        if (ev.published_ms > end_ms) continue;
        WindowRow& row =
            r.series[std::min<std::size_t>(ev.published_ms / window_ms, r.series.size() - 1)];
        ++row.published;
        const bool measured = ev.published_ms >= from_ms && ev.published_ms < to_ms_;
        const bool accepted = ev.accepted_ms <= end_ms;
        const bool publish_delayed = !accepted || ev.accepted_ms - ev.published_ms > on_time_ms;
        bool any_pair = false;
        std::uint64_t due_pairs = 0;
        for_pairs(e, [&](const Subscription& s) {
            any_pair = true;
            const auto first = first_delivery(s.client, e, end_ms);
            if (measured && first && *first >= ev.published_ms &&
                online_at(s.client, ev.published_ms)) {
                latencies.push_back(*first - ev.published_ms);
                const auto ph = home_at(ev.publisher, ev.published_ms);
                const auto sh = home_at(s.client, ev.published_ms);
                const double direct = config_.direct_latency_ms && ph && sh
                                          ? config_.direct_latency_ms(ev.publisher, *ph, s.client, *sh)
                                          : 0.0;
                if (direct > 0) {
                    directs.push_back(static_cast<float>(direct));
                    penalties.push_back(static_cast<float>((*first - ev.published_ms) / direct));
                }
            }
            const auto due = deadline(s.client, ev.published_ms);
            if (!due || *due > end_ms) {
                ++row.pending;
                r.pending_pairs += measured;
                return;
            }
            ++due_pairs;
            const bool on_time = first && *first <= *due;
            ++row.pairs_due;
            row.delivered += first.has_value();
            row.on_time += on_time;
            if (!measured) return;
            ++r.pairs;
            r.delivered += first.has_value();
            r.on_time += on_time;
            if (on_time) return;
            r.late_pairs_publish_delayed += publish_delayed;
            r.late_pairs_online += online_at(s.client, ev.published_ms);
            r.late_pairs_new_subscriber += ev.published_ms - s.from_ms < on_time_ms;
            // Reservoir sampling (Algorithm R): the n-th late pair replaces a random kept one
            // with probability max / n.
            ++late_seen;
            std::size_t slot = r.late_samples.size();
            if (slot >= DeliveryReport::max_late_samples) {
                slot = static_cast<std::size_t>(late_rng() % late_seen);
                if (slot >= DeliveryReport::max_late_samples) return;
            }
            auto sec = [](std::uint32_t t) { return static_cast<double>(t) / 1000.0; };
            DeliveryReport::LatePair pair{*topic_names_[ev.topic], ev.publisher, s.client,
                                          sec(ev.published_ms), accepted ? sec(ev.accepted_ms) : -1.0,
                                          sec(*due), first ? sec(*first) : -1.0,
                                          online_at(s.client, ev.published_ms)};
            if (slot == r.late_samples.size())
                r.late_samples.push_back(std::move(pair));
            else
                r.late_samples[slot] = std::move(pair);
        });
        if (!measured) continue;
        ++r.events_published;
        r.events_accepted += accepted;
        r.events_without_pairs += !any_pair;
        distinct_total += distinct[e];
        const std::uint32_t extra_copies = ev.copies > distinct[e] ? ev.copies - distinct[e] : 0;
        r.duplicates += std::max(extra_copies, calls[e] - distinct[e]);
        if (due_pairs > 0 && distinct[e] == 0 && held_at_end &&
            held_at_end(*topic_names_[ev.topic], *id_of[e])) {
            ++r.undelivered_held;
        } else if (due_pairs > 0 && distinct[e] == 0) {
            // Excused: the event may never have left the phone, which went away for good.
            const bool gone = !online_at(ev.publisher, end_ms) &&
                              !returned_after(ev.publisher, ev.published_ms, end_ms);
            if (gone) {
                ++r.lost_events_excused;
                r.lost_events_excused_accepted += accepted;
            } else {
                ++r.lost_events;
            }
            if (r.lost_samples.size() < 20)
                r.lost_samples.push_back(DeliveryReport::LostEvent{
                    *topic_names_[ev.topic], ev.publisher, ev.published_ms / 1000.0,
                    accepted ? ev.accepted_ms / 1000.0 : -1.0, due_pairs, gone});
        }
    }
    for (auto& row : r.series)
        if (row.pairs_due > 0)
            row.rate = static_cast<double>(row.on_time) / static_cast<double>(row.pairs_due);
    for (const auto& [at, g] : gauges_) {
        const std::size_t w = at / window_ms;
        if (w < r.series.size()) r.series[w].gauges = g;
    }

    if (r.pairs > 0) {
        r.delivered_on_time = static_cast<double>(r.on_time) / static_cast<double>(r.pairs);
        r.delivered_eventually = static_cast<double>(r.delivered) / static_cast<double>(r.pairs);
    }
    std::stable_sort(r.late_samples.begin(), r.late_samples.end(),
                     [](const auto& a, const auto& b) { return a.published_s < b.published_s; });
    std::sort(latencies.begin(), latencies.end());
    r.latency_samples = latencies.size();
    r.latency_p50_ms = rank(latencies, 50);
    r.latency_p90_ms = rank(latencies, 90);
    r.latency_p95_ms = rank(latencies, 95);
    r.latency_p99_ms = rank(latencies, 99);
    r.latency_max_ms = latencies.empty() ? 0 : latencies.back();
    std::sort(penalties.begin(), penalties.end());
    std::sort(directs.begin(), directs.end());
    r.delay_penalty_samples = penalties.size();
    r.delay_penalty_p50 = rank(penalties, 50);
    r.delay_penalty_p90 = rank(penalties, 90);
    r.delay_penalty_p99 = rank(penalties, 99);
    r.direct_latency_p50_ms = rank(directs, 50);
    r.duplicates_per_delivery =
        distinct_total ? static_cast<double>(r.duplicates) / static_cast<double>(distinct_total)
                       : 0.0;
    r.unknown_deliveries = unknown_deliveries_;
    for (const auto& row : r.series)
        if (row.measured && row.pairs_due > 0)
            r.worst_window_rate = std::min(r.worst_window_rate, row.rate);
    if (failure) {
        const double failure_s = static_cast<double>(ms(*failure)) / 1000.0;
        r.recovery_s = recovery_seconds(r.series, window_s, failure_s, config_.recovery_level);
        r.recovered = r.recovery_s.has_value();
    }
    return r;
}

SplitReport DeliveryRecorder::split_report(TimePoint end, TimePoint from, TimePoint to,
                                           const std::function<int(std::uint32_t)>& side_of) {
    SplitReport r;
    sort_deliveries();
    const std::uint32_t end_ms = ms(end), from_ms = ms(from), heal_ms = ms(to);
    const std::uint64_t window_ms = std::max<std::uint64_t>(1, to_ms(config_.window));
    const std::uint64_t on_time_ms = to_ms(config_.on_time);
    for (std::uint64_t w = from_ms / window_ms; w * window_ms < heal_ms; ++w)
        r.series.push_back(SplitWindow{static_cast<double>(w * window_ms) / 1000.0});
    std::vector<std::uint32_t> lags;
    for (std::uint32_t e = 0; e < events_.size(); ++e) {
        const EventRec& ev = events_[e];
        if (ev.published_ms < from_ms || ev.published_ms >= heal_ms || ev.published_ms > end_ms)
            continue;
        ++r.events;
        SplitWindow& win = r.series[ev.published_ms / window_ms - from_ms / window_ms];
        const auto ph = home_at(ev.publisher, ev.published_ms);
        for_pairs(e, [&](const Subscription& s) {
            const auto first = first_delivery(s.client, e, end_ms);
            // The catch-up: owed once the subscriber has had a full on_time online after the heal.
            const auto sh = home_at(s.client, ev.published_ms);
            if (const auto owed = deadline(s.client, heal_ms); owed && *owed <= end_ms) {
                ++r.owed_pairs;
                if (!first && ++r.owed_undelivered <= 20)
                    r.undelivered_samples.push_back(SplitReport::Undelivered{
                        *topic_names_[ev.topic], ev.publisher, s.client, ev.published_ms / 1000.0,
                        ev.accepted_ms <= end_ms ? ev.accepted_ms / 1000.0 : -1.0,
                        static_cast<double>(*owed - on_time_ms) / 1000.0,
                        ph && sh && side_of(*ph) == side_of(*sh)});
                else if (first)
                    lags.push_back(*first + on_time_ms > *owed
                                       ? static_cast<std::uint32_t>(*first + on_time_ms - *owed)
                                       : 0);
            }
            if (!ph || !sh) {
                ++r.unknown_side_pairs;
                return;
            }
            const auto due = deadline(s.client, ev.published_ms);
            if (!due || *due > end_ms) {
                ++r.pending_pairs;
                return;
            }
            const bool on_time = first && *first <= *due;
            const bool in_split = first && *first < heal_ms;
            if (side_of(*ph) == side_of(*sh)) {
                ++r.same_pairs, ++win.same_due;
                r.same_on_time += on_time, win.same_on_time += on_time;
                r.same_delivered_in_split += in_split;
            } else {
                ++r.cross_pairs, ++win.cross_due;
                r.cross_on_time += on_time, win.cross_on_time += on_time;
                r.cross_delivered_in_split += in_split;
            }
        });
    }
    auto rate = [](std::uint64_t a, std::uint64_t b) {
        return b ? static_cast<double>(a) / static_cast<double>(b) : -1.0;
    };
    r.same_side_on_time = rate(r.same_on_time, r.same_pairs);
    r.cross_side_on_time = rate(r.cross_on_time, r.cross_pairs);
    std::sort(lags.begin(), lags.end());
    r.lag_p99_s = rank(lags, 99) / 1000.0;
    if (r.owed_undelivered == 0) r.heal_to_full_delivery_s = lags.empty() ? 0.0 : lags.back() / 1000.0;
    return r;
}

void write_split_csv(std::ostream& out, const SplitReport& report) {
    out << "# window_start_s,same_due,same_on_time,same_rate,cross_due,cross_on_time,cross_rate\n";
    auto rate = [](std::uint64_t a, std::uint64_t b) {
        char buf[32];
        if (b == 0)
            std::snprintf(buf, sizeof buf, "NaN");
        else
            std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(a) / static_cast<double>(b));
        return std::string(buf);
    };
    for (const auto& w : report.series)
        out << w.start_s << ',' << w.same_due << ',' << w.same_on_time << ','
            << rate(w.same_on_time, w.same_due) << ',' << w.cross_due << ',' << w.cross_on_time
            << ',' << rate(w.cross_on_time, w.cross_due) << '\n';
}

std::optional<double> recovery_seconds(const std::vector<WindowRow>& series, double window_s,
                                       double failure_s, double level) {
    std::optional<std::size_t> last_bad, last_due;
    for (std::size_t i = 0; i < series.size(); ++i) {
        const WindowRow& row = series[i];
        if (!row.measured || row.pairs_due == 0 || row.start_s + window_s <= failure_s) continue;
        last_due = i;
        if (row.rate < level) last_bad = i;
    }
    if (!last_due) return std::nullopt;  // nothing measured after the failure: unknown
    if (!last_bad) return 0.0;
    if (*last_bad == *last_due) return std::nullopt;  // still below at the end
    return std::max(0.0, series[*last_bad].start_s + window_s - failure_s);
}

void write_timeseries_csv(std::ostream& out, const DeliveryReport& report) {
    out << "# window_start_s,measured,published,pairs_due,on_time,delivered,pending,rate,"
           "online_clients,live_nodes,mailboxes\n";
    char buf[256];
    for (const auto& w : report.series) {
        char rate[32];
        if (w.rate < 0)
            std::snprintf(rate, sizeof rate, "NaN");
        else
            std::snprintf(rate, sizeof rate, "%.6f", w.rate);
        std::snprintf(buf, sizeof buf, "%.3f,%d,%llu,%llu,%llu,%llu,%llu,%s,", w.start_s,
                      w.measured ? 1 : 0, static_cast<unsigned long long>(w.published),
                      static_cast<unsigned long long>(w.pairs_due),
                      static_cast<unsigned long long>(w.on_time),
                      static_cast<unsigned long long>(w.delivered),
                      static_cast<unsigned long long>(w.pending), rate);
        out << buf;
        if (w.gauges)
            out << w.gauges->online_clients << ',' << w.gauges->live_nodes << ','
                << w.gauges->mailboxes;
        else
            out << "NaN,NaN,NaN";
        out << '\n';
    }
}

void write_late_pairs_csv(std::ostream& out, const DeliveryReport& report,
                          const std::vector<std::uint32_t>& names) {
    auto name = [&](MetricsClient c) { return c < names.size() ? names[c] : c; };
    out << "# topic,publisher,subscriber,published_s,accepted_s,due_s,delivered_s,"
           "online_at_publication\n";
    char buf[160];
    for (const auto& l : report.late_samples) {
        std::snprintf(buf, sizeof buf, ",%u,%u,%.3f,%.3f,%.3f,%.3f,%d\n", name(l.publisher),
                      name(l.subscriber), l.published_s, l.accepted_s, l.due_s, l.delivered_s,
                      l.online_at_publication ? 1 : 0);
        out << l.topic << buf;
    }
}

}  // namespace elmo::sim
