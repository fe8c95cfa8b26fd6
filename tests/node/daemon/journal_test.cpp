#include "node/daemon/journal.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "node/daemon/crc32c.hpp"
#include "temp_dir.hpp"

namespace elmo::daemon {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

Bytes rec(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& p, const Bytes& b) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

Journal::Opened open_ok(const fs::path& p) {
    auto r = Journal::open(p);
    if (!r) ADD_FAILURE() << r.error().to_string();
    return std::move(r).value();
}

// Writes `records` to a new journal at `p` and returns the file size after each record.
std::vector<std::uint64_t> write_journal(const fs::path& p, const std::vector<Bytes>& records) {
    auto o = open_ok(p);
    std::vector<std::uint64_t> ends;
    for (const auto& r : records) {
        EXPECT_TRUE(o.journal.append(r).ok());
        ends.push_back(o.journal.size_bytes());
    }
    EXPECT_TRUE(o.journal.sync().ok());
    return ends;
}

TEST(Crc32c, MatchesTheCastagnoliCheckValue) {
    const std::string s = "123456789";
    EXPECT_EQ(crc32c(as_bytes(s)), 0xE3069283u);
    // Split input gives the same CRC as the whole.
    EXPECT_EQ(crc32c(as_bytes("1234"), as_bytes("56789")), 0xE3069283u);
}

TEST(Journal, NewJournalIsEmptyAndCreated) {
    TempDir dir;
    auto o = open_ok(dir / "sub/dir/j");  // parent directories are created
    EXPECT_TRUE(o.recovery.created);
    EXPECT_TRUE(o.records.empty());
    EXPECT_EQ(o.journal.size_bytes(), Journal::magic_bytes);
    EXPECT_EQ(fs::file_size(dir / "sub/dir/j"), Journal::magic_bytes);
}

TEST(Journal, RoundTrip) {
    TempDir dir;
    const auto p = dir / "j";
    std::vector<Bytes> records = {rec("alpha"), rec("b"), Bytes(70'000, 0xAB), rec("last")};
    auto ends = write_journal(p, records);
    EXPECT_EQ(ends.back(), fs::file_size(p));

    auto o = open_ok(p);
    EXPECT_FALSE(o.recovery.created);
    EXPECT_EQ(o.records, records);
    EXPECT_EQ(o.recovery.records_ok, records.size());
    EXPECT_EQ(o.recovery.bytes_dropped, 0u);
    EXPECT_TRUE(o.recovery.drop_reason.empty());
    EXPECT_EQ(o.journal.record_count(), records.size());
    EXPECT_EQ(o.journal.size_bytes(), fs::file_size(p));

    // Appending after a reopen continues the same file.
    ASSERT_TRUE(o.journal.append(rec("more")).ok());
    records.push_back(rec("more"));
    std::vector<Bytes> batch = {rec("x"), rec("y")};
    ASSERT_TRUE(o.journal.append_all(batch).ok());
    records.insert(records.end(), batch.begin(), batch.end());
    EXPECT_EQ(open_ok(p).records, records);
}

TEST(Journal, RecordSizeBounds) {
    TempDir dir;
    auto o = open_ok(dir / "j");
    auto empty = o.journal.append(Bytes{});
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().code, JournalErrc::bad_record);
    auto big = o.journal.append(Bytes(Journal::max_record_bytes + 1, 1));
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.error().code, JournalErrc::bad_record);
    // A batch with one bad record writes nothing.
    std::vector<Bytes> batch = {rec("ok"), Bytes{}};
    EXPECT_FALSE(o.journal.append_all(batch).ok());
    EXPECT_EQ(o.journal.size_bytes(), Journal::magic_bytes);
    EXPECT_TRUE(o.journal.append(Bytes(Journal::max_record_bytes, 2)).ok());
    EXPECT_EQ(open_ok(dir / "j").records.size(), 1u);
}

// A kill -9 in the middle of writing the last record: whatever prefix of it reached the file,
// the earlier records come back, the file is cut at the last whole record, and a record appended
// afterwards is readable.
TEST(Journal, TruncatedTailAtEveryOffsetOfTheLastRecord) {
    TempDir dir;
    const auto full = dir / "full";
    const std::vector<Bytes> records = {rec("first record"), rec("second"), rec("the last one, torn")};
    auto ends = write_journal(full, records);
    const Bytes bytes = read_file(full);
    const std::uint64_t good = ends[1];
    for (std::uint64_t cut = good + 1; cut < bytes.size(); ++cut) {
        SCOPED_TRACE("cut at " + std::to_string(cut));
        const auto p = dir / "cut";
        write_file(p, Bytes(bytes.begin(), bytes.begin() + static_cast<long>(cut)));
        {
            auto o = open_ok(p);
            EXPECT_EQ(o.records, std::vector<Bytes>(records.begin(), records.begin() + 2));
            EXPECT_EQ(o.recovery.records_ok, 2u);
            EXPECT_EQ(o.recovery.bytes_dropped, cut - good);
            EXPECT_FALSE(o.recovery.drop_reason.empty());
            EXPECT_EQ(fs::file_size(p), good);
            ASSERT_TRUE(o.journal.append(rec("after the crash")).ok());
        }
        auto again = open_ok(p);
        EXPECT_EQ(again.records,
                  (std::vector<Bytes>{records[0], records[1], rec("after the crash")}));
        EXPECT_EQ(again.recovery.bytes_dropped, 0u);
    }
}

// A flipped bit anywhere in the middle record (length, CRC or payload) is caught; the records
// before it are kept and everything from it on is dropped.
TEST(Journal, FlippedBitInTheMiddleRecord) {
    TempDir dir;
    const auto clean = dir / "clean";
    const std::vector<Bytes> records = {rec("one"), rec("two two two"), rec("three")};
    auto ends = write_journal(clean, records);
    const Bytes bytes = read_file(clean);
    for (std::uint64_t at = ends[0]; at < ends[1]; ++at) {
        for (int bit : {0, 7}) {
            SCOPED_TRACE("byte " + std::to_string(at) + " bit " + std::to_string(bit));
            Bytes damaged = bytes;
            damaged[at] ^= static_cast<std::uint8_t>(1u << bit);
            const auto p = dir / "damaged";
            write_file(p, damaged);
            auto o = open_ok(p);
            EXPECT_EQ(o.records, std::vector<Bytes>{records[0]});
            EXPECT_EQ(o.recovery.bytes_dropped, bytes.size() - ends[0]);
            EXPECT_EQ(fs::file_size(p), ends[0]);
        }
    }
}

// Some filesystems leave a zero-filled tail after a crash: it must not read as records.
TEST(Journal, ZeroFilledTailIsDropped) {
    TempDir dir;
    const auto p = dir / "j";
    auto ends = write_journal(p, {rec("a"), rec("b")});
    Bytes bytes = read_file(p);
    bytes.resize(bytes.size() + 4096, 0);
    write_file(p, bytes);
    auto o = open_ok(p);
    EXPECT_EQ(o.records.size(), 2u);
    EXPECT_EQ(o.recovery.bytes_dropped, 4096u);
    EXPECT_EQ(o.recovery.drop_reason, "zero length");
    EXPECT_EQ(fs::file_size(p), ends.back());
}

TEST(Journal, LengthOverTheMaximumIsDropped) {
    TempDir dir;
    const auto p = dir / "j";
    write_journal(p, {rec("a")});
    Bytes bytes = read_file(p);
    const Bytes huge = {0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0};
    bytes.insert(bytes.end(), huge.begin(), huge.end());
    write_file(p, bytes);
    auto o = open_ok(p);
    EXPECT_EQ(o.records.size(), 1u);
    EXPECT_EQ(o.recovery.drop_reason, "length over maximum");
}

TEST(Journal, AFileThatIsNotAJournalIsLeftAlone) {
    TempDir dir;
    const auto p = dir / "j";
    const Bytes other = rec("some other file's content");
    write_file(p, other);
    auto r = Journal::open(p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, JournalErrc::not_a_journal);
    EXPECT_NE(r.error().to_string().find(p.string()), std::string::npos);
    EXPECT_EQ(read_file(p), other);
}

TEST(Journal, TornMagicStartsAfresh) {
    TempDir dir;
    const auto p = dir / "j";
    write_file(p, rec("ELM"));
    auto o = open_ok(p);
    EXPECT_TRUE(o.recovery.created);
    EXPECT_TRUE(o.records.empty());
    ASSERT_TRUE(o.journal.append(rec("x")).ok());
    EXPECT_EQ(open_ok(p).records, std::vector<Bytes>{rec("x")});
}

TEST(Journal, FilesystemErrorsAreValuesNamingThePath) {
    TempDir dir;
    write_file(dir / "plain", rec("a file, not a directory"));
    auto r = Journal::open(dir / "plain" / "j");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, JournalErrc::io);
    EXPECT_NE(r.error().sys_errno, 0);
    EXPECT_NE(r.error().to_string().find("plain"), std::string::npos);
    EXPECT_FALSE(r.error().detail.empty());

