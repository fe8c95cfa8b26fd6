#pragma once
// The elmo node core: a sans-IO state machine (DESIGN 2.1-2.3, 2.5). It serves clients as their
// home node, keeps per-neighbour hints, runs biased random walks, elects mailboxes and holds the
// mailbox role. Inputs carry `now`; each returns the next wake-up; output goes through the ports.
// The simulator and the daemon drive the same class.
#include <cstdint>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "gossip/engine.hpp"
#include "mailbox/mailbox.hpp"
#include "node/client_port.hpp"
#include "node/election_arbiter.hpp"
#include "node/hint_table.hpp"
#include "node/known_mailboxes.hpp"
#include "node/node_stats.hpp"
#include "node/params.hpp"
#include "node/ports.hpp"
#include "wire/codec.hpp"

namespace elmo {

struct NodeCoreConfig {
    NodeParams params;
    mailbox::MailboxParams mailbox;
    gossip::GossipParams gossip;
    NodeId id{};
    Endpoint endpoint;      // where other nodes reach this one (the DHT's address)
    std::uint64_t seed = 1;
};

class NodeCore final : public ProtocolCore {
public:
    NodeCore(NodeCoreConfig config, DatagramPort& datagrams, OverlayPort& overlay,
             ClientPort& clients);

    // ProtocolCore
    TimePoint on_start(TimePoint now) override;
    TimePoint on_datagram(TimePoint now, const Endpoint& from, ByteView datagram) override;
    TimePoint on_timer(TimePoint now) override;

    // Client connections (this node as their home node).
    TimePoint on_client_connected(TimePoint now, ClientHandle client);
    TimePoint on_client_frame(TimePoint now, ClientHandle client, ByteView frame);
    TimePoint on_client_disconnected(TimePoint now, ClientHandle client);

    // The DHT directory (optional; null: walks only). Set before on_start.
    void set_directory(DirectoryPort* directory) { directory_ = directory; }
    // The values found under a query's key (empty: none, or the query failed).
    // `closest`: the nodes the DHT search ended at, closest to the key first (the rendezvous
    // asked to adopt a topic nobody holds; empty when the driver does not know them).
    TimePoint on_directory_answer(TimePoint now, std::uint64_t query_id,
                                  const std::vector<Bytes>& values,
                                  const std::vector<Neighbour>& closest = {});

    // Daemon life cycle. At a restart the daemon fills mailbox_for_restore() from its journal
    // before on_start, then calls topics_restored so that gossip, links and discovery resume for
    // the restored topics. shut_down evaporates every held topic now (notices to registered
    // clients' homes and linked mailboxes, the history handed to a successor), for a graceful
    // exit; the driver keeps delivering datagrams briefly so the hand-off can leave.
    mailbox::Mailbox& mailbox_for_restore() { return mailbox_; }
    // `stopped_unix_ms`: when the node stopped, if known (the journal's last write).
    TimePoint topics_restored(TimePoint now,
                              std::optional<std::int64_t> stopped_unix_ms = std::nullopt);
    TimePoint shut_down(TimePoint now);

    // Inspection.
    const NodeId& id() const { return config_.id; }
    const Endpoint& endpoint() const { return config_.endpoint; }
    const mailbox::Mailbox& mailbox() const { return mailbox_; }
    const NodeStats& stats() const { return stats_; }
    const NodeParams& params() const { return config_.params; }
    const HintTable& hints() const { return hints_; }
    const gossip::GossipEngine& gossip() const { return gossip_; }
    TimePoint next_wakeup() const;
    wire::NodeAddr self_addr() const { return wire::NodeAddr::from(config_.id, config_.endpoint); }
    // The DHT key of a topic's mailbox entries (node_directory.cpp) and of its history replica
    // (node_replica.cpp): the same key.
    static DirectoryKey directory_key(const std::string& topic);
    // The value id of a mailbox's directory entry for a key: one of `slots` (1..slots).
    static std::uint64_t directory_slot(const NodeId& id, const DirectoryKey& key,
                                        std::size_t slots);
    static DirectoryKey replica_key(const std::string& topic);

private:
    enum class TimerKind : std::uint8_t { hint_refresh, hint_send, lookup_deadline, request_timeout,
                                          ping_round, sub_deadline, directory_refresh };
    struct Timer {
        TimePoint when;
        std::uint64_t seq;
        TimerKind kind;
        std::uint64_t key;
        bool operator>(const Timer& o) const {
            return when != o.when ? when > o.when : seq > o.seq;
        }
    };

