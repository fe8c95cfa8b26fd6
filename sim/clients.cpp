#include "sim/clients.hpp"

#include <algorithm>
#include <cassert>

namespace elmo::sim {

struct Clients::Client {
    ClientId id = 0;
    HostId home = no_host;
    bool online = false;
    ClientHandle connection = 0;  // current connection, 0 if none
    ClientHandle node_knows = 0;  // the connection the home node has been told about
    std::uint32_t conn_seq = 0;
    Rng rng;
    std::unique_ptr<ClientLink> link;
    std::unique_ptr<ClientCore> core;
    ClientCounters counters;
    std::uint64_t wake_token = 0;
    Duration wake_at = Duration::max();
    explicit Client(std::uint64_t seed) : rng(seed) {}
};

class Clients::Link final : public ClientLink {
  public:
    Link(Clients& owner, ClientId id) : owner_(owner), id_(id) {}

    void send_to_home(ByteView frame) override {
        Client& c = *owner_.clients_[id_];
        ++c.counters.frames_sent;
        c.counters.bytes_sent += frame.size();
        if (!c.online || c.connection == 0) {
            ++c.counters.dropped;
            return;
        }
        const ClientHandle conn = c.connection;
        const HostId home = c.home;
        Simulation& sim = owner_.sim_;
        sim.after(owner_.link_latency(id_),
                  [this, conn, home, f = Bytes(frame.begin(), frame.end())] {
                      Client& cl = *owner_.clients_[id_];
                      SimNode* n = owner_.sim_.is_up(home) ? owner_.sim_.find(home) : nullptr;
                      if (!n || cl.node_knows != conn) {
                          ++cl.counters.dropped;
                          return;
                      }
                      owner_.sim_.network()
                          .counters_mut(home)
                          .received[static_cast<std::size_t>(Traffic::client)]
                          .add(f.size());
                      n->client_frame(conn, ByteView(f.data(), f.size()));
                  });
    }

    Endpoint home() const override { return Network::endpoint_of(owner_.clients_[id_]->home); }

    void set_home(const Endpoint& node) override {
        Client& c = *owner_.clients_[id_];
        owner_.drop_connection(id_, false);
        c.home = Network::host_of(node);
        if (c.online) {
            owner_.go_offline(id_);  // reconnecting is going through a new connection
            owner_.go_online(id_);
        }
    }

