// The daemon's pieces that need no running daemon: the mailbox change observer and its journal
// (restore after a crash, what a graceful stop keeps), the identity files, the data-dir lock, and
// the metrics text.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>

#include "mailbox/mailbox.hpp"
#include "node/daemon/data_dir_lock.hpp"
#include "node/daemon/identity.hpp"
#include "node/daemon/journal.hpp"
#include "node/daemon/mailbox_persistence.hpp"
#include "node/daemon/metrics.hpp"
#include "temp_dir.hpp"
#include "wire/codec.hpp"

namespace elmo::daemon {
namespace {

using namespace std::chrono_literals;
using test::TempDir;

constexpr std::int64_t base_ms = 1'800'000'000'000;
const TimePoint t0 = TimePoint{} + std::chrono::hours(1000);

mailbox::WallClock wall() {
    return mailbox::WallClock{t0, base_ms};
}

wire::Event event(const std::string& topic, std::uint64_t seq, std::int64_t expiry_ms) {
    wire::Event e;
    e.topic = topic;
    e.publisher = Bytes{1, 2, 3};
    e.seq = seq;
    e.timestamp_ms = base_ms;
    e.expiry_ms = expiry_ms;
    e.payload.assign(40, static_cast<std::uint8_t>(seq));
    e.seal();
    return e;
}

NodeId node(int n) {
    NodeId id{};
    id[0] = static_cast<std::uint8_t>(n);
    return id;
}

Endpoint ep(int n) {
    return Endpoint::v4(0x7f000001u, static_cast<std::uint16_t>(4000 + n));
}

Log quiet{LogLevel::error};

// A fresh Mailbox restored from the journal at `file`, as the daemon does at start-up.
struct Restored {
    std::unique_ptr<MailboxPersistence> persistence;
    mailbox::Mailbox mailbox{mailbox::MailboxParams{}, wall()};
};
std::unique_ptr<Restored> restore(const std::filesystem::path& file, const NodeId& id,
                                  TimePoint now) {
    auto r = std::make_unique<Restored>();
    auto p = MailboxPersistence::open(file, id, quiet);
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error());
    if (!p.ok()) return nullptr;
    r->persistence = std::move(*p);
    r->persistence->restore_into(r->mailbox, now);
    return r;
}

TEST(MailboxPersistence, EveryChangeSurvivesACrash) {
    TempDir dir;
    const auto file = dir / "mailbox.journal";
    {
        auto r = restore(file, node(1), t0);
        auto& m = r->mailbox;
        ASSERT_EQ(m.adopt_topic("news", t0), mailbox::AdoptResult::adopted);
        ASSERT_EQ(m.adopt_topic("gone", t0), mailbox::AdoptResult::adopted);
        for (std::uint64_t s = 1; s <= 3; ++s)
            ASSERT_EQ(m.store_event(event("news", s, base_ms + 3'600'000), t0),
                      mailbox::StoreResult::stored);
        m.register_client("news", Bytes{'a'}, ep(1), t0);
        m.register_client("news", Bytes{'b'}, ep(2), t0);
        m.unregister_client("news", Bytes{'b'}, t0);
        m.link("news", {node(7), ep(7)});
        m.link("news", {node(8), ep(8)});
        m.unlink("news", node(8));
        ASSERT_TRUE(m.evaporate("gone", t0));  // shutdown reason: kept in the journal
        EXPECT_TRUE(r->persistence->dirty());
        EXPECT_TRUE(r->persistence->events_unsynced());
        // No sync, no destructor flush that matters: the records are in the kernel already.
    }
    auto r = restore(file, node(1), t0 + 1s);
    const auto& m = r->mailbox;
    EXPECT_EQ(m.topics(), (std::vector<std::string>{"gone", "news"}));
    EXPECT_EQ(m.ids("news").size(), 3u);
    ASSERT_EQ(m.clients("news").size(), 1u);
    EXPECT_EQ(m.clients("news")[0].client, Bytes{'a'});
    EXPECT_EQ(m.clients("news")[0].home, ep(1));
    // The registration keeps its recorded expiry (not a new lifetime from the restart).
    EXPECT_EQ(m.clients("news")[0].expires_at, t0 + mailbox::MailboxParams{}.registration_lifetime);
    ASSERT_EQ(m.links("news").size(), 1u);
    EXPECT_EQ(m.links("news")[0].id, node(7));
    EXPECT_EQ(r->persistence->stats().restored_events, 3u);
}

TEST(MailboxPersistence, IdleDropsAndLapsesAreJournaledExpiredEventsAreNotRestored) {
    TempDir dir;
    const auto file = dir / "mailbox.journal";
    mailbox::MailboxParams params;
    {
        auto r = restore(file, node(1), t0);
        auto& m = r->mailbox;
        m.adopt_topic("idle", t0);
        m.adopt_topic("news", t0);
        m.store_event(event("news", 1, base_ms + 60'000), t0);  // expires in a minute
        m.store_event(event("news", 2, base_ms + 100 * 3'600'000), t0);
        m.register_client("news", Bytes{'a'}, ep(1), t0);
        // Past the idle period: "idle" evaporates, the registration lapses (journaled).
        const TimePoint later = t0 + params.idle_period + 1s;
        m.register_client("news", Bytes{'z'}, ep(3), later);  // keeps "news" alive
        EXPECT_EQ(m.evaporate_idle(later).size(), 1u);
        EXPECT_EQ(m.expire(later).size(), 1u);
    }
    auto r = restore(file, node(1), t0 + params.idle_period + 2s);
    const auto& m = r->mailbox;
    EXPECT_EQ(m.topics(), std::vector<std::string>{"news"});
    EXPECT_EQ(m.ids("news").size(), 1u);  // the expired event is not restored
    ASSERT_EQ(m.clients("news").size(), 1u);
    EXPECT_EQ(m.clients("news")[0].client, Bytes{'z'});
}

TEST(MailboxPersistence, RefusesAJournalOfAnotherNode) {
    TempDir dir;
    const auto file = dir / "mailbox.journal";
    { auto r = restore(file, node(1), t0); }  // writes node(1)'s identity record
    auto p = MailboxPersistence::open(file, node(2), quiet);
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.error().find("belongs to node"), std::string::npos) << p.error();
}

TEST(MailboxPersistence, StartupCompactsAndSyncClearsTheUnsyncedState) {
    TempDir dir;
    const auto file = dir / "mailbox.journal";
    std::uint64_t full = 0;
    {
        auto r = restore(file, node(1), t0);
        auto& m = r->mailbox;
        m.adopt_topic("news", t0);
        for (int i = 0; i < 50; ++i) m.register_client("news", Bytes{'a'}, ep(1), t0 + 1s * i);
        full = r->persistence->journal_bytes();
        EXPECT_NE(r->persistence->sync_due(), TimePoint::max());
        r->persistence->sync(t0);
        EXPECT_FALSE(r->persistence->dirty());
        EXPECT_EQ(r->persistence->sync_due(), TimePoint::max());
        EXPECT_EQ(r->persistence->stats().syncs, 1u);
    }
    auto r = restore(file, node(1), t0 + 60s);
    EXPECT_LT(r->persistence->journal_bytes(), full / 10);  // 50 renewals became one record
    EXPECT_EQ(r->mailbox.clients("news").size(), 1u);
}

TEST(DaemonIdentity, CreatedOnceThenReloadedWithTheSameId) {
    TempDir dir;
    auto a = load_or_create_identity(dir.path());
    ASSERT_TRUE(a.ok()) << a.error();
    EXPECT_TRUE(a->created);
    EXPECT_NE(a->certificate_pem.find("BEGIN CERTIFICATE"), std::string::npos);
    EXPECT_NE(a->private_key_pem.find("PRIVATE KEY"), std::string::npos);
    struct stat st {};
    ASSERT_EQ(::stat((dir / "node.key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto b = load_or_create_identity(dir.path());
    ASSERT_TRUE(b.ok()) << b.error();
    EXPECT_FALSE(b->created);
    EXPECT_EQ(a->id, b->id);
    EXPECT_EQ(a->certificate_pem, b->certificate_pem);
}

TEST(DaemonIdentity, AKeyWithoutItsCertificateKeepsItsIdAGarbledKeyIsAnError) {
    TempDir dir;
    auto a = load_or_create_identity(dir.path());
    ASSERT_TRUE(a.ok());
    std::filesystem::remove(dir / "node.crt");
    auto b = load_or_create_identity(dir.path());
    ASSERT_TRUE(b.ok()) << b.error();
    EXPECT_EQ(a->id, b->id);
    {
        std::ofstream out(dir / "node.key", std::ios::trunc);
        out << "not a key";
    }
    auto c = load_or_create_identity(dir.path());
    EXPECT_FALSE(c.ok());
}

TEST(DataDirLock, ASecondHolderIsRefusedUntilTheFirstLetsGo) {
    TempDir dir;
    auto first = DataDirLock::acquire(dir / "data");
    ASSERT_TRUE(first.ok()) << first.error();
    auto second = DataDirLock::acquire(dir / "data");
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.error().find("in use"), std::string::npos) << second.error();
    { DataDirLock released = std::move(*first); }
    EXPECT_TRUE(DataDirLock::acquire(dir / "data").ok());
}

TEST(DaemonMetrics, TextNamesTypesAndDropReasons) {
    EXPECT_EQ(peek_type_id(wire::encode(wire::Ping{7})), wire::Ping::type_id);
    EXPECT_EQ(peek_type_id(Bytes{0xE1, 0x93}), -1);
    EXPECT_EQ(peek_type_id(Bytes{0x81, 0x93, 1, 1}), -1);

    DaemonStats d;
    d.elmo_in.add(wire::Ping::type_id, 10);
    d.elmo_in.add(-1, 3);
    d.dropped_unknown_kind = 4;
    NodeStats n;
    n.decode_errors[static_cast<std::size_t>(wire::DecodeErrorCode::truncated)] = 5;
    UdpStats u;
    u.dropped_queue_full = 6;
    MetricsInput in;
    in.node_id_hex = "abcd";
    in.daemon = &d;
    in.node = &n;
    in.udp = &u;
    const std::string text = render_metrics(in);
    EXPECT_NE(text.find("elmo_node_info{id=\"abcd\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("elmo_messages_total{direction=\"in\",type=\"ping\"} 1\n"),
              std::string::npos);
    EXPECT_NE(text.find("elmo_messages_total{direction=\"in\",type=\"unparsed\"} 1\n"),
              std::string::npos);
    EXPECT_NE(text.find("elmo_decode_errors_total{code=\"truncated\"} 5\n"), std::string::npos);
    EXPECT_NE(text.find("elmo_udp_drops_total{reason=\"send_queue_full\"} 6\n"), std::string::npos);
    EXPECT_NE(text.find("elmo_udp_drops_total{reason=\"unknown_kind\"} 4\n"), std::string::npos);
    EXPECT_NE(text.find("# TYPE elmo_messages_total counter\n"), std::string::npos);
}

}  // namespace
}  // namespace elmo::daemon
