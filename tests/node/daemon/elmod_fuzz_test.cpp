// 100,000 random and mutated datagrams at a running elmod's UDP port: every one is counted in
// its metrics (as a DHT datagram, an elmo datagram, a decode error or an unknown kind), the node
// stays up with bounded memory, and afterwards it still answers its metrics endpoint and a new
// DHT node that bootstraps from it.
#include <gtest/gtest.h>
#include <opendht/dht.h>
#include <opendht/network_utils.h>

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <csignal>
#include <cstring>
#include <map>
#include <random>
#include <sstream>
#include <variant>

#include "elmod_harness.hpp"
#include "temp_dir.hpp"
#include "wire/codec.hpp"

namespace elmo::daemon::test {
namespace {

// A dht::Dht in the test process over its own UDP socket, driven by hand; it keeps a copy of
// every datagram it sends and receives (real OpenDHT traffic to mutate).
class TestDhtNode {
  public:
    TestDhtNode(asio::io_context& io, std::uint32_t network, const std::string& name)
        : socket_(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
        socket_.non_blocking(true);
        dht::Config cfg;
        cfg.node_id = dht::InfoHash::get(name);
        cfg.network = network;
        dht_ = std::make_unique<dht::Dht>(std::make_unique<Socket>(*this), cfg, dht::Logger{});
    }
    void bootstrap(std::uint16_t port) {
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_port = htons(port);
        sin.sin_addr.s_addr = htonl(0x7f000001);
        dht_->pingNode(dht::SockAddr(reinterpret_cast<const sockaddr*>(&sin), sizeof sin));
    }
    // One round: every datagram waiting on the socket, then the DHT's timers.
    void pump() {
        const auto now = dht::clock::now();
        std::array<std::uint8_t, 65536> buf;
        asio::ip::udp::endpoint from;
        std::error_code ec;
        while (true) {
            const std::size_t n = socket_.receive_from(asio::buffer(buf), from, 0, ec);
            if (ec) break;
            captured.emplace_back(buf.begin(), buf.begin() + static_cast<long>(n));
            dht_->periodic(buf.data(), n, dht::SockAddr(from.data(), from.size()), now);
        }
        dht_->periodic(nullptr, 0, dht::SockAddr{}, now);
        dht_->updateStatus(AF_INET);
    }
    unsigned good_nodes() const { return dht_->getNodesStats(AF_INET).good_nodes; }
    std::vector<Bytes> captured;

  private:
    class Socket final : public dht::net::DatagramSocket {
      public:
        explicit Socket(TestDhtNode& n) : n_(n) {
            const auto ep = n.socket_.local_endpoint();
            bound_ = dht::SockAddr(ep.data(), ep.size());
        }
        int sendTo(const dht::SockAddr& dest, const uint8_t* data, size_t size, bool) override {
            n_.captured.emplace_back(data, data + size);
            asio::ip::udp::endpoint to;
            std::memcpy(to.data(), dest.get(), dest.getLength());
            to.resize(dest.getLength());
            std::error_code ec;
            n_.socket_.send_to(asio::buffer(data, size), to, 0, ec);
            return 0;
        }
        bool hasIPv4() const override { return true; }
        bool hasIPv6() const override { return false; }
        const dht::SockAddr& getBoundRef(sa_family_t) const override { return bound_; }
        void stop() override {}

