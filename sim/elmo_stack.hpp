#pragma once
// elmo's node core and client core plugged into the simulator: the node core runs on every
// simulated node (beside its DHT, on the same address), the client core in every simulated
// phone. Scenarios build on these two factories.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client-sdk/client_core.hpp"
#include "mailbox/params.hpp"
#include "node/node_core.hpp"
#include "node/params.hpp"
#include "sim/clients.hpp"
#include "sim/node.hpp"

namespace elmo::sim {

struct ElmoStackConfig {
    NodeParams node;
    mailbox::MailboxParams mailbox;
    gossip::GossipParams gossip;
    ClientParams client;
};

// The stack's parameters with scenario overrides (--param key=value) applied: every NodeParams
// and MailboxParams knob by its field name (durations in seconds, e.g. hint_refresh=60,
// idle_period=1800), GossipParams knobs prefixed gossip_ (e.g. gossip_ihave_timeout=0.5). An unknown key or a bad value throws std::invalid_argument naming it.
ElmoStackConfig elmo_stack_from(const std::map<std::string, std::string>& params);

// Every node runs a NodeCore fed with the node's client connections.
CoreFactory elmo_node_factory(const ElmoStackConfig& config);

// The NodeCore of a node, or null (down, or not running elmo).
NodeCore* elmo_core(Simulation& sim, HostId h);

// Whether some live node's mailbox stores event `id` of `topic`, or some live node's DHT storage
// holds it in the topic's history replica (DeliveryRecorder::report's held_at_end: an
// undelivered event still stored is waiting, not lost: the next mailbox of the topic reads the
// replica back when it takes the topic).
bool held_by_live_mailbox(Simulation& sim, const std::string& topic, const wire::EventId& id);

// What a scenario learns from the phones; every member is optional. `presence`: the phone came
// online or went offline (not the transport's reconnections, e.g. a failover to another node);
// `subscribed`: the app subscribed (on first coming online); `delivered`: the core handed an event
// to the app; `copy`: a copy of an event arrived in a frame (push or poll answer), so copies
// beyond the first can be counted; `published`: a publication left the outbox.
struct ClientObserver {
    std::function<void(ClientId, TimePoint, bool online)> presence;
    std::function<void(ClientId, TimePoint, const std::string& topic)> subscribed;
    std::function<void(ClientId, TimePoint, const wire::Event&)> delivered;
    std::function<void(ClientId, const wire::EventId&)> copy;
    std::function<void(ClientId, TimePoint, const wire::EventId&, elmo::ClientCore::PublishOutcome)>
        published;
};

// Live nodes for a client whose known nodes all failed (ElmoClient, live_nodes_seed).
using SeedResolver = std::function<std::vector<Endpoint>(ClientId)>;

// A simulated phone running elmo's ClientCore. Its client id is the 8 bytes of "c" + its sim id.
class ElmoClient final : public sim::ClientCore, private elmo::ClientTransport {
public:
    // `other_nodes`: nodes the app knows besides its home (a shipped bootstrap list), for
    // failover when the home node is gone.
    // `seed_of`: the app's seed (a DNS name listing live nodes), asked when every node the
    // client knows has failed in a row (ClientCore::wants_seed_nodes); may be null.
    ElmoClient(const ElmoStackConfig& config, ClientLink& link, ClientId id, std::uint64_t seed,
               std::vector<std::string> topics, std::vector<Endpoint> other_nodes = {},
               std::shared_ptr<const ClientObserver> observer = nullptr,
               SeedResolver seed_of = nullptr);

    TimePoint on_online(TimePoint now) override;
    void on_offline(TimePoint now) override;
    TimePoint on_frame(TimePoint now, ByteView frame) override;
    TimePoint on_timer(TimePoint now) override;
    TimePoint on_connection_lost(TimePoint now) override;

    // Publishes through the core (the app's publish). The caller reschedules the client's
    // wake-up to core().next_wakeup() (Clients::wake): the core may have armed a retry timer.
    Result<wire::EventId, elmo::ClientCore::PublishError> publish(TimePoint now,
                                                                  const std::string& topic,
                                                                  Bytes payload);

    elmo::ClientCore& core() { return core_; }
    const elmo::ClientCore& core() const { return core_; }
    const std::vector<std::string>& topics() const { return topics_; }
    static Bytes client_id_of(ClientId id);

private:
    // ClientTransport
    void connect(const Endpoint& node) override;
    void send(ByteView frame) override;
    void disconnect() override;

    TimePoint settle(TimePoint now, TimePoint next);
    void count_copies(ByteView frame);

    ClientLink& link_;
    ClientId id_;
    std::shared_ptr<const ClientObserver> observer_;
    SeedResolver seed_of_;
    elmo::ClientCore core_;
    std::vector<std::string> topics_;
    bool started_ = false;
    bool online_ = false;
    bool connected_ = false;
    bool rehoming_ = false;         // inside link_.set_home: offline/online is the transport's
    std::optional<Endpoint> want_;  // the core asked to connect here
};

// Clients subscribing to `topics_of(id)` when they first come online, knowing `nodes_of(id)`
// besides their home node (may be null), reporting to `observer` (may be null), asking
// `seed_of` for live nodes when every node they know failed (may be null).
ClientCoreFactory elmo_client_factory(
    const ElmoStackConfig& config, std::function<std::vector<std::string>(ClientId)> topics_of,
    std::function<std::vector<Endpoint>(ClientId)> nodes_of = nullptr,
    std::shared_ptr<const ClientObserver> observer = nullptr, SeedResolver seed_of = nullptr);

// The simulated app's seed: `count` distinct live nodes at random, as a DNS name that lists
// live nodes would answer. Draws from its own generator (`seed`), so asking does not shift
// other draws; `sim` must outlive the resolver.
SeedResolver live_nodes_seed(const Simulation& sim, std::uint64_t seed, std::size_t count = 4);

}  // namespace elmo::sim
