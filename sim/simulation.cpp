#include "sim/simulation.hpp"

#include <algorithm>
#include <stdexcept>

namespace elmo::sim {
namespace {
constexpr std::uint32_t npos = 0xFFFFFFFFu;

dht::Config make_dht_config(const SimConfig& c) {
    dht::Config cfg;
    cfg.network = c.dht_network_id;
    // Every simulated node is one address, but the defaults assume a real network's spread of
    // requesters; without this a busy simulated node would drop legitimate requests.
    cfg.max_req_per_sec = -1;
    cfg.max_peer_req_per_sec = -1;
    return cfg;
}
}  // namespace

const char* to_string(OverlayMode m) { return m == OverlayMode::dht ? "dht" : "ideal"; }

Simulation::Simulation(SimConfig config)
    : config_(std::move(config)),
      network_(engine_, config_.network, config_.seed),
      ideal_(config_.overlay == OverlayMode::ideal ? std::make_unique<IdealOverlay>(config_.ideal_k)
                                                   : nullptr),
      rng_(derive_seed(config_.seed, seed_scenario)),
      env_{engine_, network_, ideal_.get(), 0, &wake_tokens_, nullptr, make_dht_config(config_),
           config_.dht_logger} {
    engine_.seed_entropy(derive_seed(config_.seed, seed_entropy));
    env_.wake_kind = engine_.add_kind([this](std::uint32_t host, std::uint64_t token) {
        if (host < nodes_.size() && nodes_[host]) nodes_[host]->on_wake(token);
    });
}

Simulation::~Simulation() {
    engine_.activate();  // Dht destructors may read the clock
    graveyard_.clear();
    nodes_.clear();
}

HostId Simulation::new_host() {
    const auto h = static_cast<HostId>(nodes_.size());
    if (h >= Network::max_hosts) throw std::length_error("out of simulated addresses");
    if (!ideal_ && h >= Network::ports_per_ip)
        throw std::length_error(
            "real-DHT simulations are limited to 64,512 nodes (one loopback IP, see network.hpp)");
    nodes_.emplace_back();
    Rng id_rng(derive_seed(config_.seed, seed_node, h));
    NodeId id;
    for (std::size_t i = 0; i < id.size(); i += 8) {
        const std::uint64_t r = id_rng();
        for (std::size_t j = 0; j < 8 && i + j < id.size(); ++j)
            id[i + j] = static_cast<std::uint8_t>(r >> (8 * j));
    }
    ids_.push_back(id);
    incarnations_.push_back(0);
    live_pos_.push_back(npos);
    return h;
}

std::vector<Endpoint> Simulation::pick_contacts(HostId self, Rng& rng) const {
    std::vector<Endpoint> out;
    const std::size_t want = std::min(config_.bootstrap_contacts, live_.size());
    std::vector<HostId> chosen;
    if (live_.size() <= want + 1) {
        chosen = live_;
    } else {
        while (chosen.size() < want + 1) {
            const HostId h = live_[rng.below(live_.size())];
            if (std::find(chosen.begin(), chosen.end(), h) == chosen.end()) chosen.push_back(h);
        }
    }
    for (HostId h : chosen)
        if (h != self && out.size() < want) out.push_back(network_.endpoint_of(h));
    return out;
}

void Simulation::start_node(HostId h) {
    engine_.activate();
    const std::uint32_t inc = incarnations_[h];
    auto node = std::make_unique<SimNode>(env_, h, ids_[h],
                                          derive_seed(config_.seed, seed_node, (std::uint64_t{inc} << 32) | h), inc);
    SimNode& n = *node;
    const auto contacts = pick_contacts(h, n.rng());
    nodes_[h] = std::move(node);
    n.start(config_.core_factory, derive_seed(config_.seed, seed_core, (std::uint64_t{inc} << 32) | h));
    live_pos_[h] = static_cast<std::uint32_t>(live_.size());
    live_.push_back(h);
    if (ideal_) ideal_->add(ids_[h], h);
    n.bootstrap(contacts);
    for (auto& o : observers_) o(h, true);
}

HostId Simulation::add_node() {
    const HostId h = new_host();
    start_node(h);
    return h;
}

bool Simulation::is_up(HostId h) const { return h < live_pos_.size() && live_pos_[h] != npos; }

SimNode* Simulation::find(HostId h) { return h < nodes_.size() ? nodes_[h].get() : nullptr; }

std::vector<HostId> Simulation::add_nodes(std::size_t n) {
    std::vector<HostId> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(add_node());
    return out;
}

void Simulation::restart(HostId h) {
    if (h >= nodes_.size()) throw std::out_of_range("restart: unknown host");
    if (is_up(h)) return;
    if (nodes_[h]) finish_stop(h);  // still leaving: cut it short
    ++incarnations_[h];
    start_node(h);
}

SimNode& Simulation::node(HostId h) {
    if (h >= nodes_.size() || !nodes_[h]) throw std::out_of_range("node " + std::to_string(h) + " is not up");
    engine_.activate();
    return *nodes_[h];
}

void Simulation::stop_node(HostId h, bool graceful) {
    if (!is_up(h)) return;
    engine_.activate();
    // Out of the live set at once (swap-remove keeps it O(1) and deterministic).
    const std::uint32_t pos = live_pos_[h];
    live_[pos] = live_.back();
    live_pos_[live_[pos]] = pos;
    live_.pop_back();
    live_pos_[h] = npos;
    if (ideal_) ideal_->remove(ids_[h]);
    SimNode& n = *nodes_[h];
    if (graceful && n.has_dht()) {
        // The node keeps running until its DHT has handed over (at once unless the DHT
        // maintains storage), at most leave_grace; it is no longer offered as a contact.
        const std::uint32_t inc = incarnations_[h];
        auto finish = [this, h, inc] {
            if (nodes_[h] && incarnations_[h] == inc && live_pos_[h] == npos) finish_stop(h);
        };
        n.leave([this, finish] { engine_.call_in(Duration{0}, finish); });
        engine_.call_in(leave_grace, finish);
    } else {
        finish_stop(h);
    }
    for (auto& o : observers_) o(h, false);
}

void Simulation::finish_stop(HostId h) {
    network_.detach(h);
    bury(std::move(nodes_[h]));
}

void Simulation::crash(HostId h) { stop_node(h, false); }
void Simulation::leave(HostId h) { stop_node(h, true); }

void Simulation::bury(std::unique_ptr<SimNode> n) {
    // A node may be stopped from inside its own callback: destroy it from a later event.
    graveyard_.push_back(std::move(n));
    if (!sweep_scheduled_) {
        sweep_scheduled_ = true;
        engine_.call_in(Duration{0}, [this] {
            sweep_scheduled_ = false;
            graveyard_.clear();
        });
    }
}

std::vector<HostId> Simulation::live_sorted() const {
    std::vector<HostId> v = live_;
    std::sort(v.begin(), v.end());
    return v;
}

HostId Simulation::random_live(Rng& rng) const {
    return live_.empty() ? no_host : live_[rng.below(live_.size())];
}

void Simulation::on_membership(std::function<void(HostId, bool)> observer) {
    observers_.push_back(std::move(observer));
}

void Simulation::run_for(Duration d) { run_to(engine_.now() + d); }

void Simulation::run_to(Duration t) { engine_.run_until(t); }

bool Simulation::run_until(const std::function<bool()>& pred, Duration deadline, Duration poll) {
    engine_.activate();
    if (pred()) return true;
    while (engine_.now() < deadline) {
        engine_.run_until(std::min(deadline, engine_.now() + poll));
        engine_.activate();
        if (pred()) return true;
    }
    return false;
}

}  // namespace elmo::sim
