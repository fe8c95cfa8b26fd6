#pragma once
// Helpers shared by the simulator's scenario tests: bootstrap predicates, puts and gets that
// run the simulation until their callbacks have fired.
#include <opendht/dht.h>

#include <memory>
#include <string>
#include <vector>

#include "sim/simulation.hpp"

namespace elmo::sim::testing {

using namespace std::chrono_literals;

inline bool every_node_has_good(Simulation& sim, unsigned n) {
    for (HostId h : sim.live())
        if (sim.node(h).good_nodes() < n) return false;
    return true;
}

// Puts value `text` under `key` from `host`; runs until done. Returns the put's success.
inline bool put_and_wait(Simulation& sim, HostId host, const dht::InfoHash& key,
                         const std::string& text, std::uint64_t value_id) {
    auto done = std::make_shared<int>(-1);
    auto v = std::make_shared<dht::Value>(text);
    v->id = value_id;
    sim.node(host).with_dht([&](dht::Dht& d) { d.put(key, v, [done](bool ok) { *done = ok; }); });
    sim.run_until([&] { return *done >= 0; }, sim.now() + 30s, 50ms);
    return *done == 1;
}

// Starts gets of `key` from each host at once; runs until all are done. Returns how many found
// a value whose payload is `text`.
inline unsigned gets_finding(Simulation& sim, const std::vector<HostId>& hosts,
                             const dht::InfoHash& key, const std::string& text) {
    struct State {
        unsigned done = 0, found = 0;
    };
    auto st = std::make_shared<State>();
    const dht::Value expected(text);
    for (HostId h : hosts) {
        auto hit = std::make_shared<bool>(false);
        sim.node(h).with_dht([&](dht::Dht& d) {
            d.get(key,
                  [hit, data = expected.data](const std::vector<std::shared_ptr<dht::Value>>& vals) {
                      for (const auto& v : vals) *hit |= v->data == data;
                      return true;
                  },
                  [st, hit](bool) {
                      ++st->done;
                      st->found += *hit;
                  });
        });
    }
    sim.run_until([&] { return st->done == hosts.size(); }, sim.now() + 120s, 100ms);
    return st->found;
}

// `n` distinct random live hosts other than `except`.
inline std::vector<HostId> random_hosts(Simulation& sim, std::size_t n, HostId except) {
    std::vector<HostId> live = sim.live_sorted();
    std::erase(live, except);
    n = std::min(n, live.size());
    for (std::size_t i = 0; i < n; ++i) std::swap(live[i], live[i + sim.rng().below(live.size() - i)]);
    live.resize(n);
    return live;
}

}  // namespace elmo::sim::testing
