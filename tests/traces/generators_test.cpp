// Generators and importers: the synthetic workload is a function of its seed and follows its
// knobs; the Higgs importer maps tweets and subscriptions by the stated rules, slices by time,
// speeds up, and samples publishers with all their subscribers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "traces/higgs.hpp"
#include "traces/synthetic.hpp"
#include "traces/trace_stats.hpp"

namespace elmo::traces {
namespace {

std::filesystem::path temp_dir_path() {
    return std::filesystem::temp_directory_path() /
           ("elmo-gen-test-" + std::to_string(::getpid()));
}

std::filesystem::path temp_dir() {
    auto dir = temp_dir_path();
    std::filesystem::create_directories(dir);
    return dir;
}

// This process's traces go when its tests end (ctest runs each test in its own process).
class TempDirCleanup : public ::testing::Environment {
public:
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(temp_dir_path(), ec);
    }
};
[[maybe_unused]] const auto* const temp_dir_cleanup =
    ::testing::AddGlobalTestEnvironment(new TempDirCleanup);

std::vector<Record> read_all(const std::string& path) {
    auto r = TraceReader::open(path);
    EXPECT_TRUE(r.ok());
    std::vector<Record> out;
    for (;;) {
        auto n = r->next();
        EXPECT_TRUE(n.ok()) << n.error().message();
        if (!n.ok() || !*n) break;
        out.push_back(**n);
    }
    return out;
}

std::string file_text(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

std::vector<Record> synthetic(const SyntheticConfig& c, const std::string& name) {
    const auto path = (temp_dir() / name).string();
    auto w = TraceWriter::open(path);
    EXPECT_TRUE(w.ok());
    auto st = generate_synthetic(c, *w);
    EXPECT_TRUE(st.ok());
    EXPECT_TRUE(w->close().ok());
    return read_all(path);
}

TEST(SyntheticTrace, SameSeedSameTraceOtherSeedOther) {
    SyntheticConfig c;
    c.nodes = 20;
    c.duration_s = 300;
    const auto a = synthetic(c, "a.trace"), b = synthetic(c, "b.trace");
    EXPECT_EQ(a, b);
    c.seed = 2;
    EXPECT_NE(a, synthetic(c, "c.trace"));
}

TEST(SyntheticTrace, FollowsItsKnobs) {
    SyntheticConfig c;
    c.nodes = 30;
    c.clients_per_node = 2;
    c.subs = 3;
    c.rate = 10;
    c.duration_s = 600;
    c.join_s = 60;
    c.churn = ChurnKind::crash;
    c.fail_at_s = 300;
    c.fraction = 0.2;
    const auto recs = synthetic(c, "knobs.trace");
    std::map<Op, std::uint64_t> n;
    std::map<std::uint32_t, std::set<std::string>> subs;
    std::map<std::uint32_t, bool> online;
    for (const auto& r : recs) {
        ++n[r.op];
        if (r.op == Op::subscribe) {
            EXPECT_EQ(r.rule, SubRule::synthetic);
            subs[r.id].insert(r.topic);
        }
        if (r.op == Op::online) online[r.id] = true;
        if (r.op == Op::offline) online[r.id] = false;
        if (r.op == Op::publish) {
            // A publication comes from an online subscriber of its topic, after the joins.
            EXPECT_TRUE(online[r.id]);
            EXPECT_TRUE(subs[r.id].contains(r.topic));
            EXPECT_GE(r.t_ms, 60000u);
        }
        if (r.op == Op::node_crash) {
            EXPECT_EQ(r.t_ms, 300000u);
        }
        EXPECT_LT(r.t_ms, 600000u);
    }
    EXPECT_EQ(n[Op::node_join], 30u);
    EXPECT_EQ(n[Op::node_crash], 6u);
    EXPECT_EQ(subs.size(), 60u);
    for (const auto& [cl, t] : subs) EXPECT_EQ(t.size(), 3u);
    // Poisson at 10/s over 540 s (some skipped when no subscriber is online).
    EXPECT_GT(n[Op::publish], 4000u);
    EXPECT_LT(n[Op::publish], 6000u);
}

// A tiny data set in the Higgs layout (plain text: zlib reads it like a .gz).
std::string tiny_higgs() {
    const auto dir = temp_dir() / "higgs";
    std::filesystem::create_directories(dir);
    auto put = [&](const char* name, const char* text) { std::ofstream(dir / name) << text; };
    // Account 1 is covered by the follower graph: it follows 2 and 3, and only them.
    put("higgs-social_network-partial.edgelist.gz", "1 2\n1 3\n");
    put("higgs-retweet_network.edgelist.gz", "1 4 1\n5 2 3\n");  // 1 covered: not subscribed to 4
    put("higgs-mention_network.edgelist.gz", "6 3 1\n");
    put("higgs-reply_network.edgelist.gz", "7 2 1\n");
    put("higgs-activity_time.txt.gz",
        "2 9 1000 RT\n2 8 1000 MT\n3 9 1001 RT\n4 9 1005 RT\n2 9 2000 RT\n");
    return dir.string();
}

TEST(HiggsImport, MapsTweetsAndSubscriptionsByTheStatedRules) {
    HiggsConfig c;
    c.dir = tiny_higgs();
    c.from_unix = 1000;
    c.to_unix = 1010;
    c.speedup = 2;
    c.lead_s = 0;
    c.online_s = 0;  // always online
    const auto path = (temp_dir() / "h.trace").string();
    auto w = TraceWriter::open(path);
    ASSERT_TRUE(w.ok());
    auto st = import_higgs(c, *w);
    ASSERT_TRUE(st.ok()) << st.error();
    ASSERT_TRUE(w->close().ok());
    EXPECT_EQ(st->publishers, 3u);
    EXPECT_EQ(st->rows_in_window, 4u);
    EXPECT_EQ(st->subs_follow, 2u);
    EXPECT_EQ(st->subs_interaction, 3u);
    std::set<std::tuple<std::uint32_t, std::string, SubRule>> subs;
    std::vector<std::pair<std::uint64_t, std::string>> pubs;
    for (const auto& r : read_all(path)) {
        if (r.op == Op::subscribe) subs.insert({r.id, r.topic, r.rule});
        if (r.op == Op::publish) pubs.emplace_back(r.t_ms, r.topic);
    }
    const std::set<std::tuple<std::uint32_t, std::string, SubRule>> want_subs = {
        {1, "u2", SubRule::follow},
        {1, "u3", SubRule::follow},
        {5, "u2", SubRule::interaction},
        {7, "u2", SubRule::interaction},
        {6, "u3", SubRule::interaction}};
    EXPECT_EQ(subs, want_subs);
    // Two rows of account 2 in second 1000 are one tweet; the row at 2000 is outside the window;
    // times are compressed by 2.
    const std::vector<std::pair<std::uint64_t, std::string>> want_pubs = {
        {0, "u2"}, {500, "u3"}, {2500, "u4"}};
    EXPECT_EQ(pubs, want_pubs);
    EXPECT_NE(file_text(path).find("# rules: follow"), std::string::npos);
}

TEST(HiggsImport, SamplingKeepsEveryKeptPublishersSubscribers) {
    HiggsConfig c;
    c.dir = tiny_higgs();
    c.max_clients = 4;
    c.lead_s = 10;
    const auto path = (temp_dir() / "s.trace").string();
    auto w = TraceWriter::open(path);
    ASSERT_TRUE(w.ok());
    auto st = import_higgs(c, *w);
    ASSERT_TRUE(st.ok()) << st.error();
    ASSERT_TRUE(w->close().ok());
    EXPECT_LT(st->publishers_kept, st->publishers);
    EXPECT_GE(st->publishers_kept, 1u);
    EXPECT_LE(st->clients, 4u);
    std::set<std::uint32_t> clients;
    std::map<std::string, std::set<std::uint32_t>> subs;
    std::set<std::string> published;
    for (const auto& r : read_all(path)) {
        clients.insert(r.id);
        if (r.op == Op::subscribe) subs[r.topic].insert(r.id);
        if (r.op == Op::publish) {
            published.insert(r.topic);
            EXPECT_GE(r.t_ms, 10000u);  // after the lead
        }
    }
    EXPECT_LE(clients.size(), 4u);
    // The full subscriber sets of the tiny graph: a kept topic has all of them.
    const std::map<std::string, std::set<std::uint32_t>> full = {{"u2", {1, 5, 7}}, {"u3", {1, 6}}};
    for (const auto& t : published)
        if (full.contains(t)) {
            EXPECT_EQ(subs[t], full.at(t)) << t;
        }
}

// With arrivals, each client subscribes and starts its sessions at its own time within the
// arrivals window (not everybody at 0, the flash crowd); the subscriptions are the same.
TEST(HiggsImport, ArrivalsSpreadEachClientsFirstAppearanceOverTheWindow) {
    auto run = [](double arrivals_s, const char* name) {
        HiggsConfig c;
        c.dir = tiny_higgs();
        c.from_unix = 1000;
        c.to_unix = 1010;
        c.lead_s = 100;
        c.arrivals_s = arrivals_s;
        c.online_s = 0;  // always online: one `online` record per client, at its arrival
        const auto path = (temp_dir() / name).string();
        auto w = TraceWriter::open(path);
        EXPECT_TRUE(w.ok());
        EXPECT_TRUE(import_higgs(c, *w).ok());
        EXPECT_TRUE(w->close().ok());
        return read_all(path);
    };
    std::map<std::uint32_t, std::uint64_t> arrival;
    std::set<std::pair<std::uint32_t, std::string>> subs, subs_at_0;
    std::uint64_t last = 0;
    for (const auto& r : run(100, "arr.trace")) {
        EXPECT_GE(r.t_ms, last) << "records in time order";
        last = r.t_ms;
        if (r.op == Op::online) arrival.emplace(r.id, r.t_ms);
        if (r.op == Op::subscribe) {
            subs.insert({r.id, r.topic});
            EXPECT_FALSE(arrival.contains(r.id)) << "subscriptions come with the arrival";
        }
        if (r.op == Op::online || r.op == Op::subscribe) {
            EXPECT_LT(r.t_ms, 100000u);
        }
    }
    std::set<std::uint64_t> distinct;
    for (const auto& [id, t] : arrival) distinct.insert(t);
    EXPECT_GE(distinct.size(), arrival.size() - 1) << "not everybody at once";
    for (const auto& r : run(0, "arr0.trace")) {
        if (r.op == Op::subscribe) subs_at_0.insert({r.id, r.topic});
        if (r.op == Op::subscribe || r.op == Op::online) {
            EXPECT_EQ(r.t_ms, 0u);
        }
    }
    EXPECT_EQ(subs, subs_at_0);
}

TEST(TraceStatsTest, CountsWhatATraceHolds) {
    SyntheticConfig c;
    c.nodes = 10;
    c.duration_s = 120;
    const auto path = (temp_dir() / "st.trace.gz").string();
    auto w = TraceWriter::open(path);
    ASSERT_TRUE(w.ok());
    auto g = generate_synthetic(c, *w);
    ASSERT_TRUE(g.ok());
    ASSERT_TRUE(w->close().ok());
    auto s = trace_stats(path);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->records, g->records);
    EXPECT_EQ(s->by_op[static_cast<std::size_t>(Op::publish)], g->publications);
    EXPECT_EQ(s->subs_by_rule[static_cast<std::size_t>(SubRule::synthetic)], g->subscriptions);
    EXPECT_EQ(s->nodes, 10u);
    EXPECT_EQ(s->meta.at("nodes"), "10");
    EXPECT_EQ(s->errors, 0u);
}

}  // namespace
}  // namespace elmo::traces
