#include "node/daemon/mailbox_journal.hpp"

#include <gtest/gtest.h>

#include <msgpack.hpp>

#include <random>

#include "node/daemon/journal.hpp"
#include "temp_dir.hpp"

namespace elmo::daemon {
namespace {

wire::Event event(const std::string& topic, std::uint64_t seq) {
    wire::Event e;
    e.topic = topic;
    e.publisher = Bytes{1, 2, 3, 4};
    e.seq = seq;
    e.timestamp_ms = 1'700'000'000'000;
    e.expiry_ms = e.timestamp_ms + 3'600'000;
    e.payload.assign(50, static_cast<std::uint8_t>(seq));
    e.seal();
    return e;
}

NodeId node(int n) {
    NodeId id{};
    id[0] = static_cast<std::uint8_t>(n);
    id[19] = 0xee;
    return id;
}

Endpoint v4(int n) { return Endpoint::v4(0x7f000001u + static_cast<std::uint32_t>(n), 4222); }

Endpoint v6() {
    Endpoint e;
    e.family = Endpoint::Family::v6;
    e.addr[15] = 1;
    e.port = 9000;
    return e;
}

Bytes client(int n) { return Bytes{'c', static_cast<std::uint8_t>(n)}; }

std::vector<MailboxRecord> one_of_each() {
    return {TopicAdopted{"news"},
            TopicDropped{"old"},
            EventStored{event("news", 1)},
            Registration{"news", client(1), v4(1), 1'700'000'123'456},
            Registration{"news", client(2), Endpoint{}, -5},
            RegistrationDropped{"news", client(1)},
            Link{"news", node(3), v6()},
            Unlink{"news", node(3)},
            NodeIdentity{node(9)}};
}

TEST(MailboxJournal, EveryKindRoundTrips) {
    for (const auto& r : one_of_each()) {
        SCOPED_TRACE(r.index());
        auto d = decode_record(encode_record(r));
        ASSERT_TRUE(d.ok()) << d.error().decode.to_string();
        EXPECT_EQ(d.value(), r);
    }
}

TEST(MailboxJournal, ReplayFoldsAdoptStoreDrop) {
    std::vector<MailboxRecord> log = {
        NodeIdentity{node(1)},
        TopicAdopted{"a"},
        EventStored{event("a", 1)},
        EventStored{event("a", 2)},
        TopicAdopted{"b"},
        EventStored{event("b", 1)},
        EventStored{event("a", 1)},          // duplicate
        EventStored{event("c", 1)},          // topic not held
        Registration{"a", client(1), v4(1), 100},
        Registration{"a", client(2), v4(2), 200},
        Registration{"a", client(1), v4(3), 300},  // renewal through another home
        RegistrationDropped{"a", client(2)},
        Link{"a", node(5), v4(5)},
        Link{"a", node(6), v4(6)},
        Unlink{"a", node(5)},
        Link{"b", node(7), v4(7)},
        TopicAdopted{"a"},                   // adopting a held topic keeps its state
        TopicDropped{"b"},
        TopicAdopted{"b"},                   // adopted again: starts empty
        EventStored{event("a", 3)},
        NodeIdentity{node(2)},               // the last identity wins
    };
    std::vector<Bytes> records;
    for (const auto& r : log) records.push_back(encode_record(r));
    auto [snap, stats] = replay(records);

    ASSERT_TRUE(snap.node_id);
    EXPECT_EQ(*snap.node_id, node(2));
    ASSERT_EQ(snap.topics.size(), 2u);
    const SnapshotTopic& a = snap.topics.at("a");
    ASSERT_EQ(a.events.size(), 3u);
    EXPECT_EQ(a.events[0], event("a", 1));
    EXPECT_EQ(a.events[1], event("a", 2));
    EXPECT_EQ(a.events[2], event("a", 3));
    ASSERT_EQ(a.registrations.size(), 1u);
    EXPECT_EQ(a.registrations.at(client(1)), (SnapshotRegistration{v4(3), 300}));
    ASSERT_EQ(a.links.size(), 1u);
    EXPECT_EQ(a.links.at(node(6)), v4(6));
    EXPECT_EQ(snap.topics.at("b"), SnapshotTopic{});

    EXPECT_EQ(stats.duplicates, 1u);
    EXPECT_EQ(stats.not_held, 1u);
    EXPECT_EQ(stats.garbled, 0u);
    EXPECT_EQ(stats.applied, log.size() - 2);
}

TEST(MailboxJournal, ReplaySkipsAndCountsGarbage) {
    std::vector<Bytes> records;
    records.push_back(encode_record(TopicAdopted{"t"}));
    records.push_back(Bytes{0xc1});                       // never-used msgpack byte
    records.push_back(Bytes{0x93, 0x01});                 // truncated array
    records.push_back(Bytes{'h', 'e', 'l', 'l', 'o'});
    Bytes good = encode_record(EventStored{event("t", 1)});
    records.push_back(Bytes(good.begin(), good.end() - 1));  // truncated event
    wire::Event forged = event("t", 2);
    forged.payload[0] ^= 1;                               // id no longer matches the content
    records.push_back(encode_record(EventStored{forged}));
    records.push_back(encode_record(TopicAdopted{std::string("bad\ntopic")}));
    Bytes extra = encode_record(TopicAdopted{"t"});
    extra.push_back(0x00);                                // trailing bytes
    records.push_back(extra);
    {
        // A kind and a format version this build does not know: skipped as unknown, not damage.
        msgpack::sbuffer b;
        msgpack::packer<msgpack::sbuffer> pk(b);
        pk.pack_array(3);
        pk.pack(1);
        pk.pack(999);
        pk.pack_array(0);
        records.emplace_back(b.data(), b.data() + b.size());
        msgpack::sbuffer b2;
        msgpack::packer<msgpack::sbuffer> pk2(b2);
        pk2.pack_array(3);
        pk2.pack(2);
        pk2.pack(1);
        pk2.pack_array(1);
        pk2.pack(std::string("t"));
        records.emplace_back(b2.data(), b2.data() + b2.size());
    }
    records.push_back(good);

    auto [snap, stats] = replay(records);
    EXPECT_EQ(stats.garbled, 7u);
    EXPECT_EQ(stats.unknown_kind, 2u);
    EXPECT_EQ(stats.applied, 2u);
    ASSERT_EQ(snap.topics.size(), 1u);
    ASSERT_EQ(snap.topics.at("t").events.size(), 1u);
    EXPECT_EQ(snap.topics.at("t").events[0], event("t", 1));
}

// Every truncation and every single-byte change of an encoded record decodes to a value (a
// record or an error), never a crash or an exception.
TEST(MailboxJournal, DecodeSurvivesMutations) {
    std::mt19937 rng(11);
    for (const auto& r : one_of_each()) {
        const Bytes good = encode_record(r);
        for (std::size_t n = 0; n < good.size(); ++n)
            EXPECT_FALSE(decode_record(ByteView(good.data(), n)).ok());
        for (std::size_t i = 0; i < good.size(); ++i) {
            Bytes m = good;
            m[i] = static_cast<std::uint8_t>(rng());
            (void)decode_record(m);
        }
    }
    for (int i = 0; i < 2000; ++i) {
        Bytes junk(rng() % 40);
        for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
        (void)decode_record(junk);
    }
}

TEST(MailboxJournal, SnapshotRecordsReplayToTheSnapshot) {
    MailboxSnapshot s;
    s.node_id = node(4);
    SnapshotTopic& a = s.topics["a"];
    for (int i = 0; i < 5; ++i) a.events.push_back(event("a", static_cast<std::uint64_t>(10 - i)));
    a.registrations[client(1)] = {v4(1), 111};
    a.registrations[client(2)] = {v6(), 222};
    a.links[node(8)] = v4(8);
    s.topics["empty"];

    auto [back, stats] = replay(snapshot_records(s));
    EXPECT_EQ(back, s);
    EXPECT_EQ(stats.garbled + stats.not_held + stats.duplicates + stats.unknown_kind, 0u);
    EXPECT_EQ(replay(snapshot_records(MailboxSnapshot{})).snapshot, MailboxSnapshot{});
}

// The whole path: records journaled, a crash with a torn tail, replay, then compaction.
TEST(MailboxJournal, JournalReplayAndCompaction) {
    test::TempDir dir;
    const auto path = dir / "mailbox.journal";
    {
        auto o = Journal::open(path);
        ASSERT_TRUE(o.ok());
        Journal& j = o->journal;
        ASSERT_TRUE(j.append(encode_record(NodeIdentity{node(1)})).ok());
        ASSERT_TRUE(j.append(encode_record(TopicAdopted{"t"})).ok());
        for (int i = 0; i < 50; ++i)
            ASSERT_TRUE(j.append(encode_record(EventStored{event("t", static_cast<std::uint64_t>(i))})).ok());
        ASSERT_TRUE(j.sync().ok());
    }
    // A torn last record.
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 3);

    auto o = Journal::open(path);
    ASSERT_TRUE(o.ok());
    EXPECT_GT(o->recovery.bytes_dropped, 0u);
    auto [snap, stats] = replay(o->records);
    EXPECT_EQ(*snap.node_id, node(1));
    EXPECT_EQ(snap.topics.at("t").events.size(), 49u);

    // Compaction: keep only the 10 newest events.
    auto& events = snap.topics.at("t").events;
    events.erase(events.begin(), events.end() - 10);
    const auto before = o->journal.size_bytes();
    ASSERT_TRUE(o->journal.rewrite(snapshot_records(snap)).ok());
    EXPECT_LT(o->journal.size_bytes(), before);
    auto reopened = Journal::open(path);
    ASSERT_TRUE(reopened.ok());
    EXPECT_EQ(replay(reopened->records).snapshot, snap);
}

}  // namespace
}  // namespace elmo::daemon