    // A client's subscribe or publish request being served by this home node: both look for a
    // mailbox of the topic the same way (the client's own, then known ones, then a lookup).
    struct PendingSub {
        ClientHandle client = 0;
        std::uint64_t client_request = 0;
        std::string topic;
        std::optional<wire::Event> event;         // set: a publication (StoreRequest)
        bool hand_in = false;                     // a poll's hand-in: the first candidate only
        std::vector<wire::NodeAddr> candidates;  // to try, in order
        std::set<NodeId> tried;
        int lookups = 0;
        bool refused = false;  // a mailbox tried refused (full, or no longer holds the topic)
        // Mailboxes that refused as full: asked again beyond their topic budget (once) when
        // the lookups found no other mailbox for the topic.
        std::vector<wire::NodeAddr> refused_full;
        std::set<NodeId> own;  // the client's own mailboxes (renewals pass even when full)
        bool beyond_topic_budget = false;
        bool overdue = false;  // a publication kept past subscribe_deadline
    };
    // Subscriptions in progress per client connection, and lookups per node: bounded.
    static constexpr std::size_t max_pending_per_client = 32;
    static constexpr std::size_t max_lookups = 1024;
    // Arbiters a home claims at in turn before it elects its own candidate unarbitrated.
    static constexpr std::size_t max_arbiters_tried = 3;
    // A search for the mailboxes of one topic.
    struct Lookup {
        std::set<std::uint64_t> walks;           // outstanding walk ids
        TimePoint deadline;
        std::vector<std::uint64_t> waiting;      // PendingSub ids
        std::vector<wire::NodeAddr> hits;
        std::vector<wire::RecruitOffer> recruits;
        std::set<NodeId> adopt_tried;
        bool electing = false;                   // walks over, adoption under way
        bool directory_wait = false;             // walks found nothing: the directory is asked
        bool directory_answered = false;         // its answer came (found nobody live, or some)
        bool directory_pending = false;          // asked at the start, to be waited for
        std::set<NodeId> exclude;                // no hits: what the waiting client tried
        bool need_new = false;                   // the known mailboxes refused: elect one more
        bool discovery = false;                  // a mailbox's search for its topic's others
        std::uint64_t generation = 0;            // tells this lookup from a later one
        std::uint64_t adopt_in_flight = 0;       // AdoptRequest awaiting its answer, or 0
        // The DHT node closest to the topic's directory key, when the directory named no live
        // mailbox: the arbiter our candidate is claimed at, so that homes electing at once agree;
        // then the next nearest, tried in turn when one does not answer (under churn the nearest
        // the search names may have just died, and every home would time out and elect itself).
        std::vector<wire::NodeAddr> arbiters;
        // The node to adopt: the claim's winner (our own candidate until the arbiter answers).
        // Set once a claim is made, so a lookup claims at most once.
        std::optional<wire::NodeAddr> elected;
    };
    enum class RequestKind : std::uint8_t { register_client, adopt, store, poll, claim };
    struct Request {
        RequestKind kind{};
        std::uint64_t sub = 0;       // register_client: the PendingSub
        std::string topic;           // adopt: the lookup's topic
        wire::NodeAddr target;
        std::uint64_t lookup_generation = 0;  // adopt: the lookup that sent it
        ClientHandle client = 0;              // poll: for whom, and the client's request id
        std::uint64_t client_request = 0;
    };
    struct Session {
        Bytes client_id;
        std::set<std::pair<std::string, NodeId>> registrations;  // (topic, mailbox)
    };
    struct Watched {
        Endpoint endpoint;
        int misses = 0;
        bool awaiting = false;
        std::uint64_t nonce = 0;
        std::set<std::pair<ClientHandle, std::string>> users;
    };

    // The gossip engine's port, a separate object so that its send() does not overload ours.
    class GossipBridge final : public gossip::GossipPort {
    public:
        explicit GossipBridge(NodeCore& core) : core_(core) {}
        void send(const Endpoint& to, const wire::GossipMessage& message) override;
        gossip::Delivery deliver(const wire::Event& event, std::uint16_t hops) override;
        std::optional<wire::Event> find_event(const std::string& topic,
                                              const wire::EventId& id) override;
    private:
        NodeCore& core_;
        TimePoint now_{};
        friend class NodeCore;
    };

