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
    std::uint64_t request_timeouts = 0;     // Subscribe, Publish, Poll or Ping unanswered in time
    std::uint64_t stale_results = 0;        // a result for a request no longer awaited (any kind)
    std::uint64_t mailbox_changes = 0;      // a renewal landed on a different mailbox
    std::uint64_t registrations_lapsed = 0; // expired before a renewal succeeded
    std::uint64_t mailbox_lost_notices = 0;
    std::uint64_t mailbox_lost_current = 0; // ... of the mailbox the client was registered with
    std::uint64_t topics_refused = 0;       // subscribe() with an invalid topic or over max_topics

    // --- publishing ---
    std::uint64_t publishes_sent = 0;          // Publish frames for outbox events, retries included
    std::uint64_t publish_retries = 0;         // ... of which the event had been sent before
    std::uint64_t publishes_accepted = 0;      // outbox events a mailbox stored
    std::uint64_t publish_failed = 0;          // PublishResult{failed}: retried after a backoff
    std::uint64_t publish_failed_invalid = 0;  // PublishResult{invalid}: dropped, app told
    std::uint64_t outbox_refused = 0;          // publish() refused because the outbox was full
    std::uint64_t hand_ins_sent = 0;           // Publish{hand_in} of an event a mailbox wanted
    std::uint64_t hand_in_results = 0;         // PublishResults for hand-ins (ignored)
    std::uint64_t own_history_dropped = 0;     // own accepted events dropped over the count bound
    std::uint64_t publications_woken = 0;      // backing off, made due by a mailbox's answer

    // --- delivery and polling ---
    std::uint64_t events_delivered = 0;     // handed to the app (once per event and topic)
    std::uint64_t duplicates_received = 0;  // already seen: not handed again
    std::uint64_t events_invalid = 0;       // id not matching the content, or wrong topic
    std::uint64_t events_unsubscribed = 0;  // of a topic not subscribed (e.g. a push in flight)
    std::uint64_t own_events_received = 0;  // published by this client: not handed to the app
    std::uint64_t polls_sent = 0;
    std::uint64_t poll_results = 0;         // answers to a poll in flight, any status
    std::uint64_t poll_events_received = 0; // events in those answers
    std::uint64_t backfill_polls = 0;       // polls of an older mailbox after a move
    std::uint64_t backfill_events = 0;      // events in their answers (new or not)
    std::uint64_t polls_not_held = 0;       // the mailbox no longer holds the topic
    std::uint64_t polls_unreachable = 0;    // the home got no answer from the mailbox
    std::uint64_t seen_evicted = 0;         // ids forgotten over seen_ids_per_topic
    std::uint64_t carried_dropped = 0;      // received bodies dropped over the carry bounds

    // --- connection ---
    std::uint64_t connect_attempts = 0;
    std::uint64_t connects = 0;
    std::uint64_t connect_failures = 0;  // reported by the driver or timed out
    std::uint64_t disconnects = 0;       // an established connection lost, for any reason
    std::uint64_t reconnects = 0;        // connect attempts after the first
    std::uint64_t failovers = 0;         // connected to a different home than the previous one
    std::uint64_t quick_retries = 0;     // reconnects without backoff after an unanswered failure
    std::uint64_t nodes_offered = 0;     // failover candidates named by homes (wire::NodeList)
    std::uint64_t seed_rounds = 0;       // fresh seed nodes taken after every known node failed
    std::uint64_t decode_errors = 0;     // bad frames from the home (the connection is dropped)
    std::uint64_t unexpected_messages = 0;  // well-formed but not for a client; ignored
    std::uint64_t ignored_events = 0;    // driver calls that do not match the state (stale)
};

}  // namespace elmo
