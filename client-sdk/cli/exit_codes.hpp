#pragma once
// The `elmo` CLI's exit codes (docs/client-sdk.md, "CLI"): one per kind of failure a script may
// want to tell apart.
namespace elmo::cli {

enum ExitCode : int {
    exit_ok = 0,
    exit_error = 1,        // anything else (internal error, I/O)
    exit_usage = 2,        // bad command line
    exit_bad_input = 3,    // bad topic or payload (refused before anything is sent)
    exit_unreachable = 4,  // no node could be connected to within --connect-timeout
    exit_refused = 5,      // the network refused a publication as invalid
    exit_trust = 6,        // a node's certificate was refused (pin or TOFU mismatch)
    exit_timeout = 7,      // connected, but not done within --timeout (publications stay queued)
    exit_state = 8,        // the state directory could not be opened (in use, unreadable, ...)
    exit_outbox_full = 9,  // too many publications waiting for acknowledgement
};

}  // namespace elmo::cli
