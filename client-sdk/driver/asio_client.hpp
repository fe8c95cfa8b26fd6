#pragma once
// The real client driver: elmo::ClientCore (client-sdk/client_core.hpp) over TCP + TLS with
// length-prefixed frames, on an asio::io_context the caller owns and runs. Many clients may
// share one io_context (a benchmark runs 1,000 in one process); each costs one socket, one timer
// and a GnuTLS session, and no thread.
//
//   asio::io_context io;
//   AsioClientConfig cfg;
//   cfg.client_id = {'a', 'l', 'i', 'c', 'e'};
//   cfg.bootstrap = {Endpoint::v4(0x7f000001, 4223)};       // nodes' client ports
//   cfg.trust = TrustPolicy::pinned({*transport::parse_fingerprint(hex)});
//   auto client = AsioClient::create(io, cfg).value();
//   client->set_event_handler([](const wire::Event& e) { ... });
//   client->start();                      // connects; the core reconnects and fails over itself
//   client->subscribe("news");
//   auto id = client->publish("news", payload);   // Result<EventId, PublishError>
//   io.run();
//
// Time: `now` is std::chrono::steady_clock::now() (elmo's TimePoint); the core's wall clock
// (events carry Unix ms) is sampled from system_clock at start() and again at every
// on_connectivity_changed(). One steady_timer per client is re-armed to core.next_wakeup()
// after every core call.
//
// Threading and re-entrancy: not thread-safe; call it and run its io_context on one thread.
// Handlers (event, publish, connection, error) run from the io_context's handlers, or at the end
// of the call that caused them; they may call back into the client (publish, subscribe, stop).
// After stop() (or destruction) no handler runs and the client cannot be started again.
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client-sdk/client_core.hpp"
#include "client-sdk/client_params.hpp"
#include "client-sdk/driver/trust_policy.hpp"
#include "common/bytes.hpp"
#include "common/endpoint.hpp"
#include "common/result.hpp"
#include "common/time.hpp"
#include "transport/frame_connection.hpp"
#include "transport/tls_identity.hpp"

namespace elmo::client {

struct AsioClientConfig {
    ClientParams params;
    Bytes client_id;                  // 1..32 bytes (wire::max_client_id_bytes)
    std::vector<Endpoint> bootstrap;  // nodes' client (TCP) endpoints
    TrustPolicy trust;                // how the node is authenticated
    std::uint64_t seed = 1;           // the core's backoff jitter and node choice
    // Node messages are bounded by the wire limits (a datagram, 65,000 bytes); twice that is
    // room enough, and a longer prefix means a broken or hostile node: the connection drops.
    std::size_t max_frame_bytes = 128 * 1024;
    // Frames to the node not yet written; over it the connection is dropped (and the core
    // reconnects). The outbox keeps publications meanwhile.
    std::size_t max_queued_bytes = 1u << 20;
    Duration handshake_timeout = std::chrono::seconds(10);
    // Client TLS credentials (no certificate, no trust store); share one among many clients.
    // Made per client if null.
    std::shared_ptr<const transport::TlsCredentials> credentials;
};

// Transport counters; the protocol's are in core().stats().
struct AsioClientStats {
    std::uint64_t connect_attempts = 0;    // asked by the core
    std::uint64_t tcp_connect_failed = 0;  // refused, unreachable
    std::uint64_t handshake_failed = 0;    // TLS alert, not TLS, EOF during the handshake
    std::uint64_t handshake_timeout = 0;
    std::uint64_t trust_refused = 0;     // certificate not pinned, or changed since first use
    std::uint64_t connections = 0;       // established and trusted
    std::uint64_t closed_by_peer = 0;    // EOF, reset, TLS error after the handshake
    std::uint64_t oversized_frames = 0;  // from the node: dropped
    std::uint64_t closed_slow = 0;       // send queue over max_queued_bytes: dropped
    std::uint64_t frames_in = 0, bytes_in = 0;
    std::uint64_t frames_out = 0, bytes_out = 0;
    std::uint64_t frames_dropped = 0;  // core sent while no connection was open
};

class AsioClient {
  public:
    using EventHandler = std::function<void(const wire::Event&)>;
    using PublishHandler = std::function<void(const wire::EventId&, ClientCore::PublishOutcome)>;
    using ConnectionHandler = std::function<void(bool connected)>;
    using ErrorHandler = std::function<void(const std::string& message)>;

