#pragma once
// The ports between a protocol core and its driver. The simulator and the daemon are two drivers
// of one core: they hand it datagrams and timer ticks, each carrying `now`, and the core answers
// through these small interfaces. Nothing here reads a clock, sleeps or opens a socket.
#include <array>
#include <cstdint>
#include <vector>

#include "common/bytes.hpp"
#include "common/endpoint.hpp"
#include "common/node_id.hpp"
#include "common/time.hpp"

namespace elmo {

// Outgoing datagrams. The driver sends them from the node's one UDP address, the same address
// the DHT uses, so that every routing-table neighbour can be reached where the DHT knows it.
class DatagramPort {
public:
    virtual ~DatagramPort() = default;
    virtual void send(const Endpoint& to, ByteView datagram) = 0;
};

struct Neighbour {
    NodeId id{};
    Endpoint endpoint;
    friend bool operator==(const Neighbour&, const Neighbour&) = default;
};

// The overlay: the node's current neighbours. With the real DHT, the good nodes of the routing
// table; with the simulator's idealised overlay, k-buckets computed over the live set. The core
// cannot tell which. The list is ordered by id so that no result depends on hash-map order.
class OverlayPort {
public:
    virtual ~OverlayPort() = default;
    virtual std::vector<Neighbour> neighbours() const = 0;
};

// The DHT as a directory (docs/dissemination.md, "Rendezvous"): values stored under 20-byte keys
// by the nodes closest to the key, each kept for a while (OpenDHT: 10 minutes) unless stored
// again. The core announces and asks; the driver answers each query once, later, never from
// inside the call that asked (NodeCore::on_directory_answer). Lost or failed queries are answered
// with nothing.
using DirectoryKey = std::array<std::uint8_t, 20>;
// What a value is decides how long the DHT keeps it (the storing node's rule, so every node of a
// network must agree: the drivers register the same OpenDHT value types).
enum class DirectoryValueKind : std::uint8_t {
    mailbox_entry,  // a mailbox of the topic (kept mailbox_entry_lifetime, refreshed)
    event_replica,  // a copy of an event off the mailboxes (kept event_replica_lifetime)
};
// The history replica (docs/dissemination.md, "History replica"): long enough to outlast the
// loss of every mailbox of a topic and the election of new ones, short enough that the DHT
// nodes hold at most one hour of publications (bounded per topic by the replica's slots).
inline constexpr Duration event_replica_lifetime = std::chrono::hours(1);
// A mailbox entry outlives its mailbox by at most this (OpenDHT's default value lifetime).
inline constexpr Duration mailbox_entry_lifetime = std::chrono::minutes(10);
// At most this many values per query answer (both drivers): a topic's mailbox entries (at most
// NodeParams::directory_slots, plus whatever else anyone stored) or its replica slots
// (NodeParams::event_replica_slots is clamped to it).
inline constexpr std::size_t max_directory_values = 128;
// Replica slots and mailbox entries share a topic's key: slot ids have the top bit set, entry
// ids (1..NodeParams::directory_slots) have it clear, so neither overwrites the other.
inline constexpr std::uint64_t replica_value_id_bit = std::uint64_t{1} << 63;
class DirectoryPort {
public:
    virtual ~DirectoryPort() = default;
    // Stores `value` under `key`; a later announce with the same `value_id` replaces it.
    virtual void announce(const DirectoryKey& key, std::uint64_t value_id, ByteView value,
                          DirectoryValueKind kind) = 0;
    // Answers with the values of one kind stored under `key` (a topic's mailbox entries and its
    // event replica share its key: one DHT search per topic, docs/dissemination.md).
    virtual void query(std::uint64_t query_id, const DirectoryKey& key,
                       DirectoryValueKind kind) = 0;
};

// A protocol core as its driver sees it. The driver calls on_datagram for every elmo datagram
// that arrives at the node's address and on_timer when the wake-up the core last reported is due;
// both return the next wake-up (TimePoint::max() for none).
class ProtocolCore {
public:
    virtual ~ProtocolCore() = default;
    virtual TimePoint on_start(TimePoint now) = 0;
    virtual TimePoint on_datagram(TimePoint now, const Endpoint& from, ByteView datagram) = 0;
    virtual TimePoint on_timer(TimePoint now) = 0;
};

}  // namespace elmo
