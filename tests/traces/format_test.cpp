// The trace format: records round-trip through the writer and the reader (plain and gzip), and
// a bad line is rejected with its line number and reason, without stopping the reader.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "traces/trace_io.hpp"

namespace elmo::traces {
namespace {

std::filesystem::path temp_file(const std::string& name) {
    auto dir =
        std::filesystem::temp_directory_path() / ("elmo-traces-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir / name;
}

std::vector<Record> sample() {
    return {
        {0, Op::node_join, 0, "", 0, SubRule::none},
        {0, Op::online, 7, "", 0, SubRule::none},
        {5, Op::subscribe, 7, "u42", 0, SubRule::follow},
        {5, Op::subscribe, 8, "u42", 0, SubRule::interaction},
        {6, Op::subscribe, 9, "topic-1", 0, SubRule::none},
        {1000, Op::publish, 42, "u42", 16384, SubRule::none},
        {1000, Op::unsubscribe, 7, "u42", 0, SubRule::none},
        {2000, Op::offline, 7, "", 0, SubRule::none},
        {3000, Op::node_crash, 3, "", 0, SubRule::none},
        {4000, Op::node_leave, 4, "", 0, SubRule::none},
        {1ull << 40, Op::publish, 4294967295u, "t", 0, SubRule::none},
    };
}

std::vector<Record> read_all(const std::string& path, std::map<std::string, std::string>* meta) {
    auto r = TraceReader::open(path);
    EXPECT_TRUE(r.ok());
    std::vector<Record> out;
    for (;;) {
        auto n = r->next();
        EXPECT_TRUE(n.ok()) << n.error().message();
        if (!n.ok() || !*n) break;
        out.push_back(**n);
    }
    if (meta) *meta = r->meta();
    return out;
}

void round_trip(const std::string& name) {
    const auto path = temp_file(name).string();
    auto w = TraceWriter::open(path);
    ASSERT_TRUE(w.ok());
    EXPECT_TRUE(w->meta("nodes", "16"));
    EXPECT_TRUE(w->meta("source", "unit test"));
    for (const auto& r : sample()) EXPECT_TRUE(w->write(r));
    EXPECT_FALSE(w->meta("late", "x"));  // header only before records
    ASSERT_TRUE(w->close().ok());
    std::map<std::string, std::string> meta;
    EXPECT_EQ(read_all(path, &meta), sample());
    EXPECT_EQ(meta["nodes"], "16");
    EXPECT_EQ(meta["source"], "unit test");
    EXPECT_EQ(meta["format"], "elmo-trace 1");
}

TEST(TraceFormat, RoundTripPlain) {
    round_trip("plain.trace");
}
TEST(TraceFormat, RoundTripGzip) {
    round_trip("c.trace.gz");
    // Really compressed: the gzip magic.
    std::ifstream f(temp_file("c.trace.gz"), std::ios::binary);
    unsigned char m[2] = {0, 0};
    f.read(reinterpret_cast<char*>(m), 2);
    EXPECT_EQ(m[0], 0x1f);
    EXPECT_EQ(m[1], 0x8b);
}

TEST(TraceFormat, WriterRefusesInvalidOrUnsortedRecords) {
    auto w = TraceWriter::open(temp_file("refuse.trace").string());
    ASSERT_TRUE(w.ok());
    EXPECT_TRUE(w->write({10, Op::online, 1, "", 0, SubRule::none}));
    EXPECT_FALSE(w->write({9, Op::online, 1, "", 0, SubRule::none}));  // earlier
    EXPECT_FALSE(w->write({10, Op::subscribe, 1, "has space", 0, SubRule::none}));
    EXPECT_FALSE(w->write({10, Op::subscribe, 1, "", 0, SubRule::none}));
    EXPECT_FALSE(w->write({10, Op::publish, 1, "t", max_payload_bytes + 1, SubRule::none}));
    EXPECT_EQ(w->records(), 1u);
    EXPECT_TRUE(w->close().ok());
}

TEST(TraceFormat, BadLinesAreRejectedWithLineNumberAndReason) {
    const auto path = temp_file("bad.trace").string();
    {
        std::ofstream f(path);
        f << "# elmo-trace 1\n# nodes: 3\n"  // lines 1-2
          << "10 online 1\n"                 // 3 ok
          << "\n# a comment\n"               // 4-5 skipped
          << "x online 1\n"                  // 6 bad time
          << "11 fly 1\n"                    // 7 unknown op
          << "12 online -1\n"                // 8 bad id
          << "12 online 99999999999\n"       // 9 bad id (over 32 bits)
          << "13 sub 1\n"                    // 10 bad topic (missing)
          << "14 pub 1 t 70000\n"            // 11 bad size
          << "15 sub 1 t friend\n"           // 12 bad rule
          << "16 offline 1 extra\n"          // 13 extra fields
          << "5 offline 1\n"                 // 14 time goes back
          << "20 pub 1 t 100\n"              // 15 ok
          << std::string(2000, '9') << "\n"  // 16 too long
          << "21 offline 1";                 // 17 ok, no final newline
    }
    auto r = TraceReader::open(path);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->meta_uint("nodes"), 3u);
    std::vector<std::pair<std::uint64_t, ParseErrorKind>> errors;
    std::vector<std::uint64_t> times;
    for (;;) {
        auto n = r->next();
        if (!n) {
            errors.emplace_back(n.error().line, n.error().kind);
            EXPECT_NE(n.error().message().find("line " + std::to_string(n.error().line)),
                      std::string::npos);
            continue;
        }
        if (!*n) break;
        times.push_back((*n)->t_ms);
    }
    using K = ParseErrorKind;
    const std::vector<std::pair<std::uint64_t, K>> want = {
        {6, K::bad_time},        {7, K::unknown_op}, {8, K::bad_id},    {9, K::bad_id},
        {10, K::bad_topic},      {11, K::bad_size},  {12, K::bad_rule}, {13, K::extra_fields},
        {14, K::time_goes_back}, {16, K::too_long}};
    EXPECT_EQ(errors, want);
    EXPECT_EQ(times, (std::vector<std::uint64_t>{10, 20, 21}));
}

TEST(TraceFormat, MissingFileIsAnError) {
    auto r = TraceReader::open("/nonexistent/elmo.trace");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ParseErrorKind::io_error);
}

TEST(TraceFormat, ParseRecordAcceptsTabsAndTrailingSpaces) {
    auto r = parse_record("7\tpub\t3\ttopic  12 ");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->op, Op::publish);
    EXPECT_EQ(r->size, 12u);
    EXPECT_EQ(format_record(*r), "7 pub 3 topic 12");
}

}  // namespace
}  // namespace elmo::traces
