#pragma once
// From the parsed command line to a connected-or-failed sdk::Client, and the shared pieces of
// every command: failures as (exit code, one-line message), event printing.
#include <memory>
#include <string>

#include "client-sdk/api/client.hpp"
#include "client-sdk/cli/cli_options.hpp"
#include "client-sdk/cli/exit_codes.hpp"

namespace elmo::cli {

struct Failure {
    ExitCode code = exit_error;
    std::string message;  // one line, without the "elmo: " prefix
};

// Resolves the nodes, picks the trust policy, opens the state directory.
Result<std::unique_ptr<sdk::Client>, Failure> open_client(const CliOptions& o);
// Waits until connected, up to --connect-timeout; the failure says why not (unreachable or a
// refused certificate, with the last transport error).
Result<Unit, Failure> wait_connected(sdk::Client& c, const CliOptions& o);
// Checks a topic before anything is sent (exit_bad_input).
Result<Unit, Failure> check_topic(const std::string& topic);

// One event as printed by sub and poll: the payload (text), or one JSON object with --json.
std::string format_event(const sdk::Event& e, bool json, bool verbose);
std::string hex(const sdk::EventId& id);

}  // namespace elmo::cli
