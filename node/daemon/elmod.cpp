#include "node/daemon/elmod.hpp"

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <deque>
#include <optional>
#include <random>

#include "node/daemon/admin_server.hpp"
#include "node/daemon/data_dir_lock.hpp"
#include "node/daemon/dht_driver.hpp"
#include "node/daemon/identity.hpp"
#include "node/daemon/listener/client_listener.hpp"
#include "node/daemon/log.hpp"
#include "node/daemon/mailbox_persistence.hpp"
#include "node/daemon/metrics.hpp"
#include "node/daemon/udp_port.hpp"
#include "node/node_core.hpp"
#include "wire/datagram_kind.hpp"
#include "wire/msg_client.hpp"
#include "wire/msg_dissemination.hpp"

namespace elmo::daemon {
namespace {

constexpr Duration drain_min = std::chrono::milliseconds(200);
constexpr Duration drain_max = std::chrono::seconds(2);
constexpr Duration bootstrap_first_retry = std::chrono::seconds(2);
constexpr Duration bootstrap_max_retry = std::chrono::seconds(60);
constexpr std::size_t max_held = 4096;  // answers waiting for the group commit

std::int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string hex(const NodeId& id) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (auto b : id) {
        s += digits[b >> 4];
        s += digits[b & 15];
    }
    return s;
}

class Daemon final : public ClientListenerEvents {
  public:
    Daemon(const ElmodConfig& config) : config_(config), log_(config.log_level) {}

    int run();

    // ClientListenerEvents
    void on_client_connected(ClientHandle client, const Endpoint& peer) override {
        log_.debug("clients", "client ", client, " connected from ", peer.to_string());
        core_next_ = core_->on_client_connected(Clock::now(), client);
        arm();
    }
    void on_client_frame(ClientHandle client, ByteView frame) override {
        core_next_ = core_->on_client_frame(Clock::now(), client, frame);
        arm();
    }
    void on_client_disconnected(ClientHandle client) override {
        core_next_ = core_->on_client_disconnected(Clock::now(), client);
        arm();
    }

  private:
    // The node core's ports.
    class Datagrams final : public DatagramPort {
      public:
        explicit Datagrams(Daemon& d) : d_(d) {}
        void send(const Endpoint& to, ByteView datagram) override {
            d_.send_datagram(to, datagram);
        }

      private:
        Daemon& d_;
    };
    class Clients final : public ClientPort {
      public:
        explicit Clients(Daemon& d) : d_(d) {}
        void send_to_client(ClientHandle client, ByteView frame) override {
            d_.send_frame(client, frame);
        }
        void close_client(ClientHandle client) override {
            if (d_.listener_) d_.listener_->close_client(client);
        }

      private:
        Daemon& d_;
    };
    // An answer promising a stored event, held until the journal is synced.
    struct Held {
        bool to_client = false;
        Endpoint to;
        ClientHandle client = 0;
        Bytes data;
    };

    bool start();
    void on_udp(const asio::ip::udp::endpoint& from, ByteView data);
    void send_datagram(const Endpoint& to, ByteView datagram);
    void send_frame(ClientHandle client, ByteView frame);
    bool must_hold(int type_id) const;
    void hold(Held h);
    void flush_held();
    void sync_journal(TimePoint now);
    void on_tick();
    void arm();
    void deliver_directory_answers();
    TimePoint next_due() const;
    void begin_shutdown();
    void finish();
    std::string metrics();

    ElmodConfig config_;
    Log log_;
    std::optional<DataDirLock> lock_;
    NodeIdentityFiles identity_;
    asio::io_context io_;
    asio::steady_timer timer_{io_};
    asio::signal_set signals_{io_, SIGTERM, SIGINT};
    std::uint64_t timer_generation_ = 0;
    bool timer_waiting_ = false;
    TimePoint armed_at_ = TimePoint::max();

    std::unique_ptr<UdpPort> udp_;
    std::unique_ptr<DhtDriver> dht_;
    std::unique_ptr<MailboxPersistence> persistence_;
    Datagrams datagram_port_{*this};
    Clients client_port_{*this};
    std::unique_ptr<NodeCore> core_;
    std::unique_ptr<ClientListener> listener_;
    std::unique_ptr<AdminServer> admin_;
    TimePoint core_next_ = TimePoint::max();

