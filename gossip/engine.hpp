#pragma once
// The gossip engine of one node: a TopicTree per topic the node holds as a mailbox, one entry
// point for every gossip message, one timer, and the link handshake. Sans-IO: every input takes
// `now` (a `now` earlier than one seen before counts as the latest seen); output goes through
// GossipPort; the node calls on_timer at next_wakeup().
//
// One engine for all topics rather than one object per topic because the node has one datagram
// entry point and one wake-up: the engine resolves the sender's endpoint to a peer, answers
// strangers and unknown topics, and keeps the topics' wake-ups in one ordered set so that
// next_wakeup() costs O(1) however many topics are held.
//
// Node integration (node_core, later):
//   adopt topic      -> add_topic;        evaporate -> remove_topic(notify = true)
//   mailbox linked   -> add_peer;         unlinked  -> remove_peer
//   event stored from a client: its publication -> publish; a poll hand-in -> publish(late)
//   gossip datagram  -> on_message(now, from, wire::GossipMessage{msg})
//   after any input  -> take_notices() (mirror links in the mailbox role), next_wakeup()
#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/endpoint.hpp"
#include "common/node_id.hpp"
#include "common/time.hpp"
#include "gossip/params.hpp"
#include "gossip/port.hpp"
#include "gossip/topic_tree.hpp"
#include "gossip/types.hpp"
#include "wire/msg_gossip.hpp"

namespace elmo::gossip {

class GossipEngine {
  public:
    GossipEngine(NodeId self, GossipPort& port, GossipParams params = {});
    GossipEngine(const GossipEngine&) = delete;
    GossipEngine& operator=(const GossipEngine&) = delete;

    const GossipParams& params() const { return params_; }
    const GossipCounters& counters() const { return counters_; }
    const NodeId& self() const { return self_; }

    // ---- topics ----
    // Starts holding a topic (no peers yet). False if already held.
    bool add_topic(const std::string& topic);
    // Stops holding a topic; with `notify`, each peer is sent a GossipLeave. False if not held.
    bool remove_topic(TimePoint now, const std::string& topic, bool notify = true);
    bool holds(const std::string& topic) const { return topics_.contains(topic); }
    std::vector<std::string> topics() const;  // sorted

    // ---- links ----
    // Links another mailbox of a held topic; a new peer starts eager and is sent a GossipJoin.
    PeerResult add_peer(TimePoint now, const std::string& topic, const wire::NodeAddr& peer);
    // Unlinks; with `notify`, sends a GossipLeave (not to a peer believed dead). False if unknown.
    bool remove_peer(TimePoint now, const std::string& topic, const NodeId& peer,
                     bool notify = true);
    // Links the engine made or lost on its own since the last call, in the order they happened.
    std::vector<PeerNotice> take_notices();

    // ---- events and messages ----
    // An event this node stored by itself (a publication, a client's hand-in): sent to the
    // topic's peers. False if the topic is not held or the id was seen already.
    // `late`: an event a client carried in from elsewhere (a poll's hand-in), which peers may
    // well have: sent as a late copy, so that it does not prune the links it crosses.
    bool publish(TimePoint now, const wire::Event& event, bool late = false);
    // An event the node holds without having sent it (its history restored from a journal at a
    // restart): remembered, not sent, so that the digests offer it to the peers that lack it.
    // False if the topic is not held or the id was seen already.
    bool note_held(TimePoint now, const std::string& topic, const wire::EventId& id);
    // A gossip message that arrived from `from` (the datagram's source).
    void on_message(TimePoint now, const Endpoint& from, const wire::GossipMessage& message);

    // ---- time ----
    void on_timer(TimePoint now);
    // The earliest time something is due (an IHave flush, a graft, a digest); max() if none.
    TimePoint next_wakeup() const;

    // ---- inspection ----
    const TopicTree* tree(const std::string& topic) const;

  private:
    struct Topic {
        TopicTree tree;
        TimePoint wake = TimePoint::max();  // as entered in wakeups_
    };
    using TopicMap = std::map<std::string, Topic>;

    TimePoint advance(TimePoint now);
    void reschedule(TopicMap::iterator it);
    void notice(const std::string& topic, const wire::NodeAddr& peer, PeerNotice::Kind kind);
    // Sends a GossipJoin or GossipLeave to a node that is not a peer, at most once per
    // stranger_reply_interval per (endpoint, topic).
    void reply_stranger(TimePoint now, const Endpoint& to, const std::string& topic,
                        wire::GossipMessage reply);
    void on_join(TimePoint now, const Endpoint& from, const wire::GossipJoin& j);
    void on_topic_message(TimePoint now, const Endpoint& from, TopicMap::iterator it,
                          const wire::GossipMessage& m);
    // Takes a stranger that named itself (GossipJoin, Digest) as a peer if there is room.
    std::optional<NodeId> admit(TimePoint now, const Endpoint& from, TopicMap::iterator it,
                                const NodeId& sender, bool displace);

    NodeId self_;
    GossipPort& port_;
    GossipParams params_;
    GossipCounters counters_;
    TopicMap topics_;
    std::set<std::pair<TimePoint, std::string>> wakeups_;
    std::deque<PeerNotice> notices_;
    // Last answer to each stranger (endpoint, topic); when full, the oldest answer is forgotten.
    std::map<std::pair<Endpoint, std::string>, TimePoint> strangers_;
    TimePoint now_ = TimePoint::min();
};

}  // namespace elmo::gossip
