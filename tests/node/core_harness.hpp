#pragma once
// A tiny cluster of NodeCores over fake ports: datagrams are queued with a fixed latency and
// delivered in (time, sequence) order; the overlay is an explicit adjacency list; client frames
// are captured per handle. Time only moves when the test steps it.
#include <functional>
#include <map>
#include <memory>
#include <queue>

#include "node/node_core.hpp"

namespace elmo::test {

// A sealed event of `topic` published at wall time 3,600,000 ms, valid for an hour: the harness
// clock starts at TimePoint{} + 1 h and the mailbox's default wall clock maps TimePoint{} to 0.
inline wire::Event sealed_event(std::string topic, std::uint64_t seq, Bytes publisher) {
    wire::Event e;
    e.topic = std::move(topic);
    e.publisher = std::move(publisher);
    e.seq = seq;
    e.timestamp_ms = 3'600'000;
    e.expiry_ms = e.timestamp_ms + 3'600'000;
    e.payload = Bytes{1, 2, 3};
    e.seal();
    return e;
}

class CoreCluster {
public:
    static constexpr Duration latency = std::chrono::milliseconds(10);

    struct Node;
    struct Overlay : OverlayPort {
        std::vector<Neighbour> list;
        std::vector<Neighbour> neighbours() const override { return list; }
    };
    struct Datagrams : DatagramPort {
        CoreCluster* cluster = nullptr;
        Endpoint self;
        void send(const Endpoint& to, ByteView d) override {
            cluster->enqueue(self, to, Bytes(d.begin(), d.end()));
        }
    };
    struct Clients : ClientPort {
        std::map<ClientHandle, std::vector<wire::Message>> frames;
        std::set<ClientHandle> closed;
        void send_to_client(ClientHandle c, ByteView f) override {
            auto m = wire::decode(f);
            if (m.ok()) frames[c].push_back(*m);
        }
        void close_client(ClientHandle c) override { closed.insert(c); }
    };
    struct Node {
        Datagrams datagrams;
        Overlay overlay;
        Clients clients;
        std::unique_ptr<NodeCore> core;
        bool alive = true;
        TimePoint wake = TimePoint::max();
    };

    explicit CoreCluster(std::size_t n, NodeCoreConfig base = {}) {
        for (std::size_t i = 0; i < n; ++i) {
            auto node = std::make_unique<Node>();
            NodeCoreConfig cfg = base;
            cfg.id.fill(0);
            cfg.id[0] = static_cast<std::uint8_t>(i + 1);
            cfg.endpoint = Endpoint::v4(0x7f000001u + static_cast<std::uint32_t>(i), 4222);
            cfg.seed = 100 + i;
            node->datagrams.cluster = this;
            node->datagrams.self = cfg.endpoint;
            node->core = std::make_unique<NodeCore>(cfg, node->datagrams, node->overlay,
                                                    node->clients);
            nodes_.push_back(std::move(node));
            configs_.push_back(cfg);
        }
    }

    std::map<std::string, int> sent_by_type;  // datagrams sent, by message name
    std::map<std::string, int> adopt_requests;  // AdoptRequests sent, by topic

    NodeCore& core(std::size_t i) { return *nodes_[i]->core; }
    Node& node(std::size_t i) { return *nodes_[i]; }
    TimePoint now() const { return now_; }

    void link(std::size_t a, std::size_t b) {
        nodes_[a]->overlay.list.push_back({core(b).id(), core(b).endpoint()});
        nodes_[b]->overlay.list.push_back({core(a).id(), core(a).endpoint()});
    }
    void start() {
        for (auto& n : nodes_) n->wake = n->core->on_start(now_);
    }
    void kill(std::size_t i) { nodes_[i]->alive = false; }
    // Node i comes back as the daemon restarts one: a fresh core with the same id and address,
    // its mailbox filled by `restore` (what the journal held) before on_start, then
    // topics_restored. Its clients' sessions died with the old core.
    void restart(std::size_t i, const std::function<void(mailbox::Mailbox&, TimePoint)>& restore,
                 std::optional<std::int64_t> stopped_unix_ms = std::nullopt) {
        auto& n = *nodes_[i];
        n.core = std::make_unique<NodeCore>(configs_[i], n.datagrams, n.overlay, n.clients);
        restore(n.core->mailbox_for_restore(), now_);
        n.core->on_start(now_);
        n.wake = n.core->topics_restored(now_, stopped_unix_ms);
        n.alive = true;
    }

    // Runs until `until`, delivering datagrams and firing timers in time order.
    void run_until(TimePoint until) {
        while (true) {
            TimePoint next = until;
            if (!queue_.empty()) next = std::min(next, queue_.top().at);
            for (auto& n : nodes_)
                if (n->alive) next = std::min(next, n->wake);
            if (next >= until && (queue_.empty() || queue_.top().at > until)) break;
            now_ = std::max(now_, next);
            if (!queue_.empty() && queue_.top().at <= now_) {
                Packet p = queue_.top();
                queue_.pop();
                for (auto& n : nodes_)
                    if (n->alive && n->core->endpoint() == p.to)
                        n->wake = n->core->on_datagram(now_, p.from, p.data);
                continue;
            }
            for (auto& n : nodes_)
                if (n->alive && n->wake <= now_) n->wake = n->core->on_timer(now_);
        }
        now_ = until;
    }
    void run_for(Duration d) { run_until(now_ + d); }

    // Connects client `handle` to node i and says hello.
    void connect_client(std::size_t i, ClientHandle handle, Bytes client_id) {
        auto& n = *nodes_[i];
        n.wake = n.core->on_client_connected(now_, handle);
        client_frame(i, handle, wire::ClientHello{std::move(client_id)});
    }
    void client_frame(std::size_t i, ClientHandle handle, const wire::Message& m) {
        auto& n = *nodes_[i];
        n.wake = n.core->on_client_frame(now_, handle, wire::encode(m));
    }
    // The last SubscribeResult sent to a client, if any.
    std::optional<wire::SubscribeResult> last_result(std::size_t i, ClientHandle h) {
        auto& frames = nodes_[i]->clients.frames[h];
        for (auto it = frames.rbegin(); it != frames.rend(); ++it)
            if (auto* r = std::get_if<wire::SubscribeResult>(&*it)) return *r;
        return std::nullopt;
    }
    template <class T>
    std::size_t count_frames(std::size_t i, ClientHandle h) {
        std::size_t n = 0;
        for (const auto& m : nodes_[i]->clients.frames[h]) n += std::holds_alternative<T>(m);
        return n;
    }

private:
    struct Packet {
        TimePoint at;
        std::uint64_t seq;
        Endpoint from, to;
        Bytes data;
        bool operator>(const Packet& o) const { return at != o.at ? at > o.at : seq > o.seq; }
    };
    void enqueue(const Endpoint& from, const Endpoint& to, Bytes data) {
        if (auto m = wire::decode(data); m.ok()) {
            ++sent_by_type[std::string(wire::message_name(wire::type_id_of(*m)))];
            if (auto* a = std::get_if<wire::AdoptRequest>(&*m)) ++adopt_requests[a->topic];
        }
        queue_.push(Packet{now_ + latency, seq_++, from, to, std::move(data)});
    }

    std::vector<std::unique_ptr<Node>> nodes_;
    std::vector<NodeCoreConfig> configs_;
    std::priority_queue<Packet, std::vector<Packet>, std::greater<>> queue_;
    std::uint64_t seq_ = 0;
    TimePoint now_ = TimePoint{} + std::chrono::hours(1);
};

}  // namespace elmo::test
