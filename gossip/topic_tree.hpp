#pragma once
// One topic's epidemic broadcast tree (Plumtree: Leitao, Pereira, Rodrigues, SRDS 2007) among the
// mailboxes linked for that topic, plus digests and liveness. GossipEngine owns one per held
// topic and routes messages to it; this class never resolves endpoints or talks to strangers.
//
// Peers are eager (full events) or lazy (ids only, batched in IHave). Every new link starts
// eager; an eager push that arrives twice prunes its link to lazy on both sides, so the eager
// links converge to a spanning tree; an id announced lazily and not received within
// ihave_timeout is grafted (pulled, and the link made eager again), which repairs the tree after
// a loss or a crash. Every digest_period each peer receives a Digest of the recent ids it has not
// acknowledged yet and answers with the ids it lacks; a peer silent for dead_after is dropped.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/node_id.hpp"
#include "common/time.hpp"
#include "gossip/params.hpp"
#include "gossip/port.hpp"
#include "gossip/recent_ids.hpp"
#include "gossip/types.hpp"
#include "wire/msg_gossip.hpp"
#include "wire/node_addr.hpp"

namespace elmo::gossip {

// What every tree of one engine shares.
struct TreeContext {
    const GossipParams* params = nullptr;
    GossipPort* port = nullptr;
    GossipCounters* counters = nullptr;
    NodeId self{};
};

class TopicTree {
  public:
    TopicTree(std::string topic, TreeContext ctx);

    const std::string& topic() const { return topic_; }

    // ---- peers ----
    // A new peer starts eager, heard at `now`, its first digest a period later. A known peer gets
    // its endpoint refreshed. Sends nothing (the engine does the handshake).
    // When the topic is full, a peer never heard from since it was linked evict_unheard_after
    // ago (or silent for dead_after) makes room; it is returned in `evicted` to be reported.
    // With `displace` (a remote mailbox asks to link) and no such peer, a live one makes room:
    // a lazy peer first (the eager links carry the tree), the one heard least recently.
    struct Evicted {
        wire::NodeAddr addr;
        bool stale = true;  // silent or never answered; false: displaced while live
    };
    PeerResult add_peer(const wire::NodeAddr& addr, TimePoint now,
                        std::optional<Evicted>* evicted = nullptr, bool displace = false);
    // Forgets the peer and its pending IHave ids. False if unknown.
    bool remove_peer(const NodeId& id);
    bool has_peer(const NodeId& id) const { return peers_.contains(id); }
    std::optional<NodeId> peer_at(const Endpoint& endpoint) const;
    std::optional<wire::NodeAddr> peer_addr(const NodeId& id) const;
    // Counts a message from the peer as a sign of life.
    void heard(const NodeId& id, TimePoint now);
    // A linked peer joined again (it restarted, or dropped the link and found us anew): it may
    // lack what it acknowledged before, and what it missed while away waits for no period. Its
    // digests start over as for a new link: everything in the window, the first one soon.
    void rejoined(const NodeId& id, TimePoint now);

    // ---- events ----
    // An event this node stored by itself (a publication, a client's hand-in): remembered and
    // sent to every peer. False if already seen (nothing sent).
    // `late`: a hand-in, sent as a repair copy (see GossipEngine::publish).
    bool publish(const wire::Event& event, bool late, TimePoint now);
    // An event held here but never sent (restored at a restart): remembered only, so that the
    // digests list it. False if already seen.
    bool note_held(const wire::EventId& id, TimePoint now);
    // Every input below comes from a known peer, except that `from` may be empty for an event
    // from a stranger (delivered and forwarded; nobody to prune or make eager).
    void on_gossip(const std::optional<NodeId>& from, const wire::GossipEvent& g, TimePoint now);
    void on_ihave(const NodeId& from, const std::vector<wire::EventId>& ids, TimePoint now);
    void on_graft(const NodeId& from, const std::vector<wire::EventId>& ids, TimePoint now);
    void on_prune(const NodeId& from);
    void on_digest(const NodeId& from, const std::vector<wire::EventId>& ids, TimePoint now);
    void on_digest_want(const NodeId& from, const std::vector<wire::EventId>& ids, TimePoint now);

    // ---- time ----
    // Flushes due IHave batches, grafts due missing ids, sends due digests. Returns the peers
    // found dead (already removed).
    std::vector<wire::NodeAddr> on_timer(TimePoint now);
    TimePoint next_wakeup() const;

    // ---- inspection ----
    std::vector<NodeId> peers() const;        // by id
    std::vector<NodeId> eager_peers() const;  // by id
    std::vector<NodeId> lazy_peers() const;   // by id
    bool is_eager(const NodeId& id) const;
    // Anything heard from the peer since it was linked (false for an unknown peer).
    bool answered(const NodeId& id) const;
    bool seen(const wire::EventId& id) const { return seen_.contains(id); }
    std::size_t seen_size() const { return seen_.size(); }
    std::size_t missing_size() const { return missing_.size(); }
    std::size_t pending_ihave(const NodeId& id) const;

  private:
    struct Peer {
        wire::NodeAddr addr;
        Endpoint endpoint;
        bool eager = true;
        TimePoint last_heard{};
        bool ever_heard = false;  // anything from the peer since the link (its join arrived)
        TimePoint next_digest{};
        // When the last digest to this peer was sent, while it is unanswered (max: none). Every
        // digest is answered; hearing from the peer long after one was not means the link was
        // broken (a partition, lost datagrams) and what it missed meanwhile is compared at once.
        TimePoint last_digest_unanswered = TimePoint::max();
        // Seen-set positions: the last one listed in a digest to this peer, and the last one
        // the peer acknowledged (a DigestWant not asking for it or anything before it).
        std::uint64_t listed = 0;
        std::uint64_t acked = 0;
        bool listing_full = false;  // the last digest stopped at digest_max_ids: more may follow
        std::vector<wire::EventId> pending_ihave;
        TimePoint ihave_flush_at = TimePoint::max();
    };
    // An id announced by IHave but not received yet.
    struct Missing {
        TimePoint deadline{};
        std::vector<NodeId> announcers;  // graft candidates, first announcer first (<= 4)
    };

    void send(const Peer& p, wire::GossipMessage m);
    // Remembers a new id and stops waiting for it; counts evictions.
    void remember(const wire::EventId& id, TimePoint now);
    // Eager push to eager peers and IHave to lazy ones, all but `except`.
    void forward(const wire::Event& e, std::uint16_t hops, wire::GossipKind kind,
                 const std::optional<NodeId>& except, TimePoint now);
    void queue_ihave(Peer& p, const wire::EventId& id, TimePoint now);
    void flush_ihave(Peer& p);
    void set_eager(const NodeId& id, bool eager);
    void prune(const NodeId& from);
    // Answers a Graft or DigestWant with at most max_events_per_reply events; returns the ids
    // the store no longer has.
    // `truncated`, if given, counts the ids left out over max_events_per_reply.
    std::set<wire::EventId> send_events(Peer& p, const std::vector<wire::EventId>& ids,
                                        wire::GossipKind kind, std::size_t* truncated = nullptr);
    void set_deadline(const wire::EventId& id, Missing& m, TimePoint deadline);
    void fire_missing(TimePoint now);
    std::vector<wire::NodeAddr> fire_digests(TimePoint now);

    std::string topic_;
    TreeContext ctx_;
    std::map<NodeId, Peer> peers_;
    RecentIds seen_;
    std::map<wire::EventId, Missing> missing_;
    std::set<std::pair<TimePoint, wire::EventId>> missing_by_deadline_;
};

}  // namespace elmo::gossip
