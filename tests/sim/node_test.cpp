// Small real-DHT simulations: the first-byte demultiplexing, the ports, the virtual clock as
// OpenDHT sees it, leave and crash.
#include <gtest/gtest.h>
#include <opendht/dht.h>

#include <map>
#include <set>

#include "node/dht_value_types.hpp"
#include "sim/ping_protocol.hpp"
#include "sim/simulation.hpp"

namespace elmo::sim {
namespace {

using namespace std::chrono_literals;

// Small networks: the tests are about the simulator, not OpenDHT's bootstrap speed, so they ask
// for a modest routing table (6 good nodes) that 40 nodes reach reliably.
constexpr std::size_t small_net = 40;
constexpr unsigned enough_good = 6;

bool all_good(Simulation& sim, unsigned n) {
    for (HostId h : sim.live())
        if (sim.node(h).good_nodes() < n) return false;
    return true;
}

TEST(SimNode, ElmoAndDhtDatagramsShareOneAddress) {
    SimConfig cfg;
    cfg.seed = 11;
    cfg.core_factory = PingCore::factory(2s);
    Simulation sim(cfg);
    sim.add_nodes(small_net);
    ASSERT_TRUE(sim.run_until([&] { return all_good(sim, enough_good); }, Duration(180s)));
    sim.run_for(30s);

    // The overlay is the DHT's routing table, and the DHT knows every neighbour at its address.
    std::map<NodeId, HostId> host_by_id;
    for (HostId h : sim.live()) host_by_id[sim.node(h).id()] = h;
    std::uint64_t matched = 0;
    for (HostId h : sim.live()) {
        SimNode& n = sim.node(h);
        const auto nbrs = n.overlay().neighbours();
        ASSERT_GE(nbrs.size(), enough_good);
        EXPECT_TRUE(std::is_sorted(nbrs.begin(), nbrs.end(),
                                   [](const Neighbour& a, const Neighbour& b) { return a.id < b.id; }));
        for (const auto& nb : nbrs) {
            ASSERT_TRUE(host_by_id.count(nb.id));
            EXPECT_EQ(nb.endpoint, Network::endpoint_of(host_by_id[nb.id]));
        }
        // Pongs came back from the very endpoints the pings were sent to (the DHT's), and the
        // same host received both kinds of datagram.
        const auto& st = n.core_as<PingCore>()->stats();
        EXPECT_EQ(st.pongs_mismatched, 0u);
        matched += st.pongs_matched;
        const auto& c = sim.network().counters(h);
        EXPECT_GT(c.received[static_cast<int>(Traffic::dht)].messages, 0u);
        EXPECT_GT(c.received[static_cast<int>(Traffic::elmo)].messages, 0u);
        EXPECT_EQ(n.drops().no_handler, 0u);
    }
    EXPECT_GT(matched, small_net * 10u);
}

TEST(SimNode, UnknownFirstByteIsDroppedAndCounted) {
    SimConfig cfg;
    cfg.core_factory = PingCore::factory(0s);
    Simulation sim(cfg);
    sim.add_nodes(2);
    const std::uint8_t junk[] = {0x42, 0x00};
    sim.network().send(0, 1, junk);
    sim.run_for(1s);
    EXPECT_EQ(sim.node(1).drops().unknown_kind, 1u);
    EXPECT_EQ(sim.network().counters(1).dropped_unknown, 1u);
    // An elmo datagram to a node without a core is dropped too.
    Simulation bare{SimConfig{}};
    bare.add_nodes(2);
    const std::uint8_t elmo[] = {0xE1, 'P', 0, 0, 0, 0, 0, 0, 0, 1};
    bare.network().send(0, 1, elmo);
    bare.run_for(1s);
    EXPECT_EQ(bare.node(1).drops().no_handler, 1u);
}

TEST(SimNode, OpenDhtRunsOnVirtualTime) {
    SimConfig cfg;
    cfg.seed = 3;
    Simulation sim(cfg);
    // Start late in virtual time: the Dht constructor reads the clock and schedules its first
    // maintenance from it; under the simulation that reading is virtual.
    sim.run_to(Duration(100s));
    sim.add_nodes(small_net);
    ASSERT_TRUE(sim.run_until([&] { return all_good(sim, enough_good); }, Duration(280s)));
    // A DHT-read clock inside callbacks is the virtual one.
    EXPECT_EQ(std::chrono::steady_clock::now(), sim.time_point());

    const auto key = dht::InfoHash::get("virtual-time-key");
    bool put_ok = false;
    sim.node(3).with_dht([&](dht::Dht& d) {
        d.put(key, dht::Value(std::string("v")), [&](bool ok) { put_ok = ok; });
    });
    ASSERT_TRUE(sim.run_until([&] { return put_ok; }, sim.now() + 30s));

    auto found_from = [&](HostId h) {
        bool done = false, found = false;
        sim.node(h).with_dht([&](dht::Dht& d) {
            d.get(key, [&](const std::vector<std::shared_ptr<dht::Value>>& v) {
                found |= !v.empty();
                return true;
            }, [&](bool) { done = true; });
        });
        sim.run_until([&] { return done; }, sim.now() + 60s);
        return found;
    };
    EXPECT_TRUE(found_from(17));
    // Values expire 10 minutes after creation (OpenDHT's default type) and storage is cleaned
    // every 2-6 minutes: 20 virtual minutes later the value is gone, which only happens if its
    // creation time was stamped in virtual time.
    sim.run_for(20min);
    EXPECT_FALSE(found_from(17));
    // Twenty quiet minutes later the network still works.
    bool put2 = false;
    sim.node(5).with_dht([&](dht::Dht& d) {
        d.put(key, dht::Value(std::string("w")), [&](bool ok) { put2 = ok; });
    });
    ASSERT_TRUE(sim.run_until([&] { return put2; }, sim.now() + 30s));
    EXPECT_TRUE(found_from(17));
}

TEST(SimNode, CrashAndLeave) {
    SimConfig cfg;
    cfg.seed = 5;
    Simulation sim(cfg);
    sim.add_nodes(small_net);
    ASSERT_TRUE(sim.run_until([&] { return all_good(sim, enough_good); }, Duration(180s)));
    sim.crash(4);
    sim.leave(5);
    EXPECT_FALSE(sim.is_up(4));
    EXPECT_FALSE(sim.is_up(5));
    EXPECT_EQ(sim.live_count(), small_net - 2);
    sim.run_for(15s);
    EXPECT_EQ(sim.find(4), nullptr);
    EXPECT_EQ(sim.find(5), nullptr);
    const auto dropped = sim.network().drops().no_host;
    const std::uint8_t ping[] = {0xE1, 'P', 0, 0, 0, 0, 0, 0, 0, 1};
    sim.network().send(0, 4, ping);
    sim.run_for(1s);
    EXPECT_GT(sim.network().drops().no_host, dropped);
    // A restarted node comes back with the same id at the same address and rejoins.
    sim.restart(4);
    EXPECT_TRUE(sim.is_up(4));
    EXPECT_EQ(sim.node(4).endpoint(), Network::endpoint_of(4));
    EXPECT_EQ(sim.node(4).incarnation(), 1u);
    ASSERT_TRUE(sim.run_until([&] { return sim.node(4).good_nodes() >= enough_good; }, sim.now() + 60s));
    // The survivors drop the dead node from their tables in time; nobody crashes meanwhile.
    sim.run_for(5min);
    EXPECT_EQ(sim.live_count(), small_net - 1);
}

// Puts and gets under one key of a small real-DHT network, as the drivers make them (the value
// type's Where and filter): what the directory and the history replica rely on.
struct KeyProbe {
    Simulation sim;
    dht::InfoHash key;
    bool up = false;  // the network reached enough_good routing-table nodes per node
    KeyProbe(std::uint64_t seed, const std::string& name)
        : sim(config(seed)), key(dht::InfoHash::get(name)) {
        sim.add_nodes(small_net);
        up = sim.run_until([&] { return all_good(sim, enough_good); }, Duration(180s));
    }
    static SimConfig config(std::uint64_t seed) {
        SimConfig cfg;
        cfg.seed = seed;
        return cfg;
    }
    // Through the drivers' own helpers (node/dht_value_types.hpp).
    void put(HostId h, const std::string& data, std::uint64_t id, DirectoryValueKind kind) {
        bool done = false;
        sim.node(h).with_dht([&](dht::Dht& d) {
            d.put(key, directory_value(id, as_bytes(data), kind), [&](bool) { done = true; });
        });
        sim.run_until([&] { return done; }, sim.now() + 30s);
    }
    std::set<std::string> read(HostId h, DirectoryValueKind kind) {
        bool done = false;
        std::set<std::string> seen;
        sim.node(h).with_dht([&](dht::Dht& d) {
            directory_read(
                d, key, kind,
                [&](std::vector<Bytes> values, const std::vector<std::shared_ptr<dht::Node>>&) {
                    for (const auto& v : values) seen.emplace(v.begin(), v.end());
                    done = true;
                });
        });
        sim.run_until([&] { return done; }, sim.now() + 60s);
        return seen;
    }
};

// A mailbox re-announces its entry every directory_refresh (300 s) with the same value id and
// contents; the entry must stay readable past its type's lifetime (10 min), or a topic with one
// mailbox would be missing from the directory a third of the time.
TEST(SimNode, AMailboxEntryReannouncedEveryFiveMinutesStaysReadable) {
    KeyProbe p{13, "refreshed-entry-key"};
    ASSERT_TRUE(p.up);
    const auto entry = DirectoryValueKind::mailbox_entry;
    p.put(3, "entry", 5, entry);
    EXPECT_EQ(p.read(9, entry), (std::set<std::string>{"entry"}));
    p.sim.run_for(11min);
    EXPECT_TRUE(p.read(9, entry).empty()) << "without a refresh the entry is gone after 10 minutes";
    int missing = 0;
    for (int round = 0; round < 6; ++round) {  // 30 minutes, read just before each refresh
        p.put(3, "entry", 5, entry);
        p.sim.run_for(290s);
        if (p.read(static_cast<HostId>(10 + round), entry).empty()) ++missing;
    }
    EXPECT_EQ(missing, 0);
}

// The history replica's ring (node/node_replica.cpp) relies on a slot being overwritten by the
// next event put there (same value id and sequence number 0, as the core puts them), by the
// same mailbox or another one, in the real DHT (OpenDHT's default type refuses edits; the
// replica's type accepts them), and on its values living an hour.
TEST(SimNode, AReplicaSlotIsOverwrittenByTheNextPut) {
    KeyProbe p{9, "replica-slot-key"};
    ASSERT_TRUE(p.up);
    const auto replica = DirectoryValueKind::event_replica;
    p.put(3, "first", 7, replica);
    EXPECT_EQ(p.read(17, replica), (std::set<std::string>{"first"}));
    p.put(3, "second", 7, replica);
    EXPECT_EQ(p.read(18, replica), (std::set<std::string>{"second"}));
    p.put(5, "third", 7, replica);  // another mailbox of the topic
    EXPECT_EQ(p.read(19, replica), (std::set<std::string>{"third"}));
    // The replica's own type lives event_replica_lifetime (1 h), not OpenDHT's default 10 min.
    p.sim.run_for(20min);
    EXPECT_EQ(p.read(20, replica), (std::set<std::string>{"third"}));
    p.sim.run_for(50min);
    EXPECT_TRUE(p.read(20, replica).empty());
}

// A hot topic's mailboxes share directory slots (NodeParams::directory_slots): another mailbox's
// entry in the same slot replaces the first (the entry type accepts edits).
TEST(SimNode, ADirectorySlotIsTakenByAnotherMailbox) {
    KeyProbe p{10, "directory-slot-key"};
    ASSERT_TRUE(p.up);
    const auto entry = DirectoryValueKind::mailbox_entry;
    p.put(3, "mailbox A", 2, entry);
    EXPECT_EQ(p.read(17, entry), (std::set<std::string>{"mailbox A"}));
    p.put(5, "mailbox B", 2, entry);
    EXPECT_EQ(p.read(18, entry), (std::set<std::string>{"mailbox B"}));
    p.put(6, "mailbox C", 3, entry);  // another slot: both kept
    EXPECT_EQ(p.read(19, entry), (std::set<std::string>{"mailbox B", "mailbox C"}));
}

// A directory read merges what every storing node answers: a reader that stores part of the
// key's values itself, a writer, and a reader that read before all see every mailbox's entry.
// (OpenDHT 2.4's Dht::query, which would save the paging, kept the first answer only: readers
// 21 and 3 saw one entry of two here.)
TEST(SimNode, EveryReaderSeesTheEntriesOfEveryWriter) {
    KeyProbe p{14, "writer-reads-key"};
    ASSERT_TRUE(p.up);
    const auto entry = DirectoryValueKind::mailbox_entry;
    const std::set<std::string> both{"A", "B"};
    p.put(3, "A", 1, entry);
    EXPECT_EQ(p.read(20, entry), (std::set<std::string>{"A"}));
    p.put(5, "B", 2, entry);
    EXPECT_EQ(p.read(20, entry), both);
    EXPECT_EQ(p.read(21, entry), both);
    EXPECT_EQ(p.read(3, entry), both);
    EXPECT_EQ(p.read(5, entry), both);
    p.sim.run_for(30s);
    EXPECT_EQ(p.read(3, entry), both);
}

// A topic's mailbox entries and its replica share one key (one OpenDHT search per topic); a get
// made as the drivers make it returns one kind only.
TEST(SimNode, AGetOfOneKindSkipsTheOtherUnderTheSameKey) {
    KeyProbe p{11, "shared-topic-key"};
    ASSERT_TRUE(p.up);
    p.put(3, "entry", 5, DirectoryValueKind::mailbox_entry);
    p.put(3, "replica", replica_value_id_bit | 1, DirectoryValueKind::event_replica);
    EXPECT_EQ(p.read(17, DirectoryValueKind::mailbox_entry), (std::set<std::string>{"entry"}));
    EXPECT_EQ(p.read(18, DirectoryValueKind::event_replica), (std::set<std::string>{"replica"}));
}

}  // namespace
}  // namespace elmo::sim