      private:
        TestDhtNode& n_;
        dht::SockAddr bound_;
    };
    asio::ip::udp::socket socket_;
    std::unique_ptr<dht::Dht> dht_;
};

template <std::size_t... I>
std::vector<Bytes> every_message(std::index_sequence<I...>) {
    return {wire::encode(wire::Message(std::in_place_index<I>))...};
}

// One default-valued message of every type, plus an event push with a real event.
std::vector<Bytes> elmo_corpus() {
    auto out = every_message(std::make_index_sequence<std::variant_size_v<wire::Message>>{});
    wire::Event e;
    e.topic = "fuzz";
    e.publisher = Bytes{'p'};
    e.timestamp_ms = 1'800'000'000'000;
    e.expiry_ms = e.timestamp_ms + 1000;
    e.payload.assign(200, 7);
    e.seal();
    out.push_back(wire::encode(wire::EventPush{e}));
    return out;
}

Bytes mutate(Bytes d, std::mt19937_64& rng) {
    auto pick = [&](std::size_t n) {
        return static_cast<std::size_t>(rng() % std::max<std::size_t>(n, 1));
    };
    switch (rng() % 5) {
        case 0:  // flip a few bytes (keep the first byte sometimes, so decoders go deep)
            for (int i = 0, n = 1 + static_cast<int>(rng() % 4); i < n && d.size() > 1; ++i)
                d[1 + pick(d.size() - 1)] ^= static_cast<std::uint8_t>(1 + rng() % 255);
            break;
        case 1:  // truncate
            d.resize(pick(d.size()));
            break;
        case 2:  // append garbage
            for (int i = 0, n = 1 + static_cast<int>(rng() % 64); i < n; ++i)
                d.push_back(static_cast<std::uint8_t>(rng()));
            break;
        case 3:  // msgpack length markers where they hurt
            if (d.size() > 2) d[1 + pick(d.size() - 1)] = (rng() & 1) ? 0xdd : 0xdb;
            break;
        default:  // duplicate a slice
            if (!d.empty()) {
                const std::size_t a = pick(d.size());
                const std::size_t b = a + pick(d.size() - a);
                d.insert(d.begin() + static_cast<long>(pick(d.size())),
                         d.begin() + static_cast<long>(a), d.begin() + static_cast<long>(b));
            }
    }
    if (d.size() > 65000) d.resize(65000);
    return d;
}

TEST(ElmodFuzz, HundredThousandBadDatagramsAreCountedAndTheNodeKeepsAnswering) {
    TempDir dir;
    Elmod node(NodeSpec::fresh(dir / "data"), dir / "elmod.log");
    ASSERT_TRUE(poll_until(20s, [&] { return node.metrics().has_value(); }))
        << node.process().log();
    const std::uint32_t network = 0x454c4d4f;  // elmod's default

    // Real OpenDHT traffic with the daemon, to mutate.
    asio::io_context io;
    TestDhtNode probe(io, network, "probe-1");
    probe.bootstrap(node.spec().port);
    ASSERT_TRUE(poll_until(
        20s,
        [&] {
            probe.pump();
            return probe.good_nodes() >= 1;
        },
        20ms));
    std::vector<Bytes> dht_corpus = probe.captured;
    ASSERT_FALSE(dht_corpus.empty());
    const std::vector<Bytes> elmo = elmo_corpus();

    const long rss_before = node.process().rss_kib();
    const double in_before = node.sample("elmo_udp_datagrams_in_total").value_or(-1);
    ASSERT_GE(in_before, 0);

    asio::ip::udp::socket out(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const asio::ip::udp::endpoint target(asio::ip::make_address("127.0.0.1"), node.spec().port);
    std::mt19937_64 rng(20240501);
    constexpr int total = 100'000;
    constexpr int batch = 250;
    int sent = 0;
    while (sent < total && node.process().running()) {
        for (int i = 0; i < batch && sent < total; ++i, ++sent) {
            Bytes d;
            const auto kind = rng() % 10;
            if (kind < 4)
                d = mutate(elmo[rng() % elmo.size()], rng);
            else if (kind < 7)
                d = mutate(dht_corpus[rng() % dht_corpus.size()], rng);
            else if (kind < 9) {
                d.resize(rng() % 1500);
                for (auto& b : d) b = static_cast<std::uint8_t>(rng());
            } else {
                d = elmo[rng() % elmo.size()];
            }
            std::error_code ec;
            out.send_to(asio::buffer(d), target, 0, ec);
        }
        // Pace to the daemon (the kernel drops what overflows its receive buffer).
        poll_until(
            2s,
            [&] {
                auto in = node.sample("elmo_udp_datagrams_in_total");
                return in && *in - in_before >= sent;
            },
            2ms);
    }
    ASSERT_TRUE(node.process().running()) << node.process().log();
    auto text = node.metrics();
    ASSERT_TRUE(text) << "metrics endpoint stopped answering";
    const double received = metric(*text, "elmo_udp_datagrams_in_total").value_or(0) - in_before;
    EXPECT_GE(received, 0.99 * total);
    // Every datagram received is accounted for exactly once, by kind.
    double elmo_received = 0;
    {
        std::istringstream lines(*text);
        std::string line;
        while (std::getline(lines, line))
            if (line.rfind("elmo_messages_total{direction=\"in\"", 0) == 0)
                elmo_received += std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
    }
    const double dht_in = metric(*text, "elmo_dht_datagrams_in_total").value_or(0);
    const double unknown =
        metric(*text, "elmo_udp_drops_total{reason=\"unknown_kind\"}").value_or(0);
    EXPECT_EQ(elmo_received + dht_in + unknown,
              metric(*text, "elmo_udp_datagrams_in_total").value_or(-1));
    // The garbage shows up as decode errors by code.
    EXPECT_GE(metric_sum(*text, "elmo_decode_errors_total"), 0.2 * total);
    EXPECT_GE(unknown, 0.1 * total);
    std::printf(
        "received %.0f: elmo %.0f (decode errors %.0f), dht %.0f, unknown %.0f; "
        "dht exceptions %.0f; rss %ld -> %ld KiB\n",
        received, elmo_received, metric_sum(*text, "elmo_decode_errors_total"), dht_in, unknown,
        metric(*text, "elmo_dht_exceptions_total").value_or(-1), rss_before,
        node.process().rss_kib());

    // Memory stays bounded.
    const long rss_after = node.process().rss_kib();
    EXPECT_LT(rss_after, rss_before + 64 * 1024);
    EXPECT_LT(rss_after, 256 * 1024);

    // Its DHT still answers: a new node bootstraps from it.
    TestDhtNode late(io, network, "probe-2");
    late.bootstrap(node.spec().port);
    EXPECT_TRUE(poll_until(
        20s,
        [&] {
            late.pump();
            return late.good_nodes() >= 1;
        },
        20ms));
    node.process().signal(SIGTERM);
    auto e = node.process().wait(10s);
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->exited);
    EXPECT_EQ(e->code, 0);
}

}  // namespace
}  // namespace elmo::daemon::test
