#pragma once
// The mailbox role's parameters, one documented struct (DESIGN 2.3, 2.6). Defaults follow the
// design and the Postman implementation where they give a number; the others are our choice and
// docs/mailbox.md says why.
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "common/time.hpp"

namespace elmo::mailbox {

struct MailboxParams {
    // ---- capacity and load budget (a mailbox at or over any of them is `full`) ----
    // Topics held at once [Postman: 150]. At capacity, new topics are refused.
    std::size_t capacity_topics = 150;
    // Registrations (client, topic pairs) over all topics: push work grows with pairs, not with
    // distinct clients. At the budget, new registrations are refused; renewals always pass.
    std::size_t max_registrations = 2'000;
    // Registrations of one topic. A topic with more subscribers than this gets one more
    // mailbox (the refused home looks for one with room), so a hot topic's push load is shared
    // by several mailboxes instead of landing on the first one elected: with the walks finding
    // that one first, the hottest topic of the paper's workload at 1,500 nodes had 2 mailboxes
    // and its busiest one handled 721 messages/s (docs/mailbox.md). Renewals always pass.
    std::size_t max_registrations_per_topic = 64;
    // Bytes of stored events over all topics (see event_bytes()). An event that would push the
    // total over is refused (`refused_budget`); the publisher goes on to another mailbox.
    std::size_t max_stored_bytes = 64u * 1024 * 1024;
    // Messages per second the mailbox role handles (the driver reports them by note_message),
    // measured over a sliding window of `rate_window` split into `rate_buckets` buckets.
    std::uint32_t max_msgs_per_sec = 200;
    Duration rate_window = std::chrono::seconds(10);
    std::size_t rate_buckets = 10;

    // ---- life cycle ----
    // A topic with no registered client and no poll for this long evaporates.
    Duration idle_period = std::chrono::minutes(30);
    // A registration lapses this long after it was made or last renewed. Clients should renew
    // well before, at about half the lifetime.
    Duration registration_lifetime = std::chrono::minutes(30);
    // Registrations that lapsed are remembered this long (and at most this many per topic) so
    // that their clients can be told when the topic evaporates: an offline phone's registration
    // lapses before the topic goes idle.
    Duration lapsed_memory = std::chrono::hours(1);
    std::size_t max_lapsed_per_topic = 64;

    // ---- history per topic: the time contract ----
    // Oldest-arrived events are dropped first when a topic holds more than this many events ...
    // Sized so that a phone offline for hours still finds everything: the hottest topic of the
    // paper's workload (Zipf 0.9 over 4,500 topics at 20 events/s) gets 1.45 events/s, so 20,000
    // events are 3.8 hours; at 1,000 they were 11 minutes, less than one offline period
    // (paper-synthetic delivered 98.5% on time, issue 8).
    std::size_t max_events_per_topic = 20'000;
    // ... or more than this many bytes.
    std::size_t max_bytes_per_topic = 16u * 1024 * 1024;
    // No event is kept longer than this after its publication timestamp, nor longer than this
    // after it arrived here (a publisher whose clock runs ahead cannot stretch the contract), and
    // never past its own expiry.
    Duration max_event_age = std::chrono::hours(24);
    // Ids remembered per topic for dedup, including ids of events already dropped by count or
    // bytes, until the event's own drop time. As many as the history; about 160 bytes per id.
    std::size_t max_seen_ids_per_topic = 20'000;

    // ---- links to other mailboxes of a topic (the gossip module owns the tree) ----
    std::size_t max_links_per_topic = 16;
};

}  // namespace elmo::mailbox
