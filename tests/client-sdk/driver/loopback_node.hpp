#pragma once
// A real elmo::NodeCore behind a real ClientListener on loopback, alone (no other node: its
// lookups end at once and it elects itself mailbox), driven by one steady_timer on the test's
// io_context. Datagrams it addresses to itself are delivered back; others are counted and
// dropped.
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "node/daemon/listener/client_listener.hpp"
#include "node/node_core.hpp"

namespace elmo::test {

class LoopbackNode final : public daemon::ClientListenerEvents {
  public:
    LoopbackNode(asio::io_context& io, daemon::ClientListenerConfig cfg, std::uint8_t id = 1)
        : io_(io), timer_(io) {
        NodeCoreConfig nc;
        nc.id.fill(0);
        nc.id[0] = id;
        nc.endpoint = Endpoint::v4(0x7f000001u, 4222);
        nc.seed = 7;
        datagrams_.node = this;
        core_ = std::make_unique<NodeCore>(nc, datagrams_, overlay_, clients_);
        auto now = Clock::now();
        auto unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
        core_->mailbox_for_restore().set_wall_clock({now, unix_ms});
        auto l = daemon::ClientListener::open(io, std::move(cfg), *this);
        if (!l.ok()) throw std::runtime_error(l.error());
        listener_ = std::move(l).value();
        clients_.listener = listener_.get();
        drive(core_->on_start(now));
    }
    ~LoopbackNode() override { alive_.reset(); }

    std::uint16_t port() const { return listener_->port(); }
    Endpoint endpoint() const { return Endpoint::v4(0x7f000001u, port()); }
    NodeCore& core() { return *core_; }
    daemon::ClientListener& listener() { return *listener_; }
    std::vector<ClientHandle> connected, disconnected;
    std::size_t datagrams_dropped() const { return datagrams_.dropped; }

    void on_client_connected(ClientHandle h, const Endpoint&) override {
        connected.push_back(h);
        drive(core_->on_client_connected(Clock::now(), h));
    }
    void on_client_frame(ClientHandle h, ByteView frame) override {
        drive(core_->on_client_frame(Clock::now(), h, frame));
    }
    void on_client_disconnected(ClientHandle h) override {
        disconnected.push_back(h);
        drive(core_->on_client_disconnected(Clock::now(), h));
    }

  private:
    struct Datagrams : DatagramPort {
        LoopbackNode* node = nullptr;
        std::size_t dropped = 0;
        void send(const Endpoint& to, ByteView d) override {
            if (to != node->core_->endpoint()) {
                ++dropped;
                return;
            }
            std::weak_ptr<char> alive = node->alive_;
            asio::post(node->io_, [n = node, alive, data = Bytes(d.begin(), d.end())] {
                if (alive.expired()) return;
                n->drive(n->core_->on_datagram(Clock::now(), n->core_->endpoint(), data));
            });
        }
    };
    struct NoNeighbours : OverlayPort {
        std::vector<Neighbour> neighbours() const override { return {}; }
    };
    struct Clients : ClientPort {
        daemon::ClientListener* listener = nullptr;
        void send_to_client(ClientHandle c, ByteView f) override { listener->send_to_client(c, f); }
        void close_client(ClientHandle c) override { listener->close_client(c); }
    };

    void drive(TimePoint wake) {
        wake = std::min(wake, core_->next_wakeup());
        if (wake == TimePoint::max()) return;
        timer_.expires_at(wake);
        std::weak_ptr<char> alive = alive_;
        timer_.async_wait([this, alive](const asio::error_code& ec) {
            if (ec || alive.expired()) return;
            drive(core_->on_timer(Clock::now()));
        });
    }

    asio::io_context& io_;
    asio::steady_timer timer_;
    Datagrams datagrams_;
    NoNeighbours overlay_;
    Clients clients_;
    std::unique_ptr<NodeCore> core_;
    std::unique_ptr<daemon::ClientListener> listener_;
    std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace elmo::test
