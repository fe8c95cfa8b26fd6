// The shape check in front of OpenDHT's parser: everything real OpenDHT nodes send passes it,
// and the datagram shapes that crash OpenDHT 2.4.12 (found by fuzzing elmod) do not.
#include "node/daemon/dht_guard.hpp"

#include <gtest/gtest.h>
#include <opendht/dht.h>
#include <opendht/network_utils.h>

#include <deque>
#include <msgpack.hpp>

namespace elmo::daemon {
namespace {

struct Packet {
    dht::SockAddr from, to;
    Bytes data;
};

class CapturingSocket final : public dht::net::DatagramSocket {
  public:
    CapturingSocket(dht::SockAddr bound, std::deque<Packet>& wire) : bound_(bound), wire_(wire) {}
    int sendTo(const dht::SockAddr& dest, const uint8_t* data, size_t size, bool) override {
        wire_.push_back(Packet{bound_, dest, Bytes(data, data + size)});
        return 0;
    }
    bool hasIPv4() const override { return true; }
    bool hasIPv6() const override { return false; }
    const dht::SockAddr& getBoundRef(sa_family_t) const override { return bound_; }
    void stop() override {}

  private:
    dht::SockAddr bound_;
    std::deque<Packet>& wire_;
};

dht::SockAddr loopback(in_port_t port) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(0x7f000001);
    return dht::SockAddr(reinterpret_cast<const sockaddr*>(&sin), sizeof sin);
}

TEST(DhtGuard, RealOpenDhtTrafficPasses) {
    std::deque<Packet> wire;
    dht::Config cfg;
    cfg.network = 9;
    cfg.max_req_per_sec = -1;
    cfg.max_peer_req_per_sec = -1;
    std::vector<dht::SockAddr> addrs{loopback(5000), loopback(5001), loopback(5002)};
    std::vector<std::unique_ptr<dht::Dht>> nodes;
    for (std::size_t i = 0; i < addrs.size(); ++i) {
        cfg.node_id = dht::InfoHash::get("guard" + std::to_string(i));
        nodes.push_back(std::make_unique<dht::Dht>(
            std::make_unique<CapturingSocket>(addrs[i], wire), cfg, dht::Logger{}));
    }
    auto now = dht::clock::now();
    for (std::size_t i = 1; i < nodes.size(); ++i) nodes[i]->pingNode(addrs[0]);
    std::size_t seen = 0;
    auto pump = [&](int rounds) {
        for (int r = 0; r < rounds; ++r) {
            while (!wire.empty()) {
                Packet p = std::move(wire.front());
                wire.pop_front();
                ++seen;
                EXPECT_EQ(check_dht_datagram(p.data), DhtGuardVerdict::pass);
                for (std::size_t i = 0; i < addrs.size(); ++i)
                    if (addrs[i] == p.to)
                        nodes[i]->periodic(p.data.data(), p.data.size(), p.from, now);
            }
            for (auto& n : nodes) {
                n->periodic(nullptr, 0, {}, now);
                n->updateStatus(AF_INET);
            }
            now += std::chrono::milliseconds(50);
        }
    };
    pump(100);
    const auto key = dht::InfoHash::get("key");
    nodes[1]->put(key, dht::Value(std::vector<uint8_t>(3000, 1)), [](bool) {});
    nodes[2]->listen(key,
                     [](const std::vector<std::shared_ptr<dht::Value>>&, bool) { return true; });
    pump(100);
    nodes[0]->get(
        key, [](const std::vector<std::shared_ptr<dht::Value>>&) { return true; }, [](bool) {}, {},
        dht::Where().id(5));
    pump(100);
    EXPECT_GE(seen, 30u);
    for (auto& n : nodes) n->shutdown({}, true);
}

Bytes pack(const std::function<void(msgpack::packer<msgpack::sbuffer>&)>& f) {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk(&buf);
    f(pk);
    return Bytes(buf.data(), buf.data() + buf.size());
}

TEST(DhtGuard, ShapesThatCrashOpenDhtAreRefused) {
    for (const char* body : {"a", "r", "u"}) {
        SCOPED_TRACE(body);
        EXPECT_EQ(check_dht_datagram(pack([&](auto& pk) {
                      pk.pack_map(1);
                      pk.pack(body);
                      pk.pack(-19);
                  })),
                  DhtGuardVerdict::bad_shape);
        EXPECT_EQ(check_dht_datagram(pack([&](auto& pk) {
                      pk.pack_map(1);
                      pk.pack(body);
                      pk.pack("text");
                  })),
                  DhtGuardVerdict::bad_shape);
    }
    EXPECT_EQ(check_dht_datagram(pack([](auto& pk) {
                  pk.pack_map(1);
                  pk.pack("e");
                  pk.pack_array(0);
              })),
              DhtGuardVerdict::bad_shape);
    EXPECT_EQ(check_dht_datagram(pack([](auto& pk) { pk.pack(5); })), DhtGuardVerdict::not_a_map);
    EXPECT_EQ(check_dht_datagram(Bytes{0x85, 0xa1}), DhtGuardVerdict::not_msgpack);
    EXPECT_EQ(check_dht_datagram(Bytes{}), DhtGuardVerdict::not_msgpack);
    // Deeper nesting than any OpenDHT message.
    EXPECT_EQ(check_dht_datagram(pack([](auto& pk) {
                  for (int i = 0; i < 40; ++i) {
                      pk.pack_map(1);
                      pk.pack("x");
                  }
                  pk.pack(1);
              })),
              DhtGuardVerdict::not_msgpack);
}

}  // namespace
}  // namespace elmo::daemon
