#include "client-sdk/driver/asio_client.hpp"

#include "transport/asio_endpoint.hpp"
#include "transport/tls_session.hpp"

namespace elmo::client {
namespace {

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

// The core's ClientTransport: every call is forwarded to the driver.
class AsioClient::Link final : public ClientTransport {
  public:
    explicit Link(AsioClient& owner) : owner_(owner) {}
    void connect(const Endpoint& node) override { owner_.begin_connect(node); }
    void send(ByteView frame) override { owner_.send_frame(frame); }
    void disconnect() override { owner_.drop_connection(); }

  private:
    AsioClient& owner_;
};

Result<std::unique_ptr<AsioClient>, std::string> AsioClient::create(asio::io_context& io,
                                                                    AsioClientConfig config) {
    if (!ClientCore::valid_client_id(config.client_id))
        return Err{std::string("client id must be 1 to 32 bytes")};
    if (config.bootstrap.empty()) return Err{std::string("no bootstrap node")};
    for (const auto& e : config.bootstrap)
        if (!e.valid() || e.port == 0) return Err{"bad bootstrap endpoint " + e.to_string()};
    using Mode = TrustPolicy::Mode;
    if (config.trust.mode == Mode::pinned && config.trust.pins.empty())
        return Err{std::string("pinned trust without any fingerprint")};
    if (config.trust.mode == Mode::trust_on_first_use && !config.trust.tofu)
        return Err{std::string("trust on first use without a known-nodes store")};
    auto credentials = config.credentials;
    if (!credentials && config.trust.mode != Mode::plain_tcp) {
        auto c = transport::TlsCredentials::client();
        if (!c) return Err{c.error()};
        credentials = std::move(*c);
    }
    return std::unique_ptr<AsioClient>(new AsioClient(io, std::move(config), credentials));
}

AsioClient::AsioClient(asio::io_context& io, AsioClientConfig config,
                       std::shared_ptr<const transport::TlsCredentials> credentials)
    : io_(io),
      config_(std::move(config)),
      credentials_(std::move(credentials)),
      link_(std::make_unique<Link>(*this)),
      core_(std::make_unique<ClientCore>(config_.params, config_.client_id, config_.bootstrap,
                                         *link_, config_.seed)),
      timer_(io) {
    core_->set_event_handler([this](TimePoint, const wire::Event& e) {
        if (event_handler_ && !stopped_) event_handler_(e);
    });
    core_->set_publish_handler(
        [this](TimePoint, const wire::EventId& id, ClientCore::PublishOutcome outcome) {
            if (publish_handler_ && !stopped_) publish_handler_(id, outcome);
        });
}

AsioClient::~AsioClient() {
    stop();
    alive_.reset();
}

template <class F>
void AsioClient::drive(F&& call) {
    if (stopped_) return;
    call(Clock::now());
    if (stopped_) return;  // a handler stopped the client
    if (after_call_) after_call_();
    if (stopped_) return;
    arm_timer();
    // Compared with what was last reported, not with the state before this call: a handler
    // may have driven the core (and reported) in between.
    bool is = core_->connected();
    if (is == reported_connected_) return;
    reported_connected_ = is;
    if (connection_handler_) connection_handler_(is);
}

void AsioClient::arm_timer() {
    TimePoint wake = core_->next_wakeup();
    if (wake == armed_) return;
    armed_ = wake;
    ++timer_gen_;
    if (wake == TimePoint::max()) {
        timer_.cancel();
        return;
    }
    timer_.expires_at(wake);
    std::weak_ptr<char> alive = alive_;
    timer_.async_wait([this, alive, gen = timer_gen_](const asio::error_code& ec) {
        if (alive.expired() || ec || gen != timer_gen_ || stopped_) return;
        armed_ = TimePoint::min();
        drive([&](TimePoint now) { core_->on_timer(now); });
    });
}

void AsioClient::note_error(std::string message) {
    last_error_ = std::move(message);
    if (error_handler_ && !stopped_) error_handler_(last_error_);
}

void AsioClient::start() {
    if (started_ || stopped_) return;
    started_ = true;
    core_->set_wall_clock(unix_ms_now(), Clock::now());
    drive([&](TimePoint now) { core_->start(now); });
}

void AsioClient::subscribe(const std::string& topic) {
    drive([&](TimePoint now) { core_->subscribe(now, topic); });
}

void AsioClient::unsubscribe(const std::string& topic) {
    drive([&](TimePoint now) { core_->unsubscribe(now, topic); });
}

Result<wire::EventId, ClientCore::PublishError> AsioClient::publish(const std::string& topic,
                                                                    Bytes payload) {
    std::optional<Result<wire::EventId, ClientCore::PublishError>> result;
    if (stopped_) {
        // Not sent and not queued anywhere it could ever leave.
        return Err{ClientCore::PublishError::outbox_full};
    }
    drive([&](TimePoint now) { result.emplace(core_->publish(now, topic, std::move(payload))); });
    return std::move(*result);
}

void AsioClient::poll_now() {
    drive([&](TimePoint now) { core_->poll_now(now); });
}

void AsioClient::on_connectivity_changed(bool available) {
    if (stopped_) return;
    core_->set_wall_clock(unix_ms_now(), Clock::now());  // the clock may have been stepped too
    drive([&](TimePoint now) { core_->network_changed(now, available); });
}

bool AsioClient::restore(const ClientSnapshot& snapshot) {
    if (started_ || stopped_) return false;
    return core_->restore(Clock::now(), snapshot);
}

void AsioClient::set_keepalive(Duration period) {
    drive([&](TimePoint now) { core_->set_keepalive_period(now, period); });
}

void AsioClient::stop() {
    if (stopped_) return;
    drop_connection();
    stopped_ = true;
    ++timer_gen_;
    timer_.cancel();
}

std::optional<transport::CertFingerprint> AsioClient::node_fingerprint() const {
    if (!conn_ || !conn_open_) return std::nullopt;
    return conn_->peer_fingerprint();
}

// ---------------- ClientTransport ----------------

void AsioClient::begin_connect(const Endpoint& node) {
    drop_connection();
    if (stopped_) return;
    ++stats_.connect_attempts;
    std::uint64_t attempt = ++attempt_;
    target_ = node;
    socket_ = std::make_unique<asio::ip::tcp::socket>(io_);
    std::weak_ptr<char> alive = alive_;
    socket_->async_connect(
        transport::to_asio(node), [this, alive, attempt](const asio::error_code& ec) {
            if (alive.expired() || attempt != attempt_ || stopped_) return;
            if (ec) {
                ++stats_.tcp_connect_failed;
                socket_.reset();
                note_error("connect to " + target_.to_string() + ": " + ec.message());
                drive([&](TimePoint now) { core_->on_connect_failed(now); });
                return;
            }
            on_tcp_connected(attempt);
        });
}

void AsioClient::on_tcp_connected(std::uint64_t attempt) {
    std::unique_ptr<transport::TlsSession> tls;
    if (config_.trust.mode != TrustPolicy::Mode::plain_tcp) {
        auto s = transport::TlsSession::create(transport::TlsSession::Role::client, credentials_);
        if (!s) {
            socket_.reset();
            note_error("TLS session: " + s.error().message);
            drive([&](TimePoint now) { core_->on_connect_failed(now); });
            return;
        }
        tls = std::move(s).value();
    }
    transport::FrameConnectionConfig fc;
    fc.max_frame_bytes = config_.max_frame_bytes;
    fc.max_queued_bytes = config_.max_queued_bytes;
    fc.handshake_timeout = config_.handshake_timeout;
    // The connection never outlives its callbacks' target: drop_connection() and the destructor
    // detach it first. The attempt number filters callbacks already posted.
    transport::FrameConnectionHandlers h;
    h.on_open = [this, attempt] { on_open(attempt); };
    h.on_frame = [this, attempt](ByteView frame) {
        if (attempt != attempt_ || !conn_open_) return;
        ++stats_.frames_in;
        stats_.bytes_in += frame.size();
        drive([&](TimePoint now) { core_->on_frame(now, frame); });
    };
    h.on_close = [this, attempt](transport::CloseReason r, const std::string& detail) {
        on_closed(attempt, r, detail);
    };
    conn_ =
        transport::FrameConnection::create(std::move(*socket_), std::move(tls), fc, std::move(h));
    socket_.reset();
    conn_open_ = false;
    conn_->start();
}

void AsioClient::on_open(std::uint64_t attempt) {
    if (attempt != attempt_ || !conn_) return;
    auto verdict = config_.trust.verify(target_.to_string(), conn_->peer_fingerprint());
    if (!verdict) {
        ++stats_.trust_refused;
        drop_connection();
        note_error(verdict.error());
        drive([&](TimePoint now) { core_->on_connect_failed(now); });
        return;
    }
    conn_open_ = true;
    ++stats_.connections;
    drive([&](TimePoint now) { core_->on_connected(now); });
}

void AsioClient::on_closed(std::uint64_t attempt, transport::CloseReason reason,
                           const std::string& detail) {
    if (attempt != attempt_) return;
    using R = transport::CloseReason;
    switch (reason) {
        case R::local:
            return;  // drop_connection() detaches; this is not reached
        case R::peer:
        case R::io_error:
        case R::tls_error:
        case R::empty_frame:
            ++stats_.closed_by_peer;
            break;
        case R::handshake_failed:
            ++stats_.handshake_failed;
            break;
        case R::handshake_timeout:
            ++stats_.handshake_timeout;
            break;
        case R::oversized_frame:
            ++stats_.oversized_frames;
            break;
        case R::slow:
            ++stats_.closed_slow;
            break;
    }
    bool was_open = conn_open_;
    conn_.reset();
    conn_open_ = false;
    ++attempt_;  // this connection is over
    note_error("connection to " + target_.to_string() + ": " +
               transport::close_reason_name(reason) + (detail.empty() ? "" : " (" + detail + ")"));
    if (was_open)
        drive([&](TimePoint now) { core_->on_disconnected(now); });
    else
        drive([&](TimePoint now) { core_->on_connect_failed(now); });
}

void AsioClient::send_frame(ByteView frame) {
    if (!conn_ || !conn_open_) {
        ++stats_.frames_dropped;
        return;
    }
    // Over the queue bound the connection closes itself (slow): on_closed tells the core.
    if (!conn_->send(frame)) return;
    ++stats_.frames_out;
    stats_.bytes_out += frame.size();
}

void AsioClient::drop_connection() {
    ++attempt_;
    if (conn_) {
        conn_->close_silently();  // writes what is queued, briefly, and reports nothing
        conn_.reset();
    }
    conn_open_ = false;
    if (socket_) {
        asio::error_code ec;
        socket_->close(ec);
        socket_.reset();
    }
}

}  // namespace elmo::client
