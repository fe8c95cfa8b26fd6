// The daemon's client listener over loopback: echo over TLS and plain TCP, and the hostile
// cases (garbage instead of a ClientHello, half-finished handshakes, oversized frames, slow
// readers, too many clients), each counted while the listener keeps serving real clients.
#include "node/daemon/listener/client_listener.hpp"

#include <gtest/gtest.h>

#include <map>

#include "tests/transport/loopback.hpp"
#include "transport/frame_stream.hpp"
#include "transport/tls_session.hpp"

namespace elmo::daemon {
namespace {

using test::FramedClient;
using test::RawClient;
using test::run_until;
using transport::CloseReason;

// Echoes every frame back, unless a test installs its own frame hook.
struct EchoEvents : ClientListenerEvents {
    ClientListener* listener = nullptr;
    std::vector<ClientHandle> connected, disconnected;
    std::map<ClientHandle, Endpoint> peers;
    std::function<void(ClientHandle, ByteView)> hook;
    void on_client_connected(ClientHandle h, const Endpoint& peer) override {
        connected.push_back(h);
        peers[h] = peer;
    }
    void on_client_frame(ClientHandle h, ByteView f) override {
        if (hook)
            hook(h, f);
        else
            listener->send_to_client(h, f);
    }
    void on_client_disconnected(ClientHandle h) override { disconnected.push_back(h); }
};

class ListenerTest : public ::testing::Test {
  protected:
    void open(ClientListenerConfig cfg = {}) {
        cfg.identity = {test::test_identity().certificate_pem,
                        test::test_identity().private_key_pem};
        auto l = ClientListener::open(io, cfg, events);
        ASSERT_TRUE(l.ok()) << l.error();
        listener = std::move(l).value();
        events.listener = listener.get();
    }
    std::unique_ptr<FramedClient> client(bool plain = false) {
        return FramedClient::connect(io, listener->port(), plain);
    }
    // A client that completed the handshake and got one echo back.
    void expect_echo(FramedClient& c, std::string_view text) {
        ASSERT_TRUE(run_until(io, [&] { return c.open || c.closed; }));
        ASSERT_TRUE(c.open);
        std::size_t before = c.frames.size();
        ASSERT_TRUE(c.conn->send(as_bytes(text)));
        ASSERT_TRUE(run_until(io, [&] { return c.frames.size() > before || c.closed; }));
        ASSERT_GT(c.frames.size(), before);
        EXPECT_EQ(std::string(c.frames.back().begin(), c.frames.back().end()), text);
    }
    const ClientListenerStats& stats() { return listener->stats(); }

