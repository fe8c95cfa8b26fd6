// The client's state store: what a restarted app finds (sync, reopen, restore), the bounds, the
// directory lock, and crash safety: a torn write-ahead log and a process killed with kill -9 in
// the middle of syncing leave the last committed state.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "client-sdk/store/state_store.hpp"
#include "tests/client-sdk/fixtures.hpp"

namespace elmo::client_test {
namespace {

namespace fs = std::filesystem;
using sdk::store::StateStore;

struct TempDir {
    TempDir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("elmo-store-" + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    fs::path path;
};

std::unique_ptr<StateStore> open_store(const fs::path& dir) {
    auto s = StateStore::open(dir);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error());
    return s.ok() ? std::move(*s) : nullptr;
}

// A subscribed, registered core that received events and has publications outstanding.
void make_busy(Harness& h) {
    h.connect();
    h.core.subscribe(h.now, "news");
    h.core.subscribe(h.now, "sport");
    h.grant("news", mbx(1), {mbx(2)});
    h.grant("sport", mbx(3));
    h.deliver(wire::Deliver{mbx(1), {make_event("news", 1), make_event("news", 2)}});
    h.core.on_disconnected(h.now);
    (void)h.core.publish(h.now, "news", Bytes{'a'});
    (void)h.core.publish(h.now, "sport", Bytes{'b'});
}

TEST(StateStore, ReopenedStoreHoldsWhatWasSynced) {
    TempDir dir;
    Harness h;
    make_busy(h);
    {
        auto s = open_store(dir.path);
        ASSERT_TRUE(s->set_client_id(client_id).ok());
        ASSERT_TRUE(s->sync(h.core).ok());
        EXPECT_EQ(s->stats().syncs, 1u);
        ASSERT_TRUE(s->sync(h.core).ok());
        EXPECT_EQ(s->stats().syncs, 1u) << "nothing changed: no transaction";
    }
    auto s = open_store(dir.path);
    EXPECT_EQ(s->client_id(), client_id);
    EXPECT_EQ(s->loaded(), h.core.snapshot());
}

TEST(StateStore, ChangesAfterARestoreAreWrittenIncrementally) {
    TempDir dir;
    ClientSnapshot expected;
    {
        Harness h;
        make_busy(h);
        auto s = open_store(dir.path);
        ASSERT_TRUE(s->sync(h.core).ok());
    }
    {
        // A new process: restore, then more events, an unsubscribe, an acknowledgement.
        Harness h;
        auto s = open_store(dir.path);
        ASSERT_TRUE(h.core.restore(h.now, s->loaded()));
        ASSERT_TRUE(s->sync(h.core).ok());
        EXPECT_EQ(s->stats().syncs, 0u) << "a restored core is what the store holds";
        h.connect();
        h.grant("news", mbx(1));
        h.grant("sport", mbx(3));
        h.deliver(wire::Deliver{mbx(1), {make_event("news", 3)}});
        h.core.unsubscribe(h.now, "sport");
        auto pub = h.transport.sent_of<wire::Publish>().front();
        h.deliver(wire::PublishResult{
            pub.request_id, pub.event.id, wire::PublishStatus::accepted, mbx(1), {}});
        ASSERT_TRUE(s->sync(h.core).ok());
        expected = h.core.snapshot();
        EXPECT_EQ(expected.outbox.size(), 1u);
        EXPECT_EQ(expected.topics.size(), 1u);
        EXPECT_EQ(expected.topics[0].seen.size(), 3u);
    }
    auto s = open_store(dir.path);
    EXPECT_EQ(s->loaded(), expected);
}

TEST(StateStore, SeenIdsStayWithinTheCoresBound) {
    TempDir dir;
    ClientParams p;
    p.seen_ids_per_topic = 10;
    Harness h(p);
    h.connect();
    h.core.subscribe(h.now, "news");
    h.grant("news", mbx(1));
    auto s = open_store(dir.path);
    for (std::uint64_t i = 1; i <= 25; ++i) {
        h.deliver(wire::Deliver{mbx(1), {make_event("news", i)}});
        if (i % 3 == 0) {
            ASSERT_TRUE(s->sync(h.core).ok());
        }
    }
    ASSERT_TRUE(s->sync(h.core).ok());
    s.reset();
    s = open_store(dir.path);
    ASSERT_EQ(s->loaded().topics.size(), 1u);
    EXPECT_EQ(s->loaded().topics[0].seen, h.core.snapshot().topics[0].seen);
    EXPECT_EQ(s->loaded().topics[0].seen.size(), 10u);
}

TEST(StateStore, OneProcessAtATimeOwnsTheDirectory) {
    TempDir dir;
    auto first = open_store(dir.path);
    // flock locks are per open file description: a second open in this process conflicts too.
    auto second = StateStore::open(dir.path);
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.error().find("in use by another process"), std::string::npos);
    first.reset();
    EXPECT_TRUE(StateStore::open(dir.path).ok());
}

// Copies the database and its log as a crash would leave them (the store still open).
void copy_as_crashed(const fs::path& from, const fs::path& to) {
    fs::create_directories(to);
    for (const char* f : {"state.db", "state.db-wal"})
        if (fs::exists(from / f)) fs::copy_file(from / f, to / f);
}

TEST(StateStore, ATornLastCommitInTheLogLeavesThePreviousState) {
    TempDir dir;
    Harness h;
    make_busy(h);
    auto s = open_store(dir.path / "live");
    ASSERT_TRUE(s->sync(h.core).ok());
    ClientSnapshot committed = h.core.snapshot();
    (void)h.core.publish(h.now, "news", Bytes{'c'});
    ASSERT_TRUE(s->sync(h.core).ok());
    ASSERT_EQ(h.core.snapshot().outbox.size(), committed.outbox.size() + 1);

    for (int variant = 0; variant < 2; ++variant) {
        fs::path crashed = dir.path / ("crashed" + std::to_string(variant));
        copy_as_crashed(dir.path / "live", crashed);
        fs::path wal = crashed / "state.db-wal";
        ASSERT_TRUE(fs::exists(wal));
        auto size = fs::file_size(wal);
        if (variant == 0) {
            fs::resize_file(wal, size - 100);  // the last frame cut short
        } else {
            std::fstream f(wal, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(static_cast<std::streamoff>(size - 200));
            std::string zeros(200, '\0');
            f.write(zeros.data(), 200);  // the last frame's tail zeroed
        }
        auto reopened = open_store(crashed);
        ASSERT_TRUE(reopened);
        EXPECT_EQ(reopened->loaded(), committed) << "variant " << variant;
    }
}

TEST(StateStore, KillNineWhileSyncingLosesNoCommittedPublication) {
    TempDir dir;
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // Publish and sync in a loop; after each sync, report how many are durable.
        close(fds[0]);
        Harness h;
        auto s = StateStore::open(dir.path);
        if (!s.ok()) _exit(2);
        for (std::uint32_t i = 1;; ++i) {
            (void)h.core.publish(
                h.now, "news",
                Bytes{static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8)});
            if (h.core.outbox_size() >= h.core.params().max_outbox) _exit(3);
            if (!(*s)->sync(h.core).ok()) _exit(4);
            if (write(fds[1], &i, sizeof i) != sizeof i) _exit(5);
        }
    }
    close(fds[1]);
    // Let it commit a random number of times, then kill it mid-flight.
    std::mt19937 rng(std::random_device{}());
    std::uint32_t target = 20 + rng() % 200, reported = 0, v = 0;
    while (reported < target && read(fds[0], &v, sizeof v) == sizeof v) reported = v;
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
    auto s = open_store(dir.path);
    ASSERT_TRUE(s);
    // Every publication whose sync returned is there, in order; at most the ones in flight more.
    const auto& out = s->loaded().outbox;
    EXPECT_GE(out.size(), reported);
    EXPECT_LE(out.size(), reported + 2);
    for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].seq, i + 1);
    EXPECT_EQ(s->loaded().next_seq, out.size() + 1);
}

TEST(StateStore, AnUnreadableOutboxRowIsSkippedAndDropped) {
    TempDir dir;
    Harness h;
    make_busy(h);
    {
        auto s = open_store(dir.path);
        ASSERT_TRUE(s->sync(h.core).ok());
    }
    {
        auto db = sdk::store::Db::open((dir.path / "state.db").string());
        ASSERT_TRUE(db.ok());
        ASSERT_TRUE((*db)->exec("UPDATE outbox SET event = x'deadbeef' WHERE k = 1").ok());
    }
    {
        auto s = open_store(dir.path);
        EXPECT_EQ(s->stats().rows_skipped, 1u);
        EXPECT_EQ(s->loaded().outbox.size(), 1u);
    }
    auto s = open_store(dir.path);
    EXPECT_EQ(s->stats().rows_skipped, 0u);
    EXPECT_EQ(s->loaded().outbox.size(), 1u);
}

}  // namespace
}  // namespace elmo::client_test
