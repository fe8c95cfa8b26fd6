#pragma once
// The gossip engine's parameters, one documented struct (docs/gossip.md says why each default).
// Times are protocol durations; every queue the engine keeps has its bound here.
#include <chrono>
#include <cstddef>

#include "common/time.hpp"

namespace elmo::gossip {

struct GossipParams {
    // ---- links ----
    // Peers (linked mailboxes) per topic, eager and lazy together. Matches the mailbox role's
    // max_links_per_topic; a join beyond it is refused with a GossipLeave.
    std::size_t max_peers_per_topic = 16;
    // When full, a peer never heard from this long after its link (its join unanswered: a dead
    // mailbox named by a stale directory entry) is dropped to admit a new one.
    Duration evict_unheard_after = std::chrono::seconds(10);

    // ---- lazy push (IHAVE) ----
    // Ids for a lazy peer wait this long so that a burst travels in one IHave ...
    Duration ihave_flush_interval = std::chrono::milliseconds(50);
    // ... or go at once when this many are pending (the per-peer queue bound: never dropped).
    std::size_t ihave_batch_max = 128;

    // ---- tree repair (GRAFT) ----
    // An id announced by IHAVE and not received within this is grafted from its first announcer.
    // Must exceed the usual lag of the eager path behind the lazy one (tree depth x latency).
    // It is also the extra delay of every event that reaches a mailbox by graft, which at 1,500
    // nodes is the latency tail: the hottest topic's ~20 mailboxes, publishing concurrently,
    // keep re-pruning their tree (seed 1, 15 min: p90/p99 1,545/1,926 ms at 1 s, 1,023/1,425 ms
    // at 0.5 s, 895/1,205 ms at 0.3 s, with fewer grafts (6,999, 6,756, 6,202) and the same
    // duplicates per delivery; docs/results.md session 6).
    Duration ihave_timeout = std::chrono::milliseconds(300);
    // A graft not answered within this moves on to the next announcer.
    Duration graft_timeout = std::chrono::milliseconds(500);
    // Ids waiting for their eager copy, per topic. When full, newly announced ids are not tracked
    // (counted); the next digest repairs them.
    std::size_t max_missing_per_topic = 256;
    // Announcers remembered per missing id (graft candidates, in announcement order).
    std::size_t max_announcers = 4;

    // ---- dedup ----
    // Event ids remembered per topic, oldest arrival forgotten first (counted). Covers the IHAVE
    // and GRAFT window (seconds) many times over and, below ~1.7 events/s per topic, the whole
    // digest window; the mailbox store dedups older copies.
    std::size_t seen_capacity = 1024;

    // ---- anti-entropy and liveness ----
    // Each peer gets a Digest this often ...
    Duration digest_period = std::chrono::seconds(60);
    // ... the first one this soon after it was linked: two mailboxes elected apart (a split after
    // their topic's mailboxes died) hold events the other lacks, and the tree carries only what
    // arrives after the link; waiting a whole period would make those events a minute late.
    Duration first_digest = std::chrono::seconds(5);
    // A digest lists the ids the peer has not acknowledged yet (its answer acknowledges every id
    // before the first one it lacks) that arrived within this window: a peer that keeps missing
    // an id is offered it again every period until the id is this old ...
    Duration digest_window = std::chrono::minutes(10);
    // ... the oldest this many at most (the rest go in the next digests) ...
    std::size_t digest_max_ids = 256;
    // ... leaving out ids younger than this, which the tree itself is still spreading (listing
    // them would pull copies already on their way).
    Duration digest_settle = std::chrono::seconds(5);
    // Events sent in answer to one Graft or DigestWant; the rest are asked for again later ...
    std::size_t max_events_per_reply = 64;
    // ... for a DigestWant, in the next digest to that peer, sent this soon (not a period later)
    // when the answer was cut: a newly linked mailbox catches up 64 events per second, not per
    // minute.
    Duration digest_followup = std::chrono::seconds(1);
    // A peer heard nothing from for this long (every Digest is answered) is declared dead at its
    // next digest time, removed and reported. An empty digest is skipped to a peer heard within
    // the last period, so keep this above two periods (a quiet live link is heard from at least
    // every two periods).
    Duration dead_after = std::chrono::seconds(180);

    // ---- strangers (a node that gossips to us on a link we do not know) ----
    // At most one GossipJoin or GossipLeave answer per (endpoint, topic) this often ...
    Duration stranger_reply_interval = std::chrono::seconds(5);
    // ... remembering this many (endpoint, topic) pairs, oldest forgotten first.
    std::size_t max_strangers = 64;

    // Peer notices waiting for take_notices(); beyond this the oldest is dropped (counted).
    std::size_t max_notices = 1024;
};

}  // namespace elmo::gossip