    auto d = Journal::open(dir.path());  // a directory
    ASSERT_FALSE(d.ok());
}

TEST(Journal, RewriteReplacesAtomically) {
    TempDir dir;
    const auto p = dir / "j";
    auto o = open_ok(p);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(o.journal.append(rec("old " + std::to_string(i))).ok());
    const std::vector<Bytes> live = {rec("live 1"), rec("live 2")};
    ASSERT_TRUE(o.journal.rewrite(live).ok());
    EXPECT_EQ(o.journal.record_count(), 2u);
    EXPECT_EQ(o.journal.size_bytes(), fs::file_size(p));
    EXPECT_FALSE(fs::exists(p.string() + ".tmp"));
    // The journal goes on in the new file.
    ASSERT_TRUE(o.journal.append(rec("after")).ok());
    ASSERT_TRUE(o.journal.sync().ok());
    EXPECT_EQ(open_ok(p).records, (std::vector<Bytes>{rec("live 1"), rec("live 2"), rec("after")}));

    // Rewriting to nothing leaves a valid empty journal.
    ASSERT_TRUE(o.journal.rewrite({}).ok());
    EXPECT_TRUE(open_ok(p).records.empty());
}

TEST(Journal, RewriteWithABadRecordChangesNothing) {
    TempDir dir;
    const auto p = dir / "j";
    write_journal(p, {rec("keep")});
    auto o = open_ok(p);
    const std::vector<Bytes> bad = {rec("x"), Bytes{}};
    EXPECT_FALSE(o.journal.rewrite(bad).ok());
    EXPECT_EQ(open_ok(p).records, std::vector<Bytes>{rec("keep")});
}

