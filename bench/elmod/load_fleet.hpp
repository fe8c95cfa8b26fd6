#pragma once
// The benchmark's clients: subscribers spread over shards (one io_context each; shard 0 is run
// by the caller's thread, the others by their own threads) and publishers on shard 0. Every
// event's payload carries its publication time (steady clock, ns) and the step it belongs to, so
// a subscriber computes publish-to-delivery latency itself; publisher and subscribers share one
// process and one clock.
#include <asio/io_context.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client-sdk/driver/asio_client.hpp"
#include "transport/tls_identity.hpp"

namespace elmo::bench {

inline constexpr std::uint32_t warmup_step = 0xffffffff;

struct FleetConfig {
    Endpoint node;                     // elmod's client port
    bool plain_tcp = false;            // else TLS, the node's certificate pinned
    transport::CertFingerprint pin{};  // the node's fingerprint (TLS)
    std::string topic = "bench";
    std::size_t shards = 1;          // io_contexts (threads) for subscribers
    std::size_t payload_bytes = 64;  // at least 12: time and step
};

class Fleet {
  public:
    explicit Fleet(FleetConfig config);
    ~Fleet();

    // Publishers live on shard 0; each may have `in_flight` publications outstanding.
    bool add_publishers(std::size_t count, std::size_t in_flight);
    // Subscribers are created, started and subscribed; their shards' threads start here.
    bool add_subscribers(std::size_t count);
    // Runs shard 0 (the caller's thread) for about `d`.
    void run_for(std::chrono::microseconds d);

    // Publishes one event stamped now for `step`, round robin over the publishers; false if the
    // publisher's outbox refused it.
    bool publish(std::uint32_t step);
    std::size_t publishers_connected() const;
    std::size_t publishers_outbox() const;

    std::uint64_t subscribers_connected() const;
    std::uint64_t subscribers_warm() const;  // received at least one warm-up event
    std::uint64_t deliveries() const;        // events received by subscribers (warm-ups too)
    // Latencies (microseconds) of the events of `step` delivered so far, from every shard.
    std::vector<std::uint32_t> latencies(std::uint32_t step) const;
    std::size_t delivered(std::uint32_t step) const;
    std::string first_error() const;

  private:
    struct Shard {
        asio::io_context io;
        std::vector<std::unique_ptr<client::AsioClient>> clients;
        std::vector<char> warm;  // by client index, touched only by the shard's thread
        mutable std::mutex mu;
        std::vector<std::vector<std::uint32_t>> latency_us;  // by step, guarded by mu
        std::atomic<std::uint64_t> deliveries{0};
        std::atomic<std::uint64_t> connected{0};
        std::atomic<std::uint64_t> warmed{0};
        std::thread thread;
    };
    std::unique_ptr<client::AsioClient> make(Shard& shard, const std::string& id,
                                             const ClientParams& params);
    void on_event(Shard& shard, std::size_t index, const wire::Event& e);

    FleetConfig config_;
    std::shared_ptr<const transport::TlsCredentials> credentials_;
    std::vector<std::unique_ptr<Shard>> shards_;
    std::vector<std::unique_ptr<client::AsioClient>> publishers_;
    std::size_t next_publisher_ = 0;
    std::atomic<bool> stop_{false};
    std::string error_;
};

}  // namespace elmo::bench
