#include "traces/sim_replay.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <unordered_map>

#include "sim/churn.hpp"
#include "sim/dht_use.hpp"
#include "sim/elmo_stack.hpp"
#include "sim/metrics.hpp"
#include "sim/node_load.hpp"
#include "sim/scenario.hpp"
#include "traces/progress.hpp"
#include "traces/trace_io.hpp"

namespace elmo::traces {
namespace {

using elmo::Duration;
using elmo::TimePoint;
using sim::HostId;

Duration seconds(double s) {
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}
double secs(Duration d) {
    return std::chrono::duration<double>(d).count();
}

struct IdHash {
    std::size_t operator()(const wire::EventId& id) const {
        std::size_t h = 0;
        std::memcpy(&h, id.data(), sizeof h);
        return h;
    }
};

std::size_t mailbox_topics(sim::Simulation& s, HostId h) {
    NodeCore* c = sim::elmo_core(s, h);
    return c ? c->mailbox().topics().size() : 0;
}

// The end of the trace in trace ms: its `duration_ms` header, else the last record's time.
Result<std::uint64_t, std::string> trace_end_ms(const std::string& path, const TraceReader& rd) {
    if (auto d = rd.meta_uint("duration_ms")) return *d;
    auto scan = TraceReader::open(path);
    if (!scan) return Err{scan.error().message()};
    std::uint64_t last = 0;
    for (;;) {
        auto n = scan->next();
        if (!n) return Err{n.error().message()};
        if (!*n) break;
        last = (*n)->t_ms;
    }
    return last + 1;
}

// The state of a replay; one per run.
class SimReplay {
  public:
    explicit SimReplay(const SimReplayOptions& o) : o_(o) {}
    Result<ReplayData, std::string> run();

  private:
    struct Slot {
        std::vector<std::string> pending;  // subscriptions before the core exists
    };
    sim::ClientId client(std::uint32_t trace_id);
    const std::vector<HostId>& live_sorted();
    void apply(const Record& r);
    void node_op(const Record& r);
    void advance(Duration to);
    std::string detail() const;
    std::uint64_t elmo_messages_sent();
    bool online_at(sim::ClientId c, std::uint32_t ms) const;

