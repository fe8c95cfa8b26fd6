#pragma once
// The daemon's client listener (issue 5): TCP with TLS (GnuTLS), or plain TCP behind an explicit
// flag for local benchmarks, carrying length-prefixed frames (transport/frame_stream.hpp: a u32
// big-endian length, then one encoded wire message). It is the daemon's ClientPort: the node core
// sends frames to client handles through it, and it reports connections, frames and
// disconnections to its events object. It never decodes frames (the node core does, and counts
// what it rejects); it only enforces the frame bound, the connection bound, the handshake
// deadline, the idle timeout and the per-connection send-queue bound, each with a counter.
//
// Re-entrancy: events are delivered from the io_context's handlers, never from inside a call the
// owner made. close_client() called from within on_client_frame closes the connection and
// reports on_client_disconnected later, from a posted handler, exactly once per handle.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <asio/io_context.hpp>

#include "common/bytes.hpp"
#include "common/endpoint.hpp"
#include "common/result.hpp"
#include "common/time.hpp"
#include "node/client_port.hpp"

namespace elmo::daemon {

// The node's TLS identity, PEM-encoded (generated on first start and kept in the data dir).
struct TlsIdentity {
    std::string certificate_pem;
    std::string private_key_pem;
};

struct ClientListenerConfig {
    std::string bind = "127.0.0.1";
    std::uint16_t port = 0;                   // 0: an ephemeral port (tests); see port()
    bool plain_tcp = false;                   // local benchmarks only; the daemon logs it
    TlsIdentity identity;                     // required unless plain_tcp
    std::size_t max_clients = 20'000;         // more: accepted then closed at once, counted
    std::size_t max_frame_bytes = 65'536;     // a longer length prefix closes the connection
    std::size_t max_queued_bytes = 4u << 20;  // per connection; over it the client is closed
    Duration handshake_timeout = std::chrono::seconds(10);  // TLS handshake must finish by then
    // An established connection that brought no frame for this long is closed (counted in
    // closed_idle); zero: never. Checked by one sweep every idle_timeout / 4 (at most 30 s), so
    // a connection is closed between idle_timeout and 1.25 x idle_timeout of silence.
    Duration idle_timeout = Duration::zero();
};

// Counters for the metrics endpoint; monotonically increasing except `open`.
struct ClientListenerStats {
    std::uint64_t accepted = 0;
    std::uint64_t refused_max_clients = 0;
    std::uint64_t handshake_failed = 0;   // TLS alert or garbage instead of a ClientHello
    std::uint64_t handshake_timeout = 0;  // half-finished handshakes cut at the deadline
    std::uint64_t frames_in = 0;
    std::uint64_t frames_out = 0;
    std::uint64_t bytes_in = 0;  // frame payload bytes
    std::uint64_t bytes_out = 0;
    std::uint64_t oversized_frames = 0;       // length prefix over max_frame_bytes: closed
    std::uint64_t closed_slow = 0;            // send queue over max_queued_bytes: closed
    std::uint64_t closed_by_peer = 0;         // EOF, reset, TLS error after the handshake
    std::uint64_t closed_by_core = 0;         // close_client()
    std::uint64_t frames_dropped_closed = 0;  // send_to_client() to a handle already closed
    std::uint64_t open = 0;                   // connections now established (after handshake)
    std::uint64_t empty_frames = 0;           // a zero length prefix: closed
    std::uint64_t accept_errors = 0;          // accept() failed (EMFILE, ...): retried after 100 ms
    std::uint64_t closed_idle = 0;            // no frame for idle_timeout: closed
};

class ClientListenerEvents {
  public:
    virtual ~ClientListenerEvents() = default;
    // After the TLS handshake (at once in plain mode).
    virtual void on_client_connected(ClientHandle client, const Endpoint& peer) = 0;
    virtual void on_client_frame(ClientHandle client, ByteView frame) = 0;
    // Once per handle that was reported connected, whoever closed it.
    virtual void on_client_disconnected(ClientHandle client) = 0;
};

class ClientListener final : public ClientPort {
  public:
    // Binds and starts accepting; an error (address in use, bad identity) is a message.
    static Result<std::unique_ptr<ClientListener>, std::string> open(asio::io_context& io,
                                                                     ClientListenerConfig config,
                                                                     ClientListenerEvents& events);
    ~ClientListener() override;
    ClientListener(const ClientListener&) = delete;
    ClientListener& operator=(const ClientListener&) = delete;

    std::uint16_t port() const;  // the bound port
    // ClientPort: queue a frame (never blocks); close a connection.
    void send_to_client(ClientHandle client, ByteView frame) override;
    void close_client(ClientHandle client) override;
    // Closes the listening socket; established connections go on (a graceful stop's drain:
    // a new client is refused at once and goes to another node instead of being cut soon).
    void stop_accepting();
    // Stops accepting and closes every connection (each reported disconnected).
    void stop();
    const ClientListenerStats& stats() const;

  private:
    struct Impl;
    explicit ClientListener(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace elmo::daemon
