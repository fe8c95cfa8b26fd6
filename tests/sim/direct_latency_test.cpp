// The delay penalty's denominator (sim/metrics.hpp): the phone link latency recomputed outside
// Clients must be the one Clients applies, and a direct datagram is phone link + link between
// the homes + phone link.
#include <gtest/gtest.h>

#include "sim/clients.hpp"
#include "sim/metrics.hpp"

namespace elmo::sim {
namespace {

using namespace std::chrono_literals;

TEST(DirectLatency, PhoneLinkMatchesClients) {
    SimConfig sc;
    sc.overlay = OverlayMode::ideal;
    sc.seed = 7;
    Simulation sim(sc);
    sim.add_nodes(2);
    ClientConfig cc;
    cc.scripted = true;
    Clients clients(sim, cc);
    // The home node learns of a connection one link delay after the phone opens it.
    std::map<ClientId, Duration> connected_at;
    sim.node(1).client_events().connected = [&](TimePoint now, ClientHandle h) {
        connected_at[client_of(h)] = Engine::to_offset(now);
        return TimePoint::max();
    };
    const Duration t0 = 10s;
    for (ClientId c = 0; c < 20; ++c) clients.add(1);
    sim.at(t0, [&] {
        for (ClientId c = 0; c < 20; ++c) clients.set_online(c, true);
    });
    sim.run_to(t0 + 1s);
    ASSERT_EQ(connected_at.size(), 20u);
    for (ClientId c = 0; c < 20; ++c) {
        const Duration link = phone_link_latency(sc.seed, cc, c);
        EXPECT_EQ(connected_at[c] - t0, link) << "client " << c;
        EXPECT_GE(link, cc.link_min);
        EXPECT_LE(link, cc.link_max);
    }
}

TEST(DirectLatency, PhoneLinksPlusTheLinkBetweenTheHomes) {
    Engine engine;
    Network net(engine, NetworkConfig{}, 3);
    ClientConfig cc;
    const auto ms = [](Duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
    const double links = ms(phone_link_latency(3, cc, 4) + phone_link_latency(3, cc, 9));
    EXPECT_DOUBLE_EQ(direct_latency_ms(net, 3, cc, 4, 2, 9, 2), links);  // one home
    EXPECT_DOUBLE_EQ(direct_latency_ms(net, 3, cc, 4, 2, 9, 5), links + ms(net.link_latency(2, 5)));
    EXPECT_DOUBLE_EQ(direct_latency_ms(net, 3, cc, 9, 5, 4, 2),
                     direct_latency_ms(net, 3, cc, 4, 2, 9, 5));  // symmetric
}

}  // namespace
}  // namespace elmo::sim
