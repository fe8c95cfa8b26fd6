#include "node/daemon/listener/client_listener.hpp"

#include <algorithm>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <map>

#include "transport/asio_endpoint.hpp"
#include "transport/frame_connection.hpp"
#include "transport/tls_identity.hpp"
#include "transport/tls_session.hpp"

namespace elmo::daemon {
namespace {

// After an accept error (EMFILE, ENOBUFS) accepting resumes after this pause instead of
// spinning on the same error.
constexpr auto accept_retry = std::chrono::milliseconds(100);
constexpr Duration max_idle_sweep = std::chrono::seconds(30);
constexpr Duration min_idle_sweep = std::chrono::milliseconds(10);

}  // namespace

struct ClientListener::Impl {
    struct Conn {
        std::shared_ptr<transport::FrameConnection> stream;
        Endpoint peer;
        bool connected = false;  // reported on_client_connected
        TimePoint last_frame{};  // established, or the last frame in (idle timeout)
    };

    Impl(asio::io_context& io_, ClientListenerConfig config_, ClientListenerEvents& events_)
        : io(io_),
          config(std::move(config_)),
          events(events_),
          acceptor(io_),
          retry_timer(io_),
          idle_timer(io_) {}

    void accept_next();
    void on_accept(const asio::error_code& ec, asio::ip::tcp::socket socket);
    void on_open(ClientHandle h);
    void on_frame(ClientHandle h, ByteView frame);
    void on_close(ClientHandle h, transport::CloseReason reason);
    void arm_idle_sweep();
    void sweep_idle();

