#include "node/daemon/dht_driver.hpp"

#include <opendht/network_utils.h>
#include <asio/ip/udp.hpp>

#include <algorithm>
#include <cstdarg>
#include <cstring>

#include "node/dht_value_types.hpp"

namespace elmo::daemon {
namespace {

// OpenDHT's socket: what the Dht sends goes out of the shared UdpPort. Receiving is the
// daemon's business (the first-byte rule decides who gets a datagram).
class SharedUdpSocket final : public dht::net::DatagramSocket {
  public:
    explicit SharedUdpSocket(UdpPort& udp) : udp_(udp) {
        const auto& ep = udp.local();
        bound_ = dht::SockAddr(ep.data(), static_cast<socklen_t>(ep.size()));
        v4_ = ep.address().is_v4();
    }
    int sendTo(const dht::SockAddr& dest, const uint8_t* data, size_t size, bool) override {
        if (stopped_) return ENETDOWN;
        asio::ip::udp::endpoint to;
        if (dest.getLength() > to.capacity()) return EINVAL;
        std::memcpy(to.data(), dest.get(), dest.getLength());
        to.resize(dest.getLength());
        udp_.send(to, ByteView(data, size));
        return 0;
    }
    bool hasIPv4() const override { return v4_; }
    bool hasIPv6() const override { return !v4_; }
    const dht::SockAddr& getBoundRef(sa_family_t family) const override {
        return family == bound_.getFamily() || family == AF_UNSPEC ? bound_ : none_;
    }
    void stop() override { stopped_ = true; }

