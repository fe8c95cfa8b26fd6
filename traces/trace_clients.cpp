#include "traces/trace_clients.hpp"

namespace elmo::traces {

using sim::HostId;
using sim::SimNode;

struct TraceClients::Client {
    ClientId id = 0;
    HostId home = sim::no_host;
    bool online = false;
    ClientHandle connection = 0;  // current connection, 0 if none
    ClientHandle node_knows = 0;  // the connection the home node has been told about
    std::uint32_t conn_seq = 0;
    std::unique_ptr<sim::ClientLink> link;
    std::unique_ptr<ClientCore> core;
    ClientCounters counters;
    std::uint64_t wake_token = 0;
    Duration wake_at = Duration::max();
};

class TraceClients::Link final : public sim::ClientLink {
  public:
    Link(TraceClients& owner, ClientId id) : owner_(owner), id_(id) {}

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
        owner_.sim_.after(
            owner_.link_latency(id_), [this, conn, home, f = Bytes(frame.begin(), frame.end())] {
                Client& cl = *owner_.clients_[id_];
                SimNode* n = owner_.sim_.is_up(home) ? owner_.sim_.find(home) : nullptr;
                if (!n || cl.node_knows != conn) {
                    ++cl.counters.dropped;
                    return;
                }
                owner_.sim_.network()
                    .counters_mut(home)
                    .received[static_cast<std::size_t>(sim::Traffic::client)]
                    .add(f.size());
                n->client_frame(conn, ByteView(f.data(), f.size()));
            });
    }

    Endpoint home() const override { return sim::Network::endpoint_of(owner_.clients_[id_]->home); }

    void set_home(const Endpoint& node) override {
        Client& c = *owner_.clients_[id_];
        owner_.drop_connection(id_, false);
        c.home = sim::Network::host_of(node);
        if (c.online) {
            owner_.go_offline(id_);  // reconnecting is going through a new connection
            owner_.go_online(id_);
        }
    }

  private:
    TraceClients& owner_;
    ClientId id_;
};

TraceClients::TraceClients(sim::Simulation& sim, Duration link_min, Duration link_max)
    : sim_(sim), link_min_(link_min), link_max_(link_max) {
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

TraceClients::~TraceClients() {
    sim_.set_client_hub(nullptr);
}

ClientId TraceClients::add(HostId home) {
    const auto id = static_cast<ClientId>(clients_.size());
    auto c = std::make_unique<Client>();
    c->id = id;
    c->home = home;
    c->link = std::make_unique<Link>(*this, id);
    clients_.push_back(std::move(c));
    return id;
}

void TraceClients::attach(ClientId c, const ClientCoreFactory& factory) {
    Client& cl = *clients_.at(c);
    if (cl.core || !factory) return;
    cl.core = factory(*cl.link, c, sim_.seed_for(sim::seed_client, (1ull << 40) | c));
    if (cl.online) reschedule(c, cl.core->on_online(sim_.time_point()));
}

bool TraceClients::has_core(ClientId c) const {
    return clients_.at(c)->core != nullptr;
}

void TraceClients::set_online(ClientId c, bool online) {
    if (clients_.at(c)->online == online) return;
    if (online)
        go_online(c);
    else
        go_offline(c);
}

void TraceClients::go_online(ClientId c) {
    Client& cl = *clients_[c];
    cl.online = true;
    ++online_count_;
    ++cl.conn_seq;
    const ClientHandle conn = (ClientHandle{cl.conn_seq} << 32) | c;
    cl.connection = conn;
    ++cl.counters.connections;
    const HostId home = cl.home;
    sim_.after(link_latency(c), [this, c, conn, home] {
        Client& x = *clients_[c];
        SimNode* n = sim_.is_up(home) ? sim_.find(home) : nullptr;
        if (x.connection != conn || !n) return;
        x.node_knows = conn;
        n->client_connected(conn);
    });
    if (cl.core) reschedule(c, cl.core->on_online(sim_.time_point()));
}

void TraceClients::go_offline(ClientId c) {
    Client& cl = *clients_[c];
    cl.online = false;
    --online_count_;
    drop_connection(c, false);
    if (cl.core) cl.core->on_offline(sim_.time_point());
}

void TraceClients::drop_connection(ClientId c, bool tell_client) {
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

void TraceClients::send_to_client(HostId from_node, ClientHandle conn, ByteView frame) {
    sim_.network().counters_mut(from_node).sent[static_cast<std::size_t>(sim::Traffic::client)].add(
        frame.size());
    const ClientId c = sim::client_of(conn);
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

void TraceClients::close_client(HostId from_node, ClientHandle conn) {
    const ClientId c = sim::client_of(conn);
    if (c >= clients_.size() || clients_[c]->connection != conn || clients_[c]->home != from_node)
        return;
    drop_connection(c, true);
}

void TraceClients::reschedule(ClientId c, TimePoint next) {
    Client& cl = *clients_[c];
    if (next == TimePoint::max()) return;
    Duration at = sim::Engine::to_offset(next);
    if (at < sim_.now()) at = sim_.now();
    if (cl.wake_token != 0 && cl.wake_at <= at) return;
    cl.wake_at = at;
    cl.wake_token = ++wake_tokens_;
    sim_.engine().schedule(at, wake_kind_, c, cl.wake_token);
}

Duration TraceClients::link_latency(ClientId c) const {
    const auto span = static_cast<std::uint64_t>((link_max_ - link_min_).count());
    const std::uint64_t r =
        sim::derive_seed(sim_.config().seed, sim::seed_client, (2ull << 40) | c);
    return link_min_ + Duration(static_cast<Duration::rep>(r % (span + 1)));
}

bool TraceClients::online(ClientId c) const {
    return clients_.at(c)->online;
}
HostId TraceClients::home(ClientId c) const {
    return clients_.at(c)->home;
}
ClientCore* TraceClients::core(ClientId c) {
    return clients_.at(c)->core.get();
}
const ClientCounters& TraceClients::counters(ClientId c) const {
    return clients_.at(c)->counters;
}

}  // namespace elmo::traces
