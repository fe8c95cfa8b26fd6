#pragma once
// Counters of one node core, for scenario reports and the daemon's metrics endpoint.
#include <array>
#include <cstddef>
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
    std::uint64_t walk_hops_to_first_hit = 0;                      // sum over walks with a hit
    std::array<std::uint64_t, 33> walk_first_hit_hop_histogram{};  // walks by hop of first hit
    std::uint64_t walk_steps_forwarded = 0;  // hops this node relayed for others

    // registrations (home side)
    std::uint64_t subscribe_requests = 0;
    std::uint64_t registrations_ok = 0;
    std::uint64_t registrations_refused = 0;
    std::uint64_t registrations_beyond_topic_budget = 0;  // asked again: no other mailbox found
    std::uint64_t registrations_skipped_full = 0;  // not asked: it refused the topic as full lately
    std::uint64_t full_memory_dropped = 0;         // full_until_ at its bound: oldest forgotten
    std::uint64_t registration_timeouts = 0;
    std::uint64_t subscriptions_failed = 0;
    std::uint64_t subscribe_refused_busy = 0;     // too many subscriptions in progress (client)
    std::uint64_t lookups_refused_busy = 0;       // too many lookups in progress (node)
    std::uint64_t subscribe_deadline_missed = 0;  // answered `failed` at the deadline
    std::uint64_t publications_kept = 0;          // tried on past the deadline
    std::uint64_t adopt_timeouts = 0;
    std::uint64_t mailboxes_lost = 0;        // declared dead after missed pings
    std::uint64_t mailbox_lost_notices = 0;  // MailboxLost sent to clients
    std::uint64_t unreachable_notices = 0;   // of those, for a mailbox a request found silent

    // events (hand-offs; publishing arrives with issue 8)
    std::uint64_t events_handed_off = 0;
    std::uint64_t events_received = 0;
    std::uint64_t events_not_stored = 0;  // topic not held, duplicate, expired, over budget

    // publishing (home side)
    std::uint64_t publish_requests = 0;
    std::uint64_t publications_accepted = 0;  // a mailbox stored it (or had it)
    std::uint64_t publications_failed = 0;    // answered failed (the client retries)
    std::uint64_t hand_ins = 0;               // events a client carried to a mailbox on request
    std::uint64_t store_refused = 0;          // StoreReply not_held / refused
    std::uint64_t store_timeouts = 0;
    std::uint64_t polls_relayed = 0;
    std::uint64_t poll_timeouts = 0;
    std::uint64_t pushes_relayed = 0;     // Deliver frames sent to clients
    std::uint64_t pushes_no_session = 0;  // pushed client not connected here: dropped
    std::uint64_t intros_sent = 0;

    // mailbox side
    std::uint64_t events_stored = 0;       // new events stored from a home's StoreRequest
    std::uint64_t events_from_gossip = 0;  // new events stored from a linked mailbox
    // Mailbox-to-mailbox hops those events had made (tree depth seen by deliveries), and how
    // many came 4 hops or more: a deep tree is latency (one link each).
    std::uint64_t gossip_hops_sum = 0;
    std::uint64_t events_from_gossip_far = 0;
    std::uint64_t push_messages = 0;  // ClientPush datagrams sent (one per home node)
    std::uint64_t restart_repushes = 0;  // restored events pushed again at a restart
    std::uint64_t polls_served = 0;
    std::uint64_t poll_events_sent = 0;
    std::uint64_t poll_replies_truncated = 0;  // `more` set: the client polls again
    std::uint64_t poll_wanted_trimmed = 0;  // halvings of a reply's wanted list to fit a datagram
    std::uint64_t discovery_walks = 0;
    std::uint64_t links_made = 0;  // peers added by intro or discovery

    // the DHT directory
    std::uint64_t directory_announces = 0;
    std::uint64_t directory_queries = 0;
    std::uint64_t directory_answers = 0;          // queries answered with at least one mailbox
    std::uint64_t directory_values_bad = 0;       // values that are not an entry of the topic
    std::uint64_t directory_queries_dropped = 0;  // not sent: too many in flight (walks alone)
    std::uint64_t directory_queries_joined = 0;   // a lookup took over its topic's pending query
    // arbitrated elections (docs/dissemination.md, "Arbitrated elections")
    std::uint64_t election_claims = 0;            // claims sent to (or decided by) an arbiter
    std::uint64_t election_claims_overruled = 0;  // answered with an earlier claim's winner
    std::uint64_t election_claim_timeouts = 0;    // unanswered (then the next arbiter, or own)
    std::uint64_t election_arbiter_failovers = 0; // a claim sent again to the next arbiter
    std::uint64_t backups_requested = 0;          // AdoptRequests for a second mailbox (backup)
    std::uint64_t backups_linked = 0;             // backups adopted and linked
    std::uint64_t arbiter_granted = 0;            // as arbiter: claims that won
    std::uint64_t arbiter_overruled = 0;          // as arbiter: claims told an earlier winner
    std::uint64_t arbiter_evicted = 0;            // as arbiter: live claims dropped for room
    std::uint64_t lookups_found_in_directory = 0;
    // the history replica
    std::uint64_t replica_puts = 0;               // events put in the DHT replica
    std::uint64_t replica_queries = 0;            // replica reads (one per topic taken)
    std::uint64_t replica_events_recovered = 0;   // events read back that this mailbox lacked
    std::uint64_t replica_values_bad = 0;         // values that are not an event of the topic

    // client sessions
    std::uint64_t clients_connected = 0;
    std::uint64_t clients_refused = 0;
    std::uint64_t client_frames_in = 0;
    std::uint64_t client_frames_out = 0;
    // Sums another node's counters into these (totals over a network for reports). Every field:
    // the static_assert below fails when a field is added without a line here.
    NodeStats& operator+=(const NodeStats& o) {
        datagrams_in += o.datagrams_in;
        datagrams_out += o.datagrams_out;
        bytes_in += o.bytes_in;
        bytes_out += o.bytes_out;
        hint_bytes_out += o.hint_bytes_out;
        hints_sent += o.hints_sent;
        unexpected_messages += o.unexpected_messages;
        hints_from_strangers += o.hints_from_strangers;
        lookups_started += o.lookups_started;
        lookups_found_existing += o.lookups_found_existing;
        lookups_recruited += o.lookups_recruited;
        lookups_self_elected += o.lookups_self_elected;
        lookups_failed += o.lookups_failed;
        walks_started += o.walks_started;
        walks_returned += o.walks_returned;
        walks_with_hit += o.walks_with_hit;
        walk_hops_to_first_hit += o.walk_hops_to_first_hit;
        walk_steps_forwarded += o.walk_steps_forwarded;
        subscribe_requests += o.subscribe_requests;
        registrations_ok += o.registrations_ok;
        registrations_refused += o.registrations_refused;
        registrations_beyond_topic_budget += o.registrations_beyond_topic_budget;
        registrations_skipped_full += o.registrations_skipped_full;
        full_memory_dropped += o.full_memory_dropped;
        registration_timeouts += o.registration_timeouts;
        subscriptions_failed += o.subscriptions_failed;
        subscribe_refused_busy += o.subscribe_refused_busy;
        lookups_refused_busy += o.lookups_refused_busy;
        subscribe_deadline_missed += o.subscribe_deadline_missed;
        publications_kept += o.publications_kept;
        adopt_timeouts += o.adopt_timeouts;
        mailboxes_lost += o.mailboxes_lost;
        mailbox_lost_notices += o.mailbox_lost_notices;
        unreachable_notices += o.unreachable_notices;
        events_handed_off += o.events_handed_off;
        events_received += o.events_received;
        events_not_stored += o.events_not_stored;
        publish_requests += o.publish_requests;
        publications_accepted += o.publications_accepted;
        publications_failed += o.publications_failed;
        hand_ins += o.hand_ins;
        store_refused += o.store_refused;
        store_timeouts += o.store_timeouts;
        polls_relayed += o.polls_relayed;
        poll_timeouts += o.poll_timeouts;
        pushes_relayed += o.pushes_relayed;
        pushes_no_session += o.pushes_no_session;
        intros_sent += o.intros_sent;
        events_stored += o.events_stored;
        events_from_gossip += o.events_from_gossip;
        gossip_hops_sum += o.gossip_hops_sum;
        events_from_gossip_far += o.events_from_gossip_far;
        push_messages += o.push_messages;
        restart_repushes += o.restart_repushes;
        polls_served += o.polls_served;
        poll_events_sent += o.poll_events_sent;
        poll_replies_truncated += o.poll_replies_truncated;
        poll_wanted_trimmed += o.poll_wanted_trimmed;
        discovery_walks += o.discovery_walks;
        links_made += o.links_made;
        directory_announces += o.directory_announces;
        directory_queries += o.directory_queries;
        directory_answers += o.directory_answers;
        directory_values_bad += o.directory_values_bad;
        directory_queries_dropped += o.directory_queries_dropped;
        directory_queries_joined += o.directory_queries_joined;
        election_claims += o.election_claims;
        election_claims_overruled += o.election_claims_overruled;
        election_claim_timeouts += o.election_claim_timeouts;
        election_arbiter_failovers += o.election_arbiter_failovers;
        backups_requested += o.backups_requested;
        backups_linked += o.backups_linked;
        arbiter_granted += o.arbiter_granted;
        arbiter_overruled += o.arbiter_overruled;
        arbiter_evicted += o.arbiter_evicted;
        lookups_found_in_directory += o.lookups_found_in_directory;
        replica_puts += o.replica_puts;
        replica_queries += o.replica_queries;
        replica_events_recovered += o.replica_events_recovered;
        replica_values_bad += o.replica_values_bad;
        clients_connected += o.clients_connected;
        clients_refused += o.clients_refused;
        client_frames_in += o.client_frames_in;
        client_frames_out += o.client_frames_out;
        for (std::size_t i = 0; i < decode_errors.size(); ++i)
            decode_errors[i] += o.decode_errors[i];
        for (std::size_t i = 0; i < walk_first_hit_hop_histogram.size(); ++i)
            walk_first_hit_hop_histogram[i] += o.walk_first_hit_hop_histogram[i];
        return *this;
    }
};

static_assert(sizeof(NodeStats) ==
                  sizeof(std::uint64_t) * (79 + wire::decode_error_code_count + 38),
              "NodeStats gained a field: add it to operator+=");

}  // namespace elmo
