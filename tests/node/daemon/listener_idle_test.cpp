// The client listener's idle timeout over loopback: a connection that sends no frame for the
// timeout is closed and counted, one that keeps sending is served throughout; and
// stop_accepting (a graceful stop's drain). The listener's other bounds are tested in
// tests/transport/client_listener_test.cpp.
#include <gtest/gtest.h>

#include "node/daemon/listener/client_listener.hpp"
#include "tests/transport/loopback.hpp"

namespace elmo::daemon {
namespace {

using namespace std::chrono_literals;

struct Events : ClientListenerEvents {
    ClientListener* listener = nullptr;
    std::vector<ClientHandle> connected, disconnected;
    void on_client_connected(ClientHandle h, const Endpoint&) override { connected.push_back(h); }
    void on_client_frame(ClientHandle h, ByteView f) override { listener->send_to_client(h, f); }
    void on_client_disconnected(ClientHandle h) override { disconnected.push_back(h); }
};

TEST(ListenerIdle, SilentClientIsClosedAndCountedWhileABusyOneIsServed) {
    asio::io_context io;
    Events events;
    ClientListenerConfig cfg;
    cfg.plain_tcp = true;
    cfg.idle_timeout = 300ms;
    auto l = ClientListener::open(io, cfg, events);
    ASSERT_TRUE(l.ok()) << l.error();
    auto listener = std::move(l).value();
    events.listener = listener.get();

    auto busy = test::FramedClient::connect(io, listener->port(), true);
    auto silent = test::FramedClient::connect(io, listener->port(), true);
    ASSERT_TRUE(test::run_until(io, [&] { return events.connected.size() == 2; }));
    const auto start = std::chrono::steady_clock::now();
    // The busy client sends a frame every 100 ms (a third of the timeout) for 1.2 s.
    std::size_t sent = 0;
    ASSERT_FALSE(test::run_until(
        io,
        [&] {
            const auto elapsed = std::chrono::steady_clock::now() - start;
            if (elapsed >= sent * 100ms) {
                const std::uint8_t b[] = {'x'};
                EXPECT_TRUE(busy->conn->send(ByteView(b)));
                ++sent;
            }
            return busy->closed.has_value();
        },
        1200ms));
    EXPECT_TRUE(silent->closed.has_value());
    EXPECT_EQ(listener->stats().closed_idle, 1u);
    EXPECT_EQ(events.disconnected.size(), 1u);
    EXPECT_GE(busy->frames.size(), 10u);  // echoed all along
    EXPECT_EQ(listener->stats().open, 1u);
}

TEST(ListenerIdle, ZeroMeansNever) {
    asio::io_context io;
    Events events;
    ClientListenerConfig cfg;
    cfg.plain_tcp = true;  // idle_timeout defaults to zero
    auto listener = std::move(ClientListener::open(io, cfg, events)).value();
    events.listener = listener.get();
    auto silent = test::FramedClient::connect(io, listener->port(), true);
    ASSERT_TRUE(test::run_until(io, [&] { return events.connected.size() == 1; }));
    EXPECT_FALSE(test::run_until(
        io, [&] { return silent->closed.has_value(); }, 500ms));
    EXPECT_EQ(listener->stats().closed_idle, 0u);
}

TEST(ListenerDrain, StopAcceptingRefusesNewClientsAndServesEstablishedOnes) {
    asio::io_context io;
    Events events;
    ClientListenerConfig cfg;
    cfg.plain_tcp = true;
    auto listener = std::move(ClientListener::open(io, cfg, events)).value();
    events.listener = listener.get();
    auto before = test::FramedClient::connect(io, listener->port(), true);
    ASSERT_TRUE(test::run_until(io, [&] { return events.connected.size() == 1; }));
    listener->stop_accepting();
    asio::ip::tcp::socket late(io);
    asio::error_code ec;
    late.connect(test::loopback(listener->port()), ec);
    EXPECT_EQ(ec, asio::error::connection_refused);
    const std::uint8_t b[] = {'y'};
    ASSERT_TRUE(before->conn->send(ByteView(b)));
    EXPECT_TRUE(test::run_until(io, [&] { return before->frames.size() == 1; }));
    EXPECT_EQ(events.connected.size(), 1u);
}

}  // namespace
}  // namespace elmo::daemon