    std::deque<Held> held_;
    DaemonStats stats_;
    TimePoint bootstrap_due_ = TimePoint::max();
    Duration bootstrap_retry_ = bootstrap_first_retry;
    bool shutting_down_ = false;
    TimePoint shutdown_at_{};
    bool finished_ = false;
};

bool Daemon::start() {
    stats_.start_unix_ms = unix_ms();
    auto lock = DataDirLock::acquire(config_.data_dir);
    if (!lock) {
        log_.error("elmod", lock.error());
        return false;
    }
    lock_.emplace(std::move(*lock));
    auto identity = load_or_create_identity(config_.data_dir);
    if (!identity) {
        log_.error("elmod", identity.error());
        return false;
    }
    identity_ = std::move(*identity);
    log_.info("elmod", identity_.created ? "new identity, node id " : "node id ",
              hex(identity_.id));

    auto persistence = MailboxPersistence::open(
        std::filesystem::path(config_.data_dir) / "mailbox.journal", identity_.id, log_);
    if (!persistence) {
        log_.error("elmod", persistence.error());
        return false;
    }
    persistence_ = std::move(*persistence);

    auto udp = UdpPort::open(
        io_, config_.bind, config_.port,
        [this](const asio::ip::udp::endpoint& from, ByteView data) { on_udp(from, data); });
    if (!udp) {
        log_.error("elmod", udp.error());
        return false;
    }
    udp_ = std::move(*udp);
    const Endpoint self = to_endpoint(udp_->local());
    if (udp_->local().address().is_unspecified())
        log_.warn("elmod", "--bind ", config_.bind,
                  " is a wildcard: other nodes are told an address they cannot reach; bind the "
                  "address they should use");

    TimePoint now = Clock::now();
    dht_ = std::make_unique<DhtDriver>(*udp_, identity_.id, config_.network, log_, now);

    NodeCoreConfig cc;
    cc.params = config_.node;
    cc.mailbox = config_.mailbox;
    cc.id = identity_.id;
    cc.endpoint = self;
    // The daemon is where randomness is injected: a fresh seed per run, logged for replaying
    // a debug session's choices.
    std::random_device rd;
    cc.seed = (std::uint64_t{rd()} << 32) ^ rd();
    log_.debug("elmod", "core seed ", cc.seed);
    core_ = std::make_unique<NodeCore>(cc, datagram_port_, *dht_, client_port_);
    core_->set_directory(dht_.get());
    mailbox::Mailbox& mb = core_->mailbox_for_restore();
    mb.set_wall_clock(mailbox::WallClock{now, unix_ms()});
    persistence_->restore_into(mb, now);
    core_->on_start(now);
    core_next_ = core_->topics_restored(now, persistence_->stopped_unix_ms());

#ifdef ELMO_HAVE_CLIENT_LISTENER
    ClientListenerConfig lc;
    lc.bind = config_.bind;
    lc.port = config_.client_port;
    lc.plain_tcp = config_.plain_tcp;
    lc.max_clients = config_.client_max_connections;
    lc.idle_timeout = config_.client_idle_timeout;
    lc.identity = TlsIdentity{identity_.certificate_pem, identity_.private_key_pem};
    auto listener = ClientListener::open(io_, lc, *this);
    if (!listener) {
        log_.error("elmod", "client listener: ", listener.error());
        return false;
    }
    listener_ = std::move(*listener);
    if (config_.plain_tcp)
        log_.warn("elmod", "clients on plain TCP (no TLS), port ", listener_->port(),
                  ": for local benchmarks only");
    else
        log_.info("elmod", "clients on TLS port ", listener_->port());
#else
    log_.warn("elmod", "built without the client listener: no client connections");
#endif

    if (config_.admin_port != 0) {
        const std::string admin_bind = udp_->local().address().is_v6() ? "::1" : "127.0.0.1";
        auto admin =
            AdminServer::open(io_, admin_bind, config_.admin_port, [this] { return metrics(); });
        if (!admin) {
            log_.error("elmod", admin.error());
            return false;
        }
        admin_ = std::move(*admin);
        log_.info("elmod", "metrics on http://", admin_bind, ":", config_.admin_port, "/metrics");
    }

    if (!config_.bootstrap.empty()) {
        dht_->bootstrap(config_.bootstrap, now);
        ++stats_.bootstrap_rounds;
        bootstrap_due_ = now + bootstrap_retry_;
    } else {
        log_.info("elmod", "no --bootstrap: starting a new network");
    }
    log_.info("elmod", "udp ", self.to_string(), " (DHT and elmo), network 0x", std::hex,
              config_.network);

    signals_.async_wait([this](const std::error_code& ec, int sig) {
        if (ec) return;
        log_.info("elmod", "signal ", sig, ": graceful stop");
        begin_shutdown();
    });
    arm();
    return true;
}

int Daemon::run() {
    // A client that resets its connection must not kill the process (listener sockets).
    std::signal(SIGPIPE, SIG_IGN);
    if (!start()) return exit_runtime;
    io_.run();
    return exit_ok;
}

void Daemon::on_udp(const asio::ip::udp::endpoint& from, ByteView data) {
    const TimePoint now = Clock::now();
    switch (wire::classify(data)) {
        case wire::DatagramKind::dht:
            ++stats_.dht_datagrams_in;
            stats_.dht_bytes_in += data.size();
            dht_->on_datagram(from, data, now);
            break;
        case wire::DatagramKind::elmo:
            stats_.elmo_in.add(peek_type_id(data), data.size());
            core_next_ = core_->on_datagram(now, to_endpoint(from), data);
            break;
        case wire::DatagramKind::unknown:
            ++stats_.dropped_unknown_kind;
            return;
    }
    arm();
}

// A StoreReply (to a home node) or PublishResult (to a local publisher) sent while a stored
// event is not yet synced waits for the group commit: "accepted" then survives a power loss.
bool Daemon::must_hold(int type_id) const {
    return persistence_->events_unsynced() &&
           (type_id == wire::StoreReply::type_id || type_id == wire::PublishResult::type_id);
}

void Daemon::hold(Held h) {
    ++stats_.replies_held;
    held_.push_back(std::move(h));
    if (held_.size() >= max_held) {
        ++stats_.held_overflow_syncs;
        sync_journal(Clock::now());
    }
}

void Daemon::send_datagram(const Endpoint& to, ByteView datagram) {
    const int type = peek_type_id(datagram);
    stats_.elmo_out.add(type, datagram.size());
    if (must_hold(type)) {
        hold(Held{false, to, 0, Bytes(datagram.begin(), datagram.end())});
        return;
    }
    udp_->send(to, datagram);
}

void Daemon::send_frame(ClientHandle client, ByteView frame) {
    if (!listener_) {
        ++stats_.client_frames_dropped;
        return;
    }
    if (must_hold(peek_type_id(frame))) {
        hold(Held{true, {}, client, Bytes(frame.begin(), frame.end())});
        return;
    }
    listener_->send_to_client(client, frame);
}

void Daemon::flush_held() {
    std::deque<Held> out;
    out.swap(held_);
    for (const auto& h : out) {
        if (!h.to_client)
            udp_->send(h.to, h.data);
        else if (listener_)
            listener_->send_to_client(h.client, h.data);
        else
            ++stats_.client_frames_dropped;
    }
}

void Daemon::sync_journal(TimePoint now) {
    persistence_->sync(now);
    flush_held();
}

TimePoint Daemon::next_due() const {
    TimePoint next =
        std::min({core_next_, dht_->next_wakeup(), persistence_->sync_due(), bootstrap_due_});
    if (shutting_down_) next = std::min(next, shutdown_at_ + drain_min);
    return next;
}

// Directory answers queued by OpenDHT's callbacks go to the core after the call that produced
// them returned. A round may queue more (a core call that queries at once): a few rounds here,
// the rest at the next tick.
void Daemon::deliver_directory_answers() {
    for (int round = 0; round < 4 && dht_->has_answers(); ++round) {
        const TimePoint now = Clock::now();
        for (const auto& a : dht_->take_answers())
            core_next_ = core_->on_directory_answer(now, a.query_id, a.values, a.closest);
    }
}

void Daemon::arm() {
    if (finished_) return;
    deliver_directory_answers();
    const TimePoint now = Clock::now();
    TimePoint next = std::max(next_due(), now);
    if (dht_->has_answers()) next = now;
    if (timer_waiting_ && next >= armed_at_) return;
    armed_at_ = next;
    // A far deadline instead of max(): asio computes durations from it.
    timer_.expires_at(next - now > std::chrono::hours(1) ? now + std::chrono::hours(1) : next);
    timer_waiting_ = true;
    const std::uint64_t generation = ++timer_generation_;
    timer_.async_wait([this, generation](const std::error_code& ec) {
        if (ec || generation != timer_generation_) return;  // re-armed or cancelled
        timer_waiting_ = false;
        armed_at_ = TimePoint::max();
        on_tick();
    });
}

void Daemon::on_tick() {
    const TimePoint now = Clock::now();
    if (dht_->next_wakeup() <= now) dht_->on_timer(now);
    if (core_next_ <= now) core_next_ = core_->on_timer(now);
    if (persistence_->sync_due() <= now) sync_journal(now);
    if (bootstrap_due_ <= now) {
        if (dht_->nodes_stats().good_nodes == 0) {
            log_.info("elmod", "no good DHT node yet: bootstrapping again");
            dht_->bootstrap(config_.bootstrap, now);
            ++stats_.bootstrap_rounds;
            bootstrap_retry_ = std::min(bootstrap_retry_ * 2, bootstrap_max_retry);
        } else {
            bootstrap_retry_ = bootstrap_first_retry;
        }
        // Checked again later: a node that lost every neighbour bootstraps anew.
        bootstrap_due_ = now + (dht_->connected() ? bootstrap_max_retry : bootstrap_retry_);
    }
    if (shutting_down_) {
        const bool drained = udp_->queued() == 0 && held_.empty();
        if ((drained && now >= shutdown_at_ + drain_min) || now >= shutdown_at_ + drain_max) {
            finish();
            return;
        }
    }
    arm();
}

void Daemon::begin_shutdown() {
    if (shutting_down_) return;
    shutting_down_ = true;
    const TimePoint now = Clock::now();
    shutdown_at_ = now;
    const std::size_t topics = core_->mailbox().topics().size();
    // Hands each topic to a linked mailbox; the loop keeps running so the hand-off can leave.
    core_next_ = core_->shut_down(now);
    if (listener_) listener_->stop_accepting();
    log_.info("elmod", "handed off ", topics, " topics; draining");
    signals_.async_wait([this](const std::error_code& ec, int sig) {
        if (ec) return;
        log_.warn("elmod", "signal ", sig, " again: stopping now");
        finish();
    });
    arm();
}

void Daemon::finish() {
    if (finished_) return;
    finished_ = true;
    sync_journal(Clock::now());
    persistence_->detach();
    if (listener_) listener_->stop();
    if (admin_) admin_->close();
    udp_->close();
    timer_.cancel();
    signals_.cancel();
    log_.info("elmod", "stopped");
    io_.stop();
}

std::string Daemon::metrics() {
    const TimePoint now = Clock::now();
    dht_->collect_message_stats();
    MetricsInput in;
    in.node_id_hex = hex(identity_.id);
    in.node = &core_->stats();
    in.mailbox = &core_->mailbox().counters();
    in.load = core_->mailbox().load(now);
    in.mailbox_state = static_cast<std::size_t>(core_->mailbox().state(now));
    for (const auto& topic : core_->mailbox().topics())
        in.mailbox_links += core_->mailbox().links(topic).size();
    in.udp = &udp_->stats();
    in.udp_queued = udp_->queued();
    in.dht = &dht_->stats();
    in.dht_nodes = dht_->nodes_stats();
    in.dht_connected = dht_->connected();
    in.neighbours = dht_->neighbours().size();
    in.persistence = &persistence_->stats();
    in.journal_bytes = persistence_->journal_bytes();
    if (listener_) in.clients = &listener_->stats();
    in.daemon = &stats_;
    in.now_unix_ms = unix_ms();
    return render_metrics(in);
}

}  // namespace

int run_elmod(const ElmodConfig& config) {
    Daemon d(config);
    return d.run();
}

}  // namespace elmo::daemon