    asio::io_context io;
    EchoEvents events;
    std::unique_ptr<ClientListener> listener;
};

TEST_F(ListenerTest, EchoOverTls) {
    open();
    auto c = client();
    expect_echo(*c, "hello");
    ASSERT_TRUE(c->conn->peer_fingerprint().has_value());
    EXPECT_EQ(*c->conn->peer_fingerprint(),
              *transport::certificate_fingerprint(test::test_identity().certificate_pem));
    // A frame of the maximum size and several frames in one go.
    Bytes big(65'536, 0x5a);
    ASSERT_TRUE(c->conn->send(big));
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(c->conn->send(as_bytes("x")));
    ASSERT_TRUE(run_until(io, [&] { return c->frames.size() == 12; }));
    EXPECT_EQ(c->frames[1], big);
    EXPECT_EQ(stats().accepted, 1u);
    EXPECT_EQ(stats().open, 1u);
    EXPECT_EQ(stats().frames_in, 12u);
    EXPECT_EQ(stats().frames_out, 12u);
    EXPECT_EQ(stats().bytes_in, 5u + 65'536u + 10u);
    ASSERT_EQ(events.connected.size(), 1u);
    EXPECT_EQ(events.connected[0], 1u);  // handles start at 1
    EXPECT_EQ(events.peers[1].to_string().rfind("127.0.0.1:", 0), 0u);

    c->conn->close();
    ASSERT_TRUE(run_until(io, [&] { return events.disconnected.size() == 1; }));
    EXPECT_EQ(stats().closed_by_peer, 1u);
    EXPECT_EQ(stats().open, 0u);
}

TEST_F(ListenerTest, EchoOverPlainTcp) {
    ClientListenerConfig cfg;
    cfg.plain_tcp = true;
    open(cfg);
    auto c = client(/*plain=*/true);
    expect_echo(*c, "plain hello");
    EXPECT_EQ(stats().open, 1u);
}

TEST_F(ListenerTest, PlainClientOnTlsPortFailsTheHandshake) {
    open();
    RawClient raw(io, listener->port());
    raw.write(transport::encode_frame(as_bytes("not TLS")));
    ASSERT_TRUE(run_until(io, [&] { return raw.closed_by_peer(); }));
    ASSERT_TRUE(run_until(io, [&] { return stats().handshake_failed == 1; }));
    EXPECT_TRUE(events.connected.empty());
}

TEST_F(ListenerTest, GarbageInsteadOfClientHelloIsCountedAndOthersAreServed) {
    open();
    auto good = client();
    expect_echo(*good, "before");
    std::vector<std::unique_ptr<RawClient>> raws;
    for (int i = 0; i < 5; ++i) {
        raws.push_back(std::make_unique<RawClient>(io, listener->port()));
        Bytes junk(1000);
        for (std::size_t j = 0; j < junk.size(); ++j)
            junk[j] = static_cast<std::uint8_t>(j * 31 + static_cast<std::size_t>(i));
        raws.back()->write(junk);
    }
    ASSERT_TRUE(run_until(io, [&] { return stats().handshake_failed == 5; }));
    for (auto& r : raws) ASSERT_TRUE(run_until(io, [&] { return r->closed_by_peer(); }));
    expect_echo(*good, "after");
    EXPECT_EQ(events.connected.size(), 1u);  // the junk never reached the core
    EXPECT_TRUE(events.disconnected.empty());
}

TEST_F(ListenerTest, HalfFinishedHandshakeIsCutAtTheDeadline) {
    ClientListenerConfig cfg;
    cfg.handshake_timeout = std::chrono::milliseconds(200);
    open(cfg);
    // The first bytes of a real ClientHello, then silence.
    auto tls = transport::TlsSession::create(transport::TlsSession::Role::client,
                                             transport::TlsCredentials::client().value())
                   .value();
    ASSERT_TRUE(tls->handshake().ok());
    Bytes hello = tls->take_output();
    ASSERT_GT(hello.size(), 20u);
    RawClient half(io, listener->port());
    half.write(ByteView(hello).first(20));
    RawClient silent(io, listener->port());  // connects and says nothing at all
    auto good = client();
    expect_echo(*good, "still served");
    ASSERT_TRUE(run_until(io, [&] { return stats().handshake_timeout == 2; }));
    ASSERT_TRUE(run_until(io, [&] { return half.closed_by_peer() && silent.closed_by_peer(); }));
    EXPECT_EQ(stats().handshake_failed, 0u);
    expect_echo(*good, "and after");
    EXPECT_EQ(stats().open, 1u);
}

TEST_F(ListenerTest, CorruptRecordAfterTheHandshakeClosesOnlyThatClient) {
    open();
    auto good = client();
    expect_echo(*good, "before");
    // A hand-driven TLS client over a raw socket, so that it can corrupt a record.
    auto tls = transport::TlsSession::create(transport::TlsSession::Role::client,
                                             transport::TlsCredentials::client().value())
                   .value();
    RawClient raw(io, listener->port());
    ASSERT_TRUE(tls->handshake().ok());
    raw.write(tls->take_output());
    ASSERT_TRUE(run_until(io, [&] {
        raw.closed_by_peer();
        if (!raw.received.empty()) {
            tls->feed(raw.received);
            raw.received.clear();
            EXPECT_TRUE(tls->handshake().ok());
            if (tls->has_output()) raw.write(tls->take_output());
        }
        return tls->state() == transport::TlsSession::State::established;
    }));
    ASSERT_TRUE(run_until(io, [&] { return events.connected.size() == 2; }));
    ASSERT_TRUE(tls->write(transport::encode_frame(as_bytes("tampered"))).ok());
    Bytes record = tls->take_output();
    record.back() ^= 0x01;
    raw.write(record);
    ASSERT_TRUE(run_until(io, [&] { return events.disconnected.size() == 1; }));
    EXPECT_EQ(events.disconnected[0], events.connected[1]);
    EXPECT_EQ(stats().closed_by_peer, 1u);
    EXPECT_EQ(stats().frames_in, 1u);  // only the good client's frame got through
    expect_echo(*good, "after");
}

TEST_F(ListenerTest, OversizedFrameClosesTheConnection) {
    ClientListenerConfig cfg;
    cfg.max_frame_bytes = 1024;
    open(cfg);
    auto bad = client();
    auto good = client();
    expect_echo(*bad, "fine");
    expect_echo(*good, "fine too");
    ASSERT_TRUE(bad->conn->send(Bytes(1025, 1)));
    ASSERT_TRUE(run_until(io, [&] { return bad->closed.has_value(); }));
    EXPECT_EQ(stats().oversized_frames, 1u);
    ASSERT_TRUE(run_until(io, [&] { return events.disconnected.size() == 1; }));
    EXPECT_EQ(events.disconnected[0], events.connected[0]);
    expect_echo(*good, "unaffected");
}

TEST_F(ListenerTest, HostileLengthPrefixesInPlainMode) {
    ClientListenerConfig cfg;
    cfg.plain_tcp = true;
    cfg.max_frame_bytes = 1024;
    open(cfg);
    RawClient huge(io, listener->port());
    huge.write(Bytes{0xff, 0xff, 0xff, 0xff});
    RawClient zero(io, listener->port());
    zero.write(Bytes{0, 0, 0, 0});
    ASSERT_TRUE(run_until(io, [&] { return huge.closed_by_peer() && zero.closed_by_peer(); }));
    ASSERT_TRUE(run_until(io, [&] { return events.disconnected.size() == 2; }));
    EXPECT_EQ(stats().oversized_frames, 1u);
    EXPECT_EQ(stats().empty_frames, 1u);
}

TEST_F(ListenerTest, SlowReaderIsClosed) {
    ClientListenerConfig cfg;
    cfg.plain_tcp = true;
    cfg.max_queued_bytes = 256 * 1024;
    open(cfg);
    RawClient slow(io, listener->port());  // never reads
    slow.write(transport::encode_frame(as_bytes("hi")));
    auto good = client(/*plain=*/true);
    expect_echo(*good, "fast reader");
    ASSERT_TRUE(run_until(io, [&] { return events.connected.size() == 2; }));
    ClientHandle h = events.connected[0];
    Bytes chunk(32 * 1024, 7);
    // Feed the slow client, one chunk per handler run, until the kernel's buffers are full and
    // the queue passes the bound: megabytes were written before that.
    ASSERT_TRUE(run_until(io, [&] {
        listener->send_to_client(h, chunk);
        return stats().closed_slow == 1;
    }));
    EXPECT_GT(stats().frames_out * chunk.size(), 2 * cfg.max_queued_bytes);
    ASSERT_TRUE(run_until(io, [&] { return events.disconnected.size() == 1; }));
    EXPECT_EQ(events.disconnected[0], h);
    auto dropped = stats().frames_dropped_closed;
    listener->send_to_client(h, chunk);
    EXPECT_EQ(stats().frames_dropped_closed, dropped + 1);
    expect_echo(*good, "unaffected");
}

TEST_F(ListenerTest, MaxClientsRefusesTheExtraConnection) {
    ClientListenerConfig cfg;
    cfg.max_clients = 2;
    open(cfg);
    auto a = client();
    auto b = client();
    expect_echo(*a, "a");
    expect_echo(*b, "b");
    RawClient extra(io, listener->port());
    ASSERT_TRUE(run_until(io, [&] { return extra.closed_by_peer(); }));
    EXPECT_EQ(stats().refused_max_clients, 1u);
    EXPECT_EQ(stats().accepted, 2u);
    expect_echo(*a, "a again");
    // A slot freed is usable again.
    b->conn->close();
    ASSERT_TRUE(run_until(io, [&] { return events.disconnected.size() == 1; }));
    auto c = client();
    expect_echo(*c, "c");
}

TEST_F(ListenerTest, CloseFromWithinFrameHandlerFlushesAndReportsLater) {
    open();
    bool reported_inside = false;
    events.hook = [&](ClientHandle h, ByteView) {
        listener->send_to_client(h, as_bytes("bye"));
        listener->close_client(h);
        listener->close_client(h);  // twice: still one disconnection
        reported_inside = !events.disconnected.empty();
    };
    auto c = client();
    ASSERT_TRUE(run_until(io, [&] { return c->open; }));
    ASSERT_TRUE(c->conn->send(as_bytes("please close")));
    ASSERT_TRUE(run_until(io, [&] { return events.disconnected.size() == 1; }));
    EXPECT_FALSE(reported_inside);
    // The last frame reached the client before the connection closed.
    ASSERT_TRUE(run_until(io, [&] { return c->closed.has_value(); }));
    ASSERT_EQ(c->frames.size(), 1u);
    EXPECT_EQ(std::string(c->frames[0].begin(), c->frames[0].end()), "bye");
    EXPECT_EQ(*c->closed, CloseReason::peer);
    EXPECT_EQ(stats().closed_by_core, 1u);
    EXPECT_EQ(stats().closed_by_peer, 0u);
    // Nothing more is reported for that handle.
    run_until(
        io, [] { return false; }, std::chrono::milliseconds(50));
    EXPECT_EQ(events.disconnected.size(), 1u);
}

TEST_F(ListenerTest, HandlesAreNeverReused) {
    open();
    std::vector<ClientHandle> seen;
    for (int i = 0; i < 3; ++i) {
        auto c = client();
        expect_echo(*c, "x");
        c->conn->close();
        ASSERT_TRUE(run_until(io, [&] { return events.disconnected.size() == seen.size() + 1; }));
        seen.push_back(events.disconnected.back());
    }
    EXPECT_EQ(seen, (std::vector<ClientHandle>{1, 2, 3}));
}

TEST_F(ListenerTest, StopClosesEveryConnectionOnce) {
    open();
    auto a = client();
    auto b = client();
    expect_echo(*a, "a");
    expect_echo(*b, "b");
    RawClient handshaking(io, listener->port());
    listener->stop();
    EXPECT_TRUE(events.disconnected.empty());  // reported from handlers, not inside stop()
    ASSERT_TRUE(run_until(io, [&] { return events.disconnected.size() == 2; }));
    ASSERT_TRUE(run_until(io, [&] { return a->closed && b->closed; }));
    run_until(
        io, [] { return false; }, std::chrono::milliseconds(50));
    EXPECT_EQ(events.disconnected.size(), 2u);
    EXPECT_EQ(stats().open, 0u);
    asio::ip::tcp::socket s(io);
    asio::error_code ec;
    s.connect(test::loopback(listener->port()), ec);
    EXPECT_TRUE(ec);  // no longer listening
}

TEST_F(ListenerTest, ManyTlsClientsAtOnce) {
    open();
    std::vector<std::unique_ptr<FramedClient>> clients;
    for (int i = 0; i < 50; ++i) clients.push_back(client());
    ASSERT_TRUE(run_until(io, [&] { return stats().open == 50; }));
    for (auto& c : clients) ASSERT_TRUE(run_until(io, [&] { return c->open; }));
    for (std::size_t i = 0; i < clients.size(); ++i)
        ASSERT_TRUE(clients[i]->conn->send(as_bytes(std::to_string(i))));
    ASSERT_TRUE(run_until(io, [&] {
        for (auto& c : clients)
            if (c->frames.empty()) return false;
        return true;
    }));
    for (std::size_t i = 0; i < clients.size(); ++i)
        EXPECT_EQ(std::string(clients[i]->frames[0].begin(), clients[i]->frames[0].end()),
                  std::to_string(i));
}

TEST(ListenerOpen, ErrorsAreMessages) {
    asio::io_context io;
    EchoEvents events;
    ClientListenerConfig cfg;  // TLS without an identity
    auto r = ClientListener::open(io, cfg, events);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("identity"), std::string::npos);

    cfg.plain_tcp = true;
    cfg.bind = "not-an-address";
    r = ClientListener::open(io, cfg, events);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("not-an-address"), std::string::npos);

    cfg.bind = "127.0.0.1";
    auto first = ClientListener::open(io, cfg, events);
    ASSERT_TRUE(first.ok());
    cfg.port = (*first)->port();
    r = ClientListener::open(io, cfg, events);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("in use"), std::string::npos) << r.error();
}

TEST(ListenerOpen, DestroyedWithWorkPendingIsSafe) {
    asio::io_context io;
    EchoEvents events;
    ClientListenerConfig cfg;
    cfg.plain_tcp = true;
    auto l = ClientListener::open(io, cfg, events);
    ASSERT_TRUE(l.ok());
    events.listener = l->get();
    auto c = FramedClient::connect(io, (*l)->port(), true);
    ASSERT_TRUE(run_until(io, [&] { return c->open && events.connected.size() == 1; }));
    (*l)->close_client(events.connected[0]);  // a disconnection report is now posted
    l = Err{std::string("gone")};             // destroys the listener
    run_until(io, [&] { return c->closed.has_value(); });
    EXPECT_TRUE(events.disconnected.empty());
}

}  // namespace
}  // namespace elmo::daemon