    // ---- node_core.cpp: plumbing, timers, hints ----
    void schedule(TimePoint when, TimerKind kind, std::uint64_t key = 0);
    void send(const Endpoint& to, const wire::Message& m);
    void send_to_client(ClientHandle c, const wire::Message& m);
    const std::vector<Neighbour>& neighbours(TimePoint now);
    std::optional<NodeId> neighbour_id(const Endpoint& from, TimePoint now);
    void send_hints(TimePoint now);
    void topics_changed(TimePoint now);
    void handle(TimePoint now, const Endpoint& from, const wire::Message& m);
    void mailbox_housekeeping(TimePoint now);
    void topics_gone(TimePoint now, const std::vector<mailbox::Evaporation>& gone);
    bool room_for_topics(TimePoint now) const;
    // Recruiting: a mailbox with room for topics and under its recruiting load, so that new
    // topics go to less loaded mailboxes (load sharing).
    bool recruiting(TimePoint now) const;
    std::uint64_t fresh_id() { return rng_(); }

    // ---- node_walks.cpp: lookups, walks, election ----
    // elect: the mailboxes found refused, elect one more; ask_directory: the mailboxes the
    // client tried failed or refused: the directory at once, beside the walks, its answer waited
    // for, and walk hits the client tried not counted.
    void start_lookup(TimePoint now, const std::string& topic, std::uint64_t sub, bool elect,
                      bool ask_directory = false);
    void launch_walks(TimePoint now, const std::string& topic, Lookup& lookup);
    void on_walk_step(TimePoint now, const Endpoint& from, wire::WalkStep step);
    void forward_walk(TimePoint now, wire::WalkStep step, const NodeId& previous);
    void on_walk_result(TimePoint now, const wire::WalkResult& result);
    void on_lookup_deadline(TimePoint now, const std::string& topic);
    void finish_walks(TimePoint now, const std::string& topic);
    void start_election(TimePoint now, const std::string& topic);
    void try_adopt(TimePoint now, const std::string& topic);
    // Where the lookup's election goes next (a recruit, this node, a neighbour), or none.
    std::optional<wire::NodeAddr> next_candidate(TimePoint now, const Lookup& lookup);
    // Adopts `candidate` (this node, or an AdoptRequest); moves on if this node is full.
    void adopt_candidate(TimePoint now, Lookup& lookup, const std::string& topic,
                         const wire::NodeAddr& candidate);
    void send_claim(TimePoint now, Lookup& lookup, const std::string& topic,
                    const wire::NodeAddr& candidate);
    wire::NodeAddr arbitrate(TimePoint now, const std::string& topic,
                             const wire::NodeAddr& candidate);
    void on_election_claim(TimePoint now, const Endpoint& from, const wire::ElectionClaim& c);
    void on_election_verdict(TimePoint now, const wire::ElectionVerdict& v);
    // This node takes the topic if it has room; false if refused (full) or already tried.
    bool elect_self(TimePoint now, Lookup& lookup, const std::string& topic);
    void on_adopt_reply(TimePoint now, std::uint64_t request_id, const wire::AdoptReply& r);
    void on_adopt_timeout(TimePoint now, const Request& req, std::uint64_t request_id);
    void send_adopt(TimePoint now, Lookup& lookup, const std::string& topic,
                    const wire::NodeAddr& target);
    void resolve_lookup(TimePoint now, const std::string& topic,
                        const std::vector<wire::NodeAddr>& mailboxes);

    // ---- node_home.cpp: client sessions, registrations, liveness ----
    void on_subscribe(TimePoint now, ClientHandle c, const wire::Subscribe& s);
    void on_unsubscribe(TimePoint now, ClientHandle c, const wire::Unsubscribe& u);
    std::vector<wire::NodeAddr> initial_candidates(TimePoint now, const std::string& topic,
                                                   const std::vector<wire::NodeAddr>& preferred);
    void try_next_candidate(TimePoint now, std::uint64_t sub_id);
    void on_register_reply(TimePoint now, std::uint64_t request_id, const wire::RegisterReply& r);
    void on_request_timeout(TimePoint now, std::uint64_t request_id);
    void complete_sub(TimePoint now, std::uint64_t sub_id, const wire::NodeAddr& mailbox,
                      std::uint32_t lifetime_s, std::vector<wire::NodeAddr> others);
    void fail_sub(std::uint64_t sub_id);
    void drop_registration(ClientHandle c, const std::string& topic, const NodeId& mailbox);
    void report_unreachable(ClientHandle c, const std::string& topic, const wire::NodeAddr& mailbox);
    void on_sub_deadline(TimePoint now, std::uint64_t sub_id);
    void watch(const wire::NodeAddr& mailbox, ClientHandle c, const std::string& topic);
    void ping_round(TimePoint now);
    void on_pong(const Endpoint& from, const wire::Pong& p);
    void mailbox_gone(TimePoint now, const NodeId& mailbox, const std::string* only_topic,
                      const std::vector<wire::NodeAddr>& successors);

