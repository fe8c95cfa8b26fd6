// Scenario paper-subscribe (issue 4): the elastic-mailbox paper's set-up. N real-DHT nodes, 3
// clients per node, each subscribing to 3 topics drawn from 3N topics by Zipf(0.9); clients join
// over the first 2 minutes and stay online. Reports whether every subscription is registered with
// a live mailbox within 5 minutes, the mailbox pattern (mailboxes per topic, registrations per
// mailbox against subscriptions per topic, Gini of both), walk statistics, budgets, and, after a
// crash of 10% of the nodes at 6 minutes, how many affected subscriptions are registered again
// with a live mailbox within 3 minutes.
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "common/stats.hpp"
#include "sim/churn.hpp"
#include "sim/elmo_stack.hpp"
#include "sim/metrics.hpp"
#include "sim/scenario.hpp"

namespace elmo::sim {
namespace {

using namespace std::chrono_literals;
using scenario_util::progress;

struct Sub {
    ClientId client;
    std::string topic;
};

double secs(Duration d) { return std::chrono::duration<double>(d).count(); }

// (mailbox host, topic, client id, home host) of every registration held by a live mailbox.
using Registrations = std::set<std::tuple<HostId, std::string, Bytes, HostId>>;
Registrations registrations(Simulation& sim) {
    Registrations out;
    for (HostId h : sim.live_sorted())
        if (NodeCore* c = elmo_core(sim, h))
            for (const auto& t : c->mailbox().topics())
                for (const auto& r : c->mailbox().clients(t))
                    out.insert({h, t, r.client, Network::host_of(r.home)});
    return out;
}

// The sim host of the mailbox a client believes it is registered with for a topic, if any.
std::optional<HostId> believed_mailbox(Clients& clients, const Sub& s) {
    auto* c = dynamic_cast<ElmoClient*>(clients.core(s.client));
    if (!c) return std::nullopt;
    auto it = c->core().topics().find(s.topic);
    if (it == c->core().topics().end() || !it->second.registered) return std::nullopt;
    return Network::host_of(it->second.mailbox.endpoint.to_endpoint());
}

// Registered with a live mailbox: the client believes so, the mailbox holds the registration,
// and it names the client's current home node, which is up (where pushes would go).
bool verified(Simulation& sim, Clients& clients, const Sub& s, const Registrations& regs) {
    auto h = believed_mailbox(clients, s);
    const HostId home = clients.home(s.client);
    return h && sim.is_up(home) &&
           regs.contains({*h, s.topic, ElmoClient::client_id_of(s.client), home});
}

// Quick client-side check used while polling: believed registered at a node that is up.
bool believed_live(Simulation& sim, Clients& clients, const Sub& s) {
    auto h = believed_mailbox(clients, s);
    return h && sim.is_up(*h);
}

NodeStats sum_stats(Simulation& sim) {
    NodeStats total;
    for (HostId h : sim.live_sorted())
        if (NodeCore* c = elmo_core(sim, h)) total += c->stats();
    return total;
}

}  // namespace

Summary run_paper_subscribe(const ScenarioOptions& o) {
    const double wall0 = wall_seconds();
    Summary s;
    scenario_util::add_header(s, "paper-subscribe", o);

    const bool hints = o.param("hints", 1) != 0;
    const auto per_node = static_cast<std::size_t>(o.param("clients_per_node", 3));
    const auto n_topics = static_cast<std::size_t>(o.param("topics", 3.0 * static_cast<double>(o.nodes)));
    const auto subs_per_client = static_cast<std::size_t>(o.param("subs", 3));
    const double zipf = o.param("zipf", 0.9);
    const Duration join = std::chrono::seconds(static_cast<long>(o.param("join_s", 120)));
    const Duration check_at = std::chrono::seconds(static_cast<long>(o.param("check_s", 300)));
    const Duration crash_at = std::chrono::seconds(static_cast<long>(o.param("crash_at_s", 360)));
    const double crash_fraction = o.param("crash_fraction", 0.1);
    const Duration recover = std::chrono::seconds(static_cast<long>(o.param("recover_s", 180)));
    s.set("hints", hints);
    s.set("topics", static_cast<unsigned long>(n_topics));
    s.set("zipf", zipf);

    ElmoStackConfig stack = elmo_stack_from(o.params);
    SimConfig cfg;
    cfg.seed = o.seed;
    cfg.overlay = o.overlay;
    cfg.network.loss = o.loss;
    cfg.core_factory = elmo_node_factory(stack);
    Simulation sim(cfg);
    sim.add_nodes(o.nodes);

    // Phones that stay online for this scenario.
    ClientConfig ccfg;
    ccfg.online = DurationDist::constant(std::chrono::hours(24 * 365));
    ccfg.offline = DurationDist::constant(Duration(0));
    Clients clients(sim, ccfg);

    // Each client's topics: distinct Zipf draws from the scenario stream.
    stats::ZipfSampler zipf_topics(n_topics, zipf);
    Rng& rng = sim.rng();
    const std::size_t n_clients = per_node * o.nodes;
    std::vector<std::vector<std::string>> topics_of(n_clients);
    std::vector<Sub> subs;
    std::vector<double> subs_per_topic(n_topics, 0.0);
    for (std::size_t c = 0; c < n_clients; ++c) {
        std::set<std::size_t> ranks;
        while (ranks.size() < std::min(subs_per_client, n_topics)) ranks.insert(zipf_topics.sample(rng.uniform01()));
        for (std::size_t r : ranks) {
            topics_of[c].push_back("topic-" + std::to_string(r));
            subs.push_back(Sub{static_cast<ClientId>(c), topics_of[c].back()});
            subs_per_topic[r] += 1;
        }
    }
    // Each app also knows 3 random nodes besides its home (a shipped bootstrap list).
    const auto hosts = sim.live_sorted();
    std::vector<std::vector<Endpoint>> nodes_of(n_clients);
    for (auto& list : nodes_of)
        for (int k = 0; k < 3; ++k) list.push_back(Network::endpoint_of(hosts[rng.below(hosts.size())]));
    // Shared, not copied: every scheduled join holds the factory.
    auto topics_ptr = std::make_shared<const std::vector<std::vector<std::string>>>(topics_of);
    auto nodes_ptr = std::make_shared<const std::vector<std::vector<Endpoint>>>(std::move(nodes_of));
    auto factory = std::make_shared<const ClientCoreFactory>(elmo_client_factory(
        stack, [topics_ptr](ClientId id) { return (*topics_ptr)[id]; },
        [nodes_ptr](ClientId id) { return (*nodes_ptr)[id]; }));
    for (std::size_t c = 0; c < n_clients; ++c) {
        const HostId home = hosts[c / per_node];
        const Duration at = Duration(static_cast<Duration::rep>(rng.uniform01() * static_cast<double>(join.count())));
        sim.at(at, [&clients, home, factory] { clients.add(home, *factory); });
    }
    s.set("clients", static_cast<unsigned long>(n_clients));
    s.set("subscriptions", static_cast<unsigned long>(subs.size()));
    progress(o, sim, wall0, "nodes added, clients scheduled");

    // ---- phase 1: everyone registered within check_at ----
    auto registered_count = [&] {
        std::size_t n = 0;
        for (const Sub& x : subs) n += believed_live(sim, clients, x);
        return n;
    };
    sim.run_to(join);
    progress(o, sim, wall0, "clients joined; registered " + std::to_string(registered_count()));
    const bool all_believed = sim.run_until([&] { return registered_count() == subs.size(); }, check_at, 1s);
    const double t_all = all_believed ? secs(sim.now()) : -1;
    sim.run_to(check_at);
    auto regs = registrations(sim);
    std::size_t ok = 0;
    for (const Sub& x : subs) ok += verified(sim, clients, x, regs);
    const double registered_fraction = subs.empty() ? 1.0 : static_cast<double>(ok) / static_cast<double>(subs.size());
    s.set("registered_fraction", registered_fraction);
    if (t_all >= 0) s.set("time_all_registered_s", t_all);
    else s.set_null("time_all_registered_s");
    progress(o, sim, wall0, "check: " + std::to_string(ok) + "/" + std::to_string(subs.size()) + " verified");

    // ---- mailbox pattern at check_at ----
    std::map<std::string, double> mailboxes_of_topic;
    std::vector<double> regs_per_mailbox;
    std::size_t mailboxes = 0, over_budget = 0, over_capacity = 0;
    for (HostId h : sim.live_sorted()) {
        NodeCore* c = elmo_core(sim, h);
        if (!c) continue;
        const auto& mb = c->mailbox();
        auto topics = mb.topics();
        if (topics.empty()) continue;
        ++mailboxes;
        if (topics.size() > mb.params().capacity_topics) ++over_capacity;
        auto load = mb.load(sim.time_point());
        if (load.registrations > mb.params().max_registrations ||
            load.stored_bytes > mb.params().max_stored_bytes ||
            load.msgs_per_sec > static_cast<double>(mb.params().max_msgs_per_sec))
            ++over_budget;
        regs_per_mailbox.push_back(static_cast<double>(load.registrations));
        for (const auto& t : topics) mailboxes_of_topic[t] += 1;
    }
    std::vector<double> mpt;
    std::vector<double> subscribed_topic_counts;
    for (std::size_t r = 0; r < n_topics; ++r) {
        if (subs_per_topic[r] == 0) continue;
        subscribed_topic_counts.push_back(subs_per_topic[r]);
        auto it = mailboxes_of_topic.find("topic-" + std::to_string(r));
        mpt.push_back(it == mailboxes_of_topic.end() ? 0.0 : it->second);
    }
    s.set("mailboxes", static_cast<unsigned long>(mailboxes));
    s.set("mailboxes_per_topic_mean", stats::mean(mpt));
    s.set("mailboxes_per_topic_p99", stats::percentile(mpt, 99));
    s.set("mailboxes_per_topic_max", stats::percentile(mpt, 100));
    s.set("registrations_per_mailbox_mean", stats::mean(regs_per_mailbox));
    s.set("registrations_per_mailbox_p10", stats::percentile(regs_per_mailbox, 10));
    s.set("registrations_per_mailbox_p50", stats::percentile(regs_per_mailbox, 50));
    s.set("registrations_per_mailbox_p90", stats::percentile(regs_per_mailbox, 90));
    s.set("registrations_per_mailbox_max", stats::percentile(regs_per_mailbox, 100));
    std::vector<double> topics_per_mailbox;
    for (HostId h : sim.live_sorted())
        if (NodeCore* c = elmo_core(sim, h))
            if (auto n = c->mailbox().topics().size()) topics_per_mailbox.push_back(static_cast<double>(n));
    s.set("topics_per_mailbox_p50", stats::percentile(topics_per_mailbox, 50));
    s.set("topics_per_mailbox_max", stats::percentile(topics_per_mailbox, 100));
    s.set("subscriptions_per_topic_max", stats::percentile(subscribed_topic_counts, 100));
    s.set("over_budget_mailboxes", static_cast<unsigned long>(over_budget + over_capacity));
    s.set("gini_mailbox_registrations", stats::gini(regs_per_mailbox));
    s.set("gini_topic_subscriptions", stats::gini(subscribed_topic_counts));

    const NodeStats st = sum_stats(sim);
    s.set("walk_hit_fraction", st.walks_returned ? static_cast<double>(st.walks_with_hit) / static_cast<double>(st.walks_returned) : 0.0);
    s.set("walk_hops_mean", st.walks_with_hit ? static_cast<double>(st.walk_hops_to_first_hit) / static_cast<double>(st.walks_with_hit) : 0.0);
    {
        // The mean above is conditional on a hit, which biases it (a blind walk that hits at all
        // tends to hit early). This one counts every walk: hops until its first hit, or its TTL
        // when it found none: the hops a lookup pays to find an existing mailbox.
        const double ttl = static_cast<double>(stack.node.walk_ttl);
        const double censored =
            st.walks_returned
                ? (static_cast<double>(st.walk_hops_to_first_hit) +
                   ttl * static_cast<double>(st.walks_returned - st.walks_with_hit)) /
                      static_cast<double>(st.walks_returned)
                : 0.0;
        s.set("walk_hops_to_hit_or_ttl_mean", censored);
    }
    {
        std::string hist;  // walks with a hit, by the hop of their first hit (1..8+)
        for (std::size_t i = 1; i <= 8; ++i)
            hist += (i > 1 ? " " : "") + std::to_string(st.walk_first_hit_hop_histogram[i]);
        s.set("walk_first_hit_hop_histogram", hist);
    }
    s.set("lookups", static_cast<unsigned long>(st.lookups_started));
    s.set("lookups_found_existing", static_cast<unsigned long>(st.lookups_found_existing));
    s.set("lookups_recruited", static_cast<unsigned long>(st.lookups_recruited));
    s.set("lookups_self_elected", static_cast<unsigned long>(st.lookups_self_elected));
    s.set("lookup_existing_fraction", st.lookups_started ? static_cast<double>(st.lookups_found_existing) / static_cast<double>(st.lookups_started) : 0.0);
    s.set("registrations_refused", static_cast<unsigned long>(st.registrations_refused));
    const double live_s = std::max(1.0, secs(sim.now()));
    s.set("hint_bytes_per_node_per_min", static_cast<double>(st.hint_bytes_out) / static_cast<double>(sim.live_count()) / (live_s / 60.0));
    s.set("elmo_bytes_per_node_per_min", static_cast<double>(st.bytes_out) / static_cast<double>(sim.live_count()) / (live_s / 60.0));

    // ---- phase 2: crash, then re-registration of the affected subscriptions ----
    if (crash_fraction > 0 && o.duration > crash_at) {
        sim.run_to(crash_at);
        Churn churn(sim);
        auto victims = churn.pick_victims(crash_fraction);
        std::set<HostId> dead(victims.begin(), victims.end());
        std::vector<Sub> affected;
        for (const Sub& x : subs) {
            auto m = believed_mailbox(clients, x);
            if ((m && dead.contains(*m)) || dead.contains(clients.home(x.client))) affected.push_back(x);
        }
        for (HostId h : victims) sim.crash(h);
        s.set("crashed_nodes", static_cast<unsigned long>(victims.size()));
        s.set("affected_subscriptions", static_cast<unsigned long>(affected.size()));
        progress(o, sim, wall0, "crashed " + std::to_string(victims.size()) + " nodes; " +
                                    std::to_string(affected.size()) + " subscriptions affected");
        auto recovered = [&] {
            std::size_t n = 0;
            for (const Sub& x : affected) n += believed_live(sim, clients, x);
            return n;
        };
        const bool back = sim.run_until([&] { return recovered() == affected.size(); }, crash_at + recover, 1s);
        const double t_back = secs(sim.now() - crash_at);
        sim.run_to(crash_at + recover);
        regs = registrations(sim);
        std::size_t again = 0;
        for (const Sub& x : affected) again += verified(sim, clients, x, regs);
        s.set("reregistered_after_crash_fraction",
              affected.empty() ? 1.0 : static_cast<double>(again) / static_cast<double>(affected.size()));
        if (back) s.set("reregistration_time_s", t_back);
        else s.set_null("reregistration_time_s");
        std::size_t all_ok = 0;
        for (const Sub& x : subs) all_ok += verified(sim, clients, x, regs);
        s.set("registered_fraction_after_crash", static_cast<double>(all_ok) / static_cast<double>(subs.size()));
        progress(o, sim, wall0, "after crash: " + std::to_string(again) + "/" + std::to_string(affected.size()) + " re-registered");
    } else {
        s.set_null("reregistered_after_crash_fraction");
    }
    scenario_util::add_run_stats(s, sim, wall0);
    return s;
}

}  // namespace elmo::sim
