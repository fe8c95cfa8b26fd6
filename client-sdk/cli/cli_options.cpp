#include "client-sdk/cli/cli_options.hpp"

#include <boost/program_options.hpp>
#include <sstream>

namespace elmo::cli {

namespace po = boost::program_options;

std::string usage() {
    return "usage: elmo COMMAND [options]\n"
           "  pub     -t TOPIC -m MSG [-m MSG ...] | -l   publish, wait for acknowledgement\n"
           "  sub     -t TOPIC [-t ...] [--count N] [--json]   print events as they come\n"
           "  poll    [-t TOPIC ...]   poll subscribed topics once, flush the outbox, exit\n"
           "  status  [--offline]   client state, and whether a node answers\n"
           "common: --node host:port (repeatable, required) --state-dir DIR\n"
           "        --pin SHA256 (repeatable) | --tofu FILE | --plain-tcp\n"
           "`elmo COMMAND --help` lists every option; exit codes are in docs/client-sdk.md.\n";
}

Result<CliOptions, std::string> parse_cli(int argc, const char* const* argv) {
    CliOptions o;
    if (argc < 2) return Err{std::string("no command (pub, sub, poll, status)")};
    o.command = argv[1];
    if (o.command == "--help" || o.command == "-h" || o.command == "help") {
        o.help = true;
        o.help_text = usage();
        return o;
    }
    if (o.command != "pub" && o.command != "sub" && o.command != "poll" && o.command != "status")
        return Err{"unknown command '" + o.command + "' (pub, sub, poll, status)"};

    po::options_description common("common options");
    common.add_options()("help,h", po::bool_switch(&o.help), "this help")(
        "node,n", po::value(&o.nodes)->composing(), "a node's client port, host:port (repeatable)")(
        "state-dir,d", po::value(&o.state_dir),
        "where subscriptions, seen ids and unsent publications persist (default $ELMO_STATE_DIR; "
        "none: nothing persists)")("pin", po::value(&o.pins)->composing(),
                                   "trust a node certificate by SHA-256 fingerprint (repeatable)")(
        "tofu", po::value(&o.tofu_file),
        "trust on first use, remembering fingerprints in FILE (default STATE_DIR/known_nodes)")(
        "plain-tcp", po::bool_switch(&o.plain_tcp), "no TLS (nodes run with --plain-tcp)")(
        "id", po::value(&o.id), "client id, 1 to 32 bytes (default: stored, else random)")(
        "connect-timeout", po::value(&o.connect_timeout_s)->default_value(10),
        "seconds to reach a node before giving up (exit 4)")(
        "timeout", po::value(&o.timeout_s),
        "seconds for the command to finish (pub, poll: 10; sub: none) before exit 7")(
        "verbose,v", po::bool_switch(&o.verbose), "more output (pub: the ids queued)");
    po::options_description cmd(o.command + " options");
    if (o.command == "pub") {
        cmd.add_options()("topic,t", po::value(&o.topics)->composing(), "topic")(
            "message,m", po::value(&o.messages)->composing(), "a message (repeatable)")(
            "stdin-lines,l", po::bool_switch(&o.stdin_lines), "one message per line of stdin")(
            "no-wait", po::bool_switch(&o.no_wait),
            "exit once the publications are queued in --state-dir");
    } else if (o.command == "sub" || o.command == "poll") {
        cmd.add_options()("topic,t", po::value(&o.topics)->composing(), "topic (repeatable)")(
            "count,C", po::value(&o.count), "exit after N events")("json", po::bool_switch(&o.json),
                                                                   "one JSON object per event");
    } else {
        cmd.add_options()("offline", po::bool_switch(&o.offline), "do not connect");
    }
    po::options_description all;
    all.add(common).add(cmd);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc - 1, argv + 1).options(all).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        return Err{std::string(e.what())};
    }
    if (o.help) {
        std::ostringstream s;
        s << "usage: elmo " << o.command << " [options]\n" << all;
        o.help_text = s.str();
        return o;
    }
    if (o.nodes.empty()) return Err{std::string("no --node given")};
    if (o.command == "pub") {
        if (o.topics.size() != 1) return Err{std::string("pub needs exactly one -t TOPIC")};
        if (o.messages.empty() && !o.stdin_lines) return Err{std::string("pub needs -m MSG or -l")};
        if (o.no_wait && o.state_dir.empty())
            return Err{std::string("--no-wait needs --state-dir (else the publications are lost)")};
    }
    if (o.command == "sub" && o.topics.empty()) return Err{std::string("sub needs -t TOPIC")};
    if (o.count < 0) return Err{std::string("--count must be positive")};
    if (o.connect_timeout_s <= 0) return Err{std::string("--connect-timeout must be positive")};
    int trust = !o.pins.empty() + !o.tofu_file.empty() + o.plain_tcp;
    if (trust > 1) return Err{std::string("give one of --pin, --tofu, --plain-tcp")};
    return o;
}

}  // namespace elmo::cli