    // Fails on an invalid client id, no bootstrap node, or a trust policy without its data.
    static Result<std::unique_ptr<AsioClient>, std::string> create(asio::io_context& io,
                                                                   AsioClientConfig config);
    ~AsioClient();
    AsioClient(const AsioClient&) = delete;
    AsioClient& operator=(const AsioClient&) = delete;

    void start();  // connects to a bootstrap node
    void subscribe(const std::string& topic);
    void unsubscribe(const std::string& topic);
    // Queued in the outbox and sent when connected, retried until a mailbox stores it. After
    // stop(): refused as outbox_full (nothing would ever send it).
    Result<wire::EventId, ClientCore::PublishError> publish(const std::string& topic,
                                                            Bytes payload);
    void poll_now();
    // The phone's network came or changed (true), or went away (false): see
    // ClientCore::network_changed.
    void on_connectivity_changed(bool available = true);
    // Closes the connection and stops the timer; no handler runs afterwards.
    void stop();
    // Before start(): the state a previous process left (client-sdk/client_snapshot.hpp).
    bool restore(const ClientSnapshot& snapshot);
    // See ClientCore::set_keepalive_period.
    void set_keepalive(Duration period);
    // Runs after every call into the core (API call, timer, frame, connection event), once the
    // core's state is updated and its handlers have run: where the SDK persists what changed.
    void set_after_call_hook(std::function<void()> h) { after_call_ = std::move(h); }

    // Each event of a subscribed topic, once (push or poll).
    void set_event_handler(EventHandler h) { event_handler_ = std::move(h); }
    // Each publication when it leaves the outbox (stored by a mailbox, or refused as invalid).
    void set_publish_handler(PublishHandler h) { publish_handler_ = std::move(h); }
    // Connected to a home node (after the handshake and the trust check) or not any more.
    void set_connection_handler(ConnectionHandler h) { connection_handler_ = std::move(h); }
    // Every failed connection attempt or dropped connection, in words (for logs).
    void set_error_handler(ErrorHandler h) { error_handler_ = std::move(h); }

    const ClientCore& core() const { return *core_; }
    const AsioClientStats& stats() const { return stats_; }
    bool connected() const { return core_->connected(); }
    const std::string& last_error() const { return last_error_; }
    // The certificate fingerprint of the node connected to (TLS only).
    std::optional<transport::CertFingerprint> node_fingerprint() const;

  private:
    class Link;
    AsioClient(asio::io_context& io, AsioClientConfig config,
               std::shared_ptr<const transport::TlsCredentials> credentials);

    // Runs one core call with `now`, then re-arms the timer and reports a connectivity change.
    template <class F>
    void drive(F&& call);
    void arm_timer();
    void note_error(std::string message);

    // ClientTransport, through Link.
    void begin_connect(const Endpoint& node);
    void send_frame(ByteView frame);
    void drop_connection();
    void on_tcp_connected(std::uint64_t attempt);
    void on_open(std::uint64_t attempt);
    void on_closed(std::uint64_t attempt, transport::CloseReason reason, const std::string& detail);

    asio::io_context& io_;
    AsioClientConfig config_;
    std::shared_ptr<const transport::TlsCredentials> credentials_;
    std::unique_ptr<Link> link_;
    std::unique_ptr<ClientCore> core_;
    asio::steady_timer timer_;
    TimePoint armed_ = TimePoint::min();  // the wake-up the timer waits for
    std::uint64_t timer_gen_ = 0;         // tells a stale timer completion from the current one
    std::unique_ptr<asio::ip::tcp::socket> socket_;  // while the TCP connect is under way
    std::shared_ptr<transport::FrameConnection> conn_;
    bool conn_open_ = false;  // conn_ finished its handshake and passed the trust check
    std::uint64_t attempt_ =
        0;  // the current connection attempt; callbacks of older ones are stale
    Endpoint target_;
    bool started_ = false;
    bool stopped_ = false;
    bool reported_connected_ = false;  // what the connection handler last heard
    AsioClientStats stats_;
    std::string last_error_;
    EventHandler event_handler_;
    PublishHandler publish_handler_;
    ConnectionHandler connection_handler_;
    ErrorHandler error_handler_;
    std::function<void()> after_call_;
    // Asio completions check this before touching the client, which may be gone.
    std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace elmo::client