// A crash during rewrite() before the rename leaves a temporary file: it is never the journal.
TEST(Journal, LeftoverTemporaryOfAnInterruptedRewriteIsIgnored) {
    TempDir dir;
    const auto p = dir / "j";
    write_journal(p, {rec("real")});
    write_file(p.string() + ".tmp", rec("ELMOJNL half written"));
    auto o = open_ok(p);
    EXPECT_EQ(o.records, std::vector<Bytes>{rec("real")});
    EXPECT_FALSE(fs::exists(p.string() + ".tmp"));
}

TEST(Journal, LargeJournalReadsBack) {
    TempDir dir;
    const auto p = dir / "j";
    std::vector<Bytes> records;
    for (int i = 0; i < 5000; ++i) records.push_back(Bytes(static_cast<std::size_t>(1 + i % 700), static_cast<std::uint8_t>(i)));
    write_journal(p, records);
    EXPECT_EQ(open_ok(p).records, records);
}

// Random bytes after the magic: open() never fails or crashes, keeps a prefix, and the journal
// is usable afterwards.
TEST(Journal, RandomTailsNeverBreakOpen) {
    TempDir dir;
    const auto p = dir / "j";
    std::mt19937 rng(7);
    for (int round = 0; round < 40; ++round) {
        write_journal(p, {rec("good")});
        Bytes bytes = read_file(p);
        const std::size_t n = rng() % 64;
        for (std::size_t i = 0; i < n; ++i) bytes.push_back(static_cast<std::uint8_t>(rng()));
        write_file(p, bytes);
        {
            auto o = open_ok(p);
            ASSERT_GE(o.records.size(), 1u);
            EXPECT_EQ(o.records[0], rec("good"));
            ASSERT_TRUE(o.journal.append(rec("next")).ok());
        }
        auto again = open_ok(p);
        EXPECT_EQ(again.records.back(), rec("next"));
        fs::remove(p);
    }
}

TEST(Journal, FrameLayout) {
    const Bytes f = frame_record(rec("abc"));
    ASSERT_EQ(f.size(), Journal::header_bytes + 3);
    EXPECT_EQ(f[0], 3);
    EXPECT_EQ(f[1] | f[2] | f[3], 0);
    const std::uint32_t crc = crc32c(ByteView(f.data(), 4), as_bytes("abc"));
    EXPECT_EQ(f[4] | (f[5] << 8) | (f[6] << 16) | (static_cast<std::uint32_t>(f[7]) << 24), crc);
}

}  // namespace
}  // namespace elmo::daemon
