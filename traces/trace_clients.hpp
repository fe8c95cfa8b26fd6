#pragma once
// Phones whose presence a trace dictates: the simulator's sim::Clients (sim/clients.*) draws
// online and offline periods itself, while a replay must follow the trace's online/offline
// records, so this is a copy of its connection logic with explicit set_online() and without the
// random toggles. Same link model (stable per-client latency in [link_min, link_max]), same
// counters, same ClientHub side. A slot can exist before its core (a client subscribed in the
// trace before it first came online), so ids are dense in order of first mention.
#include <memory>
#include <vector>

#include "sim/clients.hpp"

namespace elmo::traces {

using sim::ClientCore;
using sim::ClientCoreFactory;
using sim::ClientCounters;
using sim::ClientId;

class TraceClients final : public sim::ClientHub {
  public:
    // Registers itself with `sim` (declare it after the Simulation, which must outlive it).
    TraceClients(sim::Simulation& sim, Duration link_min, Duration link_max);
    ~TraceClients() override;
    TraceClients(const TraceClients&) = delete;
    TraceClients& operator=(const TraceClients&) = delete;

    // A client homed at `home`, offline, without a core yet.
    ClientId add(sim::HostId home);
    // Builds the client's core (once).
    void attach(ClientId c, const ClientCoreFactory& factory);
    bool has_core(ClientId c) const;
    // Connects to / disconnects from the home node (no-op when already in that state).
    void set_online(ClientId c, bool online);
    // The core's next wake-up changed outside its callbacks (the app published or subscribed).
    void wake(ClientId c, TimePoint next) { reschedule(c, next); }

    void send_to_client(sim::HostId from_node, ClientHandle client, ByteView frame) override;
    void close_client(sim::HostId from_node, ClientHandle client) override;

    bool online(ClientId c) const;
    sim::HostId home(ClientId c) const;
    ClientCore* core(ClientId c);
    const ClientCounters& counters(ClientId c) const;
    std::size_t size() const { return clients_.size(); }
    std::size_t online_count() const { return online_count_; }

  private:
    struct Client;
    class Link;
    void go_online(ClientId c);
    void go_offline(ClientId c);
    void drop_connection(ClientId c, bool tell_client);
    void reschedule(ClientId c, TimePoint next);
    Duration link_latency(ClientId c) const;

    sim::Simulation& sim_;
    Duration link_min_, link_max_;
    sim::EventKind wake_kind_;
    std::vector<std::unique_ptr<Client>> clients_;
    std::uint64_t wake_tokens_ = 0;
    std::size_t online_count_ = 0;
};

}  // namespace elmo::traces
