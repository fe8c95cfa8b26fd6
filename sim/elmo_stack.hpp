#pragma once
// elmo's node core and client core plugged into the simulator: the node core runs on every
// simulated node (beside its DHT, on the same address), the client core in every simulated
// phone. Scenarios build on these two factories.
#include <functional>
#include <map>
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
    ClientParams client;
};

// The stack's parameters with scenario overrides (--param key=value) applied: every NodeParams
// and MailboxParams knob by its field name (durations in seconds, e.g. hint_refresh=60,
// idle_period=1800). An unknown key or a bad value throws std::invalid_argument naming it.
ElmoStackConfig elmo_stack_from(const std::map<std::string, std::string>& params);

// Every node runs a NodeCore fed with the node's client connections.
CoreFactory elmo_node_factory(const ElmoStackConfig& config);

// The NodeCore of a node, or null (down, or not running elmo).
NodeCore* elmo_core(Simulation& sim, HostId h);

// A simulated phone running elmo's ClientCore. Its client id is the 8 bytes of "c" + its sim id.
class ElmoClient final : public sim::ClientCore, private elmo::ClientTransport {
public:
    // `other_nodes`: nodes the app knows besides its home (a shipped bootstrap list), for
    // failover when the home node is gone.
    ElmoClient(const ElmoStackConfig& config, ClientLink& link, ClientId id, std::uint64_t seed,
               std::vector<std::string> topics, std::vector<Endpoint> other_nodes = {});

    TimePoint on_online(TimePoint now) override;
    void on_offline(TimePoint now) override;
    TimePoint on_frame(TimePoint now, ByteView frame) override;
    TimePoint on_timer(TimePoint now) override;
    TimePoint on_connection_lost(TimePoint now) override;

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

    ClientLink& link_;
    elmo::ClientCore core_;
    std::vector<std::string> topics_;
    bool started_ = false;
    bool online_ = false;
    bool connected_ = false;
    std::optional<Endpoint> want_;  // the core asked to connect here
};

// Clients subscribing to `topics_of(id)` when they first come online, knowing `nodes_of(id)`
// besides their home node (may be null).
ClientCoreFactory elmo_client_factory(
    const ElmoStackConfig& config, std::function<std::vector<std::string>(ClientId)> topics_of,
    std::function<std::vector<Endpoint>(ClientId)> nodes_of = nullptr);

}  // namespace elmo::sim
