#include "sim/node.hpp"

#include <algorithm>
#include <cstring>

#include "node/dht_value_types.hpp"
#include "sim/dht_socket.hpp"

namespace elmo::sim {
namespace {

Endpoint endpoint_from(const sockaddr_storage& ss, socklen_t len) {
    if (ss.ss_family != AF_INET || len < static_cast<socklen_t>(sizeof(sockaddr_in))) return {};
    sockaddr_in sin;
    std::memcpy(&sin, &ss, sizeof sin);
    return Endpoint::v4(ntohl(sin.sin_addr.s_addr), ntohs(sin.sin_port));
}

}  // namespace

SimNode::SimNode(NodeEnv& env, HostId host, const NodeId& id, std::uint64_t seed,
                 std::uint32_t incarnation)
    : env_(env), host_(host), id_(id), incarnation_(incarnation), rng_(seed) {}

SimNode::~SimNode() {
    if (env_.network.receiver(host_) == this) env_.network.detach(host_);
    env_.engine.activate();  // the Dht destructor may read the clock
    core_.reset();
    dht_.reset();
}

dht::InfoHash SimNode::info_hash() const {
    dht::InfoHash h;
    std::memcpy(h.data(), id_.data(), id_.size());
    return h;
}

void SimNode::start(const CoreFactory& factory, std::uint64_t core_seed) {
    env_.engine.activate();
    env_.network.attach(host_, this);
    if (!env_.ideal) {
        dht::Config cfg = env_.dht_config;
        cfg.node_id = info_hash();
        std::shared_ptr<dht::Logger> logger;
        if (env_.dht_logger) logger = env_.dht_logger(host_);
        dht_ = std::make_unique<dht::Dht>(std::make_unique<SimDhtSocket>(env_.network, host_), cfg,
                                          logger);
        register_value_types(*dht_);
        dht_next_ = now();  // run its start-up timers through periodic() at once
    }
    if (factory) {
        core_ = factory(CoreContext{datagram_port_, overlay_port_, client_port_, client_events_,
                                    dht_ ? &directory_port_ : nullptr, directory_answers_, id_,
                                    endpoint(), host_, core_seed});
        if (core_) core_next_ = core_->on_start(now());
    }
    reschedule();
}

unsigned SimNode::good_nodes() const {
    if (!dht_) return 0;
    return dht_->getNodesStats(AF_INET).good_nodes;
}

void SimNode::bootstrap(const std::vector<Endpoint>& contacts) {
    if (!dht_) return;
    env_.engine.activate();
    for (const auto& e : contacts) {
        const sockaddr_in sin = env_.network.sockaddr_of(env_.network.host_of(e));
        dht_->pingNode(dht::SockAddr(reinterpret_cast<const sockaddr*>(&sin), sizeof sin));
    }
    poke();
}

void SimNode::leave(std::function<void()> done) {
    if (!dht_) {
        if (done) done();
        return;
    }
    env_.engine.activate();
    dht_->shutdown([done = std::move(done)] { if (done) done(); }, false);
    poke();
}

void SimNode::poke() {
    if (dht_) dht_next_ = now();
    reschedule();
}

void SimNode::reschedule() {
    const TimePoint next = std::min(dht_next_, core_next_);
    if (next == TimePoint::max()) return;
    Duration at = Engine::to_offset(next);
    if (at < env_.engine.now()) at = env_.engine.now();
    if (wake_token_ != 0 && wake_at_ <= at) return;  // an earlier wake-up is pending: enough
    wake_at_ = at;
    wake_token_ = ++*env_.wake_tokens;
    env_.engine.schedule(at, env_.wake_kind, host_, wake_token_);
}

// Dht::periodic does not re-evaluate the node's connectivity status; its driver must (DhtRunner
// calls updateStatus after every loop). Until the status says Connected the DHT never starts the
// search for its own id that fills the routing table. A change of status schedules jobs, so the
// DHT then runs once more.
void SimNode::update_dht_status(TimePoint t) {
    const dht::NodeStatus s = dht_->updateStatus(AF_INET);
    if (s != dht_status_) {
        dht_status_ = s;
        dht_next_ = dht_->periodic(nullptr, 0, dht::SockAddr{}, t);
    }
}

void SimNode::on_wake(std::uint64_t token) {
    if (token != wake_token_) return;  // superseded by an earlier wake-up
    wake_token_ = 0;
    wake_at_ = Duration::max();
    const TimePoint t = now();
    if (dht_ && dht_next_ <= t) {
        ++dht_calls_;
        ++dht_timer_runs_;
        dht_next_ = dht_->periodic(nullptr, 0, dht::SockAddr{}, t);
        update_dht_status(t);
    }
    deliver_directory_answers(t);
    if (core_ && core_next_ <= t) {
        ++core_timer_runs_;
        core_next_ = core_->on_timer(t);
    }
    reschedule();
}

void SimNode::on_datagram(HostId from, ByteView datagram) {
    const TimePoint t = now();
    switch (wire::classify(datagram)) {
        case wire::DatagramKind::dht: {
            if (!dht_) {
                ++drops_.no_handler;
                return;
            }
            const sockaddr_in sin = env_.network.sockaddr_of(from);
            ++dht_calls_;
            dht_next_ = dht_->periodic(datagram.data(), datagram.size(),
                                       dht::SockAddr(reinterpret_cast<const sockaddr*>(&sin), sizeof sin), t);
            update_dht_status(t);
            deliver_directory_answers(t);
            break;
        }
        case wire::DatagramKind::elmo:
            if (!core_) {
                ++drops_.no_handler;
                return;
            }
            core_next_ = core_->on_datagram(t, env_.network.endpoint_of(from), datagram);
            break;
        case wire::DatagramKind::unknown:
            ++drops_.unknown_kind;
            ++env_.network.counters_mut(host_).dropped_unknown;
            return;
    }
    reschedule();
}

void SimNode::client_connected(ClientHandle c) {
    if (!client_events_.connected) return;
    core_next_ = client_events_.connected(now(), c);
    reschedule();
}

void SimNode::client_frame(ClientHandle c, ByteView frame) {
    if (!client_events_.frame) {
        ++drops_.client_frames_unhandled;
        return;
    }
    core_next_ = client_events_.frame(now(), c, frame);
    reschedule();
}

void SimNode::client_disconnected(ClientHandle c) {
    if (!client_events_.disconnected) return;
    core_next_ = client_events_.disconnected(now(), c);
    reschedule();
}

void SimNode::Clients::send_to_client(ClientHandle client, ByteView frame) {
    if (n_.env_.clients) n_.env_.clients->send_to_client(n_.host_, client, frame);
}

void SimNode::Clients::close_client(ClientHandle client) {
    if (n_.env_.clients) n_.env_.clients->close_client(n_.host_, client);
}

void SimNode::deliver_directory_answers(TimePoint t) {
    while (!directory_answers_pending_.empty()) {
        auto answers = std::move(directory_answers_pending_);
        directory_answers_pending_.clear();
        for (const auto& a : answers)
            if (directory_answers_)
                core_next_ = directory_answers_(t, a.query_id, a.values, a.closest);
    }
}

void SimNode::Directory::announce(const DirectoryKey& key, std::uint64_t value_id,
                                  ByteView value, DirectoryValueKind kind) {
    if (!n_.dht_) return;
    n_.dht_->put(dht::InfoHash(key.data(), key.size()), directory_value(value_id, value, kind));
    n_.dht_next_ = n_.now();  // only periodic() makes the DHT act on the new operation
}

void SimNode::Directory::query(std::uint64_t query_id, const DirectoryKey& key,
                              DirectoryValueKind kind) {
    if (!n_.dht_) {
        n_.directory_answers_pending_.push_back({query_id, {}, {}});
        return;
    }
    SimNode* node = &n_;
    directory_read(*n_.dht_, dht::InfoHash(key.data(), key.size()), kind,
                   [node, query_id](std::vector<Bytes> values,
                                    const std::vector<std::shared_ptr<dht::Node>>& nodes) {
                       node->directory_answers_pending_.push_back(
                           {query_id, std::move(values), closest_nodes(nodes, &endpoint_from)});
                       node->dht_next_ = std::min(node->dht_next_, node->now());
                   });
    n_.dht_next_ = n_.now();
}

void SimNode::Datagrams::send(const Endpoint& to, ByteView datagram) {
    n_.env_.network.send(n_.host_, n_.env_.network.host_of(to), datagram);
}

std::vector<Neighbour> SimNode::Overlay::neighbours() const {
    SimNode& n = n_;
    // Ideal tables are cached as host numbers (~0.5 KB a node, not ~5 KB of Neighbours).
    if (n.env_.ideal) {
        if (cached_calls_ != n.env_.ideal->epoch()) {
            cached_hosts_ = n.env_.ideal->table(n.id_);
            cached_calls_ = n.env_.ideal->epoch();
        }
        return n.env_.ideal->neighbours_of_hosts(cached_hosts_);
    }
    if (!n.dht_) return {};
    const TimePoint t = n.now();
    if (cached_calls_ != n.dht_calls_ || cached_now_ != t) {
        cache_.clear();
        for (const auto& e : n.dht_->exportNodes()) {
            Neighbour nb;
            std::memcpy(nb.id.data(), e.id.data(), nb.id.size());
            nb.endpoint = endpoint_from(e.ss, e.sslen);
            if (nb.endpoint.valid()) cache_.push_back(nb);
        }
        std::sort(cache_.begin(), cache_.end(),
                  [](const Neighbour& a, const Neighbour& b) { return a.id < b.id; });
        cached_calls_ = n.dht_calls_;
        cached_now_ = t;
    }
    return cache_;
}

}  // namespace elmo::sim
