#pragma once
// The node's real OpenDHT dht::Dht, driven on the daemon's shared UDP port (DESIGN 3, 5): the
// daemon hands it the non-elmo datagrams and its timer ticks; it sends through the UdpPort. It is
// also the node core's overlay: the neighbours are the routing table's nodes.
//
// OpenDHT parses its own datagrams and may throw on some malformed input; every call into it is
// wrapped, the exception counted and logged at debug, and the datagram dropped.
#include <opendht/dht.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
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
    std::uint64_t exceptions = 0;  // thrown by OpenDHT on a datagram or tick: dropped
    // Refused by the shape check before OpenDHT saw them (dht_guard.hpp), by verdict.
    std::array<std::uint64_t, 4> guard_drops{};
    std::uint64_t directory_announces = 0;
    std::uint64_t directory_queries = 0;
    std::uint64_t directory_answers = 0;
    std::uint64_t directory_values = 0;  // values returned by queries
    std::uint64_t bootstrap_pings = 0;
    std::uint64_t bootstrap_resolve_failures = 0;
    std::uint64_t ping_backs = 0;  // pings to senders not yet confirmed good (see on_datagram)
    // OpenDHT's message counters (ping, find, get, listen, put), accumulated: OpenDHT resets
    // its own at each read.
    std::array<std::uint64_t, 5> messages_in{};
    std::array<std::uint64_t, 5> messages_out{};
};

// Also the core's directory (DESIGN: the DHT as a directory of mailboxes): announce is a DHT put,
// query a DHT get whose answer is queued by OpenDHT's callbacks and handed to the core by the
// daemon after the current call returns (take_answers), never from inside the core's call.
struct DirectoryAnswer {
    std::uint64_t query_id = 0;
    std::vector<Bytes> values;
    std::vector<Neighbour> closest;  // where the search ended, closest to the key first
};

class DhtDriver final : public OverlayPort, public DirectoryPort {
  public:
    static constexpr std::array<const char*, 5> message_kinds = {"ping", "find", "get", "listen",
                                                                 "put"};

    DhtDriver(UdpPort& udp, const NodeId& id, std::uint32_t network, const Log& log, TimePoint now);
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

    // DirectoryPort
    void announce(const DirectoryKey& key, std::uint64_t value_id, ByteView value,
                  DirectoryValueKind kind) override;
    void query(std::uint64_t query_id, const DirectoryKey& key,
               DirectoryValueKind kind) override;
    // The answers that arrived since the last call (each query is answered once).
    std::vector<DirectoryAnswer> take_answers();
    bool has_answers() const { return !answers_->empty(); }

    dht::NodeStats nodes_stats() const;
    // Folds OpenDHT's message counters into stats() (they reset when read).
    void collect_message_stats();
    const DhtDriverStats& stats() const { return stats_; }

  private:
    void ping_back(const asio::ip::udp::endpoint& from, TimePoint now);
    TimePoint run(const std::uint8_t* data, std::size_t size, const dht::SockAddr& from,
                  TimePoint now);

    UdpPort& udp_;
    const Log& log_;
    sa_family_t family_;
    std::unique_ptr<dht::Dht> dht_;
    TimePoint next_{};
    dht::NodeStatus status_ = dht::NodeStatus::Disconnected;
    DhtDriverStats stats_;
    // Shared with OpenDHT's callbacks, which may outlive a call (they hold the pointer).
    std::shared_ptr<std::vector<DirectoryAnswer>> answers_ =
        std::make_shared<std::vector<DirectoryAnswer>>();
    // Senders pinged back, by address, with the time of the ping; bounded (oldest dropped).
    std::map<Endpoint, TimePoint> pinged_back_;
    TimePoint ping_back_window_{};
    std::uint32_t ping_backs_in_window_ = 0;
    mutable std::uint64_t cached_at_ = ~std::uint64_t{0};
    mutable std::vector<Neighbour> cache_;
};

}  // namespace elmo::daemon