    // ---- node_mailbox_side.cpp: this node as a mailbox ----
    void on_register_request(TimePoint now, const Endpoint& from, const wire::RegisterRequest& r);
    void on_adopt_request(TimePoint now, const Endpoint& from, const wire::AdoptRequest& r);
    void on_topic_evaporated(TimePoint now, const Endpoint& from, const wire::TopicEvaporated& e);
    wire::RegisterReply register_locally(TimePoint now, const Endpoint& home,
                                         const wire::RegisterRequest& r,
                                         bool beyond_topic_budget = false);
    std::vector<wire::NodeAddr> other_mailboxes(const std::string& topic, TimePoint now);
    // A topic this node now holds (adopted or elected): gossip and discovery start.
    void topic_adopted(TimePoint now, const std::string& topic);

    // ---- node_directory.cpp: the DHT as a directory of mailboxes ----
    struct DirectoryQuery {
        std::string topic;
        std::uint64_t lookup_generation = 0;
        bool replica = false;  // a read of the topic's history replica, not of its mailboxes
        TimePoint sent{};
    };
    // The first 20 bytes of SHA-256(prefix + topic).
    static DirectoryKey topic_key(std::string_view prefix, const std::string& topic);
    void directory_announce(const std::string& topic);
    void directory_refresh(TimePoint now);
    // Asks who holds `topic` for the lookup of that generation (a discovery or a client's).
    // True when an answer will come for the lookup (a query sent, or a pending one taken over).
    bool directory_query(TimePoint now, const std::string& topic, std::uint64_t lookup_generation);
    // Whether a query of `topic` (of the replica if `replica`) may go out now; a pending one
    // of the same kind and topic is reused (`pending`). Bounds the DHT gets in flight.
    bool directory_query_room(TimePoint now, const std::string& topic, bool replica,
                              DirectoryQuery** pending);
    // ---- node_replica.cpp: the history replica in the DHT ----
    void replicate_event(const wire::Event& event);
    void replica_query(TimePoint now, const std::string& topic);
    void on_replica_answer(TimePoint now, const std::string& topic, const std::vector<Bytes>& values);

    // ---- node_dissemination.cpp: store, push, poll, links (DESIGN 2.4-2.6) ----
    // Mailbox side.
    // `from_client` and not `late`: a fresh publication, which is put in the history replica (a
    // hand-off, a client's hand-in or an event read back from the replica is a copy).
    wire::StoreStatus store_locally(TimePoint now, const wire::Event& event, bool late,
                                    bool from_client);
    void push_to_clients(TimePoint now, const wire::Event& event);
    void on_store_request(TimePoint now, const Endpoint& from, const wire::StoreRequest& r);
    wire::PollReply poll_locally(TimePoint now, const wire::PollRequest& r);
    void on_mailbox_intro(TimePoint now, const wire::MailboxIntro& intro);
    void link_peer(TimePoint now, const std::string& topic, const wire::NodeAddr& peer);
    void mirror_gossip_notices(TimePoint now);
    void run_discovery(TimePoint now);
    // node_backup.cpp: a second mailbox for a topic with subscribers that has no other.
    void maybe_recruit_backup(TimePoint now, const std::string& topic);
    // Home side.
    void on_publish(TimePoint now, ClientHandle c, const wire::Publish& p);
    void on_poll(TimePoint now, ClientHandle c, const wire::Poll& p);
    std::optional<Request> take_reply(TimePoint now, std::uint64_t request_id, RequestKind kind,
                                      const std::vector<wire::NodeAddr>& others);
    void on_store_reply(TimePoint now, std::uint64_t request_id, const wire::StoreReply& r);
    void on_poll_reply(TimePoint now, std::uint64_t request_id, const wire::PollReply& r);
    void on_poll_timeout(const Request& req);
    void on_client_push(TimePoint now, const wire::ClientPush& p);
    void complete_pub(TimePoint now, std::uint64_t sub_id, const wire::NodeAddr& mailbox,
                      const std::vector<wire::NodeAddr>& others);
    void send_store(TimePoint now, std::uint64_t sub_id, const wire::NodeAddr& target);
    // Tells `mailbox` of the topic's mailboxes this home knows and `named` (its own list) lacks.
    void maybe_intro(TimePoint now, const std::string& topic, const wire::NodeAddr& mailbox,
                     const std::vector<wire::NodeAddr>& named);

