#pragma once
#include <atomic>

#include "client-sdk/cli/cli_options.hpp"

namespace elmo::cli {

// Set by SIGINT/SIGTERM: sub and poll stop and exit 0, state synced.
extern std::atomic<bool> interrupted;

// Each runs one command to its exit code, printing events to stdout and errors (one line,
// "elmo: ...") to stderr.
int run_pub(const CliOptions& o);
int run_sub(const CliOptions& o);
int run_poll(const CliOptions& o);
int run_status(const CliOptions& o);

}  // namespace elmo::cli
