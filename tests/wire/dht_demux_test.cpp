// The first-byte rule against real OpenDHT datagrams: two dht::Dht instances exchange pings,
// searches, puts and gets over a capturing in-memory socket; every datagram they emit must be
// classified as DHT (never elmo), and elmo's decoder must refuse it as bad_magic.
#include <gtest/gtest.h>
#include <opendht/dht.h>
#include <opendht/network_utils.h>

#include <arpa/inet.h>

#include <deque>
#include <set>

#include "wire/codec.hpp"
#include "wire/datagram_kind.hpp"

namespace elmo::wire {
namespace {

struct Packet {
    dht::SockAddr from, to;
    Bytes data;
};

class CapturingSocket : public dht::net::DatagramSocket {
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

dht::SockAddr loopback(const char* ip, in_port_t port) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    inet_pton(AF_INET, ip, &sin.sin_addr);
    return dht::SockAddr(reinterpret_cast<const sockaddr*>(&sin), sizeof sin);
}

TEST(WireDhtDemux, RealOpenDhtDatagramsAreNeverElmo) {
    std::deque<Packet> wire;
    dht::Config cfg;
    cfg.network = 77;
    cfg.max_req_per_sec = -1;
    cfg.max_peer_req_per_sec = -1;
    std::vector<dht::SockAddr> addrs{loopback("127.0.0.1", 4222), loopback("127.0.0.2", 4222),
                                     loopback("127.0.0.3", 4222)};
    std::vector<std::unique_ptr<dht::Dht>> nodes;
    for (std::size_t i = 0; i < addrs.size(); ++i) {
        cfg.node_id = dht::InfoHash::get("node" + std::to_string(i));
        std::unique_ptr<dht::net::DatagramSocket> sock =
            std::make_unique<CapturingSocket>(addrs[i], wire);
        nodes.push_back(std::make_unique<dht::Dht>(std::move(sock), cfg, dht::Logger{}));
    }
    auto now = dht::clock::now();
    for (std::size_t i = 1; i < nodes.size(); ++i) nodes[i]->pingNode(addrs[0]);

    std::vector<Bytes> captured;
    auto pump = [&](dht::time_point until) {
        while (now < until) {
            while (!wire.empty()) {
                Packet p = std::move(wire.front());
                wire.pop_front();
                captured.push_back(p.data);
                for (std::size_t i = 0; i < addrs.size(); ++i)
                    if (addrs[i] == p.to)
                        nodes[i]->periodic(p.data.data(), p.data.size(), p.from, now);
            }
            for (auto& n : nodes) n->periodic(nullptr, 0, {}, now);
            now += std::chrono::milliseconds(50);
        }
    };
    pump(now + std::chrono::seconds(5));
    bool put_done = false, got = false;
    nodes[1]->put(dht::InfoHash::get("key"), dht::Value(std::vector<uint8_t>{1, 2, 3}),
                  [&](bool ok) { put_done = ok; });
    pump(now + std::chrono::seconds(5));
    nodes[2]->get(
        dht::InfoHash::get("key"), [&](const std::vector<std::shared_ptr<dht::Value>>&) {
            got = true;
            return true;
        },
        [](bool) {});
    pump(now + std::chrono::seconds(5));
    EXPECT_TRUE(put_done);
    EXPECT_TRUE(got);

    ASSERT_GE(captured.size(), 10u);
    std::set<std::uint8_t> first_bytes;
    for (const auto& d : captured) {
        ASSERT_FALSE(d.empty());
        first_bytes.insert(d[0]);
        EXPECT_EQ(classify(d), DatagramKind::dht) << "first byte " << int(d[0]);
        auto r = decode(d);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, DecodeErrorCode::bad_magic);
    }
    for (auto b : first_bytes) std::printf("OpenDHT first byte seen: 0x%02x\n", b);
    std::printf("%zu OpenDHT datagrams captured\n", captured.size());
    for (auto& n : nodes) n->shutdown({}, true);
}

TEST(WireDhtDemux, ElmoMagicIsNoMsgpackMap) {
    EXPECT_EQ(classify_first_byte(elmo_magic), DatagramKind::elmo);
    for (int b = 0x80; b <= 0x8f; ++b)
        EXPECT_EQ(classify_first_byte(static_cast<std::uint8_t>(b)), DatagramKind::dht);
    EXPECT_EQ(classify_first_byte(0xde), DatagramKind::dht);
    EXPECT_EQ(classify_first_byte(0xdf), DatagramKind::dht);
    EXPECT_EQ(classify_first_byte(0x00), DatagramKind::unknown);
    EXPECT_EQ(classify(Bytes{}), DatagramKind::unknown);
}

}  // namespace
}  // namespace elmo::wire
