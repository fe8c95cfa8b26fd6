// Scenario paper-synthetic (issue 8): the elastic-mailbox paper's synthetic workload. N real-DHT
// nodes, 3 intermittent clients per node (online periods averaging 10 minutes, offline 20,
// exponential), 3 subscriptions each from 3N topics by Zipf(0.9), taken when a client first
// comes online; publications at `rate` per second in total (Poisson), the topic drawn by the
// same Zipf law, the publisher a random online subscriber of it. A warm-up, a measured period
// and a drain without publications; then the delivery measures of docs/metrics.md over the
// events published in the measured period, the per-node load, and with --csv a time series and a
// per-node table. --churn none | crash10 (10% of nodes crash at minute 10 of the measurement) |
// replace10 (10% replaced every 5 minutes) | mailboxes (every node holding a mailbox role
// crashes at minute 10) | partition (half the nodes, with the phones homed on them, cut off from
// the rest at minute 10 for 2 minutes). Also the delay penalty: latency over the direct one-way
// latency from the publisher's phone to the subscriber's.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>

#include "common/stats.hpp"
#include "sim/churn.hpp"
#include "sim/delivery_metrics.hpp"
#include "sim/dht_use.hpp"
#include "sim/elmo_stack.hpp"
#include "sim/metrics.hpp"
#include "sim/node_load.hpp"
#include "sim/scenario.hpp"