  private:
    UdpPort& udp_;
    dht::SockAddr bound_;
    dht::SockAddr none_;
    bool v4_ = true;
    bool stopped_ = false;
};

std::string vformat(const char* format, va_list args) {
    char buf[512];
    std::vsnprintf(buf, sizeof buf, format, args);
    return buf;
}

Endpoint endpoint_from(const sockaddr_storage& ss, socklen_t len) {
    asio::ip::udp::endpoint ep;
    if (len > static_cast<socklen_t>(ep.capacity()) ||
        (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
        return {};
    std::memcpy(ep.data(), &ss, len);
    ep.resize(len);
    return to_endpoint(ep);
}

}  // namespace

DhtDriver::DhtDriver(UdpPort& udp, const NodeId& id, std::uint32_t network, const Log& log,
                     TimePoint now)
    : udp_(udp), log_(log), family_(udp.local().address().is_v4() ? AF_INET : AF_INET6) {
    dht::Config cfg;
    std::memcpy(cfg.node_id.data(), id.data(), id.size());
    cfg.network = network;
    // OpenDHT's errors are worth a warning; its warnings are routine (unreachable peers) and
    // go to debug; its debug output is too chatty for any level of ours.
    const Log* l = &log_;
    dht::Logger logger([l](char const* f, va_list a) { l->warn("dht", vformat(f, a)); },
                       [l](char const* f, va_list a) {
                           if (l->enabled(LogLevel::debug)) l->debug("dht", vformat(f, a));
                       },
                       {});
    dht_ = std::make_unique<dht::Dht>(std::make_unique<SharedUdpSocket>(udp_), cfg, logger);
    register_value_types(*dht_);
    next_ = now;  // run its start-up jobs at once
}

DhtDriver::~DhtDriver() = default;

TimePoint DhtDriver::run(const std::uint8_t* data, std::size_t size, const dht::SockAddr& from,
                         TimePoint now) {
    ++stats_.periodic_calls;
    try {
        next_ = dht_->periodic(data, size, from, now);
        // Dht::periodic does not re-evaluate connectivity; its driver must (as DhtRunner does).
        // A change of status schedules jobs, so the DHT runs once more.
        const dht::NodeStatus s = dht_->updateStatus(family_);
        if (s != status_) {
            if (s == dht::NodeStatus::Connected)
                log_.info("dht", "connected");
            else if (status_ == dht::NodeStatus::Connected)
                log_.warn("dht", "lost connectivity");
            status_ = s;
            next_ = dht_->periodic(nullptr, 0, dht::SockAddr{}, now);
        }
    } catch (const std::exception& e) {
        ++stats_.exceptions;
        log_.debug("dht", "dropped a datagram: ", e.what());
        next_ = std::min(next_, now + std::chrono::seconds(1));
    }
    return next_;
}

TimePoint DhtDriver::on_datagram(const asio::ip::udp::endpoint& from, ByteView data,
                                 TimePoint now) {
    if (const auto v = check_dht_datagram(data); v != DhtGuardVerdict::pass) {
        ++stats_.guard_drops[static_cast<std::size_t>(v)];
        return next_;
    }
    const TimePoint next =
        run(data.data(), data.size(),
            dht::SockAddr(from.data(), static_cast<socklen_t>(from.size())), now);
    ping_back(from, now);
    return std::min(next, next_);
}

// OpenDHT marks a node good only once it has answered one of our requests; a node that only
// sends us requests (every newcomer that bootstraps from us) stays "dubious" until OpenDHT's
// bucket maintenance pings it, 30-60 s later, and is meanwhile no overlay neighbour. Pinging a
// sender back once makes it good at its first reply. Bounded: each address at most once a
// minute, at most 20 ping-backs a second, 1,024 addresses remembered.
void DhtDriver::ping_back(const asio::ip::udp::endpoint& from, TimePoint now) {
    constexpr auto per_address = std::chrono::seconds(60);
    constexpr std::uint32_t per_second = 20;
    constexpr std::size_t remembered = 1024;
    const Endpoint ep = to_endpoint(from);
    if (!ep.valid()) return;
    if (auto it = pinged_back_.find(ep); it != pinged_back_.end() && now - it->second < per_address)
        return;
    for (const auto& n : neighbours())
        if (n.endpoint == ep) return;  // already good
    if (now - ping_back_window_ >= std::chrono::seconds(1)) {
        ping_back_window_ = now;
        ping_backs_in_window_ = 0;
    }
    if (ping_backs_in_window_ >= per_second) return;
    ++ping_backs_in_window_;
    if (pinged_back_.size() >= remembered) {
        auto oldest =
            std::min_element(pinged_back_.begin(), pinged_back_.end(),
                             [](const auto& a, const auto& b) { return a.second < b.second; });
        pinged_back_.erase(oldest);
    }
    pinged_back_[ep] = now;
    try {
        dht_->pingNode(dht::SockAddr(from.data(), static_cast<socklen_t>(from.size())));
        ++stats_.ping_backs;
        next_ = now;  // the ping is a job: run it
    } catch (const std::exception&) {
        ++stats_.exceptions;
    }
}

TimePoint DhtDriver::on_timer(TimePoint now) {
    if (next_ > now) return next_;
    return run(nullptr, 0, dht::SockAddr{}, now);
}

TimePoint DhtDriver::bootstrap(const std::vector<HostPort>& contacts, TimePoint now) {
    for (const auto& c : contacts) {
        std::vector<dht::SockAddr> addrs;
        try {
            addrs = dht::SockAddr::resolve(c.host, std::to_string(c.port));
        } catch (const std::exception&) {
        }
        bool pinged = false;
        for (const auto& a : addrs) {
            if (a.getFamily() != family_) continue;
            try {
                dht_->pingNode(a);
                ++stats_.bootstrap_pings;
                pinged = true;
            } catch (const std::exception& e) {
                ++stats_.exceptions;
            }
        }
        if (!pinged) {
            ++stats_.bootstrap_resolve_failures;
            log_.warn("dht", "bootstrap ", c.to_string(), ": no address of the port's family");
        }
    }
    next_ = now;  // a ping queues a job: run it
    return next_;
}

void DhtDriver::announce(const DirectoryKey& key, std::uint64_t value_id, ByteView value,
                         DirectoryValueKind kind) {
    ++stats_.directory_announces;
    try {
        dht_->put(dht::InfoHash(key.data(), key.size()), directory_value(value_id, value, kind));
    } catch (const std::exception& e) {
        ++stats_.exceptions;
        log_.debug("dht", "announce failed: ", e.what());
    }
    next_ = TimePoint{};  // only periodic() makes the DHT act on the new operation
}

void DhtDriver::query(std::uint64_t query_id, const DirectoryKey& key, DirectoryValueKind kind) {
    ++stats_.directory_queries;
    auto answers = answers_;
    try {
        directory_read(*dht_, dht::InfoHash(key.data(), key.size()), kind,
                       [answers, query_id](std::vector<Bytes> values,
                                           const std::vector<std::shared_ptr<dht::Node>>& nodes) {
                           answers->push_back(DirectoryAnswer{
                               query_id, std::move(values), closest_nodes(nodes, &endpoint_from)});
                       });
    } catch (const std::exception& e) {
        ++stats_.exceptions;
        answers_->push_back(DirectoryAnswer{query_id, {}, {}});  // every query is answered
    }
    next_ = TimePoint{};
}

std::vector<DirectoryAnswer> DhtDriver::take_answers() {
    std::vector<DirectoryAnswer> out;
    out.swap(*answers_);
    stats_.directory_answers += out.size();
    for (const auto& a : out) stats_.directory_values += a.values.size();
    return out;
}

std::vector<Neighbour> DhtDriver::neighbours() const {
    // The table changes only inside periodic(): recompute once per call of it.
    if (cached_at_ == stats_.periodic_calls) return cache_;
    cache_.clear();
    for (const auto& e : dht_->exportNodes()) {
        Neighbour nb;
        std::memcpy(nb.id.data(), e.id.data(), nb.id.size());
        nb.endpoint = endpoint_from(e.ss, e.sslen);
        if (nb.endpoint.valid()) cache_.push_back(nb);
    }
    std::sort(cache_.begin(), cache_.end(),
              [](const Neighbour& a, const Neighbour& b) { return a.id < b.id; });
    cached_at_ = stats_.periodic_calls;
    return cache_;
}

dht::NodeStats DhtDriver::nodes_stats() const {
    return dht_->getNodesStats(family_);
}

void DhtDriver::collect_message_stats() {
    const auto in = dht_->getNodeMessageStats(true);
    const auto out = dht_->getNodeMessageStats(false);
    for (std::size_t i = 0; i < stats_.messages_in.size() && i < in.size(); ++i)
        stats_.messages_in[i] += in[i];
    for (std::size_t i = 0; i < stats_.messages_out.size() && i < out.size(); ++i)
        stats_.messages_out[i] += out[i];
}

}  // namespace elmo::daemon
