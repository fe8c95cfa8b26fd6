#pragma once
// The node's real OpenDHT dht::Dht, driven on the daemon's shared UDP port (DESIGN 3, 5): the
// daemon hands it the non-elmo datagrams and its timer ticks; it sends through the UdpPort. It is
// also the node core's overlay: the neighbours are the routing table's nodes.
//
// OpenDHT parses its own datagrams and may throw on some malformed input; every call into it is
// wrapped, the exception counted and logged at debug, and the datagram dropped.
#include <opendht/dht.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/node_id.hpp"
#include "common/time.hpp"
#include "node/daemon/dht_guard.hpp"
#include "node/daemon/elmod_config.hpp"
#include "node/daemon/log.hpp"
#include "node/daemon/udp_port.hpp"
#include "node/ports.hpp"

namespace elmo::daemon {

struct DhtDriverStats {
    std::uint64_t periodic_calls = 0;
    std::uint64_t exceptions = 0;           // thrown by OpenDHT on a datagram or tick: dropped
    // Refused by the shape check before OpenDHT saw them (dht_guard.hpp), by verdict.
    std::array<std::uint64_t, 4> guard_drops{};
    std::uint64_t bootstrap_pings = 0;
    std::uint64_t bootstrap_resolve_failures = 0;
    // OpenDHT's message counters (ping, find, get, listen, put), accumulated: OpenDHT resets
    // its own at each read.
    std::array<std::uint64_t, 5> messages_in{};
    std::array<std::uint64_t, 5> messages_out{};
};

class DhtDriver final : public OverlayPort {
public:
    static constexpr std::array<const char*, 5> message_kinds = {"ping", "find", "get", "listen",
                                                                 "put"};

    DhtDriver(UdpPort& udp, const NodeId& id, std::uint32_t network, const Log& log,
              TimePoint now);
    ~DhtDriver() override;
    DhtDriver(const DhtDriver&) = delete;
    DhtDriver& operator=(const DhtDriver&) = delete;

    // A DHT datagram from `from`; returns the DHT's next wake-up.
    TimePoint on_datagram(const asio::ip::udp::endpoint& from, ByteView data, TimePoint now);
    // A timer tick; returns the next wake-up.
    TimePoint on_timer(TimePoint now);
    TimePoint next_wakeup() const { return next_; }

    // Resolves each host:port (numeric or a name) and pings it; unresolvable entries are logged
    // and counted. Returns the next wake-up.
    TimePoint bootstrap(const std::vector<HostPort>& contacts, TimePoint now);
    bool connected() const { return status_ == dht::NodeStatus::Connected; }

    // OverlayPort: the routing table's nodes of the port's address family, ordered by id.
    std::vector<Neighbour> neighbours() const override;

    dht::NodeStats nodes_stats() const;
    // Folds OpenDHT's message counters into stats() (they reset when read).
    void collect_message_stats();
    const DhtDriverStats& stats() const { return stats_; }

private:
    TimePoint run(const std::uint8_t* data, std::size_t size, const dht::SockAddr& from,
                  TimePoint now);

    UdpPort& udp_;
    const Log& log_;
    sa_family_t family_;
    std::unique_ptr<dht::Dht> dht_;
    TimePoint next_ = TimePoint::min();
    dht::NodeStatus status_ = dht::NodeStatus::Disconnected;
    DhtDriverStats stats_;
    mutable std::uint64_t cached_at_ = ~std::uint64_t{0};
    mutable std::vector<Neighbour> cache_;
};

}  // namespace elmo::daemon
