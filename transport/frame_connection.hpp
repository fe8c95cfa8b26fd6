#pragma once
// One framed byte-stream connection over asio, used by both ends of the client link: a TCP
// socket, an optional sans-IO TlsSession (none: plain TCP, local benchmarks only) and the
// length-prefixed framing of frame_stream.hpp. It runs the TLS handshake (with a deadline), a
// read loop that hands out whole frames, and a bounded write queue.
//
// Bounds: at most one partial frame is buffered on the read side (max_frame_bytes; a longer
// length prefix closes the connection); reads go through one buffer shared by every connection
// of the thread, so an idle connection holds no read buffer; the write queue holds at most
// max_queued_bytes (ciphertext): a frame that would exceed it closes the connection as `slow`.
//
// Callbacks: on_open when the handshake is done (plain: soon after start), on_frame per frame,
// on_close exactly once per connection whoever closed it. None is ever called from inside a call
// the owner made (send, close, start): on_close is always delivered from a posted handler, so
// the owner may call close() or send() from within on_frame. After detach() none is called.
// Not thread-safe: use one io_context thread (or one strand) per connection.
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/bytes.hpp"
#include "common/endpoint.hpp"
#include "common/time.hpp"
#include "transport/frame_stream.hpp"
#include "transport/tls_session.hpp"

namespace elmo::transport {

struct FrameConnectionConfig {
    std::size_t max_frame_bytes = 65'536;     // incoming frames; longer: closed (oversized_frame)
    std::size_t max_queued_bytes = 4u << 20;  // outgoing bytes not yet written; over: closed (slow)
    Duration handshake_timeout = std::chrono::seconds(10);  // TLS only
    // A local close() still writes what was queued (a final error frame) for at most this long.
    Duration close_linger = std::chrono::seconds(2);
};

enum class CloseReason : std::uint8_t {
    local,              // close() by the owner
    peer,               // EOF, reset or close_notify from the peer
    io_error,           // another socket error
    handshake_failed,   // TLS alert, garbage instead of TLS, or EOF during the handshake
    handshake_timeout,  // the handshake did not finish in time
    oversized_frame,    // a length prefix over max_frame_bytes
    empty_frame,        // a zero length prefix
    slow,               // the write queue went over max_queued_bytes
    tls_error,          // a TLS error after the handshake
};
const char* close_reason_name(CloseReason r);

struct FrameConnectionHandlers {
    std::function<void()> on_open;
    std::function<void(ByteView frame)> on_frame;  // the view is valid during the call only
    std::function<void(CloseReason, const std::string& detail)> on_close;
};

class FrameConnection : public std::enable_shared_from_this<FrameConnection> {
  public:
    // `tls` null: plain TCP. The socket must be connected.
    static std::shared_ptr<FrameConnection> create(asio::ip::tcp::socket socket,
                                                   std::unique_ptr<TlsSession> tls,
                                                   FrameConnectionConfig config,
                                                   FrameConnectionHandlers handlers);
    ~FrameConnection();
    FrameConnection(const FrameConnection&) = delete;
    FrameConnection& operator=(const FrameConnection&) = delete;

    // Starts the handshake (TLS) and the read loop.
    void start();
    // Queues one frame (the 4-byte prefix is added here). Returns false if it was not queued:
    // not open yet, closing, or over max_queued_bytes (then the connection closes as slow).
    bool send(ByteView frame);
    // Stops reading, reports on_close(local) from a posted handler, writes what is queued (at
    // most close_linger) and closes the socket. Nothing if already closing.
    void close();
    // The owner is going away: no callback from now on; the socket is closed at once.
    void detach();
    // close() without any callback from now on: the queue is still written (at most
    // close_linger), for an owner that moves on at once (the client driver's disconnect).
    void close_silently();

    bool is_open() const { return opened_ && !closed_; }
    bool closed() const { return closed_; }
    bool plain() const { return !tls_; }
    const std::optional<CertFingerprint>& peer_fingerprint() const;
    std::string tls_protocol() const { return tls_ ? tls_->protocol_name() : std::string(); }
    const Endpoint& remote() const { return remote_; }
    std::size_t queued_bytes() const { return pending_.size() + writing_.size(); }

  private:
    FrameConnection(asio::ip::tcp::socket socket, std::unique_ptr<TlsSession> tls,
                    FrameConnectionConfig config, FrameConnectionHandlers handlers);
    void wait_readable();
    void on_readable();
    // Returns false once the connection is closed (stop reading).
    bool consume(ByteView bytes);
    bool deliver_plaintext(ByteView plain);
    void opened();
    void flush_tls();
    void queue_ciphertext(ByteView bytes);
    void start_write();
    void on_written(const asio::error_code& ec);
    void finish_linger();
    void drain();
    // Closes now for `reason` (not local): the socket goes at once, on_close is posted.
    void fail(CloseReason reason, std::string detail);
    void report_close(CloseReason reason, std::string detail);
    void close_socket();

    asio::ip::tcp::socket socket_;
    asio::steady_timer timer_;  // the handshake deadline, then the close linger
    std::unique_ptr<TlsSession> tls_;
    FrameConnectionConfig config_;
    FrameConnectionHandlers handlers_;
    FrameDecoder decoder_;
    Endpoint remote_;
    Bytes plain_;    // plaintext scratch (TLS)
    Bytes pending_;  // queued, not yet handed to the socket
    Bytes writing_;  // being written
    bool started_ = false;
    bool opened_ = false;
    bool closed_ = false;     // no more frames in or out; on_close reported or posted
    bool lingering_ = false;  // closed locally, still writing the queue
    bool detached_ = false;
    bool socket_closed_ = false;
    bool waiting_read_ = false;  // an async_wait for readability is out
    bool draining_ = false;      // half-closed after a local close, reading until the peer's EOF
};

}  // namespace elmo::transport
