#pragma once
// Every tunable of the node core in one place, with DESIGN's defaults (the numbers in brackets
// there, from the Postman Java implementation) unless a comment says why not. Overridable from
// the simulator's and the daemon's command lines.
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace elmo {

struct NodeParams {
    // --- hints (DESIGN 2.1) ---
    int hint_radius = 2;                      // R: levels 0..R
    // Hint filters: 8,192 bits, 4 hashes. Level 0 holds one mailbox's topics (at most 150: false
    // positive rate 2.5e-5); level 1 the union of up to hint_merge_fanout neighbours' level 0
    // (1,200 topics at full capacity: 3.9%); level 2 is coarse by construction and weighs least.
    std::uint32_t hint_bits = 8192;
    std::uint32_t hint_hashes = 4;
    // How many neighbours' filters (the XOR-closest that sent one) are merged into levels >= 1.
    // Merging all ~50 routing-table neighbours would fill level 1 with noise.
    std::size_t hint_merge_fanout = 8;
    std::chrono::seconds hint_refresh{120};   // periodic re-send to every neighbour
    std::chrono::seconds hint_expiry{360};    // a hint not refreshed for this long is dropped
    std::chrono::seconds hint_min_interval{15};  // a topic-set change is sent at most this often

    // A mailbox stops advertising room (and walks stop recruiting it) once it holds this many
    // registrations, well below its hard budget, so that new topics go to less loaded
    // mailboxes and popular ones keep room for their own clients (load sharing).
    std::size_t recruit_max_registrations = 500;

    // A walk looking for room goes on until it has met this many recruiting mailboxes; the origin
    // asks the least loaded of all met (power of two choices).
    std::size_t recruit_choices = 2;

    // --- walks (DESIGN 2.2) ---
    bool use_hints = true;                    // false: plain random walks (the baseline)
    int walks = 3;                            // W
    int walk_ttl = 8;                         // L
    std::chrono::seconds lookup_timeout{5};   // then the home node elects itself
    std::size_t known_mailboxes_per_topic = 8;
    std::chrono::seconds known_mailbox_ttl{600};
    std::size_t known_topics_max = 4096;      // bounded cache; least recently learned dropped

    // --- liveness of the mailboxes a home node's clients are registered with ---
    // A dead mailbox is found in 15-30 s (two missed pings): its clients re-register and
    // catch up by poll well within the 60 s on-time window of issue 8.
    std::chrono::seconds mailbox_ping_period{15};
    int mailbox_ping_misses = 2;              // consecutive unanswered pings: the mailbox is lost
    // A node that let a request time out (or missed its pings) is skipped as a candidate for
    // this long: when every mailbox a client knows is dead, retrying each of them (3 s apiece)
    // would use up the subscription's deadline before the lookup that finds a live one.
    std::chrono::seconds suspect_period{60};
    std::chrono::seconds request_timeout{3};  // adopt/register requests
    // A subscription the home cannot complete in this time is answered `failed` (the client
    // retries with backoff). Below the client's own request timeout (15 s).
    std::chrono::seconds subscribe_deadline{12};
    // A publication not stored by subscribe_deadline is answered `failed` but tried this much
    // longer (its lookup and election may need it): its phone may leave and not come back.
    std::chrono::seconds publication_grace{48};
    std::size_t max_preferred = 4;            // mailboxes taken from a client's preferred list
    // A hot topic's mailboxes fill up (mailbox max_registrations_per_topic): a subscription that
    // met this many full mailboxes of its topic stops trying the others and asks for one more
    // mailbox, and the home skips a mailbox that refused a topic as full for full_memory (not
    // when it is the client's own: renewals always pass). Without either, each new subscriber
    // of a topic with dozens of full mailboxes asked every one of them, the refusals pushed the
    // mailboxes over their message budget, and that refused even more (Higgs replay, 10% of the
    // busiest two hours: 6.5 million refusals, 52% on time; docs/mailbox.md, "Hot topics").
    std::size_t full_refusals_before_new_mailbox = 3;
    std::chrono::seconds full_memory{60};
    std::size_t full_memory_max = 4096;  // (topic, mailbox) pairs; beyond it, oldest dropped

    // --- dissemination (DESIGN 2.4-2.6) ---
    // A mailbox runs discovery walks for each topic it holds, to find and link the topic's other
    // mailboxes: soon after adopting it (several homes may elect mailboxes for a new topic at
    // once; the first catches those already advertised), once more when the hints of the
    // others have spread (hint_min_interval plus a refresh), then every discovery_period [600 s].
    std::chrono::seconds discovery_first{2};
    std::chrono::seconds discovery_second{30};  // then gaps double up to discovery_period
    std::chrono::seconds discovery_period{600};
    // Discovery asks the directory beside its walks at the first rounds (the races of a new
    // topic's elections are decided within seconds; a mailbox elected later asks at its own first
    // rounds and links to those it finds), at the rounds a period apart, and when a mailbox is
    // left alone; the rounds between walk only. Every round asking was four reads of five in the
    // all-users Higgs replay, each a DHT search (docs/dissemination.md, "Discovery").
    int discovery_directory_rounds = 2;
    // A home node that knows mailboxes of a topic its mailbox did not name tells that mailbox
    // (MailboxIntro), at most once per topic per this interval.
    std::chrono::seconds intro_interval{30};
    // The DHT as a directory of mailboxes (docs/dissemination.md, "Rendezvous"): a mailbox
    // announces itself under its topic's key when it adopts the topic and every
    // directory_refresh (OpenDHT keeps a value 10 minutes); lookups and discovery ask the
    // directory beside their walks. Without it the homes of a dead mailbox's clients elect
    // replacements independently, and the topic splits until discovery walks join the parts.
    bool use_directory = true;
    // A client's lookup asks the directory at once beside its walks (true), or only when its
    // walks found no live mailbox (false). Every DHT get leaves OpenDHT a search it keeps for an
    // hour and walks for every packet, and the walks find an existing mailbox in three lookups of
    // four (Higgs, all users), so false halves a node's searches and a large replay's wall time.
    // Asking beside also hurt recovery at 1,500 nodes (every-mailbox crash, seed 2: 460 s
    // against 0 s with false; docs/results.md, session 8). A hot topic's load is shared by the
    // per-topic registration budget instead (mailbox max_registrations_per_topic).
    bool directory_beside_walks = false;
    // Live neighbours named to a client when it says hello (wire::NodeList), failover candidates
    // that do not die with the mailboxes (0: none).
    std::size_t nodes_for_clients = 4;
    std::chrono::seconds directory_refresh{300};
    // Entries a topic's key holds in the directory at most: a mailbox writes slot
    // 1 + (its id ^ the key) % directory_slots. OpenDHT fetches a key's values one request per
    // value and storing node (docs/dissemination.md, "A few entries per topic"), and a lookup
    // needs one live mailbox. 1..max_directory_values.
    std::size_t directory_slots = 8;
    // DHT gets in flight per node (directory and replica reads), one per topic and kind: a
    // lookup of a topic whose query is pending takes it over; beyond the bound a lookup walks
    // alone (counted). OpenDHT's cost per answer grows with the gets in flight: 13,000 phones
    // subscribing at once (the Higgs replay) stalled a 1,500-node simulation for minutes.
    std::size_t max_directory_queries = 32;
    // When the directory names no live mailbox of a topic, a home whose lookup must elect one
    // first claims its candidate at the node the DHT search ended at (nearest the topic's key);
    // the first claim within election_claim_window wins and later ones adopt its winner, so
    // homes electing at once (a flash crowd, every mailbox of a hot topic dead) agree on one
    // mailbox (docs/dissemination.md, "Arbitrated elections"). Without it, 763 homes made 763
    // mailboxes of one topic in half a second and the Higgs replay stalled.
    bool arbitrated_election = true;
    std::chrono::seconds election_claim_window{30};
    // Claims an arbiter remembers (one per topic); when full the soonest to expire is dropped.
    std::size_t max_election_claims = 4096;
    // A query unanswered this long is forgotten (the driver answers every query; this guards
    // the bound against one that never is).
    std::chrono::seconds directory_query_timeout{60};
    // The history replica (docs/dissemination.md, "History replica"): every event a mailbox
    // stores from a client is also put in the DHT under its topic's replica key, in one of this
    // many slots per topic (a ring: the next event overwrites the oldest slot), and a node that
    // takes a topic reads the replica back. Without it, events held only by the mailboxes of a
    // topic die with them when they all fail at once. 0: off. At most max_directory_values.
    std::size_t event_replica_slots = 64;
    // A mailbox alone with a topic that has at least this many registered clients recruits a
    // second mailbox at its discovery rounds (docs/dissemination.md, "Backup mailbox"): with the
    // walks finding a topic's mailbox first, a hot topic often has one, and the events only it
    // held died with it in a churn wave. 0: off.
    std::size_t backup_min_registrations = 8;
    // Publications in progress at this home, per client session (the client's outbox sends at
    // most 16 at once).
    std::size_t max_pending_publications = 64;

    // --- clients at this home node ---
    std::size_t max_clients = 10'000;         // sessions beyond this are refused

    // --- restart from a journal (the daemon) ---
    // The newest restored events of each topic pushed again to its restored registrations: the
    // journal holds an event as soon as it is stored, before its pushes leave, so a node killed
    // in between comes back with events its clients never got, and those clients, connected
    // elsewhere all along, have no reason to poll (docs/daemon.md, "Restart"). Clients drop the
    // copies they have. 0: off. Only events published within restart_repush_window before the
    // node stopped (its journal's last write), so an idle topic's old events are not pushed.
    std::size_t restart_repush_events = 32;
    std::chrono::seconds restart_repush_window{10};
};

}  // namespace elmo
