#pragma once
// Values the gossip engine answers with: link outcomes, peer notices for the node, counters.
#include <cstdint>
#include <string>
#include <string_view>

#include "wire/node_addr.hpp"

namespace elmo::gossip {

enum class PeerResult : std::uint8_t {
    added,           // new peer, eager; a GossipJoin was sent
    already_linked,  // known; its endpoint is refreshed
    refused_full,    // max_peers_per_topic reached
    not_held,        // the engine does not hold the topic (add_topic first)
    is_self,         // a node cannot link itself
};
std::string_view to_string(PeerResult r);

// A change in the links the engine made on its own; the node mirrors it in the mailbox role
// (link on `admitted`, unlink on `left` and `dead`).
struct PeerNotice {
    enum class Kind : std::uint8_t {
        admitted,  // a remote mailbox linked us (GossipJoin or Digest from a stranger)
        left,      // the peer sent GossipLeave
        dead,      // nothing heard from the peer for dead_after
    };
    std::string topic;
    wire::NodeAddr peer;
    Kind kind = Kind::admitted;
    friend bool operator==(const PeerNotice&, const PeerNotice&) = default;
};
std::string_view to_string(PeerNotice::Kind k);

// Monotonic counters over all topics: every drop and every give-up is counted somewhere.
struct GossipCounters {
    // events
    std::uint64_t events_local = 0;        // publish() with a new id
    std::uint64_t events_delivered = 0;    // from peers, stored by the node
    std::uint64_t events_rejected = 0;     // from peers, refused by the node
    std::uint64_t duplicates = 0;          // copies of seen events (or store duplicates)
    std::uint64_t duplicates_pruning = 0;  // of which eager pushes that pruned their link
    std::uint64_t events_sent = 0;         // GossipEvent messages sent, any kind
    std::uint64_t pushes_sent = 0;         // of which eager forwards
    // lazy push
    std::uint64_t ihave_ids_queued = 0;
    std::uint64_t ihave_sent = 0;
    std::uint64_t ihave_flushed_full = 0;  // batches sent early because ihave_batch_max was hit
    std::uint64_t ihave_ids_dropped = 0;   // pending when their peer or topic went away
    // tree
    std::uint64_t prunes_sent = 0;
    std::uint64_t prunes_received = 0;
    std::uint64_t grafts_sent = 0;  // Graft messages
    std::uint64_t graft_ids_sent = 0;
    std::uint64_t grafts_received = 0;
    std::uint64_t missing_tracked = 0;       // ids announced and awaited
    std::uint64_t missing_resolved = 0;      // ... that then arrived
    std::uint64_t missing_given_up = 0;      // ... whose announcers were all grafted in vain
    std::uint64_t missing_dropped_full = 0;  // ids not tracked: missing table full
    std::uint64_t announcers_dropped = 0;    // beyond max_announcers
    std::uint64_t seen_evicted = 0;          // ids forgotten early by the bounded seen-set
    // anti-entropy
    std::uint64_t digests_sent = 0;
    std::uint64_t digests_skipped = 0;  // empty, to a peer heard within the period
    std::uint64_t digests_received = 0;
    std::uint64_t digests_after_silence = 0;  // brought forward: a peer heard again after one
                                              // of our digests went unanswered
    std::uint64_t digests_continued = 0;  // brought forward: a full listing answered with progress
    std::uint64_t digest_ids_wanted = 0;  // ids asked for in DigestWants we sent
    std::uint64_t repairs_sent = 0;       // events sent in answer to a DigestWant
    std::uint64_t pulls_not_found = 0;    // Graft/DigestWant ids the store no longer has
    std::uint64_t reply_truncated = 0;    // ids beyond max_events_per_reply, left unanswered
    // links
    std::uint64_t peers_added = 0;     // by add_peer
    std::uint64_t peers_admitted = 0;  // by a remote join or digest
    std::uint64_t peers_rejoined = 0;  // a linked peer joined afresh: digests start over
    std::uint64_t peers_refused = 0;   // joins refused: topic full
    std::uint64_t peers_removed = 0;   // by remove_peer or remove_topic
    std::uint64_t peers_left = 0;      // GossipLeave received
    std::uint64_t peers_dead = 0;
    std::uint64_t peers_evicted = 0;   // unheard or silent peers dropped to admit a new one
    std::uint64_t peers_displaced = 0;  // live peers dropped (told GossipLeave) to admit a join
    std::uint64_t joins_sent = 0;
    std::uint64_t leaves_sent = 0;
    // messages that fit no link
    std::uint64_t from_strangers = 0;  // gossip on a held topic from an unknown endpoint
    std::uint64_t unknown_topic = 0;   // gossip about a topic not held
    std::uint64_t stranger_replies_suppressed = 0;
    std::uint64_t notices_dropped = 0;
};

}  // namespace elmo::gossip