    NodeCoreConfig config_;
    DatagramPort& datagrams_;
    OverlayPort& overlay_;
    ClientPort& clients_;
    std::mt19937_64 rng_;
    // NodeList draws: their own stream, so that answering hellos does not shift the protocol's
    // choices (walks, candidates, ids) drawn from rng_.
    std::mt19937_64 node_list_rng_;
    mailbox::Mailbox mailbox_;
    HintTable hints_;
    KnownMailboxes known_;
    ElectionArbiter arbiter_;
    NodeStats stats_;
    GossipBridge gossip_bridge_;
    gossip::GossipEngine gossip_;

    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
    std::uint64_t timer_seq_ = 0;

    std::vector<Neighbour> neighbours_;
    std::map<Endpoint, NodeId> endpoint_to_id_;
    TimePoint neighbours_refreshed_{};
    bool neighbours_valid_ = false;

    std::uint64_t hint_seq_ = 0;
    TimePoint last_hint_sent_{};
    bool hint_send_scheduled_ = false;
    std::vector<std::string> advertised_topics_;

    std::map<std::string, Lookup> lookups_;
    std::map<std::uint64_t, PendingSub> subs_;
    std::map<std::uint64_t, Request> requests_;
    std::map<ClientHandle, Session> sessions_;
    std::map<NodeId, Watched> watched_;
    // Client id -> its connections here (pushes are addressed by client id). Usually one.
    std::map<Bytes, std::set<ClientHandle>> by_client_id_;
    // Discovery walks due, per held topic; last intro per topic (bounded by known_topics_max).
    struct DiscoveryDue {
        TimePoint due;
        std::string topic;
        int round = 0;
        TimePoint last_directory_read{};  // by this topic's discovery rounds
        bool read_directory = false;      // this round asks the directory whatever its number
        bool operator<(const DiscoveryDue& o) const {  // one entry per topic
            return std::tie(due, topic) < std::tie(o.due, o.topic);
        }
    };
    std::set<DiscoveryDue> discovery_due_;
    void schedule_discovery(DiscoveryDue d);
    void discover_soon(const std::string& topic, TimePoint when);
    std::map<std::string, TimePoint> intro_sent_;
    DirectoryPort* directory_ = nullptr;
    // Next replica slot per held topic (erased when the topic goes).
    std::map<std::string, std::uint32_t> replica_next_slot_;
    // Queries out, by id; bounded by max_directory_queries (see directory_query_room).
    std::map<std::uint64_t, DirectoryQuery> directory_queries_;
    bool directory_timer_ = false;  // a directory_refresh timer is pending
    // Nodes that recently failed to answer, until when (bounded by known_topics_max).
    std::map<NodeId, TimePoint> suspects_;
    void suspect(const NodeId& node, TimePoint now);
    bool suspected(const NodeId& node, TimePoint now) const;
    // Mailboxes that refused a topic's registration as full, until when (params.full_memory,
    // bounded by full_memory_max).
    std::map<std::pair<std::string, NodeId>, TimePoint> full_until_;
    void remember_full(const std::string& topic, const NodeId& mailbox, TimePoint now);
    bool known_full(const std::string& topic, const NodeId& mailbox, TimePoint now) const;
    // A registration of `sub` met a full mailbox (refused, or known full): past
    // full_refusals_before_new_mailbox the other candidates are left for one more mailbox.
    void met_full(PendingSub& sub, const wire::NodeAddr& mailbox);
    std::vector<wire::NodeAddr> nodes_for_client(TimePoint now);
    // Bytes a home adds when it turns a PollReply into the client's PollResult (the mailbox's
    // address), with room to spare.
    static constexpr std::size_t poll_result_overhead = 256;
};

}  // namespace elmo
