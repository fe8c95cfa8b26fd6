#pragma once
// A trivial elmo protocol for the simulator's own tests and load: every `interval` a node pings a
// random overlay neighbour at the endpoint the overlay gives for it; the neighbour answers with a
// pong that echoes the ping's body. Datagrams start with elmo's magic byte, so they share the
// node's address with the DHT's and are told apart by the first-byte rule.
//
//   ping: E1 'P' seq(8, big-endian)     pong: E1 'Q' seq(8)
#include <cstdint>
#include <map>

#include "node/ports.hpp"
#include "sim/node.hpp"
#include "sim/rng.hpp"

namespace elmo::sim {

class PingCore final : public ProtocolCore {
public:
    struct Stats {
        std::uint64_t pings_sent = 0;
        std::uint64_t pings_received = 0;
        std::uint64_t pongs_received = 0;
        std::uint64_t pongs_matched = 0;       // pong came from the endpoint the ping went to
        std::uint64_t pongs_mismatched = 0;    // pong came from elsewhere
        std::uint64_t no_neighbour = 0;        // timer fired with an empty overlay
        Duration rtt_sum{0};
    };

    PingCore(DatagramPort& out, OverlayPort& overlay, std::uint64_t seed, Duration interval);

    // A factory for SimConfig::core_factory.
    static CoreFactory factory(Duration interval);

    TimePoint on_start(TimePoint now) override;
    TimePoint on_datagram(TimePoint now, const Endpoint& from, ByteView datagram) override;
    TimePoint on_timer(TimePoint now) override;

    const Stats& stats() const { return stats_; }

private:
    struct Outstanding {
        Endpoint to;
        TimePoint sent;
    };
    DatagramPort& out_;
    OverlayPort& overlay_;
    Rng rng_;
    Duration interval_;
    TimePoint next_ = TimePoint::max();
    std::uint64_t seq_ = 0;
    std::map<std::uint64_t, Outstanding> outstanding_;  // by seq; bounded by expiry below
    Stats stats_;
};

}  // namespace elmo::sim
