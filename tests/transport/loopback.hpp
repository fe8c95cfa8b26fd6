#pragma once
// Helpers for tests over loopback sockets: run an io_context until a predicate holds (with a
// deadline, never a sleep), a framed test client, and raw sockets for hostile input.
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "transport/frame_connection.hpp"
#include "transport/tls_identity.hpp"

namespace elmo::test {

// Runs handlers until `pred` holds; false if `timeout` passed first.
inline bool run_until(asio::io_context& io, const std::function<bool()>& pred,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        if (io.stopped()) io.restart();
        io.run_one_for(std::chrono::milliseconds(20));
    }
    return true;
}

inline const transport::PemIdentity& test_identity() {
    static const transport::PemIdentity id = *transport::generate_self_signed("elmo-test-node");
    return id;
}

inline asio::ip::tcp::endpoint loopback(std::uint16_t port) {
    return {asio::ip::address_v4::loopback(), port};
}

// A framed client over a FrameConnection (TLS unless `plain`).
struct FramedClient {
    std::shared_ptr<transport::FrameConnection> conn;
    bool open = false;
    std::optional<transport::CloseReason> closed;
    std::vector<Bytes> frames;

    static std::unique_ptr<FramedClient> connect(asio::io_context& io, std::uint16_t port,
                                                 bool plain,
                                                 transport::FrameConnectionConfig cfg = {}) {
        auto c = std::make_unique<FramedClient>();
        asio::ip::tcp::socket s(io);
        s.connect(loopback(port));
        std::unique_ptr<transport::TlsSession> tls;
        if (!plain)
            tls = transport::TlsSession::create(transport::TlsSession::Role::client,
                                                transport::TlsCredentials::client().value())
                      .value();
        FramedClient* self = c.get();
        transport::FrameConnectionHandlers h;
        h.on_open = [self] { self->open = true; };
        h.on_frame = [self](ByteView f) { self->frames.emplace_back(f.begin(), f.end()); };
        h.on_close = [self](transport::CloseReason r, const std::string&) { self->closed = r; };
        c->conn = transport::FrameConnection::create(std::move(s), std::move(tls), cfg, h);
        c->conn->start();
        return c;
    }
    ~FramedClient() {
        if (conn) conn->detach();
    }
};

// A raw socket that writes bytes and notices EOF without blocking the test's io_context.
struct RawClient {
    asio::ip::tcp::socket socket;
    bool eof = false;
    Bytes received;
    RawClient(asio::io_context& io, std::uint16_t port) : socket(io) {
        socket.connect(loopback(port));
        socket.non_blocking(true);
    }
    void write(ByteView bytes) {
        socket.non_blocking(false);
        asio::write(socket, asio::buffer(bytes.data(), bytes.size()));
        socket.non_blocking(true);
    }
    // Reads what is there; true once the peer closed (EOF or reset).
    bool closed_by_peer() {
        std::uint8_t buf[4096];
        for (;;) {
            asio::error_code ec;
            std::size_t n = socket.read_some(asio::buffer(buf), ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again) return eof;
            if (ec) return eof = true;
            received.insert(received.end(), buf, buf + n);
        }
    }
};

}  // namespace elmo::test
