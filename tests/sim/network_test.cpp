#include <gtest/gtest.h>

#include <vector>

#include "sim/network.hpp"

namespace elmo::sim {
namespace {

using namespace std::chrono_literals;

struct Sink : Receiver {
    Engine* engine = nullptr;
    std::vector<std::pair<HostId, Duration>> got;  // (from, arrival time)
    void on_datagram(HostId from, ByteView) override { got.emplace_back(from, engine->now()); }
};

const std::uint8_t dht_msg[] = {0x85, 1, 2, 3};  // fixmap: a DHT datagram
const std::uint8_t elmo_msg[] = {0xE1, 'x'};
const std::uint8_t junk_msg[] = {0x00, 0x01};

TEST(Network, AddressesAreLoopbackAndRoundTrip) {
    for (HostId h : {0u, 1u, 64511u, 64512u, 1000000u, 200000000u}) {
        const Endpoint e = Network::endpoint_of(h);
        EXPECT_EQ(e.addr[0], 127) << h;                      // 127.0.0.0/8 only
        EXPECT_LT(e.v4_host_order(), 0x7FFFFFFFu) << h;      // never the broadcast address
        EXPECT_GE(e.port, Network::first_port) << h;
        EXPECT_EQ(Network::host_of(e), h);
        const sockaddr_in sin = Network::sockaddr_of(h);
        EXPECT_EQ(Network::host_of(reinterpret_cast<const sockaddr*>(&sin), sizeof sin), h);
    }
    // The first 64,512 hosts share one IP (OpenDHT rewrites other loopback IPs: network.hpp).
    EXPECT_EQ(Network::endpoint_of(0).v4_host_order(), Network::endpoint_of(64511).v4_host_order());
    EXPECT_NE(Network::endpoint_of(0).v4_host_order(), Network::endpoint_of(64512).v4_host_order());
    EXPECT_EQ(Network::host_of(Endpoint::v4(0x0A000001, 4222)), no_host);
}

TEST(Network, PerLinkLatencyIsStableSymmetricAndInRange) {
    Engine e;
    Network net(e, NetworkConfig{}, 42);
    Duration lo = Duration::max(), hi = Duration::min();
    for (HostId a = 0; a < 50; ++a)
        for (HostId b = a + 1; b < 50; ++b) {
            const Duration d = net.latency(a, b);
            EXPECT_EQ(d, net.latency(b, a));
            EXPECT_EQ(d, net.latency(a, b));
            lo = std::min(lo, d);
            hi = std::max(hi, d);
        }
    EXPECT_GE(lo, Duration(20ms));
    EXPECT_LE(hi, Duration(150ms));
    EXPECT_LT(lo, Duration(30ms));  // the range is used, not one value
    EXPECT_GT(hi, Duration(140ms));
    Network other(e, NetworkConfig{}, 43);  // another seed, other links
    int same = 0;
    for (HostId b = 1; b < 50; ++b) same += other.latency(0, b) == net.latency(0, b);
    EXPECT_LT(same, 3);
}

TEST(Network, PerPacketLatencyAndJitter) {
    Engine e;
    NetworkConfig c;
    c.latency.model = LatencyConfig::Model::per_packet;
    c.latency.min = 10ms;
    c.latency.max = 20ms;
    c.latency.jitter = 5ms;
    Network net(e, c, 1);
    bool varied = false;
    const Duration first = net.latency(0, 1);
    for (int i = 0; i < 200; ++i) {
        const Duration d = net.latency(0, 1);
        EXPECT_GE(d, Duration(10ms));
        EXPECT_LE(d, Duration(25ms));
        varied |= d != first;
    }
    EXPECT_TRUE(varied);
}

TEST(Network, DeliversAfterLatencyAndCountsByClass) {
    Engine e;
    Network net(e, NetworkConfig{}, 7);
    Sink s;
    s.engine = &e;
    net.attach(1, &s);
    net.send(0, 1, dht_msg);
    net.send(0, 1, elmo_msg);
    net.send(0, 1, junk_msg);
    e.run_until(1s);
    ASSERT_EQ(s.got.size(), 3u);
    EXPECT_EQ(s.got[0].second, net.link_latency(0, 1));
    const auto& c0 = net.counters(0);
    const auto& c1 = net.counters(1);
    EXPECT_EQ(c0.sent[static_cast<int>(Traffic::dht)].messages, 1u);
    EXPECT_EQ(c0.sent[static_cast<int>(Traffic::dht)].bytes, sizeof dht_msg);
    EXPECT_EQ(c0.sent[static_cast<int>(Traffic::elmo)].messages, 1u);
    EXPECT_EQ(c0.sent[static_cast<int>(Traffic::unknown)].messages, 1u);
    EXPECT_EQ(c1.received[static_cast<int>(Traffic::dht)].messages, 1u);
    EXPECT_EQ(c1.received[static_cast<int>(Traffic::elmo)].bytes, sizeof elmo_msg);
    EXPECT_EQ(net.in_flight(), 0u);
}

TEST(Network, NobodyAtTheAddressIsACountedDrop) {
    Engine e;
    Network net(e, NetworkConfig{}, 7);
    Sink s;
    s.engine = &e;
    net.attach(1, &s);
    net.send(0, 2, dht_msg);        // nobody at host 2
    net.send(0, no_host, dht_msg);  // not a simulated address
    net.send(0, 1, dht_msg);
    net.detach(1);                  // gone before delivery
    e.run_until(1s);
    EXPECT_TRUE(s.got.empty());
    EXPECT_EQ(net.drops().no_host, 3u);
}

TEST(Network, IndependentLossAtTheConfiguredRate) {
    Engine e;
    NetworkConfig c;
    c.loss = 0.2;
    Network net(e, c, 99);
    Sink s;
    s.engine = &e;
    net.attach(1, &s);
    for (int i = 0; i < 10000; ++i) net.send(0, 1, elmo_msg);
    e.run_until(1s);
    EXPECT_EQ(s.got.size() + net.drops().lost, 10000u);
    EXPECT_NEAR(static_cast<double>(net.drops().lost) / 10000.0, 0.2, 0.02);
    // Sent counts include lost datagrams.
    EXPECT_EQ(net.counters(0).sent[static_cast<int>(Traffic::elmo)].messages, 10000u);
}

TEST(Network, PartitionGroupsCutLinksAndHealRestoresThem) {
    Engine e;
    Network net(e, NetworkConfig{}, 5);
    Sink s1, s2;
    s1.engine = s2.engine = &e;
    net.attach(1, &s1);
    net.attach(2, &s2);
    net.set_group(2, 1);  // host 2 alone on side 1
    EXPECT_TRUE(net.reachable(0, 1));
    EXPECT_FALSE(net.reachable(0, 2));
    net.send(0, 1, elmo_msg);
    net.send(0, 2, elmo_msg);
    e.run_until(1s);
    EXPECT_EQ(s1.got.size(), 1u);
    EXPECT_EQ(s2.got.size(), 0u);
    EXPECT_EQ(net.drops().partitioned, 1u);

    // A datagram in flight when the partition heals is delivered (links are checked at arrival).
    net.send(0, 2, elmo_msg);
    net.heal();
    e.run_until(2s);
    EXPECT_EQ(s2.got.size(), 1u);

    net.block_link(0, 1);
    EXPECT_FALSE(net.reachable(1, 0));  // links are symmetric
    net.send(1, 0, elmo_msg);
    net.send(0, 1, elmo_msg);
    e.run_until(3s);
    EXPECT_EQ(s1.got.size(), 1u);
    net.unblock_link(1, 0);
    EXPECT_TRUE(net.reachable(0, 1));
}

TEST(Network, ReceiverMaySendWhileReceiving) {
    // Sending from inside on_datagram grows the packet pool; the payload handed over must stay
    // valid while the receiver reads it.
    Engine e;
    Network net(e, NetworkConfig{}, 5);
    struct Echo : Receiver {
        Network* net;
        int n = 0;
        void on_datagram(HostId from, ByteView d) override {
            for (int i = 0; i < 64; ++i) net->send(1, from, d);  // grows the pool
            ++n;
            EXPECT_EQ(d[0], 0xE1);
        }
    } echo;
    echo.net = &net;
    Sink back;
    back.engine = &e;
    net.attach(1, &echo);
    net.attach(0, &back);
    net.send(0, 1, elmo_msg);
    e.run_until(1s);
    EXPECT_EQ(echo.n, 1);
    EXPECT_EQ(back.got.size(), 64u);
}

}  // namespace
}  // namespace elmo::sim