    const SimReplayOptions& o_;
    // Destroyed in reverse: the phones, then the simulation, then the record they wrote into.
    std::unique_ptr<sim::DeliveryRecorder> rec_;
    std::unique_ptr<sim::Simulation> sim_;
    std::unique_ptr<sim::Clients> clients_;  // scripted: the trace says who is online
    std::unique_ptr<Progress> progress_;
    sim::ElmoStackConfig stack_;
    std::shared_ptr<const sim::ClientCoreFactory> factory_;
    std::unordered_map<std::uint32_t, sim::ClientId> client_ids_;  // lookups only
    std::vector<std::uint32_t> trace_ids_;                         // by sim::ClientId
    std::vector<Slot> slots_;
    std::vector<std::vector<std::uint32_t>> transitions_;   // per client, ms, online first
    std::unordered_map<std::uint32_t, HostId> node_hosts_;  // trace node id -> host; lookups
    std::vector<HostId> live_cache_;
    bool live_dirty_ = true;
    std::map<std::string, std::uint64_t> topic_subs_;
    std::unordered_map<wire::EventId, std::uint32_t, IdHash> published_ms_;  // lookups only
    struct Delivery {
        sim::ClientId client;
        std::uint32_t pub_ms, at_ms;
    };
    std::vector<Delivery> deliveries_;
    Duration t0_{0}, end_trace_{0}, end_{0};
    std::uint64_t records_ = 0, published_ = 0, refused_ = 0, pub_offline_ = 0, seq_ = 0;
    std::uint64_t invalid_ = 0, node_ops_ignored_ = 0, crashed_ = 0, joined_ = 0;
    std::array<std::uint64_t, 4> subs_by_rule_{};
    std::optional<Duration> failure_;
};

std::uint32_t to_ms(Duration d) {
    return static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

const std::vector<HostId>& SimReplay::live_sorted() {
    if (live_dirty_) live_cache_ = sim_->live_sorted(), live_dirty_ = false;
    return live_cache_;
}

sim::ClientId SimReplay::client(std::uint32_t trace_id) {
    auto it = client_ids_.find(trace_id);
    if (it != client_ids_.end()) return it->second;
    const auto& live = live_sorted();
    const std::uint64_t h = sim::derive_seed(o_.seed, sim::seed_scenario, trace_id);
    const HostId home = live.empty() ? 0 : live[h % live.size()];
    const sim::ClientId c = clients_->add(home);
    client_ids_.emplace(trace_id, c);
    assert(c == trace_ids_.size());  // clients are added here only, numbered in order
    trace_ids_.push_back(trace_id);
    slots_.emplace_back();
    transitions_.emplace_back();
    return c;
}

void SimReplay::node_op(const Record& r) {
    auto it = node_hosts_.find(r.id);
    const bool known = it != node_hosts_.end();
    switch (r.op) {
        case Op::node_join:
            if (!known) {
                node_hosts_.emplace(r.id, sim_->add_node());
                ++joined_;
            } else if (!sim_->is_up(it->second) && !sim_->find(it->second)) {
                sim_->restart(it->second);
                ++joined_;
            } else {
                ++node_ops_ignored_;  // already up (the initial nodes' own joins)
            }
            break;
        case Op::node_leave:
        case Op::node_crash:
            if (!known || !sim_->is_up(it->second)) {
                ++node_ops_ignored_;
                break;
            }
            if (!failure_ && sim_->now() >= t0_ + seconds(o_.measure_from_s / o_.speedup))
                failure_ = sim_->now();
            if (r.op == Op::node_crash)
                sim_->crash(it->second);
            else
                sim_->leave(it->second);
            ++crashed_;
            break;
        default:
            break;
    }
}

void SimReplay::apply(const Record& r) {
    ++records_;
    if (r.is_node_op()) return node_op(r);
    const sim::ClientId c = client(r.id);
    const TimePoint now = sim_->time_point();
    auto* ec = dynamic_cast<sim::ElmoClient*>(clients_->core(c));
    switch (r.op) {
        case Op::online:
            if (!clients_->has_core(c)) clients_->attach(c, *factory_);
            clients_->set_online(c, true);
            break;
        case Op::offline:
            clients_->set_online(c, false);
            break;
        case Op::subscribe:
            ++subs_by_rule_[static_cast<std::size_t>(r.rule)];
            ++topic_subs_[r.topic];
            rec_->subscribed(c, r.topic, now);
            if (ec)
                clients_->wake(c, ec->core().subscribe(now, r.topic));
            else
                slots_[c].pending.push_back(r.topic);
            break;
        case Op::unsubscribe: {
            auto t = topic_subs_.find(r.topic);
            if (t != topic_subs_.end() && t->second > 0) --t->second;
            rec_->unsubscribed(c, r.topic, now);
            auto& p = slots_[c].pending;
            p.erase(std::remove(p.begin(), p.end(), r.topic), p.end());
            if (ec) clients_->wake(c, ec->core().unsubscribe(now, r.topic));
            break;
        }
        case Op::publish: {
            if (!ec || !clients_->online(c)) {
                ++pub_offline_;  // the trace publishes from a phone that is not online
                break;
            }
            Bytes payload(r.size);
            for (std::size_t i = 0; i < payload.size(); ++i)
                payload[i] = static_cast<std::uint8_t>(seq_ + i);
            ++seq_;
            auto id = ec->publish(now, r.topic, std::move(payload));
            if (!id) {
                ++refused_;
                break;
            }
            rec_->published(*id, r.topic, c, now,
                            [this](sim::MetricsClient x) { return clients_->home(x); });
            published_ms_.emplace(*id, to_ms(sim_->now()));
            ++published_;
            clients_->wake(c, ec->core().next_wakeup());
            break;
        }
        default:
            break;
    }
}

std::string SimReplay::detail() const {
    char buf[200];
    std::snprintf(buf, sizeof buf, "sim %s/%s records %llu published %llu online %zu nodes %zu",
                  format_duration(secs(sim_->now())).c_str(), format_duration(secs(end_)).c_str(),
                  static_cast<unsigned long long>(records_),
                  static_cast<unsigned long long>(published_), clients_->online_count(),
                  sim_->live_count());
    return buf;
}

// Runs the simulation to `to` in steps, so that progress shows during long gaps.
void SimReplay::advance(Duration to) {
    const Duration step = std::chrono::seconds(2);
    while (sim_->now() < to) {
        sim_->run_to(std::min(to, sim_->now() + step));
        if (progress_) progress_->update(secs(sim_->now()), detail());
    }
}

std::uint64_t SimReplay::elmo_messages_sent() {
    std::uint64_t n = 0;
    for (HostId h = 0; h < sim_->hosts(); ++h)
        n += sim::elmo_traffic(sim_->network().counters(h)).msgs_out;
    for (sim::ClientId c = 0; c < clients_->size(); ++c) n += clients_->counters(c).frames_sent;
    return n;
}

bool SimReplay::online_at(sim::ClientId c, std::uint32_t ms) const {
    const auto& t = transitions_[c];
    const auto k = std::upper_bound(t.begin(), t.end(), ms) - t.begin();
    return k % 2 == 1;  // an odd number of transitions at or before: online
}

Result<ReplayData, std::string> SimReplay::run() {
    const double wall0 = sim::wall_seconds();
    if (o_.speedup <= 0 || o_.warmup_s < 0 || o_.drain_s < 0 || o_.window_s <= 0)
        return Err{
            std::string("speedup and window must be positive, warmup and drain not negative")};
    auto rd = TraceReader::open(o_.trace);
    if (!rd) return Err{rd.error().message()};
    auto end_ms = trace_end_ms(o_.trace, *rd);
    if (!end_ms) return Err{end_ms.error()};
    double trace_s = static_cast<double>(*end_ms) / 1000.0;
    if (o_.stop_at_s >= 0) trace_s = std::min(trace_s, o_.stop_at_s);
    const std::size_t nodes =
        o_.nodes ? o_.nodes : static_cast<std::size_t>(rd->meta_uint("nodes").value_or(150));
    try {
        stack_ = sim::elmo_stack_from(o_.params);
    } catch (const std::exception& e) {
        return Err{std::string(e.what())};
    }
    t0_ = seconds(o_.warmup_s);
    end_trace_ = t0_ + seconds(trace_s / o_.speedup);
    end_ = end_trace_ + seconds(o_.drain_s);
    const Duration measure_from = t0_ + seconds(o_.measure_from_s / o_.speedup);

    sim::SimConfig cfg;
    cfg.seed = o_.seed;
    cfg.overlay = o_.overlay;
    cfg.core_factory = sim::elmo_node_factory(stack_);
    sim::ClientConfig client_config;  // phone links 30-300 ms one way, as in paper-synthetic
    client_config.scripted = true;
    sim::DeliveryConfig dc;
    // The delay penalty's denominator (docs/metrics.md); only called at judgement, when sim_ is.
    dc.direct_latency_ms = [this, client_config](sim::MetricsClient a, std::uint32_t ha,
                                                 sim::MetricsClient b, std::uint32_t hb) {
        return sim::direct_latency_ms(sim_->network(), o_.seed, client_config, a, ha, b, hb);
    };
    dc.origin = sim::Engine::epoch();
    dc.measure_from = sim::Engine::to_time_point(measure_from);
    dc.measure_to = sim::Engine::to_time_point(end_trace_);
    dc.window = seconds(o_.window_s);
    rec_ = std::make_unique<sim::DeliveryRecorder>(dc);
    sim_ = std::make_unique<sim::Simulation>(cfg);
    clients_ = std::make_unique<sim::Clients>(*sim_, client_config);
    sim_->on_membership([this](HostId, bool) { live_dirty_ = true; });
    const auto hosts = sim_->add_nodes(nodes);
    for (std::size_t i = 0; i < hosts.size(); ++i)
        node_hosts_.emplace(static_cast<std::uint32_t>(i), hosts[i]);
    sim::NodeLoad load(*sim_);

    auto observer = std::make_shared<sim::ClientObserver>();
    observer->presence = [this](sim::ClientId c, TimePoint t, bool on) {
        if (on)
            rec_->client_online(c, t);
        else
            rec_->client_offline(c, t);
        auto& tr = transitions_[c];
        const std::uint32_t ms = to_ms(sim::Engine::to_offset(t));
        if (tr.size() % 2 == (on ? 0u : 1u)) tr.push_back(ms);
    };
    observer->delivered = [this](sim::ClientId c, TimePoint t, const wire::Event& e) {
        rec_->delivered(c, e.id, t);
        auto it = published_ms_.find(e.id);
        if (it != published_ms_.end())
            deliveries_.push_back({c, it->second, to_ms(sim::Engine::to_offset(t))});
    };
    if (o_.count_copies)
        observer->copy = [this](sim::ClientId c, const wire::EventId& id) {
            rec_->copy_received(c, id);
        };
    observer->published = [this](sim::ClientId, TimePoint t, const wire::EventId& id,
                                 elmo::ClientCore::PublishOutcome out) {
        if (out == elmo::ClientCore::PublishOutcome::accepted)
            rec_->accepted(id, t);
        else
            ++invalid_;
    };
    auto seed_of = sim::live_nodes_seed(*sim_, o_.seed ^ 0x5eed5eed5eedull);
    factory_ = std::make_shared<const sim::ClientCoreFactory>(
        [this, observer, seed_of](sim::ClientLink& link, sim::ClientId id, std::uint64_t seed) {
            // The nodes a phone knows besides its home: 3 live nodes by its seed.
            std::vector<Endpoint> others;
            const auto& live = live_sorted();
            sim::Rng r(seed);
            for (int i = 0; i < 8 && others.size() < 3 && live.size() > 1; ++i) {
                const HostId h = live[r.below(live.size())];
                if (sim::Network::endpoint_of(h) != link.home())
                    others.push_back(sim::Network::endpoint_of(h));
            }
            auto topics = std::move(slots_[id].pending);
            slots_[id].pending.clear();
            return std::unique_ptr<sim::ClientCore>(std::make_unique<sim::ElmoClient>(
                stack_, link, id, seed, std::move(topics), std::move(others), observer,
                seed_of));
        });

    // Gauges once per window; load from the start of the measurement to the end of the trace.
    for (Duration t = Duration(0); t < end_; t += seconds(o_.window_s))
        sim_->at(t, [this] {
            sim::Gauges g{clients_->online_count(), sim_->live_count(), 0};
            for (HostId h : sim_->live()) g.mailboxes += mailbox_topics(*sim_, h) > 0;
            rec_->gauge(sim_->time_point(), g);
        });
    std::uint64_t msgs_at_start = 0;
    sim_->at(measure_from, [&] {
        load.start();
        msgs_at_start = elmo_messages_sent();
    });
    std::vector<sim::NodeLoadRow> node_rows;
    std::vector<TopicPattern> pattern;
    sim_->at(end_trace_, [&] {
        node_rows = load.rows([this](HostId h) { return mailbox_topics(*sim_, h); });
        std::map<std::string, TopicPattern> by_topic;
        for (const auto& [t, n] : topic_subs_) by_topic[t] = TopicPattern{t, n, 0, 0};
        for (HostId h : sim_->live_sorted())
            if (NodeCore* c = sim::elmo_core(*sim_, h))
                for (const auto& t : c->mailbox().topics()) {
                    auto& p = by_topic[t];
                    p.topic = t;
                    ++p.mailboxes;
                    p.registrations += c->mailbox().clients(t).size();
                }
        for (auto& [_, p] : by_topic) pattern.push_back(std::move(p));
    });
    if (o_.fail_at_s >= 0) {
        const Duration at = t0_ + seconds(o_.fail_at_s / o_.speedup);
        sim_->at(at, [this] {
            failure_ = sim_->now();
            for (HostId h : sim::Churn(*sim_).pick_victims(o_.fail_fraction)) {
                sim_->crash(h);
                ++crashed_;
            }
        });
    }

    if (o_.progress) progress_ = std::make_unique<Progress>(secs(end_), o_.progress);
    advance(t0_);  // the DHT warms up
    for (;;) {
        auto n = rd->next();
        if (!n) return Err{n.error().message()};
        if (!*n) break;
        const Duration at = t0_ + seconds(static_cast<double>((*n)->t_ms) / 1000.0 / o_.speedup);
        if (at >= end_trace_) break;
        advance(at);
        apply(**n);
    }
    advance(end_);
    if (progress_) progress_->finish(detail());
    const std::uint64_t msgs = elmo_messages_sent() - msgs_at_start;

    // ---- judgement ----
    ReplayData d;
    d.window_s = o_.window_s;
    d.delivery = rec_->report(
        sim::Engine::to_time_point(end_),
        failure_ ? std::optional(sim::Engine::to_time_point(*failure_)) : std::nullopt,
        [this](const std::string& topic, const sim::MetricsEventId& id) {
            return sim::held_by_live_mailbox(*sim_, topic, id);
        });
    if (failure_) d.failure_s = secs(*failure_);
    d.client_names = trace_ids_;
    const std::uint32_t mf = to_ms(measure_from), mt = to_ms(end_trace_);
    for (const auto& x : deliveries_)
        if (x.pub_ms >= mf && x.pub_ms < mt && online_at(x.client, x.pub_ms))
            d.latencies_ms.push_back(static_cast<double>(x.at_ms - x.pub_ms));
    std::sort(d.latencies_ms.begin(), d.latencies_ms.end());
    d.nodes = std::move(node_rows);
    d.mailbox_pattern = std::move(pattern);

    sim::Summary& s = d.summary;
    s.set("mode", "sim");
    s.set("trace", o_.trace);
    auto meta = [&](const char* k) {
        auto it = rd->meta().find(k);
        return it == rd->meta().end() ? std::string() : it->second;
    };
    s.set("trace_source", meta("source"));
    s.set("subscription_rules", meta("rules"));
    s.set("nodes", static_cast<unsigned long>(nodes));
    s.set("seed", static_cast<unsigned long>(o_.seed));
    s.set("overlay", sim::to_string(o_.overlay));
    s.set("warmup_s", o_.warmup_s);
    s.set("speedup", o_.speedup);
    s.set("trace_s", trace_s);
    s.set("drain_s", o_.drain_s);
    s.set("sim_seconds", secs(end_));
    s.set("records", static_cast<unsigned long>(records_));
    s.set("clients", static_cast<unsigned long>(clients_->size()));
    add_subscription_rules(s, subs_by_rule_);
    const auto& rep = d.delivery;
    add_delivery_rates(s, rep);
    s.set("messages_per_delivery",
          rep.delivered ? static_cast<double>(msgs) / static_cast<double>(rep.delivered) : 0.0);
    s.set("duplicates_per_delivery", rep.duplicates_per_delivery);
    const sim::NodeLoadSummary nl = sim::NodeLoad::summarize(d.nodes, 60.0);
    sim::add_node_load(s, nl);
    sim::add_dht_use(s, *sim_);
    std::uint64_t mb = 0, regs = 0, mb_topics = 0;
    for (const auto& p : d.mailbox_pattern)
        if (p.mailboxes) mb += p.mailboxes, regs += p.registrations, ++mb_topics;
    s.set("topics_with_mailboxes", static_cast<unsigned long>(mb_topics));
    s.set("mailboxes_per_topic_mean",
          mb_topics ? static_cast<double>(mb) / static_cast<double>(mb_topics) : 0.0);
    s.set("registrations_per_mailbox_mean",
          mb ? static_cast<double>(regs) / static_cast<double>(mb) : 0.0);
    s.set("lost_events", static_cast<unsigned long>(rep.lost_events));
    s.set("lost_events_excused", static_cast<unsigned long>(rep.lost_events_excused));
    s.set("undelivered_held", static_cast<unsigned long>(rep.undelivered_held));
    if (rep.recovery_s)
        s.set("recovery_s", *rep.recovery_s);
    else
        s.set_null("recovery_s");
    if (failure_)
        s.set("failure_at_s", secs(*failure_));
    else
        s.set_null("failure_at_s");
    add_pair_counts(s, rep);
    s.set("publications_total", static_cast<unsigned long>(published_));
    s.set("publish_refused", static_cast<unsigned long>(refused_));
    s.set("publish_invalid", static_cast<unsigned long>(invalid_));
    s.set("publish_from_offline_skipped", static_cast<unsigned long>(pub_offline_));
    s.set("nodes_failed", static_cast<unsigned long>(crashed_));
    s.set("nodes_joined", static_cast<unsigned long>(joined_));
    s.set("node_records_ignored", static_cast<unsigned long>(node_ops_ignored_));
    s.set("elmo_messages", static_cast<unsigned long>(msgs));
    sim::add_delay_penalty(s, rep);
    sim::scenario_util::add_run_stats(s, *sim_, wall0);
    return d;
}

}  // namespace

Result<ReplayData, std::string> replay_sim(const SimReplayOptions& o) {
    SimReplay r(o);
    return r.run();
}

}  // namespace elmo::traces