namespace elmo::sim {
namespace {

using namespace std::chrono_literals;
using scenario_util::progress;

enum class ChurnCase { none, crash10, replace10, mailboxes, partition };

ChurnCase churn_case(const ScenarioOptions& o) {
    auto it = o.params.find("churn");
    const std::string v = it == o.params.end() ? "none" : it->second;
    if (v == "none") return ChurnCase::none;
    if (v == "crash10") return ChurnCase::crash10;
    if (v == "replace10") return ChurnCase::replace10;
    if (v == "mailboxes") return ChurnCase::mailboxes;
    if (v == "partition") return ChurnCase::partition;
    throw std::invalid_argument(
        "--churn must be none, crash10, replace10, mailboxes or partition, not '" + v + "'");
}

Duration seconds(double s) {
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}
double secs(Duration d) {
    return std::chrono::duration<double>(d).count();
}

std::size_t mailbox_topics(Simulation& sim, HostId h) {
    NodeCore* c = elmo_core(sim, h);
    return c ? c->mailbox().topics().size() : 0;
}

// Every elmo message sent so far: node datagrams of the elmo kind, frames from nodes to
// clients, and frames from clients (counted at the client: some never arrive).
std::uint64_t elmo_messages_sent(Simulation& sim, Clients& clients) {
    std::uint64_t n = 0;
    for (HostId h = 0; h < sim.hosts(); ++h) n += elmo_traffic(sim.network().counters(h)).msgs_out;
    for (ClientId c = 0; c < clients.size(); ++c) n += clients.counters(c).frames_sent;
    return n;
}

// The split's figures (docs/metrics.md "Partitions"); a rate with no pair due is null.
void add_split(Summary& s, const SplitReport& r, std::size_t cut_off, double heal_s) {
    auto n = [](std::uint64_t v) { return static_cast<unsigned long>(v); };
    auto rate = [&s](const char* key, double v) {
        if (v < 0)
            s.set_null(key);
        else
            s.set(key, v);
    };
    s.set("partition_nodes", n(cut_off));
    s.set("partition_heal_at_s", heal_s);
    s.set("partition_events", n(r.events));
    s.set("partition_same_side_pairs", n(r.same_pairs));
    rate("partition_same_side_on_time", r.same_side_on_time);
    s.set("partition_same_side_delivered_in_split", n(r.same_delivered_in_split));
    s.set("partition_cross_side_pairs", n(r.cross_pairs));
    rate("partition_cross_side_on_time", r.cross_side_on_time);
    s.set("partition_cross_side_delivered_in_split", n(r.cross_delivered_in_split));
    s.set("partition_pending_pairs", n(r.pending_pairs));
    s.set("partition_unknown_side_pairs", n(r.unknown_side_pairs));
    s.set("partition_owed_pairs", n(r.owed_pairs));
    s.set("partition_owed_undelivered", n(r.owed_undelivered));
    s.set("heal_lag_p99_s", r.lag_p99_s);
    if (r.heal_to_full_delivery_s)
        s.set("heal_to_full_delivery_s", *r.heal_to_full_delivery_s);
    else
        s.set_null("heal_to_full_delivery_s");
}

void write_csvs(const ScenarioOptions& o, const DeliveryReport& rep,
                const std::vector<NodeLoadRow>& nodes, const std::optional<SplitReport>& split) {
    if (o.csv_dir.empty()) return;
    std::filesystem::create_directories(o.csv_dir);
    const std::string base = o.csv_dir + "/paper-synthetic";
    std::ofstream ts(base + "-timeseries.csv"), nd(base + "-nodes.csv"),
        late(base + "-late-pairs.csv");
    if (!ts || !nd || !late) throw std::runtime_error("cannot write CSV files under " + o.csv_dir);
    write_timeseries_csv(ts, rep);
    write_nodes_csv(nd, nodes);
    write_late_pairs_csv(late, rep);
    if (split) {
        std::ofstream sp(base + "-partition.csv");
        write_split_csv(sp, *split);
        if (!sp) throw std::runtime_error("cannot write " + base + "-partition.csv");
    }
}

}  // namespace

Summary run_paper_synthetic(const ScenarioOptions& o) {
    const double wall0 = wall_seconds();
    Summary s;
    scenario_util::add_header(s, "paper-synthetic", o);

    const ChurnCase churn = churn_case(o);
    const auto per_node = static_cast<std::size_t>(o.param("clients_per_node", 3));
    const auto n_topics =
        static_cast<std::size_t>(o.param("topics", 3.0 * static_cast<double>(o.nodes)));
    const auto subs_per_client = static_cast<std::size_t>(o.param("subs", 3));
    const double zipf = o.param("zipf", 0.9);
    const double rate = o.param("rate", 20);
    const auto payload_bytes = static_cast<std::size_t>(o.param("payload", 200));
    const Duration join = seconds(o.param("join_s", 60));
    const Duration measure_from = seconds(o.param("warmup_s", 300));
    const Duration measure_to = measure_from + seconds(o.param("measure_s", 1800));
    const Duration end = measure_to + seconds(o.param("drain_s", 120));
    const Duration fail_at = measure_from + seconds(o.param("fail_s", 600));
    const Duration replace_period = seconds(o.param("replace_period_s", 300));
    const double fraction = o.param("fraction", 0.1);
    const double partition_fraction = o.param("partition_fraction", 0.5);
    const Duration heal_at = fail_at + seconds(o.param("partition_s", 120));
    const Duration window = seconds(o.param("window_s", 10));
    const int tries = static_cast<int>(o.param("publish_tries", 10));
    const bool count_copies = o.param("count_copies", 1) != 0;
    if (rate <= 0 || n_topics == 0 || per_node == 0 || window <= Duration(0))
        throw std::invalid_argument(
            "--param rate, topics, clients_per_node, window_s must be positive");
    const char* churn_names[] = {"none", "crash10", "replace10", "mailboxes", "partition"};
    s.set("churn", churn_names[static_cast<int>(churn)]);
    s.set("sim_seconds", secs(end));
    s.set("topics", static_cast<unsigned long>(n_topics));
    s.set("zipf", zipf);
    s.set("rate", rate);
    s.set("warmup_s", secs(measure_from));
    s.set("measure_s", secs(measure_to - measure_from));
    s.set("drain_s", secs(end - measure_to));

    ElmoStackConfig stack = elmo_stack_from(o.params);
    SimConfig cfg;
    cfg.seed = o.seed;
    cfg.overlay = o.overlay;
    cfg.network.loss = o.loss;
    cfg.core_factory = elmo_node_factory(stack);

    ClientConfig ccfg;
    ccfg.online = DurationDist::exponential(seconds(o.param("online_s", 600)));
    ccfg.offline = DurationDist::exponential(seconds(o.param("offline_s", 1200)));

    // Declared before the simulation: the clients' observers write into it until the end.
    // The direct latency reads the network, which exists only once the simulation does.
    const Network* network = nullptr;
    DeliveryConfig dc;
    dc.direct_latency_ms = [&network, &ccfg, seed = o.seed](MetricsClient a, std::uint32_t ha,
                                                          MetricsClient b, std::uint32_t hb) {
        return network ? direct_latency_ms(*network, seed, ccfg, a, ha, b, hb) : 0.0;
    };
    dc.origin = Engine::epoch();
    dc.measure_from = Engine::to_time_point(measure_from);
    dc.measure_to = Engine::to_time_point(measure_to);
    dc.window = window;
    DeliveryRecorder rec(dc);
    std::uint64_t publish_invalid = 0;

    Simulation sim(cfg);
    network = &sim.network();
    sim.add_nodes(o.nodes);
    Clients clients(sim, ccfg);
    NodeLoad load(sim);

    // Workload: each client's topics (distinct Zipf draws), the subscribers of each topic, a home
    // for each client (3 per node, in random order) and 3 other nodes it knows for failover.
    stats::ZipfSampler zipf_topics(n_topics, zipf);
    Rng& rng = sim.rng();
    const std::size_t n_clients = per_node * o.nodes;
    std::vector<std::vector<std::string>> topics_of(n_clients);
    std::vector<std::vector<ClientId>> subscribers(n_topics);
    for (std::size_t c = 0; c < n_clients; ++c) {
        std::set<std::size_t> ranks;
        while (ranks.size() < std::min(subs_per_client, n_topics))
            ranks.insert(zipf_topics.sample(rng.uniform01()));
        for (std::size_t r : ranks) {
            topics_of[c].push_back("topic-" + std::to_string(r));
            subscribers[r].push_back(static_cast<ClientId>(c));
        }
    }
    const auto hosts = sim.live_sorted();
    std::vector<HostId> homes(n_clients);
    for (std::size_t c = 0; c < n_clients; ++c) homes[c] = hosts[c / per_node];
    for (std::size_t i = n_clients; i > 1; --i) std::swap(homes[i - 1], homes[rng.below(i)]);
    std::vector<std::vector<Endpoint>> nodes_of(n_clients);
    for (std::size_t c = 0; c < n_clients; ++c)
        while (nodes_of[c].size() < 3 && hosts.size() > 1) {
            const HostId h = hosts[rng.below(hosts.size())];
            if (h != homes[c]) nodes_of[c].push_back(Network::endpoint_of(h));
        }

    auto observer = std::make_shared<ClientObserver>();
    observer->presence = [&rec](ClientId c, TimePoint t, bool on) {
        if (on)
            rec.client_online(c, t);
        else
            rec.client_offline(c, t);
    };
    observer->subscribed = [&rec](ClientId c, TimePoint t, const std::string& topic) {
        rec.subscribed(c, topic, t);
    };
    observer->delivered = [&rec](ClientId c, TimePoint t, const wire::Event& e) {
        rec.delivered(c, e.id, t);
    };
    if (count_copies)
        observer->copy = [&rec](ClientId c, const wire::EventId& id) { rec.copy_received(c, id); };
    observer->published = [&rec, &publish_invalid](ClientId, TimePoint t, const wire::EventId& id,
                                                   elmo::ClientCore::PublishOutcome out) {
        if (out == elmo::ClientCore::PublishOutcome::accepted)
            rec.accepted(id, t);
        else
            ++publish_invalid;
    };
    // Shared, not copied: every scheduled join holds the factory.
    auto topics_ptr = std::make_shared<const std::vector<std::vector<std::string>>>(topics_of);
    auto nodes_ptr =
        std::make_shared<const std::vector<std::vector<Endpoint>>>(std::move(nodes_of));
    auto factory = std::make_shared<const ClientCoreFactory>(elmo_client_factory(
        stack, [topics_ptr](ClientId id) { return (*topics_ptr)[id]; },
        [nodes_ptr](ClientId id) { return (*nodes_ptr)[id]; }, observer,
        live_nodes_seed(sim, o.seed ^ 0x5eed5eed5eedull)));
    // Joins at sorted random times, so that the c-th client added gets ClientId c.
    std::vector<Duration> join_at(n_clients);
    for (auto& t : join_at)
        t = Duration(
            static_cast<Duration::rep>(rng.uniform01() * static_cast<double>(join.count())));
    std::sort(join_at.begin(), join_at.end());
    for (std::size_t c = 0; c < n_clients; ++c)
        sim.at(join_at[c], [&clients, home = homes[c], factory] { clients.add(home, *factory); });
    s.set("clients", static_cast<unsigned long>(n_clients));

    // Publications: Poisson from the end of the joins to the end of the measurement, on a stream
    // of their own so that the workload does not shift when other draws change.
    Rng pub_rng(sim.seed_for(seed_scenario, 1));
    std::uint64_t published = 0, skipped = 0, redraws = 0, refused = 0, seq = 0;
    std::vector<ClientId> candidates;
    auto publish_one = [&] {
        for (int attempt = 0; attempt < tries; ++attempt) {
            const std::size_t r = zipf_topics.sample(pub_rng.uniform01());
            candidates.clear();
            for (ClientId c : subscribers[r])
                if (c < clients.size() && clients.online(c)) candidates.push_back(c);
            if (candidates.empty()) {
                ++redraws;
                continue;
            }
            const ClientId c = candidates[pub_rng.below(candidates.size())];
            auto* client = dynamic_cast<ElmoClient*>(clients.core(c));
            const std::string topic = "topic-" + std::to_string(r);
            Bytes payload(payload_bytes);
            for (std::size_t i = 0; i < payload.size(); ++i)
                payload[i] = static_cast<std::uint8_t>(seq + i);
            ++seq;
            const TimePoint now = sim.time_point();
            auto id = client->publish(now, topic, std::move(payload));
            if (!id) {
                ++refused;
                return;
            }
            rec.published(*id, topic, c, now,
                          [&clients](MetricsClient x) { return clients.home(x); });
            ++published;
            clients.wake(c, client->core().next_wakeup());
            return;
        }
        ++skipped;
    };
    const double mean_gap_ns = 1e9 / rate;
    std::function<void()> publish_step = [&] {
        publish_one();
        const Duration next =
            sim.now() + Duration(static_cast<Duration::rep>(pub_rng.exponential(mean_gap_ns)));
        if (next < measure_to) sim.at(next, publish_step);
    };
    sim.at(join, publish_step);

    // Gauges for the time series, once per window.
    for (Duration t = Duration(0); t < end; t += window)
        sim.at(t, [&] {
            Gauges g{clients.online_count(), sim.live_count(), 0};
            for (HostId h : sim.live()) g.mailboxes += mailbox_topics(sim, h) > 0;
            rec.gauge(sim.time_point(), g);
        });

    // Failures.
    std::optional<Duration> failure;
    std::size_t crashed = 0;
    std::vector<HostId> cut_off;  // partition: the nodes on side 1 (sorted)
    Churn churner(sim);
    switch (churn) {
        case ChurnCase::none:
            break;
        case ChurnCase::crash10:
            failure = fail_at;
            churner.mass_failure(fail_at, fraction);
            break;
        case ChurnCase::replace10:
            failure = measure_from + replace_period;
            churner.replacement(*failure, replace_period, fraction, measure_to);
            break;
        case ChurnCase::mailboxes:
            failure = fail_at;
            sim.at(fail_at, [&] {
                std::vector<HostId> victims;
                for (HostId h : sim.live_sorted())
                    if (mailbox_topics(sim, h) > 0) victims.push_back(h);
                for (HostId h : victims) sim.crash(h);
                crashed = victims.size();
            });
            break;
        case ChurnCase::partition:
            failure = fail_at;
            churner.partition(fail_at, heal_at - fail_at, partition_fraction,
                              [&cut_off](const std::vector<HostId>& side) { cut_off = side; });
            break;
    }

    // Load and overhead are counted from the start of the measurement.
    std::uint64_t msgs_at_start = 0;
    sim.at(measure_from, [&] {
        load.start();
        msgs_at_start = elmo_messages_sent(sim, clients);
    });
    std::vector<NodeLoadRow> node_rows;
    sim.at(measure_to,
           [&] { node_rows = load.rows([&sim](HostId h) { return mailbox_topics(sim, h); }); });

    progress(o, sim, wall0, "nodes added, clients and publications scheduled");
    const Duration step = scenario_util::progress_step(o);
    for (Duration t = Duration(0); t < end;) {
        t = std::min(t + step, end);
        sim.run_to(t);
        if (o.progress)
            progress(o, sim, wall0,
                     "online " + std::to_string(clients.online_count()) + " published " +
                         std::to_string(published) + " skipped " + std::to_string(skipped) +
                         " events " + std::to_string(rec.events()));
    }
    const std::uint64_t msgs = elmo_messages_sent(sim, clients) - msgs_at_start;

    // ---- judgement ----
    DeliveryReport rep =
        rec.report(Engine::to_time_point(end),
                   failure ? std::optional(Engine::to_time_point(*failure)) : std::nullopt,
                   [&sim](const std::string& topic, const MetricsEventId& id) {
                       return held_by_live_mailbox(sim, topic, id);
                   });
    if (o.progress)
        for (const auto& l : rep.lost_samples) {
            char buf[200];
            std::snprintf(buf, sizeof buf,
                          "lost: %s from client %u at %.3f s, accepted at %.3f s, %llu pairs "
                          "due%s",
                          l.topic.c_str(), l.publisher, l.published_s, l.accepted_s,
                          static_cast<unsigned long long>(l.pairs_due),
                          l.publisher_gone ? " (excused: publisher never back online)" : "");
            *o.progress << buf << "\n";
        }
    s.set("delivered_on_time", rep.delivered_on_time);
    s.set("delivered_eventually", rep.delivered_eventually);
    s.set("latency_p50_ms", rep.latency_p50_ms);
    s.set("latency_p90_ms", rep.latency_p90_ms);
    s.set("latency_p95_ms", rep.latency_p95_ms);
    s.set("latency_p99_ms", rep.latency_p99_ms);
    s.set("latency_max_ms", rep.latency_max_ms);
    s.set("latency_samples", static_cast<unsigned long>(rep.latency_samples));
    s.set("messages_per_delivery",
          rep.delivered ? static_cast<double>(msgs) / static_cast<double>(rep.delivered) : 0.0);
    s.set("duplicates_per_delivery", rep.duplicates_per_delivery);
    add_node_load(s, NodeLoad::summarize(node_rows, 60.0));
    s.set("lost_events", static_cast<unsigned long>(rep.lost_events));
    s.set("lost_events_excused", static_cast<unsigned long>(rep.lost_events_excused));
    s.set("lost_events_excused_accepted",
          static_cast<unsigned long>(rep.lost_events_excused_accepted));
    s.set("undelivered_held", static_cast<unsigned long>(rep.undelivered_held));
    if (rep.recovery_s)
        s.set("recovery_s", *rep.recovery_s);
    else
        s.set_null("recovery_s");
    if (failure) {
        s.set("recovered", rep.recovered);
        s.set("failure_at_s", secs(*failure));
    } else {
        s.set_null("recovered");
        s.set_null("failure_at_s");
    }
    s.set("worst_window_rate", rep.worst_window_rate);
    s.set("pairs", static_cast<unsigned long>(rep.pairs));
    s.set("pending_pairs", static_cast<unsigned long>(rep.pending_pairs));
    s.set("on_time_pairs", static_cast<unsigned long>(rep.on_time));
    s.set("delivered_pairs", static_cast<unsigned long>(rep.delivered));
    s.set("late_pairs_publish_delayed", static_cast<unsigned long>(rep.late_pairs_publish_delayed));
    s.set("late_pairs_online", static_cast<unsigned long>(rep.late_pairs_online));
    s.set("late_pairs_new_subscriber", static_cast<unsigned long>(rep.late_pairs_new_subscriber));
    s.set("duplicates", static_cast<unsigned long>(rep.duplicates));
    s.set("events_published", static_cast<unsigned long>(rep.events_published));
    s.set("events_accepted", static_cast<unsigned long>(rep.events_accepted));
    s.set("events_without_pairs", static_cast<unsigned long>(rep.events_without_pairs));
    s.set("publications_total", static_cast<unsigned long>(published));
    s.set("publish_skipped", static_cast<unsigned long>(skipped));
    s.set("publish_redraws", static_cast<unsigned long>(redraws));
    s.set("publish_refused", static_cast<unsigned long>(refused));
    s.set("publish_invalid", static_cast<unsigned long>(publish_invalid));
    // The client cores' own counts (whole run, every event), a cross-check of the recorder's.
    std::uint64_t outbox = 0, core_delivered = 0, core_duplicates = 0;
    for (ClientId c = 0; c < clients.size(); ++c)
        if (auto* ec = dynamic_cast<ElmoClient*>(clients.core(c))) {
            outbox += ec->core().outbox_size();
            core_delivered += ec->core().stats().events_delivered;
            core_duplicates += ec->core().stats().duplicates_received;
        }
    s.set("outbox_at_end", static_cast<unsigned long>(outbox));
    s.set("client_events_delivered", static_cast<unsigned long>(core_delivered));
    s.set("client_duplicates_received", static_cast<unsigned long>(core_duplicates));
    s.set("unknown_deliveries", static_cast<unsigned long>(rep.unknown_deliveries));
    s.set("crashed_nodes",
          static_cast<unsigned long>(churn == ChurnCase::mailboxes ? crashed
                                                                   : churner.stats().departures));
    s.set("elmo_messages", static_cast<unsigned long>(msgs));
    std::size_t mailboxes = 0;
    for (HostId h : sim.live()) mailboxes += mailbox_topics(sim, h) > 0;
    s.set("mailboxes_at_end", static_cast<unsigned long>(mailboxes));
    {
        // Diagnostics of the mailbox tree: topics whose live mailboxes form more than one
        // linked component (events stored in one do not reach the others but by clients),
        // and the mean number of mailboxes per topic.
        std::map<std::string, std::vector<NodeId>> holders;
        std::map<NodeId, const NodeCore*> cores;
        for (HostId h : sim.live())
            if (NodeCore* c = elmo_core(sim, h)) {
                cores[c->id()] = c;
                for (const auto& t : c->mailbox().topics()) holders[t].push_back(c->id());
            }
        std::size_t split = 0, total = 0, most = 0;
        for (const auto& [topic, ids] : holders) {
            total += ids.size();
            most = std::max(most, ids.size());
            std::set<NodeId> seen{ids.front()};
            std::vector<NodeId> stack{ids.front()};
            while (!stack.empty()) {
                NodeId cur = stack.back();
                stack.pop_back();
                for (const auto& l : cores[cur]->mailbox().links(topic))
                    if (cores.contains(l.id) && cores[l.id]->mailbox().holds(topic) &&
                        seen.insert(l.id).second)
                        stack.push_back(l.id);
            }
            split += seen.size() < ids.size();
        }
        NodeStats t{};
        gossip::GossipCounters g{};
        for (HostId h = 0; h < sim.hosts(); ++h)
            if (NodeCore* c = elmo_core(sim, h)) {
                t += c->stats();
                g.grafts_sent += c->gossip().counters().grafts_sent;
                g.repairs_sent += c->gossip().counters().repairs_sent;
                g.missing_resolved += c->gossip().counters().missing_resolved;
                g.pushes_sent += c->gossip().counters().pushes_sent;
            }
        s.set("node_store_timeouts", static_cast<unsigned long>(t.store_timeouts));
        s.set("node_registration_timeouts", static_cast<unsigned long>(t.registration_timeouts));
        s.set("node_publications_failed", static_cast<unsigned long>(t.publications_failed));
        s.set("node_poll_timeouts", static_cast<unsigned long>(t.poll_timeouts));
        s.set("node_pushes_no_session", static_cast<unsigned long>(t.pushes_no_session));
        s.set("node_links_made", static_cast<unsigned long>(t.links_made));
        s.set("gossip_hops_mean", t.events_from_gossip == 0
                                      ? 0.0
                                      : static_cast<double>(t.gossip_hops_sum) /
                                            static_cast<double>(t.events_from_gossip));
        s.set("gossip_far_share", t.events_from_gossip == 0
                                      ? 0.0
                                      : static_cast<double>(t.events_from_gossip_far) /
                                            static_cast<double>(t.events_from_gossip));
        s.set("gossip_pushes", static_cast<unsigned long>(g.pushes_sent));
        s.set("gossip_grafts", static_cast<unsigned long>(g.grafts_sent));
        s.set("gossip_repairs", static_cast<unsigned long>(g.repairs_sent));
        s.set("topics_with_mailboxes", static_cast<unsigned long>(holders.size()));
        s.set("topics_split", static_cast<unsigned long>(split));
        add_dht_use(s, sim);
        s.set("mailboxes_per_topic_max", static_cast<unsigned long>(most));
        s.set("mailboxes_per_topic_mean",
              holders.empty() ? 0.0
                              : static_cast<double>(total) / static_cast<double>(holders.size()));
    }
    add_delay_penalty(s, rep);  // appended keys
    std::optional<SplitReport> split;
    if (churn == ChurnCase::partition) {
        // Sides by the home at publication (phones may have moved since).
        split = rec.split_report(Engine::to_time_point(end), Engine::to_time_point(fail_at),
                                 Engine::to_time_point(heal_at), [&cut_off](std::uint32_t h) {
                                     return std::binary_search(cut_off.begin(), cut_off.end(), h)
                                                ? 1
                                                : 0;
                                 });
        add_split(s, *split, cut_off.size(), secs(heal_at));
        if (o.progress)
            for (const auto& u : split->undelivered_samples) {
                char buf[200];
                std::snprintf(buf, sizeof buf,
                              "split, never delivered: %s from client %u at %.3f s (accepted "
                              "%.3f s) to client %u, online from %.3f s, %s side",
                              u.topic.c_str(), u.publisher, u.published_s, u.accepted_s,
                              u.subscriber, u.owed_from_s, u.same_side ? "same" : "other");
                *o.progress << buf << "\n";
            }
    }
    write_csvs(o, rep, node_rows, split);
    scenario_util::add_run_stats(s, sim, wall0);
    return s;
}

}  // namespace elmo::sim
