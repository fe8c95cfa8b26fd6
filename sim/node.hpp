#pragma once
// A simulated node: one host address running a real dht::Dht (DHT overlay mode) and optionally a
// protocol core, both on the same address, driven through the same ports the daemon uses.
//
// Arriving datagrams are split by the first-byte rule: DHT datagrams go to Dht::periodic, elmo
// datagrams to the core, anything else is counted and dropped. The node keeps one pending wake-up
// in the engine, at the earlier of the DHT's and the core's next wake-up; a wake-up superseded by
// an earlier one is left in the queue and ignored when it comes up (its token is stale).
#include <opendht/dht.h>

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>

#include "node/client_port.hpp"
#include "node/ports.hpp"
#include "sim/engine.hpp"
#include "sim/ideal_overlay.hpp"
#include "sim/network.hpp"
#include "sim/rng.hpp"

namespace elmo::sim {

class SimNode;

// Client connections as the node side sees them: the three entry points of a core that serves
// clients as their home node (NodeCore's on_client_connected / _frame / _disconnected). Each
// returns the core's next wake-up. ProtocolCore has no client entry points, so a core factory
// that wants client traffic fills these in (CoreContext::client_events).
struct ClientEvents {
    std::function<TimePoint(TimePoint, ClientHandle)> connected;
    std::function<TimePoint(TimePoint, ClientHandle, ByteView)> frame;
    std::function<TimePoint(TimePoint, ClientHandle)> disconnected;
};

// The simulator's client links as a node reaches them (implemented by sim::Clients).
class ClientHub {
public:
    virtual ~ClientHub() = default;
    virtual void send_to_client(HostId from_node, ClientHandle client, ByteView frame) = 0;
    virtual void close_client(HostId from_node, ClientHandle client) = 0;
};

// Answers to the core's directory queries (NodeCore::on_directory_answer); returns the core's
// next wake-up.
using DirectoryAnswers = std::function<TimePoint(TimePoint, std::uint64_t, const std::vector<Bytes>&,
                                                const std::vector<Neighbour>&)>;

// What a protocol core is built from (see SimConfig::core_factory).
struct CoreContext {
    DatagramPort& datagrams;
    OverlayPort& overlay;
    ClientPort& clients;             // frames to the clients homed at this node
    ClientEvents& client_events;     // fill in to receive client connections and frames
    DirectoryPort* directory;        // the node's DHT as a directory; null on the ideal overlay
    DirectoryAnswers& directory_answers;  // fill in to receive the directory's answers
    NodeId id;
    Endpoint self;
    HostId host;
    std::uint64_t seed;  // the core's own random stream, derived from the run seed
};
using CoreFactory = std::function<std::unique_ptr<ProtocolCore>(const CoreContext&)>;

// Everything a node needs from its simulation.
struct NodeEnv {
    Engine& engine;
    Network& network;
    IdealOverlay* ideal = nullptr;  // set: idealised overlay, no DHT is run
    EventKind wake_kind = 0;
    std::uint64_t* wake_tokens = nullptr;  // source of unique wake-up tokens
    ClientHub* clients = nullptr;          // set once a sim::Clients exists
    dht::Config dht_config;
    // Optional: the logger of a node's DHT (null: silent), for debugging a few hosts.
    std::function<std::shared_ptr<dht::Logger>(HostId)> dht_logger;
};

struct NodeDrops {
    std::uint64_t unknown_kind = 0;  // first byte neither DHT nor elmo
    std::uint64_t no_handler = 0;    // DHT datagram without a DHT, elmo datagram without a core
    std::uint64_t client_frames_unhandled = 0;  // client frame and no client_events.frame
};

class SimNode final : public Receiver {
public:
    SimNode(NodeEnv& env, HostId host, const NodeId& id, std::uint64_t seed, std::uint32_t incarnation);
    ~SimNode() override;
    SimNode(const SimNode&) = delete;
    SimNode& operator=(const SimNode&) = delete;

    // Starts the DHT (if any) and the core built by `factory` (if any).
    void start(const CoreFactory& factory, std::uint64_t core_seed);

    HostId host() const { return host_; }
    const NodeId& id() const { return id_; }
    dht::InfoHash info_hash() const;
    Endpoint endpoint() const { return env_.network.endpoint_of(host_); }
    std::uint32_t incarnation() const { return incarnation_; }
    Rng& rng() { return rng_; }

    bool has_dht() const { return dht_ != nullptr; }
    // Read-only view of the DHT (stats, routing table). Precondition: has_dht().
    const dht::Dht& dht() const { return *dht_; }
    // Calls fn(dht) under the simulation's clock, then wakes the node at once: a put, get or
    // ping changes the DHT's timers, and only a periodic() call makes it act on them.
    template <class F>
    decltype(auto) with_dht(F&& fn) {
        if (!dht_) throw std::logic_error("with_dht: this node runs no DHT (idealised overlay)");
        env_.engine.activate();
        struct Poke {
            SimNode& n;
            ~Poke() { n.poke(); }
        } poke{*this};
        return fn(*dht_);
    }
    // Good routing-table nodes (IPv4) right now.
    unsigned good_nodes() const;