  private:
    Clients& owner_;
    ClientId id_;
};

Clients::Clients(Simulation& sim, ClientConfig config) : sim_(sim), config_(std::move(config)) {
    toggle_kind_ = sim_.engine().add_kind([this](std::uint32_t c, std::uint64_t) {
        Client& cl = *clients_[c];
        if (cl.online)
            go_offline(c);
        else
            go_online(c);
        const Duration d = (cl.online ? config_.online : config_.offline).sample(cl.rng);
        sim_.engine().schedule_in(d, toggle_kind_, c);
    });
    wake_kind_ = sim_.engine().add_kind([this](std::uint32_t c, std::uint64_t token) {
        Client& cl = *clients_[c];
        if (token != cl.wake_token) return;
        cl.wake_token = 0;
        cl.wake_at = Duration::max();
        if (cl.core) reschedule(c, cl.core->on_timer(sim_.time_point()));
    });
    // A home node that goes down loses its connections; its clients notice one link delay later.
    sim_.on_membership([this](HostId h, bool up) {
        if (up) return;
        for (auto& cl : clients_)
            if (cl->home == h && cl->connection != 0) drop_connection(cl->id, true);
    });
    sim_.set_client_hub(this);
}

// Scheduled events and the membership observer refer to this object: it must live as long as
// its Simulation runs.
Clients::~Clients() {
    sim_.set_client_hub(nullptr);
}

ClientId Clients::add(HostId home, const ClientCoreFactory& factory) {
    const auto id = static_cast<ClientId>(clients_.size());
    auto c = std::make_unique<Client>(sim_.seed_for(seed_client, id));
    c->id = id;
    c->home = home;
    c->link = std::make_unique<Link>(*this, id);
    Client& cl = *c;
    clients_.push_back(std::move(c));
    if (factory) cl.core = factory(*cl.link, id, sim_.seed_for(seed_client, (1ull << 40) | id));
    if (config_.scripted) return id;  // offline until set_online
    const double on = config_.online.mean_seconds(), off = config_.offline.mean_seconds();
    if (cl.rng.chance(on + off > 0 ? on / (on + off) : 1.0)) go_online(id);
    // The first period is drawn in full: a memoryless start for exponential periods.
    sim_.engine().schedule_in((cl.online ? config_.online : config_.offline).sample(cl.rng),
                              toggle_kind_, id);
    return id;
}

void Clients::attach(ClientId c, const ClientCoreFactory& factory) {
    Client& cl = *clients_.at(c);
    if (cl.core || !factory) return;
    cl.core = factory(*cl.link, c, sim_.seed_for(seed_client, (1ull << 40) | c));
    if (cl.online) reschedule(c, cl.core->on_online(sim_.time_point()));
}

bool Clients::has_core(ClientId c) const {
    return clients_.at(c)->core != nullptr;
}

void Clients::set_online(ClientId c, bool online) {
    assert(config_.scripted);  // otherwise the toggles own presence
    if (clients_.at(c)->online == online) return;
    if (online)
        go_online(c);
    else
        go_offline(c);
}

void Clients::go_online(ClientId c) {
    Client& cl = *clients_[c];
    online_ += !cl.online;
    cl.online = true;
    ++cl.conn_seq;
    const ClientHandle conn = (ClientHandle{cl.conn_seq} << 32) | c;
    cl.connection = conn;
    ++cl.counters.connections;
    const HostId home = cl.home;
    // The home node learns of the connection one link delay later (before any frame on it:
    // equal delays keep their order).
    sim_.after(link_latency(c), [this, c, conn, home] {
        Client& x = *clients_[c];
        if (x.connection != conn) return;
        SimNode* n = sim_.is_up(home) ? sim_.find(home) : nullptr;
        if (!n) {
            // A connection to a node that is down is refused (the host answers with a reset):
            // the client hears of it one more link delay later, as it would of a real
            // ECONNREFUSED, instead of waiting on a connection that can never answer.
            drop_connection(c, true);
            return;
        }
        x.node_knows = conn;
        n->client_connected(conn);
    });
    if (cl.core) reschedule(c, cl.core->on_online(sim_.time_point()));
}

void Clients::go_offline(ClientId c) {
    Client& cl = *clients_[c];
    online_ -= cl.online;
    cl.online = false;
    drop_connection(c, false);
    if (cl.core) cl.core->on_offline(sim_.time_point());
}

// Ends the current connection: the home node hears of it one link delay later (if it knew of
// it), and the client too if `tell_client` (a loss it did not cause).
void Clients::drop_connection(ClientId c, bool tell_client) {
    Client& cl = *clients_[c];
    const ClientHandle conn = cl.connection;
    if (conn == 0) return;
    cl.connection = 0;
    const HostId home = cl.home;
    sim_.after(link_latency(c), [this, c, conn, home, tell_client] {
        Client& x = *clients_[c];
        if (x.node_knows == conn) {
            x.node_knows = 0;
            if (SimNode* n = sim_.is_up(home) ? sim_.find(home) : nullptr)
                n->client_disconnected(conn);
        }
        if (tell_client && x.core) reschedule(c, x.core->on_connection_lost(sim_.time_point()));
    });
}

void Clients::send_to_client(HostId from_node, ClientHandle conn, ByteView frame) {
    sim_.network().counters_mut(from_node).sent[static_cast<std::size_t>(Traffic::client)].add(
        frame.size());
    const ClientId c = client_of(conn);
    if (c >= clients_.size()) return;
    sim_.after(link_latency(c), [this, c, conn, f = Bytes(frame.begin(), frame.end())] {
        Client& x = *clients_[c];
        if (x.connection != conn || !x.online) {
            ++x.counters.dropped;
            return;
        }
        ++x.counters.frames_received;
        x.counters.bytes_received += f.size();
        if (x.core)
            reschedule(c, x.core->on_frame(sim_.time_point(), ByteView(f.data(), f.size())));
    });
}

void Clients::close_client(HostId from_node, ClientHandle conn) {
    const ClientId c = client_of(conn);
    if (c >= clients_.size() || clients_[c]->connection != conn || clients_[c]->home != from_node)
        return;
    drop_connection(c, true);
}

void Clients::reschedule(ClientId c, TimePoint next) {
    Client& cl = *clients_[c];
    if (next == TimePoint::max()) return;
    Duration at = Engine::to_offset(next);
    if (at < sim_.now()) at = sim_.now();
    if (cl.wake_token != 0 && cl.wake_at <= at) return;
    cl.wake_at = at;
    cl.wake_token = ++wake_tokens_;
    sim_.engine().schedule(at, wake_kind_, c, cl.wake_token);
}

Duration phone_link_latency(std::uint64_t run_seed, const ClientConfig& config, ClientId c) {
    const auto span = static_cast<std::uint64_t>((config.link_max - config.link_min).count());
    const std::uint64_t r = derive_seed(run_seed, seed_client, (2ull << 40) | c);
    return config.link_min + Duration(static_cast<Duration::rep>(r % (span + 1)));
}

Duration Clients::link_latency(ClientId c) const {
    return phone_link_latency(sim_.config().seed, config_, c);
}

bool Clients::online(ClientId c) const {
    return clients_.at(c)->online;
}
HostId Clients::home(ClientId c) const {
    return clients_.at(c)->home;
}
ClientHandle Clients::connection(ClientId c) const {
    return clients_.at(c)->connection;
}
ClientCore* Clients::core(ClientId c) {
    return clients_.at(c)->core.get();
}
const ClientCounters& Clients::counters(ClientId c) const {
    return clients_.at(c)->counters;
}

std::size_t Clients::online_count() const {
    assert(online_ == static_cast<std::size_t>(std::count_if(
                          clients_.begin(), clients_.end(), [](const auto& c) { return c->online; })));
    return online_;
}

}  // namespace elmo::sim
