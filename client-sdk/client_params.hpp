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

    // --- bounds ---
    std::size_t max_topics = 1'000;
    std::size_t mailboxes_per_topic = 8;  // known mailboxes besides the current one
    std::size_t max_known_nodes = 32;     // bootstrap nodes plus learned mailbox nodes
    // Silence on the link after which a frame sent counts as a new exchange (a radio wake-up).
    Duration exchange_gap = std::chrono::seconds(10);
};

}  // namespace elmo
