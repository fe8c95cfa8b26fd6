#include <gtest/gtest.h>

#include "sim/clients.hpp"

namespace elmo::sim {
namespace {

using namespace std::chrono_literals;

// A client that says hello to its home whenever it comes online and counts the answers.
class HelloClient : public ClientCore {
  public:
    explicit HelloClient(ClientLink& link) : link_(link) {}
    TimePoint on_online(TimePoint) override {
        ++onlines;
        const std::uint8_t hello[] = {0xE1, 'h'};
        link_.send_to_home(hello);
        return TimePoint::max();
    }
    void on_offline(TimePoint) override { ++offlines; }
    TimePoint on_frame(TimePoint, ByteView m) override {
        if (m.size() == 2 && m[1] == 'w') ++welcomes;
        return TimePoint::max();
    }
    TimePoint on_timer(TimePoint) override { return TimePoint::max(); }
    TimePoint on_connection_lost(TimePoint) override {
        ++lost;
        return TimePoint::max();
    }
    int onlines = 0, offlines = 0, welcomes = 0, lost = 0;

  private:
    ClientLink& link_;
};

SimConfig ideal() {
    SimConfig c;
    c.overlay = OverlayMode::ideal;
    return c;
}

TEST(Clients, OnlineShareFollowsTheModel) {
    Simulation sim(ideal());
    sim.add_nodes(3);
    ClientConfig cc;
    cc.online = DurationDist::exponential(60s);
    cc.offline = DurationDist::exponential(180s);
    Clients clients(sim, cc);
    for (int i = 0; i < 400; ++i) clients.add(static_cast<HostId>(i % 3));
    double sum = 0;
    int samples = 0;
    for (int t = 100; t <= 3000; t += 50) {
        sim.run_to(Duration(std::chrono::seconds(t)));
        sum += static_cast<double>(clients.online_count()) / 400.0;
        ++samples;
    }
    EXPECT_NEAR(sum / samples, 0.25, 0.04);
}

TEST(Clients, ConnectionsFramesAndTheHomeNodeGoingDown) {
    Simulation sim(ideal());
    sim.add_nodes(2);
    ClientConfig cc;
    cc.online = DurationDist::constant(100s);
    cc.offline = DurationDist::constant(100s);
    Clients clients(sim, cc);

    // The node side, as a core serving clients would see it.
    int connected = 0, disconnected = 0;
    std::vector<ClientHandle> hellos;
    SimNode& home = sim.node(1);
    home.client_events().connected = [&](TimePoint, ClientHandle) {
        ++connected;
        return TimePoint::max();
    };
    home.client_events().disconnected = [&](TimePoint, ClientHandle) {
        ++disconnected;
        return TimePoint::max();
    };
    home.client_events().frame = [&](TimePoint, ClientHandle from, ByteView m) {
        hellos.push_back(from);
        EXPECT_EQ(m[1], 'h');
        const std::uint8_t welcome[] = {0xE1, 'w'};
        home.clients().send_to_client(from, welcome);
        return TimePoint::max();
    };

    std::vector<HelloClient*> cores;
    for (int i = 0; i < 10; ++i)
        clients.add(1, [&](ClientLink& link, ClientId, std::uint64_t) {
            auto core = std::make_unique<HelloClient>(link);
            cores.push_back(core.get());
            return core;
        });
    sim.run_to(Duration(450s));
    int welcomes = 0, onlines = 0;
    for (auto* core : cores) {
        welcomes += core->welcomes;
        onlines += core->onlines;
        EXPECT_GE(core->offlines, 1);
    }
    EXPECT_EQ(static_cast<int>(hellos.size()), onlines);  // every hello arrived
    EXPECT_EQ(welcomes, onlines);                         // every welcome came back
    EXPECT_EQ(connected, onlines);
    EXPECT_GE(disconnected, onlines - 10);  // all but the still-open ones
    // Each connection has its own handle.
    std::sort(hellos.begin(), hellos.end());
    EXPECT_EQ(std::unique(hellos.begin(), hellos.end()), hellos.end());
    EXPECT_GT(sim.network().counters(1).received[static_cast<int>(Traffic::client)].messages, 0u);

    // The home node crashes: connected clients lose their connection; later connections are
    // refused (each reported lost, as a real ECONNREFUSED would be) and their hellos dropped.
    int online_now = 0;
    for (ClientId i = 0; i < 10; ++i) online_now += clients.connection(i) != 0;
    int onlines_before = 0;
    for (auto* core : cores) onlines_before += core->onlines;
    sim.crash(1);
    const auto before = hellos.size();
    sim.run_to(Duration(950s));  // toggles are at whole hundreds: every refusal has arrived
    EXPECT_EQ(hellos.size(), before);
    int lost = 0, onlines_after = 0;
    std::uint64_t dropped = 0;
    for (ClientId i = 0; i < 10; ++i) dropped += clients.counters(i).dropped;
    for (auto* core : cores) {
        lost += core->lost;
        onlines_after += core->onlines;
    }
    onlines_after -= onlines_before;
    EXPECT_GT(onlines_after, 0);
    EXPECT_EQ(lost, online_now + onlines_after);
    EXPECT_GT(dropped, 0u);
}

// A trace replay says who is online: scripted clients start offline, never toggle by themselves,
// and follow set_online; a core may be attached after the client was added.
TEST(Clients, ScriptedPresenceFollowsSetOnline) {
    Simulation sim(ideal());
    sim.add_nodes(2);
    ClientConfig cc;
    cc.scripted = true;
    Clients clients(sim, cc);
    int connected = 0;
    sim.node(1).client_events().connected = [&](TimePoint, ClientHandle) {
        ++connected;
        return TimePoint::max();
    };
    const ClientId c = clients.add(1);
    EXPECT_FALSE(clients.has_core(c));
    sim.run_to(Duration(3600s));
    EXPECT_FALSE(clients.online(c));  // no toggles of its own in an hour
    EXPECT_EQ(connected, 0);
    HelloClient* core = nullptr;
    clients.attach(c, [&](ClientLink& link, ClientId, std::uint64_t) {
        auto h = std::make_unique<HelloClient>(link);
        core = h.get();
        return h;
    });
    ASSERT_TRUE(clients.has_core(c));
    clients.set_online(c, true);
    clients.set_online(c, true);  // already online: nothing
    sim.run_to(Duration(3601s));
    EXPECT_TRUE(clients.online(c));
    EXPECT_EQ(connected, 1);
    EXPECT_EQ(core->onlines, 1);
    clients.set_online(c, false);
    EXPECT_FALSE(clients.online(c));
    EXPECT_EQ(core->offlines, 1);
    EXPECT_EQ(clients.online_count(), 0u);
}

TEST(Clients, NodeMayCloseAConnection) {
    Simulation sim(ideal());
    sim.add_nodes(1);
    ClientConfig cc;
    cc.online = DurationDist::constant(1000s);
    cc.offline = DurationDist::constant(1s);
    Clients clients(sim, cc);
    SimNode& home = sim.node(0);
    int disconnected = 0;
    home.client_events().frame = [&](TimePoint, ClientHandle from, ByteView) {
        home.clients().close_client(from);  // e.g. after a protocol error
        return TimePoint::max();
    };
    home.client_events().disconnected = [&](TimePoint, ClientHandle) {
        ++disconnected;
        return TimePoint::max();
    };
    HelloClient* core = nullptr;
    const ClientId id = clients.add(0, [&](ClientLink& link, ClientId, std::uint64_t) {
        auto c = std::make_unique<HelloClient>(link);
        core = c.get();
        return c;
    });
    sim.run_to(Duration(500s));
    EXPECT_EQ(core->lost, 1);
    EXPECT_EQ(disconnected, 1);
    EXPECT_EQ(clients.connection(id), 0u);
}

}  // namespace
}  // namespace elmo::sim
