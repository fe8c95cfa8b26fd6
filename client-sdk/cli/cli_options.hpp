#pragma once
// The `elmo` command line: `elmo COMMAND [options]`, parsed with Boost.Program_options (as elmod
// does). Parsing only; cli_setup turns the result into an sdk::ClientOptions.
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace elmo::cli {

struct CliOptions {
    std::string command;  // pub, sub, poll, status
    std::vector<std::string> nodes;
    std::string state_dir;
    std::vector<std::string> pins;
    std::string tofu_file;
    bool plain_tcp = false;
    std::string id;
    std::vector<std::string> topics;
    std::vector<std::string> messages;
    bool stdin_lines = false;  // pub -l: one message per line of stdin
    bool no_wait = false;      // pub: exit once queued (needs --state-dir)
    long count = 0;            // sub: exit after this many events (0: never)
    bool json = false;
    bool verbose = false;
    bool offline = false;           // status: do not connect
    double timeout_s = -1;          // -1: the command's default
    double connect_timeout_s = 10;  // no connection by then: unreachable
    bool help = false;
    std::string help_text;
};

// Parses argv; an error is a one-line message for a usage failure (exit_usage).
Result<CliOptions, std::string> parse_cli(int argc, const char* const* argv);
std::string usage();

}  // namespace elmo::cli
