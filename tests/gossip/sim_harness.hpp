#pragma once
// N gossip engines of one topic over a simulated network: each message is encoded and decoded
// with the field codec and delivered after a fixed per-link delay (drawn once per directed link
// from a seeded generator), in (time, sequence) order; a drop rule can lose chosen messages;
// crashed nodes neither receive nor tick. Time only moves when the test steps it.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "fixtures.hpp"

namespace elmo::gossip::test {

class GossipSim {
  public:
    inline static const std::string topic = "t";

    struct Node : GossipPort {
        GossipSim* sim = nullptr;
        int index = 0;
        std::unique_ptr<GossipEngine> engine;
        std::map<wire::EventId, wire::Event> store;
        std::map<wire::EventId, TimePoint> delivered_at;
        std::uint64_t store_duplicates = 0;  // deliver() calls for an id already stored
        std::uint64_t received = 0;          // messages received
        bool alive = true;

        void send(const Endpoint& to, const wire::GossipMessage& m) override {
            sim->enqueue(index, to, m);
        }
        Delivery deliver(const wire::Event& e, std::uint16_t) override {
            if (!store.emplace(e.id, e).second) {
                ++store_duplicates;
                return Delivery::duplicate;
            }
            delivered_at[e.id] = sim->now();
            return Delivery::stored;
        }
        std::optional<wire::Event> find_event(const std::string&,
                                              const wire::EventId& id) override {
            auto it = store.find(id);
            if (it == store.end()) return std::nullopt;
            return it->second;
        }
    };

    // (from, to, message) -> true to lose it.
    using DropRule = std::function<bool(int, int, const wire::GossipMessage&)>;

    GossipSim(int n, std::uint64_t seed, GossipParams params = {},
              Duration min_delay = std::chrono::milliseconds(5),
              Duration max_delay = std::chrono::milliseconds(50))
        : rng_(seed), min_delay_(min_delay), max_delay_(max_delay) {
        for (int i = 0; i < n; ++i) {
            auto node = std::make_unique<Node>();
            node->sim = this;
            node->index = i;
            node->engine = std::make_unique<GossipEngine>(node_id(i), *node, params);
            node->engine->add_topic(topic);
            by_endpoint_[endpoint(i)] = i;
            nodes_.push_back(std::move(node));
        }
    }

    int size() const { return static_cast<int>(nodes_.size()); }
    Node& node(int i) { return *nodes_[static_cast<std::size_t>(i)]; }
    GossipEngine& engine(int i) { return *node(i).engine; }
    const TopicTree& tree(int i) { return *engine(i).tree(topic); }
    TimePoint now() const { return now_; }
    std::mt19937_64& rng() { return rng_; }
    void set_drop(DropRule r) { drop_ = std::move(r); }

    // `a` links `b`; the handshake makes `b` link `a`.
    void link(int a, int b) {
        engine(a).add_peer(now_, topic, addr(b));
        links_.insert({std::min(a, b), std::max(a, b)});
    }
    void full_mesh() {
        for (int a = 0; a < size(); ++a)
            for (int b = a + 1; b < size(); ++b) link(a, b);
    }
    // A random connected graph: a random tree, then random extra links up to `degree` on average.
    void random_graph(double degree) {
        std::vector<int> order(static_cast<std::size_t>(size()));
        for (int i = 0; i < size(); ++i) order[static_cast<std::size_t>(i)] = i;
        std::shuffle(order.begin(), order.end(), rng_);
        for (std::size_t i = 1; i < order.size(); ++i) {
            std::uniform_int_distribution<std::size_t> pick(0, i - 1);
            link(order[i], order[pick(rng_)]);
        }
        std::uniform_int_distribution<int> any(0, size() - 1);
        std::size_t target = static_cast<std::size_t>(degree * size() / 2);
        while (links_.size() < target) {
            int a = any(rng_), b = any(rng_);
            if (a != b && !links_.contains({std::min(a, b), std::max(a, b)})) link(a, b);
        }
    }
    const std::set<std::pair<int, int>>& links() const { return links_; }

    wire::Event publish(int i, std::uint64_t seq) {
        auto e = make_event(topic, seq, static_cast<std::uint8_t>(i));
        node(i).store.emplace(e.id, e);
        node(i).delivered_at[e.id] = now_;
        published_at_[e.id] = now_;
        engine(i).publish(now_, e);
        return e;
    }
    std::uint64_t next_seq() { return ++seq_counter_; }
    TimePoint published_at(const wire::EventId& id) const { return published_at_.at(id); }

    void crash(int i) { node(i).alive = false; }

    void run_until(TimePoint until) {
        while (true) {
            TimePoint next = TimePoint::max();
            if (!queue_.empty()) next = queue_.top().at;
            for (auto& n : nodes_)
                if (n->alive) next = std::min(next, n->engine->next_wakeup());
            if (next > until) break;
            now_ = std::max(now_, next);
            if (!queue_.empty() && queue_.top().at <= now_) {
                Packet p = queue_.top();
                queue_.pop();
                Node& to = node(p.to);
                if (!to.alive) continue;
                auto [msg, err] = decode_gossip(p.bytes);
                EXPECT_FALSE(err) << err->to_string();
                if (!msg) continue;
                ++to.received;
                to.engine->on_message(now_, endpoint(p.from), *msg);
                continue;
            }
            for (auto& n : nodes_)
                if (n->alive && n->engine->next_wakeup() <= now_) n->engine->on_timer(now_);
        }
        now_ = std::max(now_, until);
    }
    void run_for(Duration d) { run_until(now_ + d); }

