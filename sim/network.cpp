#include "sim/network.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <stdexcept>

namespace elmo::sim {

Traffic traffic_of(ByteView datagram) {
    switch (wire::classify(datagram)) {
        case wire::DatagramKind::dht: return Traffic::dht;
        case wire::DatagramKind::elmo: return Traffic::elmo;
        default: return Traffic::unknown;
    }
}

const char* to_string(Traffic t) {
    switch (t) {
        case Traffic::dht: return "dht";
        case Traffic::elmo: return "elmo";
        case Traffic::unknown: return "unknown";
        case Traffic::client: return "client";
    }
    return "?";
}

Network::Network(Engine& engine, NetworkConfig config, std::uint64_t seed)
    : engine_(engine),
      config_(std::move(config)),
      seed_(seed),
      rng_(derive_seed(seed, seed_network)),
      deliver_kind_(engine.add_kind([this](std::uint32_t slot, std::uint64_t) { deliver(slot); })) {
    if (config_.latency.min > config_.latency.max)
        throw std::invalid_argument("latency min > max");
}

sockaddr_in Network::sockaddr_of(HostId h) {
    const Endpoint e = endpoint_of(h);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(e.port);
    sin.sin_addr.s_addr = htonl(e.v4_host_order());
    return sin;
}

HostId Network::host_of(std::uint32_t ip, std::uint16_t port) {
    if (ip < base_ip || port < first_port) return no_host;
    const std::uint64_t h = std::uint64_t{ip - base_ip} * ports_per_ip + (port - first_port);
    return h < max_hosts ? static_cast<HostId>(h) : no_host;
}

HostId Network::host_of(const Endpoint& e) {
    if (e.family != Endpoint::Family::v4) return no_host;
    return host_of(e.v4_host_order(), e.port);
}

HostId Network::host_of(const sockaddr* sa, socklen_t len) {
    if (!sa || sa->sa_family != AF_INET || len < static_cast<socklen_t>(sizeof(sockaddr_in)))
        return no_host;
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof sin);
    return host_of(ntohl(sin.sin_addr.s_addr), ntohs(sin.sin_port));
}

void Network::ensure_host(HostId h) {
    if (h >= max_hosts) throw std::out_of_range("host id beyond the simulated address space");
    if (h >= counters_.size()) {
        counters_.resize(h + 1);
        receivers_.resize(h + 1, nullptr);
    }
}

void Network::attach(HostId h, Receiver* r) {
    ensure_host(h);
    receivers_[h] = r;
}

void Network::detach(HostId h) {
    if (h < receivers_.size()) receivers_[h] = nullptr;
}

const HostCounters& Network::counters(HostId h) const {
    return h < counters_.size() ? counters_[h] : empty_counters_;
}

HostCounters& Network::counters_mut(HostId h) {
    ensure_host(h);
    return counters_[h];
}

Duration Network::link_latency(HostId a, HostId b) const {
    const auto [x, y] = link_key(a, b);
    const auto span = static_cast<std::uint64_t>((config_.latency.max - config_.latency.min).count());
    const std::uint64_t r = derive_seed(seed_, seed_link, (std::uint64_t{x} << 32) | y);
    // span+1 values; the modulo bias is below 1e-9 for spans of seconds in ns.
    return config_.latency.min + Duration(static_cast<Duration::rep>(r % (span + 1)));
}

Duration Network::latency(HostId from, HostId to) {
    const auto& l = config_.latency;
    if (l.custom) return l.custom(from, to, rng_);
    Duration d;
    if (l.model == LatencyConfig::Model::per_link) {
        d = link_latency(from, to);
    } else {
        d = Duration(rng_.between(l.min.count(), l.max.count()));
    }
    if (l.jitter.count() > 0) d += Duration(rng_.between(0, l.jitter.count()));
    return d;
}

void Network::send(HostId from, HostId to, ByteView datagram) {
    ensure_host(from);
    counters_[from].sent[static_cast<std::size_t>(traffic_of(datagram))].add(datagram.size());
    if (tap_) tap_(from, to, datagram);
    if (to == no_host || to >= max_hosts) {
        ++drops_.no_host;
        return;
    }
    if (config_.loss > 0 && rng_.chance(config_.loss)) {
        ++drops_.lost;
        return;
    }
    std::uint32_t slot;
    if (free_.empty()) {
        slot = static_cast<std::uint32_t>(pool_.size());
        pool_.emplace_back();
    } else {
        slot = free_.back();
        free_.pop_back();
    }
    Packet& p = pool_[slot];
    p.from = from;
    p.to = to;
    p.data.assign(datagram.begin(), datagram.end());  // reuses the slot's capacity
    engine_.schedule_in(latency(from, to), deliver_kind_, slot);
}

void Network::deliver(std::uint32_t slot) {
    Packet& p = pool_[slot];
    const HostId from = p.from, to = p.to;
    if (!reachable(from, to)) {
        ++drops_.partitioned;
    } else if (to >= receivers_.size() || receivers_[to] == nullptr) {
        ++drops_.no_host;
    } else {
        const ByteView data(p.data.data(), p.data.size());
        counters_[to].received[static_cast<std::size_t>(traffic_of(data))].add(data.size());
        // The receiver may send (which may grow pool_): it reads the payload before any send,
        // but growth would move the buffer, so hand it a buffer that stays put.
        Bytes payload = std::move(p.data);
        receivers_[to]->on_datagram(from, ByteView(payload.data(), payload.size()));
        pool_[slot].data = std::move(payload);
    }
    free_.push_back(slot);
}

void Network::set_group(HostId h, std::uint16_t g) {
    if (h >= groups_.size()) {
        if (g == 0) return;
        groups_.resize(h + 1, 0);
    }
    groups_[h] = g;
    if (g != 0) grouped_ = true;
}

void Network::block_link(HostId a, HostId b) { blocked_.insert(link_key(a, b)); }
void Network::unblock_link(HostId a, HostId b) { blocked_.erase(link_key(a, b)); }

void Network::heal() {
    groups_.clear();
    grouped_ = false;
    blocked_.clear();
}

bool Network::reachable(HostId a, HostId b) const {
    if (grouped_ && group(a) != group(b)) return false;
    if (!blocked_.empty() && blocked_.count(link_key(a, b))) return false;
    return true;
}

}  // namespace elmo::sim