    asio::io_context& io;
    ClientListenerConfig config;
    ClientListenerEvents& events;
    asio::ip::tcp::acceptor acceptor;
    asio::steady_timer retry_timer;
    asio::steady_timer idle_timer;
    std::shared_ptr<const transport::TlsCredentials> credentials;  // null in plain mode
    std::uint16_t port = 0;
    ClientListenerStats stats;
    std::map<ClientHandle, Conn> conns;  // handshaking and established
    ClientHandle next_handle = 1;
    bool stopped = false;
    // Handlers posted to the io_context check this before touching the Impl, which may be gone.
    std::shared_ptr<char> life = std::make_shared<char>();
};

void ClientListener::Impl::accept_next() {
    if (stopped) return;
    std::weak_ptr<char> alive = life;
    acceptor.async_accept([this, alive](const asio::error_code& ec, asio::ip::tcp::socket s) {
        if (alive.expired()) return;
        on_accept(ec, std::move(s));
    });
}

void ClientListener::Impl::on_accept(const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (stopped || ec == asio::error::operation_aborted) return;
    if (ec) {
        ++stats.accept_errors;
        std::weak_ptr<char> alive = life;
        retry_timer.expires_after(accept_retry);
        retry_timer.async_wait([this, alive](const asio::error_code& e) {
            if (!e && !alive.expired()) accept_next();
        });
        return;
    }
    accept_next();
    if (conns.size() >= config.max_clients) {
        // Accepted then closed at once: the peer learns quickly and the backlog stays short.
        ++stats.refused_max_clients;
        asio::error_code ignored;
        socket.close(ignored);
        return;
    }
    std::unique_ptr<transport::TlsSession> tls;
    if (credentials) {
        auto s = transport::TlsSession::create(transport::TlsSession::Role::server, credentials);
        if (!s) {
            ++stats.handshake_failed;
            return;
        }
        tls = std::move(*s);
    }
    ++stats.accepted;
    ClientHandle h = next_handle++;
    transport::FrameConnectionConfig fc;
    fc.max_frame_bytes = config.max_frame_bytes;
    fc.max_queued_bytes = config.max_queued_bytes;
    fc.handshake_timeout = config.handshake_timeout;
    transport::FrameConnectionHandlers handlers;
    handlers.on_open = [this, h] { on_open(h); };
    handlers.on_frame = [this, h](ByteView f) { on_frame(h, f); };
    handlers.on_close = [this, h](transport::CloseReason r, const std::string&) { on_close(h, r); };
    auto stream = transport::FrameConnection::create(std::move(socket), std::move(tls), fc,
                                                     std::move(handlers));
    Conn& c = conns[h];
    c.stream = stream;
    c.peer = stream->remote();
    stream->start();
}

void ClientListener::Impl::on_open(ClientHandle h) {
    auto it = conns.find(h);
    if (it == conns.end()) return;
    it->second.connected = true;
    it->second.last_frame = Clock::now();
    ++stats.open;
    events.on_client_connected(h, it->second.peer);
}

void ClientListener::Impl::on_frame(ClientHandle h, ByteView frame) {
    ++stats.frames_in;
    stats.bytes_in += frame.size();
    if (config.idle_timeout > Duration::zero()) {
        auto it = conns.find(h);
        if (it != conns.end()) it->second.last_frame = Clock::now();
    }
    events.on_client_frame(h, frame);
}

void ClientListener::Impl::on_close(ClientHandle h, transport::CloseReason reason) {
    auto it = conns.find(h);
    if (it == conns.end()) return;
    using R = transport::CloseReason;
    switch (reason) {
        case R::local:
            break;  // counted where it was asked for (close_client, stop)
        case R::peer:
        case R::io_error:
        case R::tls_error:
            ++stats.closed_by_peer;
            break;
        case R::handshake_failed:
            ++stats.handshake_failed;
            break;
        case R::handshake_timeout:
            ++stats.handshake_timeout;
            break;
        case R::oversized_frame:
            ++stats.oversized_frames;
            break;
        case R::empty_frame:
            ++stats.empty_frames;
            break;
        case R::slow:
            ++stats.closed_slow;
            break;
    }
    bool connected = it->second.connected;
    conns.erase(it);
    if (connected) {
        --stats.open;
        events.on_client_disconnected(h);
    }
}

// One timer for every connection: a sweep over the map costs little next to a timer per
// connection re-armed at every frame.
void ClientListener::Impl::arm_idle_sweep() {
    if (stopped || config.idle_timeout <= Duration::zero()) return;
    const Duration period =
        std::clamp<Duration>(config.idle_timeout / 4, min_idle_sweep, max_idle_sweep);
    std::weak_ptr<char> alive = life;
    idle_timer.expires_after(period);
    idle_timer.async_wait([this, alive](const asio::error_code& ec) {
        if (ec || alive.expired()) return;
        sweep_idle();
        arm_idle_sweep();
    });
}

void ClientListener::Impl::sweep_idle() {
    const TimePoint now = Clock::now();
    for (auto& [h, c] : conns) {
        if (!c.connected || c.stream->closed() || now - c.last_frame < config.idle_timeout)
            continue;
        ++stats.closed_idle;
        c.stream->close();  // on_close(local) is posted: the disconnection comes later
    }
}

Result<std::unique_ptr<ClientListener>, std::string> ClientListener::open(
    asio::io_context& io, ClientListenerConfig config, ClientListenerEvents& events) {
    auto impl = std::make_unique<Impl>(io, std::move(config), events);
    const auto& cfg = impl->config;
    if (!cfg.plain_tcp) {
        auto creds = transport::TlsCredentials::server(cfg.identity.certificate_pem,
                                                       cfg.identity.private_key_pem);
        if (!creds) return Err{"client listener TLS identity: " + creds.error()};
        impl->credentials = std::move(*creds);
    }
    asio::error_code ec;
    auto address = asio::ip::make_address(cfg.bind, ec);
    if (ec) return Err{"client listener: bad bind address '" + cfg.bind + "'"};
    asio::ip::tcp::endpoint ep(address, cfg.port);
    std::string where = transport::from_asio(ep).to_string();
    impl->acceptor.open(ep.protocol(), ec);
    if (!ec) impl->acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
    if (!ec) impl->acceptor.bind(ep, ec);
    if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Err{"client listener on " + where + ": " + ec.message()};
    impl->port = impl->acceptor.local_endpoint(ec).port();
    impl->accept_next();
    impl->arm_idle_sweep();
    return std::unique_ptr<ClientListener>(new ClientListener(std::move(impl)));
}

ClientListener::ClientListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ClientListener::~ClientListener() {
    impl_->life.reset();
    impl_->stopped = true;
    asio::error_code ec;
    impl_->acceptor.close(ec);
    impl_->retry_timer.cancel();
    impl_->idle_timer.cancel();
    for (auto& [h, c] : impl_->conns) c.stream->detach();
}

std::uint16_t ClientListener::port() const {
    return impl_->port;
}

void ClientListener::send_to_client(ClientHandle client, ByteView frame) {
    auto it = impl_->conns.find(client);
    if (it == impl_->conns.end() || !it->second.connected || !it->second.stream->is_open()) {
        ++impl_->stats.frames_dropped_closed;
        return;
    }
    // Over the queue bound the stream closes itself as slow (counted in on_close).
    if (!it->second.stream->send(frame)) return;
    ++impl_->stats.frames_out;
    impl_->stats.bytes_out += frame.size();
}

void ClientListener::close_client(ClientHandle client) {
    auto it = impl_->conns.find(client);
    if (it == impl_->conns.end() || it->second.stream->closed()) return;
    ++impl_->stats.closed_by_core;
    it->second.stream->close();  // on_close(local) is posted: the disconnection comes later
}

void ClientListener::stop_accepting() {
    impl_->stopped = true;
    asio::error_code ec;
    impl_->acceptor.close(ec);
    impl_->retry_timer.cancel();
}

void ClientListener::stop() {
    impl_->stopped = true;
    asio::error_code ec;
    impl_->acceptor.close(ec);
    impl_->retry_timer.cancel();
    impl_->idle_timer.cancel();
    for (auto& [h, c] : impl_->conns) c.stream->close();
}

const ClientListenerStats& ClientListener::stats() const {
    return impl_->stats;
}

}  // namespace elmo::daemon
