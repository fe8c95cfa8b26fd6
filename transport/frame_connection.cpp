#include "transport/frame_connection.hpp"

#include <array>
#include <asio/post.hpp>
#include <asio/write.hpp>

#include "transport/asio_endpoint.hpp"

namespace elmo::transport {
namespace {

// Reads per readiness notification before yielding to other connections (fairness).
constexpr int reads_per_wakeup = 4;
constexpr std::size_t read_buffer_bytes = 16 * 1024;
// A write buffer larger than this is released once written, so that a burst does not pin
// memory for the connection's lifetime.
constexpr std::size_t keep_write_capacity = 64 * 1024;

// Shared by every connection run on this thread: reads are consumed synchronously.
std::array<std::uint8_t, read_buffer_bytes>& read_buffer() {
    thread_local std::array<std::uint8_t, read_buffer_bytes> buf;
    return buf;
}
Bytes& plaintext_scratch() {
    thread_local Bytes b;
    return b;
}
Bytes& frame_scratch() {
    thread_local Bytes b;
    return b;
}

bool is_peer_error(const asio::error_code& ec) {
    return ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == asio::error::connection_aborted;
}

}  // namespace

const char* close_reason_name(CloseReason r) {
    switch (r) {
        case CloseReason::local:
            return "closed locally";
        case CloseReason::peer:
            return "closed by peer";
        case CloseReason::io_error:
            return "socket error";
        case CloseReason::handshake_failed:
            return "TLS handshake failed";
        case CloseReason::handshake_timeout:
            return "TLS handshake timed out";
        case CloseReason::oversized_frame:
            return "oversized frame";
        case CloseReason::empty_frame:
            return "empty frame";
        case CloseReason::slow:
            return "send queue full (slow reader)";
        case CloseReason::tls_error:
            return "TLS error";
    }
    return "closed";
}

std::shared_ptr<FrameConnection> FrameConnection::create(asio::ip::tcp::socket socket,
                                                         std::unique_ptr<TlsSession> tls,
                                                         FrameConnectionConfig config,
                                                         FrameConnectionHandlers handlers) {
    return std::shared_ptr<FrameConnection>(new FrameConnection(
        std::move(socket), std::move(tls), std::move(config), std::move(handlers)));
}

FrameConnection::FrameConnection(asio::ip::tcp::socket socket, std::unique_ptr<TlsSession> tls,
                                 FrameConnectionConfig config, FrameConnectionHandlers handlers)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      tls_(std::move(tls)),
      config_(std::move(config)),
      handlers_(std::move(handlers)),
      decoder_(config_.max_frame_bytes) {
    asio::error_code ec;
    socket_.non_blocking(true, ec);
    // Frames are small and latency matters more than packet count.
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    auto ep = socket_.remote_endpoint(ec);
    if (!ec) remote_ = from_asio(ep);
}

FrameConnection::~FrameConnection() {
    close_socket();
}

const std::optional<CertFingerprint>& FrameConnection::peer_fingerprint() const {
    static const std::optional<CertFingerprint> none;
    return tls_ ? tls_->peer_fingerprint() : none;
}

void FrameConnection::start() {
    if (started_ || closed_) return;
    started_ = true;
    auto self = shared_from_this();
    if (!tls_) {
        // Plain TCP is open at once, but on_open must not run inside the owner's call.
        asio::post(socket_.get_executor(), [self] {
            if (self->closed_) return;
            self->opened();
            if (!self->closed_) self->wait_readable();
        });
        return;
    }
    timer_.expires_after(config_.handshake_timeout);
    timer_.async_wait([self](const asio::error_code& ec) {
        if (ec || self->closed_ || self->opened_) return;
        self->fail(CloseReason::handshake_timeout, "no TLS handshake within the deadline");
    });
    if (tls_->role() == TlsSession::Role::client) {
        auto r = tls_->handshake();  // the ClientHello
        flush_tls();
        if (!r) {
            fail(CloseReason::handshake_failed, r.error().message);
            return;
        }
    }
    wait_readable();
}

void FrameConnection::wait_readable() {
    if (socket_closed_ || waiting_read_ || (closed_ && !draining_)) return;
    waiting_read_ = true;
    socket_.async_wait(
        asio::ip::tcp::socket::wait_read, [self = shared_from_this()](const asio::error_code& ec) {
            self->waiting_read_ = false;
            if (self->socket_closed_) return;
            if (self->draining_) {
                self->drain();
                return;
            }
            if (self->closed_) return;
            if (ec) {
                self->fail(self->opened_ ? CloseReason::io_error : CloseReason::handshake_failed,
                           ec.message());
                return;
            }
            self->on_readable();
        });
}

void FrameConnection::on_readable() {
    auto& buf = read_buffer();
    for (int i = 0; i < reads_per_wakeup; ++i) {
        asio::error_code ec;
        std::size_t n = socket_.read_some(asio::buffer(buf), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) break;
        if (ec) {
            if (!opened_)
                fail(CloseReason::handshake_failed, "before the handshake: " + ec.message());
            else
                fail(is_peer_error(ec) ? CloseReason::peer : CloseReason::io_error, ec.message());
            return;
        }
        if (!consume(ByteView(buf.data(), n))) return;
        if (n < buf.size()) break;
    }
    wait_readable();
}

bool FrameConnection::consume(ByteView bytes) {
    if (!tls_) return deliver_plaintext(bytes);
    tls_->feed(bytes);
    if (!opened_) {
        auto r = tls_->handshake();
        flush_tls();
        if (!r) {
            fail(CloseReason::handshake_failed, r.error().message);
            return false;
        }
        if (*r == TlsSession::State::handshaking) return true;
        opened();
        if (closed_) return false;
    }
    Bytes& plain = plaintext_scratch();
    plain.clear();
    auto r = tls_->read(plain);
    flush_tls();  // a TLS 1.3 key update may need an answer
    if (!plain.empty()) {
        // The scratch is moved out while frames are delivered, in case a handler runs another
        // connection's read (it cannot today, but the cost is nil).
        Bytes mine = std::move(plain);
        bool alive = deliver_plaintext(mine);
        mine.clear();
        plaintext_scratch() = std::move(mine);
        if (!alive) return false;
    }
    if (!r) {
        fail(CloseReason::tls_error, r.error().message);
        return false;
    }
    if (*r == TlsSession::State::closed) {
        fail(CloseReason::peer, "close_notify");
        return false;
    }
    return true;
}

bool FrameConnection::deliver_plaintext(ByteView plain) {
    auto r = decoder_.feed(plain, [this](ByteView frame) {
        if (closed_) return false;
        if (handlers_.on_frame) handlers_.on_frame(frame);
        return !closed_;
    });
    if (!r) {
        fail(r.error() == FrameError::oversized ? CloseReason::oversized_frame
                                                : CloseReason::empty_frame,
             frame_error_name(r.error()));
        return false;
    }
    return !closed_;
}

void FrameConnection::opened() {
    opened_ = true;
    timer_.cancel();
    if (handlers_.on_open && !detached_) handlers_.on_open();
}

void FrameConnection::flush_tls() {
    if (!tls_ || !tls_->has_output() || socket_closed_) return;
    Bytes out = tls_->take_output();
    if (pending_.empty())
        pending_ = std::move(out);
    else
        pending_.insert(pending_.end(), out.begin(), out.end());
    start_write();
}

bool FrameConnection::send(ByteView frame) {
    if (!is_open()) return false;
    // TLS adds 22 bytes or so per record; the bound is on what is queued, checked before it.
    if (queued_bytes() + frame_header_bytes + frame.size() > config_.max_queued_bytes) {
        fail(CloseReason::slow,
             "send queue over " + std::to_string(config_.max_queued_bytes) + " bytes");
        return false;
    }
    if (!tls_) {
        append_frame(pending_, frame);
        start_write();
        return true;
    }
    Bytes& scratch = frame_scratch();
    scratch.clear();
    append_frame(scratch, frame);  // one TLS record for prefix and payload
    auto r = tls_->write(scratch);
    if (scratch.capacity() > keep_write_capacity) Bytes().swap(scratch);
    if (!r) {
        fail(CloseReason::tls_error, r.error().message);
        return false;
    }
    flush_tls();
    return true;
}

void FrameConnection::start_write() {
    if (!writing_.empty() || pending_.empty() || socket_closed_) return;
    std::swap(writing_, pending_);
    asio::async_write(socket_, asio::buffer(writing_),
                      [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                          self->on_written(ec);
                      });
}

void FrameConnection::on_written(const asio::error_code& ec) {
    writing_.clear();
    if (writing_.capacity() > keep_write_capacity) Bytes().swap(writing_);
    if (socket_closed_) return;
    if (ec) {
        if (closed_)
            close_socket();
        else
            fail(is_peer_error(ec) ? CloseReason::peer : CloseReason::io_error, ec.message());
        return;
    }
    if (!pending_.empty()) {
        start_write();
        return;
    }
    if (lingering_) finish_linger();
}

void FrameConnection::finish_linger() {
    // Everything is written: half-close and read until the peer's EOF, so that closing with
    // unread input does not reset the connection and destroy the last frames in flight. The
    // linger timer bounds this.
    asio::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    if (ec) {
        close_socket();
        return;
    }
    draining_ = true;
    wait_readable();
}

void FrameConnection::drain() {
    auto& buf = read_buffer();
    for (int i = 0; i < reads_per_wakeup; ++i) {
        asio::error_code ec;
        socket_.read_some(asio::buffer(buf), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) break;
        if (ec) {
            close_socket();
            return;
        }
    }
    wait_readable();
}

void FrameConnection::close() {
    if (closed_) return;
    closed_ = true;
    report_close(CloseReason::local, {});
    if (!opened_ || socket_closed_) {
        close_socket();
        return;
    }
    if (tls_) {
        tls_->close();
        flush_tls();
    }
    lingering_ = true;
    auto self = shared_from_this();
    timer_.expires_after(config_.close_linger);
    timer_.async_wait([self](const asio::error_code& ec) {
        if (!ec) self->close_socket();
    });
    if (queued_bytes() == 0) finish_linger();
}

void FrameConnection::detach() {
    detached_ = true;
    closed_ = true;
    close_socket();
}

void FrameConnection::close_silently() {
    detached_ = true;
    close();
}

void FrameConnection::fail(CloseReason reason, std::string detail) {
    if (closed_) {
        close_socket();  // an error while lingering: give up on the queue
        return;
    }
    closed_ = true;
    close_socket();
    report_close(reason, std::move(detail));
}

void FrameConnection::report_close(CloseReason reason, std::string detail) {
    asio::post(socket_.get_executor(),
               [self = shared_from_this(), reason, detail = std::move(detail)] {
                   if (!self->detached_ && self->handlers_.on_close)
                       self->handlers_.on_close(reason, detail);
               });
}

void FrameConnection::close_socket() {
    if (socket_closed_) return;
    socket_closed_ = true;
    asio::error_code ec;
    timer_.cancel();
    socket_.close(ec);  // cancels the pending wait and write
    pending_.clear();
}

}  // namespace elmo::transport
