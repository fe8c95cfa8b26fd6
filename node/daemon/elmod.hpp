#pragma once
// The daemon elmod (issue 5): one asio event loop, one thread, driving the node core and a real
// OpenDHT dht::Dht over ONE UDP port (DHT and elmo datagrams told apart by their first byte), the
// TLS client listener, the mailbox journal, and the Prometheus admin endpoint. See
// docs/daemon.md for the life cycle (start-up, restart after a crash, graceful stop).
//
// Time: every input reads the steady clock once and hands that `now` to the core and the DHT;
// one steady_timer is armed for the earliest of the core's, the DHT's, the group commit's and
// the bootstrap retry's wake-ups.
#include <memory>
#include <string>

#include "node/daemon/elmod_config.hpp"

namespace elmo::daemon {

// Exit codes of elmod.
inline constexpr int exit_ok = 0;       // graceful stop (SIGTERM/SIGINT), or --help
inline constexpr int exit_runtime = 1;  // could not start (port in use, data dir locked, ...)
inline constexpr int exit_config = 2;   // bad configuration (the ConfigError is printed)

// Runs the daemon until SIGTERM or SIGINT; returns the exit code.
int run_elmod(const ElmodConfig& config);

}  // namespace elmo::daemon
