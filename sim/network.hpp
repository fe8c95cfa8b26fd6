#pragma once
// The simulated datagram network: host addresses, latency, loss, partitions and traffic counters.
//
// Addresses are loopback only (127.0.0.0/8), so that a bug that ever sent one of these datagrams
// for real would stay on this machine. Host h is port 1024 + h % 64512 of IP 127.1.0.1 + h / 64512:
// the first 64,512 hosts share one IP and differ by port. That is forced by OpenDHT: when a reply
// lists a node with a loopback address, OpenDHT 2.4 replaces that address's IP by the replier's
// (NetworkEngine::deserializeNodes assumes a loopback node runs on the replier's machine), so DHT
// nodes on distinct loopback IPs corrupt each other's routing tables. Hence real-DHT runs are
// limited to 64,512 nodes (Simulation checks); the idealised overlay uses the whole space.
//
// A datagram sent now is delivered after its latency to whatever receiver is attached at the
// destination address at that time, unless it is lost (independent loss, decided at send) or its
// link is cut at delivery time (partition). Payloads live in a pool of reusable buffers.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <functional>
#include <set>
#include <utility>
#include <vector>

#include "common/bytes.hpp"
#include "common/endpoint.hpp"
#include "sim/engine.hpp"
#include "sim/rng.hpp"
#include "wire/datagram_kind.hpp"

namespace elmo::sim {

using HostId = std::uint32_t;
inline constexpr HostId no_host = 0xFFFFFFFFu;

// Traffic classes for counters: the first-byte rule's kinds, plus client links.
enum class Traffic : std::uint8_t { dht = 0, elmo = 1, unknown = 2, client = 3 };
inline constexpr std::size_t traffic_classes = 4;
Traffic traffic_of(ByteView datagram);
const char* to_string(Traffic t);

struct Flow {
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    void add(std::size_t n) {
        ++messages;
        bytes += n;
    }
};

// Per-host counters. Sent counts every datagram handed to the network (lost ones too); received
// counts datagrams delivered to the host's receiver.
struct HostCounters {
    std::array<Flow, traffic_classes> sent{};
    std::array<Flow, traffic_classes> received{};
    std::uint64_t dropped_unknown = 0;  // received but neither DHT nor elmo, or no handler
};

struct DropCounters {
    std::uint64_t lost = 0;         // random loss
    std::uint64_t partitioned = 0;  // link cut at delivery time
    std::uint64_t no_host = 0;      // nobody attached at the destination (dead node, bad address)
};

// One-way latency. Default: a stable latency per link (pair of hosts, symmetric), uniform in
// [min, max] and derived by hashing the pair with the run seed, plus optional uniform jitter per
// datagram. A stable per-link delay is how wide-area paths behave over minutes (RTTs are
// properties of the path) and costs no memory. `custom`, if set, replaces the model.
struct LatencyConfig {
    enum class Model : std::uint8_t { per_link, per_packet };
    Model model = Model::per_link;
    Duration min = std::chrono::milliseconds(20);
    Duration max = std::chrono::milliseconds(150);
    Duration jitter{0};
    std::function<Duration(HostId from, HostId to, Rng& rng)> custom;
};

struct NetworkConfig {
    LatencyConfig latency;
    double loss = 0.0;  // independent per datagram
};

// What sits at an address: a simulated node.
class Receiver {
public:
    virtual ~Receiver() = default;
    virtual void on_datagram(HostId from, ByteView datagram) = 0;
};

class Network {
public:
    static constexpr std::uint32_t base_ip = 0x7F010001u;  // 127.1.0.1
    static constexpr std::uint16_t first_port = 1024;
    static constexpr std::uint32_t ports_per_ip = 65536 - first_port;  // 64,512
    // Hosts whose IP stays below 127.255.255.255.
    static constexpr std::uint32_t max_hosts = 0xFFFFFFF0u;

    Network(Engine& engine, NetworkConfig config, std::uint64_t seed);
    Network(const Network&) = delete;
    Network& operator=(const Network&) = delete;

    const NetworkConfig& config() const { return config_; }
    NetworkConfig& config() { return config_; }

    // Addresses.
    static Endpoint endpoint_of(HostId h) {
        return Endpoint::v4(base_ip + h / ports_per_ip,
                            static_cast<std::uint16_t>(first_port + h % ports_per_ip));
    }
    static sockaddr_in sockaddr_of(HostId h);
    static HostId host_of(std::uint32_t ip_host_order, std::uint16_t port);
    static HostId host_of(const Endpoint& e);
    static HostId host_of(const sockaddr* sa, socklen_t len);

    // Receivers.
    void attach(HostId h, Receiver* r);
    void detach(HostId h);
    bool attached(HostId h) const { return receiver(h) != nullptr; }
    Receiver* receiver(HostId h) const { return h < receivers_.size() ? receivers_[h] : nullptr; }

    // Sends a datagram from host `from` (counted on it) to host `to` (no_host: counted drop).
    void send(HostId from, HostId to, ByteView datagram);

    // Latency of one datagram on the link (draws jitter from the network's generator).
    Duration latency(HostId from, HostId to);
    // The stable part of a link's latency under the per_link model.
    Duration link_latency(HostId a, HostId b) const;

    // Partitions: hosts in different groups cannot reach each other; blocked links neither.
    void set_group(HostId h, std::uint16_t group);
    std::uint16_t group(HostId h) const { return h < groups_.size() ? groups_[h] : 0; }
    void block_link(HostId a, HostId b);
    void unblock_link(HostId a, HostId b);
    void heal();  // every host back in group 0, every link unblocked
    bool reachable(HostId a, HostId b) const;

    // Observes every datagram handed to send() (tests, debugging, traces). Null: none.
    using Tap = std::function<void(HostId from, HostId to, ByteView datagram)>;
    void set_tap(Tap tap) { tap_ = std::move(tap); }

    // Counters.
    const HostCounters& counters(HostId h) const;
    HostCounters& counters_mut(HostId h);  // for traffic that bypasses send() (client links)
    const DropCounters& drops() const { return drops_; }
    std::size_t hosts_seen() const { return counters_.size(); }
    std::size_t in_flight() const { return pool_.size() - free_.size(); }

private:
    struct Packet {
        HostId from = no_host;
        HostId to = no_host;
        Bytes data;
    };
    void deliver(std::uint32_t slot);
    void ensure_host(HostId h);
    static std::pair<HostId, HostId> link_key(HostId a, HostId b) {
        return a < b ? std::pair{a, b} : std::pair{b, a};
    }

    Engine& engine_;
    NetworkConfig config_;
    std::uint64_t seed_;
    Rng rng_;
    EventKind deliver_kind_;
    std::vector<Receiver*> receivers_;
    std::vector<HostCounters> counters_;
    std::vector<std::uint16_t> groups_;
    bool grouped_ = false;                           // some host is outside group 0
    std::set<std::pair<HostId, HostId>> blocked_;    // ordered: no hash-order dependence
    std::vector<Packet> pool_;
    std::vector<std::uint32_t> free_;
    DropCounters drops_;
    HostCounters empty_counters_{};
    Tap tap_;
};

}  // namespace elmo::sim
