// The elmo CLI as processes against a real elmod (label `daemon`): sub and pub, the exit codes,
// and publications queued while no node is reachable, the process killed with kill -9 at once,
// then sent by the next run, each exactly once.
#include <gtest/gtest.h>

#include <csignal>
#include <regex>
#include <sstream>

#include "client-sdk/cli/cli_setup.hpp"
#include "sdk_clients.hpp"
#include "temp_dir.hpp"

namespace elmo::sdk::test {
namespace {

using daemon::test::Process;
using daemon::test::run_to_exit;
using daemon::test::TempDir;

struct OneNode {
    OneNode() : cluster(dir.path(), 1) {
        EXPECT_TRUE(poll_until(30s, [&] { return cluster.nodes[0]->metrics().has_value(); }))
            << cluster.nodes[0]->process().log();
        pin = transport::fingerprint_hex(daemon::test::fingerprint(cluster.specs[0]));
        node = "127.0.0.1:" + std::to_string(cluster.specs[0].client_port);
    }
    std::vector<std::string> args(std::vector<std::string> a, const std::string& state = "") {
        a.insert(a.end(), {"--node", node, "--pin", pin});
        if (!state.empty()) a.insert(a.end(), {"--state-dir", (dir.path() / state).string()});
        return a;
    }
    TempDir dir;
    LocalCluster cluster;
    std::string pin, node;
};

std::vector<std::string> lines_matching(const std::string& text, const std::string& pattern) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::regex re(pattern);
    std::smatch m;
    for (std::string line; std::getline(in, line);)
        if (std::regex_search(line, m, re)) out.push_back(m.size() > 1 ? m[1].str() : line);
    return out;
}

TEST(ElmoCli, SubPrintsWhatPubPublishes) {
    OneNode n;
    Process sub(
        ELMO_CLI_PATH,
        n.args({"sub", "-t", "cli", "--count", "3", "--json", "-v", "--timeout", "60"}, "sub"),
        n.dir / "sub.log");
    ASSERT_TRUE(poll_until(30s, [&] {
        return sub.log().find("elmo: subscribed") != std::string::npos;
    })) << sub.log();
    for (const char* m : {"one", "two", "three"}) {
        auto r = run_to_exit(ELMO_CLI_PATH, n.args({"pub", "-t", "cli", "-m", m}),
                             n.dir / "pub.log", 30s);
        EXPECT_TRUE(r.exit.exited && r.exit.code == 0) << r.output;
    }
    auto e = sub.wait(30s);
    ASSERT_TRUE(e) << sub.log();
    EXPECT_TRUE(e->exited && e->code == 0) << sub.log();
    auto payloads = lines_matching(sub.log(), R"re(^\{.*"payload":"([^"]*)"\}$)re");
    std::multiset<std::string> got(payloads.begin(), payloads.end());
    EXPECT_EQ(got, (std::multiset<std::string>{"one", "two", "three"})) << sub.log();
}

TEST(ElmoCli, FailuresHaveOneLineAndTheirOwnExitCode) {
    OneNode n;
    auto run = [&](std::vector<std::string> args) {
        return run_to_exit(ELMO_CLI_PATH, args, n.dir / "run.log", 30s);
    };
    auto code = [](const daemon::test::RunResult& r) { return r.exit.exited ? r.exit.code : -1; };

    auto unreachable = run({"pub", "-t", "x", "-m", "m", "--node", "127.0.0.1:1", "--pin", n.pin,
                            "--connect-timeout", "2"});
    EXPECT_EQ(code(unreachable), 4) << unreachable.output;
    EXPECT_NE(unreachable.output.find("elmo: cannot reach any node"), std::string::npos);

    auto bad_topic = run(n.args({"pub", "-t", "", "-m", "m"}));
    EXPECT_EQ(code(bad_topic), 3) << bad_topic.output;
    EXPECT_NE(bad_topic.output.find("elmo: bad topic"), std::string::npos);

    auto too_large = run(n.args({"pub", "-t", "x", "-m", std::string(20'000, 'p')}));
    EXPECT_EQ(code(too_large), 3) << too_large.output;
    EXPECT_NE(too_large.output.find("elmo: payload too large"), std::string::npos);

    auto wrong_pin = run({"sub", "-t", "x", "--node", n.node, "--pin", std::string(64, 'a'),
                          "--connect-timeout", "2"});
    EXPECT_EQ(code(wrong_pin), 6) << wrong_pin.output;
    EXPECT_NE(wrong_pin.output.find("elmo: node certificate refused"), std::string::npos);

    auto usage = run({"pub", "--bogus"});
    EXPECT_EQ(code(usage), 2) << usage.output;

    auto ok = run(n.args({"status"}));
    EXPECT_EQ(code(ok), 0) << ok.output;
    EXPECT_NE(ok.output.find("(connected)"), std::string::npos) << ok.output;
}

TEST(ElmoCli, PublicationsQueuedThenKilledWithKillNineGoOutOnceOnRestart) {
    OneNode n;
    auto sub = sdk_client(n.cluster.specs, {daemon::test::fingerprint(n.cluster.specs[0])},
                          {"offline"}, {}, 41);
    ASSERT_TRUE(sub);
    ASSERT_TRUE(poll_until(30s, [&] { return registered(*sub->client, "offline"); }));
    const std::string state = (n.dir / "pub-state").string();
    std::vector<std::string> queued;

    // 1. No node reachable: the publications wait in the outbox; killed as soon as they are.
    {
        Process pub(
            ELMO_CLI_PATH,
            {"pub", "-t", "offline", "-m", "a", "-m", "b", "-m", "c", "-v", "--node", "127.0.0.1:1",
             "--pin", n.pin, "--state-dir", state, "--connect-timeout", "600"},
            n.dir / "pub1.log");
        ASSERT_TRUE(poll_until(
            30s, [&] { return lines_matching(pub.log(), "^queued ").size() == 3; }, 1ms))
            << pub.log();
        pub.signal(SIGKILL);
        ASSERT_TRUE(pub.wait(5s));
        auto ids = lines_matching(pub.log(), "^queued ([0-9a-f]{64})$");
        queued.insert(queued.end(), ids.begin(), ids.end());
    }
    auto status =
        run_to_exit(ELMO_CLI_PATH,
                    {"status", "--offline", "--state-dir", state, "--node", n.node, "--pin", n.pin},
                    n.dir / "status.log", 30s);
    EXPECT_NE(status.output.find("outbox: 3 publication(s) waiting"), std::string::npos)
        << status.output;

    // 2. The node reachable, killed right after queueing (sent or not, acknowledged or not).
    {
        Process pub(ELMO_CLI_PATH,
                    {"pub", "-t", "offline", "-m", "d", "-m", "e", "-v", "--node", n.node, "--pin",
                     n.pin, "--state-dir", state},
                    n.dir / "pub2.log");
        ASSERT_TRUE(poll_until(
            30s, [&] { return lines_matching(pub.log(), "^queued ").size() == 2; }, 1ms))
            << pub.log();
        pub.signal(SIGKILL);
        ASSERT_TRUE(pub.wait(5s));
        auto ids = lines_matching(pub.log(), "^queued ([0-9a-f]{64})$");
        queued.insert(queued.end(), ids.begin(), ids.end());
    }
    ASSERT_EQ(queued.size(), 5u);

    // 3. Restarted: whatever is left goes out; the subscriber gets each publication once.
    auto poll =
        run_to_exit(ELMO_CLI_PATH, {"poll", "--state-dir", state, "--node", n.node, "--pin", n.pin},
                    n.dir / "poll.log", 60s);
    EXPECT_TRUE(poll.exit.exited && poll.exit.code == 0) << poll.output;
    ASSERT_TRUE(poll_until(30s, [&] { return sub->seen.received_count() >= 5; }))
        << sub->seen.received_count();
    std::set<std::string> got;
    for (const auto& id : sub->seen.received_copy()) got.insert(cli::hex(id));
    EXPECT_EQ(got, std::set<std::string>(queued.begin(), queued.end()));
    EXPECT_EQ(sub->seen.duplicates, 0u);
    status =
        run_to_exit(ELMO_CLI_PATH,
                    {"status", "--offline", "--state-dir", state, "--node", n.node, "--pin", n.pin},
                    n.dir / "status.log", 30s);
    EXPECT_NE(status.output.find("outbox: 0 publication(s) waiting"), std::string::npos)
        << status.output;
    EXPECT_NE(status.output.find("next seq: 6"), std::string::npos) << status.output;
    EXPECT_EQ(n.cluster.nodes[0]->sample("elmo_mailbox_stored_events"), 5);
}

}  // namespace
}  // namespace elmo::sdk::test
