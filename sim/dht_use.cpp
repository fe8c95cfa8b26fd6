#include "sim/dht_use.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string>

#include "sim/elmo_stack.hpp"

namespace elmo::sim {

namespace {
// OpenDHT 2.4 ends its searches log with "Total: N searches (a IPv4, b IPv6).".
std::size_t search_count(const std::string& log) {
    const auto at = log.rfind("Total: ");
    if (at == std::string::npos) return 0;
    return static_cast<std::size_t>(std::strtoull(log.c_str() + at + 7, nullptr, 10));
}
// Each search's line reads "Search IPv4 <key> gets: N, ...": the gets it still carries. elmo
// forgets a directory query after directory_query_timeout, OpenDHT only when the get completes.
std::size_t pending_gets(const std::string& log) {
    std::size_t total = 0;
    for (auto at = log.find(" gets: "); at != std::string::npos; at = log.find(" gets: ", at + 7))
        total += static_cast<std::size_t>(std::strtoull(log.c_str() + at + 7, nullptr, 10));
    return total;
}
}  // namespace

void add_dht_use(Summary& s, Simulation& sim) {
    NodeStats t{};
    // Why mailboxes refused registrations: over a mailbox-wide budget, or the topic's.
    std::uint64_t refused_budget = 0, refused_topic_full = 0, registrations_new = 0;
    std::size_t searches = 0, most = 0, dht_nodes = 0, gets = 0, most_gets = 0;
    // Where a run's events go: DHT datagrams, DHT timer runs, core timer runs (hosts up now).
    std::uint64_t dht_msgs = 0, dht_timers = 0, core_timers = 0;
    // Requests the DHT nodes received, by OpenDHT's kinds (ping, find, get, listen, put).
    std::array<std::uint64_t, 5> requests{};
    for (HostId h = 0; h < sim.hosts(); ++h) {
        if (NodeCore* c = elmo_core(sim, h)) {
            t += c->stats();
            const auto& mc = c->mailbox().counters();
            refused_budget += mc.refused_clients;
            refused_topic_full += mc.refused_topic_full;
            registrations_new += mc.registrations_new;
        }
        SimNode* n = sim.find(h);
        if (n) core_timers += n->core_timer_runs();
        if (!n || !n->has_dht()) continue;
        dht_msgs += sim.network().counters(h).sent[static_cast<std::size_t>(Traffic::dht)].messages;
        dht_timers += n->dht_timer_runs();
        // OpenDHT resets these counters when read: this summary is their only reader here.
        const auto in = n->with_dht([](dht::Dht& d) { return d.getNodeMessageStats(true); });
        for (std::size_t i = 0; i < requests.size() && i < in.size(); ++i) requests[i] += in[i];
        const std::string log = n->dht().getSearchesLog(AF_INET);
        const std::size_t k = search_count(log);
        searches += k;
        most = std::max(most, k);
        const std::size_t g = pending_gets(log);
        gets += g;
        most_gets = std::max(most_gets, g);
        ++dht_nodes;
    }
    auto u = [](std::uint64_t v) { return static_cast<unsigned long>(v); };
    s.set("node_lookups", u(t.lookups_started));
    s.set("node_lookups_found_existing", u(t.lookups_found_existing));
    s.set("node_lookups_found_in_directory", u(t.lookups_found_in_directory));
    s.set("node_lookups_self_elected", u(t.lookups_self_elected));
    s.set("node_lookups_recruited", u(t.lookups_recruited));
    s.set("node_lookups_failed", u(t.lookups_failed));
    s.set("node_registrations_refused", u(t.registrations_refused));
    s.set("node_registrations_beyond_topic_budget", u(t.registrations_beyond_topic_budget));
    s.set("node_subscriptions_failed", u(t.subscriptions_failed));
    s.set("node_registrations_skipped_full", u(t.registrations_skipped_full));
    s.set("mailbox_registrations_new", u(registrations_new));
    s.set("mailbox_refused_budget", u(refused_budget));
    s.set("mailbox_refused_topic_full", u(refused_topic_full));
    s.set("node_directory_queries", u(t.directory_queries));
    s.set("node_directory_announces", u(t.directory_announces));
    s.set("node_replica_queries", u(t.replica_queries));
    s.set("node_replica_puts", u(t.replica_puts));
    s.set("node_election_claims", u(t.election_claims));
    s.set("dht_searches_mean",
          dht_nodes ? static_cast<double>(searches) / static_cast<double>(dht_nodes) : 0.0);
    s.set("dht_searches_max", u(most));
    s.set("dht_messages", u(dht_msgs));
    s.set("dht_timer_runs", u(dht_timers));
    s.set("core_timer_runs", u(core_timers));
    const char* kinds[] = {"ping", "find", "get", "listen", "put"};
    for (std::size_t i = 0; i < requests.size(); ++i)
        s.set(std::string("dht_requests_") + kinds[i], u(requests[i]));
    s.set("dht_gets_pending_mean",
          dht_nodes ? static_cast<double>(gets) / static_cast<double>(dht_nodes) : 0.0);
    s.set("dht_gets_pending_max", u(most_gets));
}

}  // namespace elmo::sim
