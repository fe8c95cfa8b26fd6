#pragma once
// The simulation fixture: a network of simulated nodes on one engine, membership, and running
// until a time or a condition (the raft test-fixture style):
//
//     Simulation sim(cfg);
//     sim.add_nodes(1000);
//     ASSERT_TRUE(sim.run_until([&] { return every_node_has_8(); }, 60s));
//     sim.node(3).with_dht([&](dht::Dht& d) { d.put(key, value); });
//     sim.run_for(10s);
//
// Hosts are numbered in order of creation; host h has address 127.1.0.0 + h. A crashed node's
// host stays reserved: restart(h) brings the same id back at the same address with fresh state,
// a new node (add_node) gets a new host.
#include <functional>
#include <memory>
#include <vector>

#include "sim/engine.hpp"
#include "sim/ideal_overlay.hpp"
#include "sim/network.hpp"
#include "sim/node.hpp"
#include "sim/rng.hpp"

namespace elmo::sim {

enum class OverlayMode : std::uint8_t { dht, ideal };
const char* to_string(OverlayMode m);

struct SimConfig {
    std::uint64_t seed = 1;
    OverlayMode overlay = OverlayMode::dht;
    NetworkConfig network;
    // OpenDHT network id: simulated DHTs only talk to each other, never to the public network.
    std::uint32_t dht_network_id = 0x656C6D6F;  // "elmo"
    std::size_t bootstrap_contacts = 3;  // live nodes a joining node pings (DHT mode)
    std::size_t ideal_k = 8;             // bucket size of the idealised overlay
    CoreFactory core_factory;            // optional: the protocol core each node runs
    // Optional: a logger for the DHT of some hosts (return null for silence). Debugging aid.
    std::function<std::shared_ptr<dht::Logger>(HostId)> dht_logger;
};

class Simulation {
public:
    explicit Simulation(SimConfig config = {});
    ~Simulation();
    Simulation(const Simulation&) = delete;
    Simulation& operator=(const Simulation&) = delete;

    // --- membership ---
    // A new node joins now and bootstraps from up to bootstrap_contacts random live nodes.
    HostId add_node();
    std::vector<HostId> add_nodes(std::size_t n);
    void crash(HostId h);  // stops at once; datagrams to it are dropped
    void leave(HostId h);  // graceful: the DHT shuts down first
    void restart(HostId h);  // a stopped node comes back: same id and address, fresh state
    // Up: in the live set. A leaving node is no longer up but runs until its DHT has handed over.
    bool is_up(HostId h) const;
    SimNode& node(HostId h);  // precondition: the node is up or leaving
    SimNode* find(HostId h);  // null if stopped
    const NodeId& id_of(HostId h) const { return ids_.at(h); }
    // Live hosts. The order is deterministic but changes as nodes come and go.
    const std::vector<HostId>& live() const { return live_; }
    std::vector<HostId> live_sorted() const;
    std::size_t live_count() const { return live_.size(); }
    std::size_t hosts() const { return nodes_.size(); }
    HostId random_live(Rng& rng) const;  // no_host if none
    // Called after a node comes up (true) or goes down (false).
    void on_membership(std::function<void(HostId, bool up)> observer);
    // Longest a graceful leave may take before the node is stopped anyway.
    static constexpr Duration leave_grace = std::chrono::seconds(10);

    // --- time ---
    Duration now() const { return engine_.now(); }
    TimePoint time_point() const { return engine_.time_point(); }
    void run_for(Duration d);
    void run_to(Duration t);  // absolute virtual time
    // Runs until pred() holds, checking it every `poll` of virtual time, or until the absolute
    // virtual time `deadline`. Returns whether pred() held.
    bool run_until(const std::function<bool()>& pred, Duration deadline,
                   Duration poll = std::chrono::milliseconds(100));
    void at(Duration t, std::function<void()> fn) { engine_.call_at(t, std::move(fn)); }
    void after(Duration d, std::function<void()> fn) { engine_.call_in(d, std::move(fn)); }

    // --- parts ---
    const SimConfig& config() const { return config_; }
    Engine& engine() { return engine_; }
    std::uint64_t events() const { return engine_.events_processed(); }
    Network& network() { return network_; }
    const Network& network() const { return network_; }
    IdealOverlay* ideal() { return ideal_.get(); }
    Rng& rng() { return rng_; }  // scenario-level choices
    // The client links of this simulation (set by sim::Clients; at most one).
    void set_client_hub(ClientHub* hub) { env_.clients = hub; }
    std::uint64_t seed_for(SeedPurpose purpose, std::uint64_t stream = 0) const {
        return derive_seed(config_.seed, purpose, stream);
    }

private:
    HostId new_host();
    void start_node(HostId h);
    void stop_node(HostId h, bool graceful);
    void finish_stop(HostId h);
    void bury(std::unique_ptr<SimNode> n);
    std::vector<Endpoint> pick_contacts(HostId self, Rng& rng) const;

    SimConfig config_;
    Engine engine_;
    Network network_;
    std::unique_ptr<IdealOverlay> ideal_;
    Rng rng_;
    std::uint64_t wake_tokens_ = 0;
    NodeEnv env_;
    std::vector<std::unique_ptr<SimNode>> nodes_;  // by host; null while down
    std::vector<NodeId> ids_;                      // by host
    std::vector<std::uint32_t> incarnations_;      // by host
    std::vector<HostId> live_;
    std::vector<std::uint32_t> live_pos_;  // by host: index in live_, or npos
    std::vector<std::unique_ptr<SimNode>> graveyard_;  // stopped nodes, destroyed by a later event
    bool sweep_scheduled_ = false;
    std::vector<std::function<void(HostId, bool)>> observers_;
};

}  // namespace elmo::sim
