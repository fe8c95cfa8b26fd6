#pragma once
// Virtual time for code we cannot hand a `now`.
//
// OpenDHT 2.4.12 reads std::chrono::steady_clock::now() not only in the Dht constructor but also
// in put, get, listen, query, cancelListen, insertNode, pingNode and shutdown (each calls
// Scheduler::syncTime(), checked by disassembling libopendht.so.2.4.12), and converts value
// creation times with system_clock::now(). Under a simulation those reads must return virtual
// time, or a put stamps its value with the real clock and schedules its search step in the real
// future. So the simulator library defines both clocks' now(): the executable's definitions take
// precedence over libstdc++'s for every caller in the process, OpenDHT included (ELF symbol
// interposition). On a thread where an Engine is active they return its virtual time; everywhere
// else they read the real clocks exactly as libstdc++ does (clock_gettime), so tests, loggers and
// other threads are unaffected.
//
// The active engine is per thread and is set by the engine itself whenever it runs events or the
// simulation calls into a node; several simulations can coexist in one process, each activating
// its own clock when it runs.
#include "common/time.hpp"

namespace elmo::sim {

class Engine;

// Makes `engine`'s virtual time the clock of this thread (nullptr: the real clocks).
void activate_clock(const Engine* engine);
// Returns this thread to the real clocks if `engine` is the active one (called on destruction).
void release_clock(const Engine* engine);
const Engine* active_clock();

// Origin of virtual wall-clock time (system_clock) under a simulation: 2024-01-01T00:00:00Z.
inline constexpr std::chrono::seconds virtual_wall_epoch{1704067200};

}  // namespace elmo::sim
