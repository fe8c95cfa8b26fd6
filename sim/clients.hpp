#pragma once
// Client endpoints: phones attached to a home node, online and offline in turns.
//
// A client is online for a draw of `online` and offline for a draw of `offline` (exponential by
// default: intermittent phones), each client on its own random stream. Coming online opens a
// connection to its home node, going offline closes it; each connection has its own
// ClientHandle, so nothing sent on an old connection reaches a new one. Frames travel over a
// client link with its own latency (a phone's last mile: 30-300 ms one way by default, stable per
// client). The node side is the core's ClientPort and ClientEvents (node.hpp), the same shape as
// NodeCore's client entry points; the client side is a ClientCore (the client SDK's core, later)
// sending through a ClientLink. Frames to an offline client, or to a home node that is down, are
// dropped and counted; a connection to a home node that is down is refused after a round trip
// (a reset from the host, like a real ECONNREFUSED from a node whose process died).
#include <functional>
#include <memory>
#include <vector>

#include "common/bytes.hpp"
#include "sim/distribution.hpp"
#include "sim/simulation.hpp"

namespace elmo::sim {

using ClientId = std::uint32_t;

// What a client core sends through.
class ClientLink {
  public:
    virtual ~ClientLink() = default;
    virtual void send_to_home(ByteView frame) = 0;
    virtual Endpoint home() const = 0;
    // Connect to another node from now on (e.g. when the home node is gone).
    virtual void set_home(const Endpoint& node) = 0;
};

// The client-side protocol. All inputs carry `now`; those returning a TimePoint return the next
// wake-up (TimePoint::max() for none), like ProtocolCore.
class ClientCore {
  public:
    virtual ~ClientCore() = default;
    virtual TimePoint on_online(TimePoint now) = 0;  // connected to the home node
    virtual void on_offline(TimePoint now) = 0;
    virtual TimePoint on_frame(TimePoint now, ByteView frame) = 0;
    virtual TimePoint on_timer(TimePoint now) = 0;
    // The home node closed the connection, or went down (noticed after one link delay).
    virtual TimePoint on_connection_lost(TimePoint) { return TimePoint::max(); }
};
using ClientCoreFactory =
    std::function<std::unique_ptr<ClientCore>(ClientLink& link, ClientId id, std::uint64_t seed)>;

struct ClientConfig {
    DurationDist online = DurationDist::exponential(std::chrono::minutes(10));
    DurationDist offline = DurationDist::exponential(std::chrono::minutes(30));
    Duration link_min = std::chrono::milliseconds(30);
    Duration link_max = std::chrono::milliseconds(300);
    // Presence dictated from outside (a trace replay): clients start offline, the on/off draws
    // above are not used, and set_online() connects and disconnects them.
    bool scripted = false;
};

struct ClientCounters {
    std::uint64_t frames_sent = 0, frames_received = 0, dropped = 0;
    std::uint64_t bytes_sent = 0, bytes_received = 0;
    std::uint64_t connections = 0;
};

// Handles are connection ids: client id in the low 32 bits, connection number above.
inline ClientId client_of(ClientHandle h) {
    return static_cast<ClientId>(h & 0xFFFFFFFFu);
}

// The one-way latency of client c's phone link under `Clients` with `config` in a run of
// `run_seed`: stable per client, uniform in [link_min, link_max]. Clients uses it for every
// frame; the delay penalty (sim/metrics.hpp direct_latency_ms) for its denominator.
Duration phone_link_latency(std::uint64_t run_seed, const ClientConfig& config, ClientId c);

class Clients final : public ClientHub {
  public:
    // Registers itself with `sim`, which must outlive it; declare it after the Simulation.
    explicit Clients(Simulation& sim, ClientConfig config = {});
    ~Clients() override;
    Clients(const Clients&) = delete;
    Clients& operator=(const Clients&) = delete;

    // A client homed at `home`; starts online with the stationary probability of the on/off
    // model. `factory` may be null: a silent client that only comes and goes.
    ClientId add(HostId home, const ClientCoreFactory& factory = nullptr);
    // Builds the core of a client added without one (once; a scripted client may be mentioned
    // by a trace before it first comes online).
    void attach(ClientId c, const ClientCoreFactory& factory);
    bool has_core(ClientId c) const;
    // Scripted mode: connects to / disconnects from the home node (no-op when already so).
    void set_online(ClientId c, bool online);

    // ClientHub (the node side, through SimNode's ClientPort).
    void send_to_client(HostId from_node, ClientHandle client, ByteView frame) override;
    void close_client(HostId from_node, ClientHandle client) override;

    // The core's next wake-up changed outside one of its callbacks (the app published, say):
    // wakes it at `next` unless it is due earlier anyway.
    void wake(ClientId c, TimePoint next) { reschedule(c, next); }

    bool online(ClientId c) const;
    HostId home(ClientId c) const;
    ClientHandle connection(ClientId c) const;  // 0 when offline
    ClientCore* core(ClientId c);
    const ClientCounters& counters(ClientId c) const;
    std::size_t size() const { return clients_.size(); }
    std::size_t online_count() const;

  private:
    struct Client;
    class Link;
    void go_online(ClientId c);
    void go_offline(ClientId c);
    void drop_connection(ClientId c, bool tell_client);
    void reschedule(ClientId c, TimePoint next);
    Duration link_latency(ClientId c) const;

    Simulation& sim_;
    ClientConfig config_;
    EventKind toggle_kind_, wake_kind_;
    std::vector<std::unique_ptr<Client>> clients_;
    // Kept by go_online/go_offline: counting over every client per progress line and gauge was
    // 12% of a 113,000-phone replay's time.
    std::size_t online_ = 0;
    std::uint64_t wake_tokens_ = 0;
};

}  // namespace elmo::sim
