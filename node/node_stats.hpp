#pragma once
// Counters of one node core, for scenario reports and the daemon's metrics endpoint.
#include <array>
#include <cstdint>

#include "wire/decode_error.hpp"

namespace elmo {

struct NodeStats {
    // datagrams
    std::uint64_t datagrams_in = 0;
    std::uint64_t datagrams_out = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t hint_bytes_out = 0;
    std::uint64_t hints_sent = 0;
    std::array<std::uint64_t, wire::decode_error_code_count> decode_errors{};
    std::uint64_t unexpected_messages = 0;   // well-formed but not valid here (e.g. a stray reply)
    std::uint64_t hints_from_strangers = 0;  // from an endpoint not in the overlay

    // walks and lookups (at the origin)
    std::uint64_t lookups_started = 0;
    std::uint64_t lookups_found_existing = 0;  // resolved by a walk hit or a cached mailbox
    std::uint64_t lookups_recruited = 0;       // a node with room adopted the topic
    std::uint64_t lookups_self_elected = 0;    // the home node elected itself
    std::uint64_t lookups_failed = 0;
    std::uint64_t walks_started = 0;
    std::uint64_t walks_returned = 0;
    std::uint64_t walks_with_hit = 0;
    std::uint64_t walk_hops_to_first_hit = 0;  // sum over walks with a hit
    std::array<std::uint64_t, 33> walk_first_hit_hop_histogram{};  // walks by hop of first hit
    std::uint64_t walk_steps_forwarded = 0;    // hops this node relayed for others

    // registrations (home side)
    std::uint64_t subscribe_requests = 0;
    std::uint64_t registrations_ok = 0;
    std::uint64_t registrations_refused = 0;
    std::uint64_t registration_timeouts = 0;
    std::uint64_t subscriptions_failed = 0;
    std::uint64_t subscribe_refused_busy = 0;    // too many subscriptions in progress (client)
    std::uint64_t lookups_refused_busy = 0;      // too many lookups in progress (node)
    std::uint64_t subscribe_deadline_missed = 0; // answered `failed` at the deadline
    std::uint64_t adopt_timeouts = 0;
    std::uint64_t mailboxes_lost = 0;          // declared dead after missed pings
    std::uint64_t mailbox_lost_notices = 0;    // MailboxLost sent to clients

    // events (hand-offs; publishing arrives with issue 8)
    std::uint64_t events_handed_off = 0;
    std::uint64_t events_received = 0;
    std::uint64_t events_not_stored = 0;  // topic not held, duplicate, expired, over budget

    // publishing (home side)
    std::uint64_t publish_requests = 0;
    std::uint64_t publications_accepted = 0;   // a mailbox stored it (or had it)
    std::uint64_t publications_failed = 0;     // answered failed (the client retries)
    std::uint64_t hand_ins = 0;                // events a client carried to a mailbox on request
    std::uint64_t store_refused = 0;           // StoreReply not_held / refused
    std::uint64_t store_timeouts = 0;
    std::uint64_t polls_relayed = 0;
    std::uint64_t poll_timeouts = 0;
    std::uint64_t pushes_relayed = 0;          // Deliver frames sent to clients
    std::uint64_t pushes_no_session = 0;       // pushed client not connected here: dropped
    std::uint64_t intros_sent = 0;

    // mailbox side
    std::uint64_t events_stored = 0;           // new events stored from a home's StoreRequest
    std::uint64_t events_from_gossip = 0;      // new events stored from a linked mailbox
    std::uint64_t push_messages = 0;           // ClientPush datagrams sent (one per home node)
    std::uint64_t polls_served = 0;
    std::uint64_t poll_events_sent = 0;
    std::uint64_t poll_replies_truncated = 0;  // `more` set: the client polls again
    std::uint64_t discovery_walks = 0;
    std::uint64_t links_made = 0;              // peers added by intro or discovery

    // client sessions
    std::uint64_t clients_connected = 0;
    std::uint64_t clients_refused = 0;
    std::uint64_t client_frames_in = 0;
    std::uint64_t client_frames_out = 0;
};

}  // namespace elmo
