#include "node/daemon/elmod_config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "temp_dir.hpp"

namespace elmo::daemon {
namespace {

using Code = ConfigError::Code;

Result<ElmodConfig, ConfigError> parse(std::vector<std::string> args) {
    args.insert(args.begin(), "elmod");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    return parse_elmod_config(static_cast<int>(argv.size()), argv.data());
}

ConfigError parse_error(std::vector<std::string> args) {
    auto r = parse(std::move(args));
    if (r.ok()) {
        ADD_FAILURE() << "expected an error";
        return {};
    }
    return r.error();
}

std::string write(const test::TempDir& dir, const std::string& name, const std::string& text) {
    const auto p = dir / name;
    std::ofstream(p) << text;
    return p.string();
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(ElmodConfig, Defaults) {
    auto r = parse({});
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    const ElmodConfig& c = r.value();
    EXPECT_EQ(c.port, 4222);
    EXPECT_EQ(c.bind, "127.0.0.1");
    EXPECT_TRUE(c.bootstrap.empty());
    EXPECT_EQ(c.data_dir, "./elmod-data");
    EXPECT_EQ(c.client_port, 4222);  // the UDP port's number unless given
    EXPECT_FALSE(c.plain_tcp);
    EXPECT_EQ(c.admin_port, 9422);
    EXPECT_EQ(c.log_level, LogLevel::info);
    EXPECT_EQ(c.network, 0x454c4d4fu);
    EXPECT_FALSE(c.help);
    EXPECT_TRUE(c.config_file.empty());
    const NodeParams n;
    EXPECT_EQ(c.node.walks, n.walks);
    EXPECT_EQ(c.node.hint_refresh, n.hint_refresh);
    EXPECT_EQ(c.node.use_hints, n.use_hints);
    const mailbox::MailboxParams m;
    EXPECT_EQ(c.mailbox.capacity_topics, m.capacity_topics);
    EXPECT_EQ(c.mailbox.idle_period, m.idle_period);
    EXPECT_EQ(c.mailbox.rate_window, m.rate_window);
}

TEST(ElmodConfig, FlagsOfEveryKind) {
    auto r = parse({"--port",
                    "5000",
                    "--bind=::1",
                    "--bootstrap",
                    "10.0.0.1:4222,[::1]:7",
                    "--bootstrap=node.example:99",
                    "--data-dir",
                    "/tmp/x",
                    "--plain-tcp",
                    "--log-level",
                    "debug",
                    "--network",
                    "0x10",
                    "--node.walks",
                    "5",
                    "--node.use_hints=false",
                    "--node.hint_refresh",
                    "60",
                    "--mailbox.rate_window",
                    "0.5",
                    "--mailbox.max_stored_bytes",
                    "1000",
                    "--help"});
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    const ElmodConfig& c = r.value();
    EXPECT_EQ(c.port, 5000);
    EXPECT_EQ(c.bind, "::1");
    ASSERT_EQ(c.bootstrap.size(), 3u);
    EXPECT_EQ(c.bootstrap[0], (HostPort{"10.0.0.1", 4222}));
    EXPECT_EQ(c.bootstrap[1], (HostPort{"::1", 7}));
    EXPECT_EQ(c.bootstrap[1].to_string(), "[::1]:7");
    EXPECT_EQ(c.bootstrap[2], (HostPort{"node.example", 99}));
    EXPECT_EQ(c.data_dir, "/tmp/x");
    EXPECT_TRUE(c.plain_tcp);
    EXPECT_EQ(c.log_level, LogLevel::debug);
    EXPECT_EQ(c.network, 16u);
    EXPECT_EQ(c.node.walks, 5);
    EXPECT_FALSE(c.node.use_hints);
    EXPECT_EQ(c.node.hint_refresh, std::chrono::seconds(60));
    EXPECT_EQ(c.mailbox.rate_window, std::chrono::milliseconds(500));
    EXPECT_EQ(c.mailbox.max_stored_bytes, 1000u);
    EXPECT_TRUE(c.help);
}

TEST(ElmodConfig, FileThenFlagsOverride) {
    test::TempDir dir;
    const auto file = write(dir, "elmod.conf",
                            "# a comment\n"
                            "port = 5001\n"
                            "client-port = 5002\n"
                            "bootstrap = 127.0.0.2:1\n"
                            "bootstrap = 127.0.0.3:2\n"
                            "plain-tcp = true\n"
                            "[node]\n"
                            "walks = 4\n"
                            "walk_ttl = 6\n"
                            "[mailbox]\n"
                            "idle_period = 90\n");
    auto r = parse({"--config", file, "--port", "6001", "--node.walks=7"});
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    const ElmodConfig& c = r.value();
    EXPECT_EQ(c.config_file, file);
    EXPECT_EQ(c.port, 6001);         // flag wins
    EXPECT_EQ(c.client_port, 5002);  // from the file
    EXPECT_EQ(c.bootstrap.size(), 2u);
    EXPECT_TRUE(c.plain_tcp);
    EXPECT_EQ(c.node.walks, 7);  // flag wins over [node] walks
    EXPECT_EQ(c.node.walk_ttl, 6);
    EXPECT_EQ(c.mailbox.idle_period, std::chrono::seconds(90));

    // A list given on the command line replaces the file's list.
    auto r2 = parse({"--config", file, "--bootstrap", "127.0.0.9:9"});
    ASSERT_TRUE(r2.ok());
    EXPECT_EQ(r2->bootstrap, (std::vector<HostPort>{{"127.0.0.9", 9}}));
}

struct BadCase {
    std::vector<std::string> args;
    Code code;
    std::string option;
};

TEST(ElmodConfig, EachErrorNamesTheOption) {
    const std::vector<BadCase> cases = {
        {{"--bogus", "1"}, Code::unknown_option, "--bogus"},
        {{"--port", "abc"}, Code::bad_value, "--port"},
        {{"--port", "70000"}, Code::out_of_range, "--port"},
        {{"--port", "0"}, Code::out_of_range, "--port"},
        {{"--client-port", "-1"}, Code::out_of_range, "--client-port"},
        {{"--admin-port", "99999999999999999999"}, Code::out_of_range, "--admin-port"},
        {{"--port"}, Code::missing_value, "--port"},
        {{"--bind", "localhost"}, Code::bad_value, "--bind"},
        {{"--bootstrap", "nohost"}, Code::bad_endpoint, "--bootstrap"},
        {{"--bootstrap", "h:0"}, Code::bad_endpoint, "--bootstrap"},
        {{"--bootstrap", "::1:4222"}, Code::bad_endpoint, "--bootstrap"},
        {{"--bootstrap", "a:1,,b:2"}, Code::bad_endpoint, "--bootstrap"},
        {{"--bootstrap", "[zz]:1"}, Code::bad_endpoint, "--bootstrap"},
        {{"--data-dir="}, Code::missing_value, "--data-dir"},
        {{"--data-dir", ""}, Code::bad_value, "--data-dir"},
        {{"--plain-tcp=maybe"}, Code::bad_value, "--plain-tcp"},
        {{"--log-level", "loud"}, Code::bad_value, "--log-level"},
        {{"--network", "0xg"}, Code::bad_value, "--network"},
        {{"--network", "0x1ffffffff"}, Code::out_of_range, "--network"},
        {{"--node.walks", "1.5"}, Code::bad_value, "--node.walks"},
        {{"--node.walk_ttl", "33"}, Code::out_of_range, "--node.walk_ttl"},
        {{"--node.hint_refresh", "0"}, Code::out_of_range, "--node.hint_refresh"},
        {{"--mailbox.idle_period", "nan"}, Code::bad_value, "--mailbox.idle_period"},
        {{"--mailbox.idle_period", "-3"}, Code::out_of_range, "--mailbox.idle_period"},
        {{"--node.subscribe_deadline", "2"}, Code::conflict, "--node.subscribe_deadline"},
        {{"--node.hint_expiry", "100"}, Code::conflict, "--node.hint_expiry"},
        {{"--admin-port", "4222"}, Code::conflict, "--admin-port"},
        {{"--port", "1", "--port", "2"}, Code::bad_value, "--port"},
        {{"stray"}, Code::unexpected_argument, "stray"},
        {{"--config", "/nonexistent/elmod.conf"}, Code::unreadable_file, "--config"},
        {{"--config", "/"}, Code::unreadable_file, "--config"},
        {{"--por", "1"}, Code::unknown_option, "--por"},  // no guessing of abbreviations
    };
    for (const auto& c : cases) {
        std::string joined;
        for (const auto& a : c.args) joined += a + " ";
        SCOPED_TRACE(joined);
        const ConfigError e = parse_error(c.args);
        EXPECT_EQ(e.code, c.code) << e.to_string();
        EXPECT_EQ(e.option, c.option) << e.to_string();
        EXPECT_NE(e.to_string().find(c.option), std::string::npos);
        EXPECT_FALSE(e.message.empty());
    }
}

TEST(ElmodConfig, FileErrorsNameTheOptionAndTheFile) {
    test::TempDir dir;
    struct FileCase {
        std::string text;
        Code code;
        std::string option;
    };
    const std::vector<FileCase> cases = {
        {"port = 99999\n", Code::out_of_range, "--port"},
        {"nonsense = 1\n", Code::unknown_option, "--nonsense"},
        {"[node]\nbogus = 1\n", Code::unknown_option, "--node.bogus"},
        {"[mailbox]\ncapacity_topics = lots\n", Code::bad_value, "--mailbox.capacity_topics"},
        {"config = other.conf\n", Code::unknown_option, "--config"},
        {"port 4222\n", Code::bad_syntax, ""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const auto file = write(dir, "bad.conf", c.text);
        const ConfigError e = parse_error({"--config", file});
        EXPECT_EQ(e.code, c.code) << e.to_string();
        if (!c.option.empty()) {
            EXPECT_EQ(e.option, c.option) << e.to_string();
        }
        EXPECT_NE(e.to_string().find(file), std::string::npos) << e.to_string();
    }
}

TEST(ElmodConfig, HelpListsEveryOptionWithItsDefault) {
    const std::string help = elmod_help();
    const auto options = elmod_options();
    std::set<std::string> names;
    for (const auto& o : options) {
        EXPECT_TRUE(names.insert(o.name).second) << "duplicate option " << o.name;
        EXPECT_NE(help.find("--" + o.name), std::string::npos) << o.name;
        EXPECT_FALSE(o.help.empty()) << o.name;
        if (!o.value_name.empty()) {
            const std::string sep = o.value_name.front() == '[' ? "" : " ";
            EXPECT_NE(help.find("--" + o.name + sep + o.value_name), std::string::npos) << o.name;
        }
    }
    for (const char* n : {"port", "bind", "bootstrap", "data-dir", "client-port", "plain-tcp",
                          "admin-port", "log-level", "network", "config", "help"})
        EXPECT_TRUE(names.contains(n)) << n;
    EXPECT_NE(help.find("(default: 4222)"), std::string::npos);
    EXPECT_NE(help.find("(default: 0x454c4d4f)"), std::string::npos);
    EXPECT_NE(help.find("(default: 1800)"), std::string::npos);  // mailbox.idle_period
}

// Every field of NodeParams and MailboxParams is an option: read the field names from the
// headers, so that a field added there without an option fails here.
TEST(ElmodConfig, EveryParameterFieldIsAnOption) {
    std::set<std::string> names;
    for (const auto& o : elmod_options()) names.insert(o.name);
    const std::regex field(R"(^\s+[A-Za-z_:<>0-9]+\s+([a-z_0-9]+)\s*(=|\{)[^;]*;)");
    for (auto [header, prefix] :
         {std::pair{"/node/params.hpp", "node."}, std::pair{"/mailbox/params.hpp", "mailbox."}}) {
        std::ifstream in(std::string(ELMO_SOURCE_DIR) + header);
        ASSERT_TRUE(in) << header;
        std::string line;
        int fields = 0;
        while (std::getline(in, line)) {
            std::smatch m;
            if (!std::regex_search(line, m, field)) continue;
            ++fields;
            EXPECT_TRUE(names.contains(prefix + m[1].str())) << prefix << m[1].str();
        }
        EXPECT_GT(fields, 10) << header;
    }
}

TEST(ElmodConfig, SampleConfigIsCurrentAndParsesToTheDefaults) {
    const std::string path = std::string(ELMO_SOURCE_DIR) + "/node/daemon/elmod.sample.conf";
    EXPECT_EQ(slurp(path), elmod_sample_config())
        << "node/daemon/elmod.sample.conf is stale: replace it with elmod_sample_config()";
    auto r = parse({"--config", path});
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->port, 4222);
    // Every option appears in it, commented out at its default.
    for (const auto& o : elmod_options()) {
        if (o.name == "help" || o.name == "config") continue;
        const auto dot = o.name.find('.');
        const std::string key = dot == std::string::npos ? o.name : o.name.substr(dot + 1);
        EXPECT_NE(slurp(path).find("# " + key + " = "), std::string::npos) << o.name;
    }
}

// Uncommenting every line of the sample (with its default) gives the defaults too.
TEST(ElmodConfig, UncommentedSampleParsesToTheDefaults) {
    test::TempDir dir;
    std::string text;
    std::istringstream in(elmod_sample_config());
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("# ", 0) == 0 && line.find(" = ") != std::string::npos &&
            line.find("HOST:PORT") == std::string::npos)
            line = line.substr(2);
        text += line + "\n";
    }
    auto r = parse({"--config", write(dir, "all.conf", text)});
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->network, 0x454c4d4fu);
    EXPECT_EQ(r->node.hint_bits, NodeParams{}.hint_bits);
    EXPECT_EQ(r->mailbox.registration_lifetime, mailbox::MailboxParams{}.registration_lifetime);
}

// Random bytes as a config file and random tokens as arguments: a value either way, no throw.
TEST(ElmodConfig, GarbageNeverThrows) {
    test::TempDir dir;
    std::mt19937 rng(5);
    const std::vector<std::string> pieces = {"--",          "-", "=",  "--port",  "--node.",
                                             "[",           "]", "\n", ",",       ":",
                                             "--bootstrap", "x", "0x", "--config"};
    for (int i = 0; i < 300; ++i) {
        std::string text(rng() % 200, '\0');
        for (auto& ch : text) ch = static_cast<char>(rng());
        if (i % 2) text = "[node]\nwalks = " + text;
        const auto file = write(dir, "garbage.conf", text);
        EXPECT_NO_THROW((void)parse({"--config", file}));
        std::vector<std::string> args;
        for (std::size_t k = rng() % 5; k > 0; --k) {
            std::string a = pieces[rng() % pieces.size()];
            if (rng() % 2) a += pieces[rng() % pieces.size()];
            args.push_back(a);
        }
        EXPECT_NO_THROW((void)parse(args));
    }
}

}  // namespace
}  // namespace elmo::daemon