    ProtocolCore* core() { return core_.get(); }
    template <class T>
    T* core_as() { return dynamic_cast<T*>(core_.get()); }
    OverlayPort& overlay() { return overlay_port_; }
    DatagramPort& datagrams() { return datagram_port_; }
    ClientPort& clients() { return client_port_; }
    ClientEvents& client_events() { return client_events_; }

    // Client links (called by sim::Clients): forwarded to client_events, if set.
    void client_connected(ClientHandle c);
    void client_frame(ClientHandle c, ByteView frame);
    void client_disconnected(ClientHandle c);
    const NodeDrops& drops() const { return drops_; }
    // Timer runs of the DHT (periodic() without a packet) and of the core: what a run spends
    // besides datagrams (sim summary, dht_timer_runs and core_timer_runs).
    std::uint64_t dht_timer_runs() const { return dht_timer_runs_; }
    std::uint64_t core_timer_runs() const { return core_timer_runs_; }

    // Bootstrap: ping these nodes (DHT mode; the ideal overlay needs no bootstrap).
    void bootstrap(const std::vector<Endpoint>& contacts);

    // Graceful leave: lets the DHT hand over what it must, then `done` runs (possibly at once).
    void leave(std::function<void()> done);

    // Engine entry points.
    void on_wake(std::uint64_t token);
    void on_datagram(HostId from, ByteView datagram) override;

    // Wake the node now (after outside code touched its DHT or core).
    void poke();

private:
    class Datagrams final : public DatagramPort {
    public:
        explicit Datagrams(SimNode& n) : n_(n) {}
        void send(const Endpoint& to, ByteView datagram) override;

    private:
        SimNode& n_;
    };
    class Clients final : public ClientPort {
    public:
        explicit Clients(SimNode& n) : n_(n) {}
        void send_to_client(ClientHandle client, ByteView frame) override;
        void close_client(ClientHandle client) override;

    private:
        SimNode& n_;
    };
    // The DHT's put and get: answers are queued by the DHT's callbacks (which run inside
    // periodic(), or inside get() itself) and handed to the core after the DHT call returns.
    class Directory final : public DirectoryPort {
    public:
        explicit Directory(SimNode& n) : n_(n) {}
        void announce(const DirectoryKey& key, std::uint64_t value_id, ByteView value,
                      DirectoryValueKind kind) override;
        void query(std::uint64_t query_id, const DirectoryKey& key,
               DirectoryValueKind kind) override;

    private:
        SimNode& n_;
    };
    class Overlay final : public OverlayPort {
    public:
        explicit Overlay(SimNode& n) : n_(n) {}
        std::vector<Neighbour> neighbours() const override;

    private:
        SimNode& n_;
        // The list is recomputed when the routing table may have changed: after a periodic()
        // call or a change of `now` (DHT mode), or a membership change (ideal mode).
        mutable std::uint64_t cached_calls_ = ~std::uint64_t{0};
        mutable TimePoint cached_now_{};
        mutable std::vector<Neighbour> cache_;
        mutable std::vector<HostId> cached_hosts_;
    };

    void reschedule();
    void update_dht_status(TimePoint t);
    void deliver_directory_answers(TimePoint t);
    TimePoint now() const { return env_.engine.time_point(); }

    NodeEnv& env_;
    HostId host_;
    NodeId id_;
    std::uint32_t incarnation_;
    Rng rng_;
    // Declared before dht_ so that it outlives the DHT's callbacks.
    struct PendingAnswer {
        std::uint64_t query_id = 0;
        std::vector<Bytes> values;
        std::vector<Neighbour> closest;
    };
    std::vector<PendingAnswer> directory_answers_pending_;
    std::unique_ptr<dht::Dht> dht_;
    std::unique_ptr<ProtocolCore> core_;
    Datagrams datagram_port_{*this};
    Overlay overlay_port_{*this};
    Clients client_port_{*this};
    Directory directory_port_{*this};
    ClientEvents client_events_;
    DirectoryAnswers directory_answers_;
    TimePoint dht_next_ = TimePoint::max();
    TimePoint core_next_ = TimePoint::max();
    Duration wake_at_ = Duration::max();  // time of the pending wake-up event, if any
    std::uint64_t wake_token_ = 0;        // token of the pending wake-up event (0: none)
    dht::NodeStatus dht_status_ = dht::NodeStatus::Disconnected;
    std::uint64_t dht_timer_runs_ = 0;
    std::uint64_t core_timer_runs_ = 0;
    std::uint64_t dht_calls_ = 0;         // periodic() calls, to invalidate the overlay cache
    NodeDrops drops_;
};

}  // namespace elmo::sim
