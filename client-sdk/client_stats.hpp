#pragma once
// Counters of the client core, for the simulator's reports and the SDK's diagnostics.
#include <cstdint>

namespace elmo {

struct ClientStats {
    // --- traffic ---
    std::uint64_t frames_out = 0, bytes_out = 0;
    std::uint64_t frames_in = 0, bytes_in = 0;
    // Frames sent after at least ClientParams::exchange_gap of silence on the link: radio
    // wake-ups, what the battery budget counts.
    std::uint64_t exchanges_started = 0;
    std::uint64_t subscribes_sent = 0;  // first subscriptions and retries
    std::uint64_t renewals_sent = 0;    // Subscribe for a topic that is registered
    std::uint64_t unsubscribes_sent = 0;
    std::uint64_t pings_sent = 0;

    // --- registrations ---
    std::uint64_t subscribe_ok = 0;
    std::uint64_t subscribe_failed = 0;
    std::uint64_t request_timeouts = 0;     // Subscribe or keep-alive Ping unanswered in time
    std::uint64_t stale_results = 0;        // a result for a request no longer awaited
    std::uint64_t mailbox_changes = 0;      // a renewal landed on a different mailbox
    std::uint64_t registrations_lapsed = 0; // expired before a renewal succeeded
    std::uint64_t mailbox_lost_notices = 0;
    std::uint64_t mailbox_lost_current = 0; // ... of the mailbox the client was registered with
    std::uint64_t topics_refused = 0;       // subscribe() with an invalid topic or over max_topics

    // --- connection ---
    std::uint64_t connect_attempts = 0;
    std::uint64_t connects = 0;
    std::uint64_t connect_failures = 0;  // reported by the driver or timed out
    std::uint64_t disconnects = 0;       // an established connection lost, for any reason
    std::uint64_t reconnects = 0;        // connect attempts after the first
    std::uint64_t failovers = 0;         // connected to a different home than the previous one
    std::uint64_t decode_errors = 0;     // bad frames from the home (the connection is dropped)
    std::uint64_t unexpected_messages = 0;  // well-formed but not for a client; ignored
    std::uint64_t ignored_events = 0;    // driver calls that do not match the state (stale)
};

}  // namespace elmo
