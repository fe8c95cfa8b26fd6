#pragma once
// Every tunable of the client core in one place. Defaults follow DESIGN 2.5 and the mailbox's
// registration lifetime (30 min, renewed at about half of it); each comment says why.
#include <chrono>
#include <cstddef>

#include "common/time.hpp"

namespace elmo {

struct ClientParams {
    // --- requests to the home node ---
    // A Subscribe may cost the home node a few 3 s register attempts plus up to two 5 s lookups,
    // so an answer can legitimately take over 10 s; 15 s is "the home is not answering".
    Duration request_timeout = std::chrono::seconds(15);
    // Consecutive request timeouts with no frame from the home in between: the connection is
    // presumed dead (a half-open TCP connection on a phone is common) and the client fails over.
    int timeouts_before_failover = 3;
    // Subscribe requests outstanding at once. A reconnect with 1,000 topics must not dump 1,000
    // lookups on the new home at once; the rest go out as answers come back.
    std::size_t max_in_flight = 16;
    // Mailboxes listed in `preferred` (current first). The home tries each with a 3 s timeout
    // before its own lookup, so a long list of dead mailboxes would outlast request_timeout.
    std::size_t max_preferred = 4;

    // --- retry of a failed or unanswered subscription: exponential, jittered ---
    Duration retry_initial = std::chrono::seconds(5);
    Duration retry_max = std::chrono::seconds(120);

    // --- reconnection: exponential, jittered, reset once a connection has proven stable ---
    Duration reconnect_initial = std::chrono::seconds(1);
    Duration reconnect_max = std::chrono::seconds(60);
    Duration connect_timeout = std::chrono::seconds(20);   // a connect the driver never reports
    Duration stable_connection = std::chrono::seconds(60); // lasted this long: backoff resets
    // Every backoff delay d is drawn uniformly from [d * (1 - backoff_jitter), d], so that
    // clients cut off together (a node crash) do not come back together.
    double backoff_jitter = 0.5;

    // --- renewal of registrations ---
    // Renew at renew_fraction of the granted lifetime, stretched by a uniform factor in
    // [1, 1 + renew_jitter]: with the mailbox's 30 min, between 15 and 18 min, which leaves
    // 12 min of retries before the registration lapses. Stretched, never shortened, so that a
    // client renewing everything together stays within 4 wake-ups per hour (issue 6).
    double renew_fraction = 0.5;
    double renew_jitter = 0.2;
    // When anything is sent, renewals due within renew_coalesce x (their renewal interval) go
    // along: one radio wake-up renews every topic, so the background cost stays ~4 wake-ups per
    // hour however many topics (battery, DESIGN issue 6). Above 0.5 so that topics cannot settle
    // in two groups half an interval apart (two gaps, each over the window, cannot fit in one
    // interval); at 0.5 they do.
    double renew_coalesce = 0.75;
    // A floor on the renewal interval, so that a home granting absurdly short lifetimes cannot
    // make the client spin.
    Duration min_renew_delay = std::chrono::seconds(30);

    // --- keep-alive ---
    // 0 = off (the default): an idle connection sends nothing but renewals; a dead one is found
    // by the transport or by request timeouts. Otherwise a Ping after this much silence, and no
    // Pong within request_timeout drops the connection.
    Duration keepalive_period = Duration::zero();

    // --- publishing (DESIGN 2.6) ---
    // expiry_ms of a published event = its timestamp + this. The mailbox keeps no event longer
    // than 24 h after its timestamp anyway (MailboxParams::max_event_age), so a longer lifetime
    // would buy nothing.
    Duration event_lifetime = std::chrono::hours(24);
    // Publish requests outstanding at once, besides the Subscribes (own budget: a burst of
    // publications must not hold up re-registrations, nor the other way round).
    std::size_t max_publish_in_flight = 16;
    // Unacknowledged publications held. Never dropped, so publish() refuses beyond this: the app
    // learns at once instead of losing an event later. 1,000 events of up to 16 KiB is 16 MiB at
    // most, a phone's budget for a long offline period.
    std::size_t max_outbox = 1'000;
    // Own accepted events kept (bodies) and offered in polls, so that an event whose only mailbox
    // died before forwarding it is handed in again at the next poll (the mailbox's `wanted`).
    // 30 min covers two poll periods; the count bound caps memory at 256 x 16 KiB = 4 MiB.
    Duration own_history = std::chrono::minutes(30);
    std::size_t own_history_max = 256;
    // Topics not subscribed whose mailboxes (learned from PublishResult) are remembered for the
    // next publication's `preferred`; the least recently published-to is forgotten first.
    std::size_t publish_topics_remembered = 64;

    // --- delivery and polling (DESIGN 2.5) ---
    // Poll every registered topic this often (DESIGN: 900 s), stretched by a uniform factor in
    // [1, 1 + poll_jitter] like renewals, and coalesced with renewals by renew_coalesce of this
    // interval: with the defaults polls and renewals settle into the same radio wake-ups.
    Duration poll_period = std::chrono::seconds(900);
    double poll_jitter = 0.2;
    // A poll asks only for events that reached the mailbox after the client last caught up
    // (its last complete poll, or its subscription) minus this margin: a deep history is not
    // sent again to a client that had it, and the margin covers events still in flight then
    // and clock differences between the client and the mailbox.
    Duration poll_since_margin = std::chrono::minutes(10);
    // Poll requests outstanding at once (one per topic at most): a reconnect with 1,000 topics
    // must not start 1,000 mailbox round trips at once on the new home.
    std::size_t max_polls_in_flight = 16;
    // Event ids remembered per topic for dedup. A mailbox keeps at most 1,000 events per topic
    // (MailboxParams::max_events_per_topic), so 4,096 covers the whole history window of a busy
    // topic several times over; about 100 bytes per id.
    std::size_t seen_ids_per_topic = 4'096;
    // Bodies of recently received events kept to hand to a mailbox that wants them (clients carry
    // events between mailboxes): per topic, and in bytes over all topics.
    std::size_t carry_events_per_topic = 32;
    std::size_t carry_bytes = 1024 * 1024;

    // --- bounds ---
    std::size_t max_topics = 1'000;
    std::size_t mailboxes_per_topic = 8;  // known mailboxes besides the current one
    std::size_t max_known_nodes = 32;     // bootstrap nodes plus learned mailbox nodes
    // Silence on the link after which a frame sent counts as a new exchange (a radio wake-up).
    Duration exchange_gap = std::chrono::seconds(10);
};

}  // namespace elmo
