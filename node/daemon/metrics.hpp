#pragma once
// The daemon's metrics in the Prometheus text exposition format (version 0.0.4), served on the
// admin port (admin_server.hpp). Rendering is a pure function of counter structs, so a test can
// check the text without a daemon; the names are listed in docs/daemon.md ("Metrics").
#include <opendht/callbacks.h>

#include <array>
#include <cstdint>
#include <string>

#include "mailbox/types.hpp"
#include "node/daemon/dht_driver.hpp"
#include "node/daemon/listener/client_listener.hpp"
#include "node/daemon/mailbox_persistence.hpp"
#include "node/daemon/udp_port.hpp"
#include "node/node_stats.hpp"

namespace elmo::daemon {

// Elmo datagrams by message type, as the daemon sees them cross its UDP port.
struct TrafficByType {
    static constexpr std::size_t types = 128;         // type ids are below 128 (one msgpack byte)
    std::array<std::uint64_t, types + 1> messages{};  // [types]: no readable type id
    std::array<std::uint64_t, types + 1> bytes{};
    void add(int type_id, std::size_t size) {
        const std::size_t i = type_id >= 0 && type_id < static_cast<int>(types)
                                  ? static_cast<std::size_t>(type_id)
                                  : types;
        ++messages[i];
        bytes[i] += size;
    }
};

// The type id of an elmo datagram or frame, read from its envelope's first bytes
// (0xE1, fixarray 3, version, type id), or -1. A label for metrics only: the core decodes the
// message properly and counts what it rejects.
int peek_type_id(ByteView datagram);

struct DaemonStats {
    TrafficByType elmo_in;
    TrafficByType elmo_out;
    std::uint64_t dht_datagrams_in = 0;
    std::uint64_t dht_bytes_in = 0;
    std::uint64_t dropped_unknown_kind = 0;   // first byte neither the DHT's nor elmo's
    std::uint64_t replies_held = 0;           // answers held until the journal synced
    std::uint64_t held_overflow_syncs = 0;    // the hold queue filled: synced early
    std::uint64_t client_frames_dropped = 0;  // frames to clients with no listener running
    std::uint64_t bootstrap_rounds = 0;
    std::int64_t start_unix_ms = 0;
};

struct MetricsInput {
    std::string node_id_hex;  // elmo_node_info{id=...}: a restart keeps it
    const NodeStats* node = nullptr;
    const mailbox::Counters* mailbox = nullptr;
    mailbox::Load load;
    std::size_t mailbox_state = 0;  // 0 inactive, 1 recruiting, 2 full
    std::size_t mailbox_links = 0;  // links to other mailboxes, over all topics held
    const UdpStats* udp = nullptr;
    std::size_t udp_queued = 0;
    const DhtDriverStats* dht = nullptr;
    dht::NodeStats dht_nodes;
    bool dht_connected = false;
    std::size_t neighbours = 0;
    const PersistenceStats* persistence = nullptr;
    std::uint64_t journal_bytes = 0;
    const ClientListenerStats* clients = nullptr;  // null: no listener
    const DaemonStats* daemon = nullptr;
    std::int64_t now_unix_ms = 0;
};

std::string render_metrics(const MetricsInput& in);

}  // namespace elmo::daemon