    // ---- observations ----
    bool everyone_has(const wire::EventId& id) {
        for (auto& n : nodes_)
            if (n->alive && !n->store.contains(id)) return false;
        return true;
    }
    // Links eager at both ends between live nodes, and links eager at one end only.
    std::vector<std::pair<int, int>> eager_edges(std::size_t* asymmetric = nullptr) {
        std::vector<std::pair<int, int>> out;
        std::size_t asym = 0;
        for (auto [a, b] : links_) {
            if (!node(a).alive || !node(b).alive) continue;
            bool ab = tree(a).is_eager(node_id(b)), ba = tree(b).is_eager(node_id(a));
            if (ab && ba)
                out.emplace_back(a, b);
            else if (ab != ba)
                ++asym;
        }
        if (asymmetric) *asymmetric = asym;
        return out;
    }
    // Whether `edges` connect every live node.
    bool connects_live(const std::vector<std::pair<int, int>>& edges) {
        std::vector<int> parent(static_cast<std::size_t>(size()));
        for (int i = 0; i < size(); ++i) parent[static_cast<std::size_t>(i)] = i;
        std::function<int(int)> find = [&](int x) {
            auto ux = static_cast<std::size_t>(x);
            return parent[ux] == x ? x : parent[ux] = find(parent[ux]);
        };
        for (auto [a, b] : edges) parent[static_cast<std::size_t>(find(a))] = find(b);
        int root = -1;
        for (int i = 0; i < size(); ++i) {
            if (!node(i).alive) continue;
            if (root < 0)
                root = find(i);
            else if (find(i) != root)
                return false;
        }
        return true;
    }
    int live_count() {
        int n = 0;
        for (auto& x : nodes_) n += x->alive;
        return n;
    }
    // A spanning tree of the live nodes: live-1 symmetric eager links, connecting them all.
    bool eager_links_form_spanning_tree() {
        std::size_t asym = 0;
        auto e = eager_edges(&asym);
        return asym == 0 && static_cast<int>(e.size()) == live_count() - 1 && connects_live(e);
    }
    GossipCounters total_counters() {
        GossipCounters t;
        for (auto& n : nodes_) {
            const auto& c = n->engine->counters();
            t.duplicates += c.duplicates;
            t.events_sent += c.events_sent;
            t.pushes_sent += c.pushes_sent;
            t.ihave_sent += c.ihave_sent;
            t.grafts_sent += c.grafts_sent;
            t.prunes_sent += c.prunes_sent;
            t.repairs_sent += c.repairs_sent;
            t.digests_sent += c.digests_sent;
            t.peers_dead += c.peers_dead;
            t.missing_given_up += c.missing_given_up;
            t.events_delivered += c.events_delivered;
        }
        return t;
    }
    std::uint64_t messages_sent() const { return messages_sent_; }
    std::uint64_t messages_dropped() const { return dropped_; }
    // Every message as (time, from, to, type id), for determinism checks.
    const std::vector<std::tuple<TimePoint, int, int, std::uint16_t>>& trace() const {
        return trace_;
    }

  private:
    struct Packet {
        TimePoint at;
        std::uint64_t seq;
        int from, to;
        Bytes bytes;
        bool operator>(const Packet& o) const { return at != o.at ? at > o.at : seq > o.seq; }
    };

    void enqueue(int from, const Endpoint& to_ep, const wire::GossipMessage& m) {
        int to = by_endpoint_.at(to_ep);
        ++messages_sent_;
        trace_.emplace_back(
            now_, from, to,
            std::visit([](const auto& x) { return std::decay_t<decltype(x)>::type_id; }, m));
        if (drop_ && drop_(from, to, m)) {
            ++dropped_;
            return;
        }
        auto key = std::make_pair(from, to);
        auto it = delay_.find(key);
        if (it == delay_.end()) {
            auto lo = std::chrono::duration_cast<std::chrono::microseconds>(min_delay_).count();
            auto hi = std::chrono::duration_cast<std::chrono::microseconds>(max_delay_).count();
            std::uniform_int_distribution<std::int64_t> d(lo, hi);
            it = delay_.emplace(key, std::chrono::microseconds(d(rng_))).first;
        }
        queue_.push(Packet{now_ + it->second, seq_++, from, to, encode_gossip(m)});
    }

    std::mt19937_64 rng_;
    Duration min_delay_, max_delay_;
    std::vector<std::unique_ptr<Node>> nodes_;
    std::map<Endpoint, int> by_endpoint_;
    std::set<std::pair<int, int>> links_;
    std::map<std::pair<int, int>, Duration> delay_;
    std::priority_queue<Packet, std::vector<Packet>, std::greater<>> queue_;
    std::uint64_t seq_ = 0;
    std::uint64_t messages_sent_ = 0, dropped_ = 0;
    std::vector<std::tuple<TimePoint, int, int, std::uint16_t>> trace_;
    std::map<wire::EventId, TimePoint> published_at_;
    DropRule drop_;
    std::uint64_t seq_counter_ = 1000;
    TimePoint now_ = t0;
};

}  // namespace elmo::gossip::test
