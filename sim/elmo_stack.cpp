#include "sim/elmo_stack.hpp"

#include <memory>
#include <set>

#include "sim/rng.hpp"
#include "sim/simulation.hpp"
#include <stdexcept>

namespace elmo::sim {

namespace {
double number(const std::string& key, const std::string& v) {
    try {
        std::size_t used = 0;
        double d = std::stod(v, &used);
        if (used == v.size()) return d;
    } catch (const std::exception&) {
    }
    throw std::invalid_argument("--param " + key + ": not a number: '" + v + "'");
}
}  // namespace

ElmoStackConfig elmo_stack_from(const std::map<std::string, std::string>& params) {
    ElmoStackConfig c;
    NodeParams& n = c.node;
    mailbox::MailboxParams& m = c.mailbox;
    auto secs = [](double v) { return std::chrono::seconds(static_cast<long>(v)); };
    auto dur = [](double v) {
        return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(v));
    };
    // One line per knob: name, setter.
    const std::map<std::string, std::function<void(double)>> knobs = {
        {"hints", [&](double v) { n.use_hints = v != 0; }},
        {"hint_radius", [&](double v) { n.hint_radius = static_cast<int>(v); }},
        {"hint_merge_fanout", [&](double v) { n.hint_merge_fanout = static_cast<std::size_t>(v); }},
        {"hint_refresh", [&](double v) { n.hint_refresh = secs(v); }},
        {"hint_expiry", [&](double v) { n.hint_expiry = secs(v); }},
        {"hint_min_interval", [&](double v) { n.hint_min_interval = secs(v); }},
        {"recruit_max_registrations", [&](double v) { n.recruit_max_registrations = static_cast<std::size_t>(v); }},
        {"recruit_choices", [&](double v) { n.recruit_choices = static_cast<std::size_t>(v); }},
        {"walks", [&](double v) { n.walks = static_cast<int>(v); }},
        {"walk_ttl", [&](double v) { n.walk_ttl = static_cast<int>(v); }},
        {"lookup_timeout", [&](double v) { n.lookup_timeout = secs(v); }},
        {"known_mailbox_ttl", [&](double v) { n.known_mailbox_ttl = secs(v); }},
        {"mailbox_ping_period", [&](double v) { n.mailbox_ping_period = secs(v); }},
        {"mailbox_ping_misses", [&](double v) { n.mailbox_ping_misses = static_cast<int>(v); }},
        {"request_timeout", [&](double v) { n.request_timeout = secs(v); }},
        {"subscribe_deadline", [&](double v) { n.subscribe_deadline = secs(v); }},
        {"publication_grace", [&](double v) { n.publication_grace = secs(v); }},
        {"suspect_period", [&](double v) { n.suspect_period = secs(v); }},
        {"full_refusals_before_new_mailbox",
         [&](double v) { n.full_refusals_before_new_mailbox = static_cast<std::size_t>(v); }},
        {"full_memory", [&](double v) { n.full_memory = secs(v); }},
        {"discovery_first", [&](double v) { n.discovery_first = secs(v); }},
        {"discovery_second", [&](double v) { n.discovery_second = secs(v); }},
        {"discovery_period", [&](double v) { n.discovery_period = secs(v); }},
        {"discovery_directory_rounds",
         [&](double v) { n.discovery_directory_rounds = static_cast<int>(v); }},
        {"intro_interval", [&](double v) { n.intro_interval = secs(v); }},
        {"use_directory", [&](double v) { n.use_directory = v != 0; }},
        {"arbitrated_election", [&](double v) { n.arbitrated_election = v != 0; }},
        {"directory_beside_walks", [&](double v) { n.directory_beside_walks = v != 0; }},
        {"backup_min_registrations",
         [&](double v) { n.backup_min_registrations = static_cast<std::size_t>(v); }},
        {"election_claim_window", [&](double v) { n.election_claim_window = secs(v); }},
        {"max_directory_queries",
         [&](double v) { n.max_directory_queries = static_cast<std::size_t>(v); }},
        {"directory_query_timeout", [&](double v) { n.directory_query_timeout = secs(v); }},
        {"event_replica_slots",
         [&](double v) { n.event_replica_slots = static_cast<std::size_t>(v); }},
        {"nodes_for_clients",
         [&](double v) { n.nodes_for_clients = static_cast<std::size_t>(v); }},
        {"directory_refresh", [&](double v) { n.directory_refresh = secs(v); }},
        {"directory_slots", [&](double v) { n.directory_slots = static_cast<std::size_t>(v); }},
        {"capacity_topics", [&](double v) { m.capacity_topics = static_cast<std::size_t>(v); }},
        {"max_registrations", [&](double v) { m.max_registrations = static_cast<std::size_t>(v); }},
        {"max_registrations_per_topic", [&](double v) { m.max_registrations_per_topic = static_cast<std::size_t>(v); }},
        {"max_msgs_per_sec", [&](double v) { m.max_msgs_per_sec = static_cast<std::uint32_t>(v); }},
        {"idle_period", [&](double v) { m.idle_period = dur(v); }},
        {"registration_lifetime", [&](double v) { m.registration_lifetime = dur(v); }},
        // The history contract (issue 8's delivery to returning subscribers depends on it).
        {"max_events_per_topic", [&](double v) { m.max_events_per_topic = static_cast<std::size_t>(v); }},
        {"max_bytes_per_topic", [&](double v) { m.max_bytes_per_topic = static_cast<std::size_t>(v); }},
        {"max_event_age", [&](double v) { m.max_event_age = dur(v); }},
        {"max_seen_ids_per_topic", [&](double v) { m.max_seen_ids_per_topic = static_cast<std::size_t>(v); }},
        // Gossip knobs (GossipParams), prefixed.
        {"gossip_max_peers", [&](double v) { c.gossip.max_peers_per_topic = static_cast<std::size_t>(v); }},
        {"gossip_ihave_flush_interval", [&](double v) { c.gossip.ihave_flush_interval = dur(v); }},
        {"gossip_ihave_timeout", [&](double v) { c.gossip.ihave_timeout = dur(v); }},
        {"gossip_graft_timeout", [&](double v) { c.gossip.graft_timeout = dur(v); }},
        {"gossip_digest_period", [&](double v) { c.gossip.digest_period = dur(v); }},
        {"gossip_dead_after", [&](double v) { c.gossip.dead_after = dur(v); }},
        {"gossip_digest_window", [&](double v) { c.gossip.digest_window = dur(v); }},
        {"gossip_seen_capacity", [&](double v) { c.gossip.seen_capacity = static_cast<std::size_t>(v); }},
        // Client knobs (ClientParams), prefixed: the same names exist on the node side.
        {"client_poll_period", [&](double v) { c.client.poll_period = dur(v); }},
        {"client_seen_ids_per_topic", [&](double v) { c.client.seen_ids_per_topic = static_cast<std::size_t>(v); }},
    };
    // Scenario-level keys (workload shape) are not the stack's; they are left to the scenario.
    static const std::set<std::string> workload = {
        "clients_per_node", "topics", "subs", "zipf", "join_s", "check_s", "crash_at_s",
        "crash_fraction", "recover_s",
        // paper-synthetic
        "churn", "warmup_s", "measure_s", "drain_s", "rate", "online_s", "offline_s", "payload",
        "fail_s", "replace_period_s", "fraction", "window_s", "publish_tries", "count_copies"};
    for (const auto& [key, value] : params) {
        auto k = knobs.find(key);
        if (k != knobs.end()) k->second(number(key, value));
        else if (!workload.contains(key)) throw std::invalid_argument("--param " + key + ": unknown");
    }
    if (n.walk_ttl < 1 || n.walk_ttl > static_cast<int>(wire::max_walk_ttl))
        throw std::invalid_argument("--param walk_ttl: must be 1.." + std::to_string(wire::max_walk_ttl));
    if (n.hint_radius < 0 || n.hint_radius > 8)
        throw std::invalid_argument("--param hint_radius: must be 0..8");
    if (n.walks < 1) throw std::invalid_argument("--param walks: must be at least 1");
    if (n.directory_slots < 1 || n.directory_slots > max_directory_values)
        throw std::invalid_argument("--param directory_slots: must be 1.." +
                                    std::to_string(max_directory_values));
    if (n.subscribe_deadline <= n.request_timeout)
        throw std::invalid_argument("--param subscribe_deadline: must exceed request_timeout");
    return c;
}

CoreFactory elmo_node_factory(const ElmoStackConfig& config) {
    return [config](const CoreContext& ctx) -> std::unique_ptr<ProtocolCore> {
        // By field, not aggregate order: NodeCoreConfig grows (gossip parameters) and the
        // defaults of fields not set here are the right ones.
        NodeCoreConfig c;
        c.params = config.node;
        c.mailbox = config.mailbox;
        c.gossip = config.gossip;
        c.id = ctx.id;
        c.endpoint = ctx.self;
        c.seed = ctx.seed;
        auto core = std::make_unique<NodeCore>(c, ctx.datagrams, ctx.overlay, ctx.clients);
        NodeCore* p = core.get();
        core->set_directory(ctx.directory);
        ctx.directory_answers = [p](TimePoint now, std::uint64_t id, const std::vector<Bytes>& v,
                                    const std::vector<Neighbour>& closest) {
            return p->on_directory_answer(now, id, v, closest);
        };
        ctx.client_events.connected = [p](TimePoint now, ClientHandle h) {
            return p->on_client_connected(now, h);
        };
        ctx.client_events.frame = [p](TimePoint now, ClientHandle h, ByteView f) {
            return p->on_client_frame(now, h, f);
        };
        ctx.client_events.disconnected = [p](TimePoint now, ClientHandle h) {
            return p->on_client_disconnected(now, h);
        };
        return core;
    };
}

NodeCore* elmo_core(Simulation& sim, HostId h) {
    SimNode* n = sim.is_up(h) ? sim.find(h) : nullptr;
    return n ? n->core_as<NodeCore>() : nullptr;
}

bool held_by_live_mailbox(Simulation& sim, const std::string& topic, const wire::EventId& id) {
    for (HostId h = 0; h < sim.hosts(); ++h)
        if (NodeCore* c = elmo_core(sim, h); c && c->mailbox().find_event(topic, id)) return true;
    const DirectoryKey key = NodeCore::replica_key(topic);
    const dht::InfoHash hash(key.data(), key.size());
    for (HostId h = 0; h < sim.hosts(); ++h) {
        SimNode* n = sim.is_up(h) ? sim.find(h) : nullptr;
        if (!n || !n->has_dht()) continue;
        for (const auto& v : n->dht().getLocal(hash)) {
            if (!v) continue;
            auto m = wire::decode(ByteView(v->data.data(), v->data.size()));
            const auto* push = m.ok() ? std::get_if<wire::EventPush>(&*m) : nullptr;
            if (push && push->event.id == id) return true;
        }
    }
    return false;
}

Bytes ElmoClient::client_id_of(ClientId id) {
    Bytes b{'c', 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 4; ++i) b[static_cast<std::size_t>(4 + i)] = static_cast<std::uint8_t>(id >> (8 * (3 - i)));
    return b;
}

namespace {
std::vector<Endpoint> with_home(Endpoint home, std::vector<Endpoint> others) {
    others.insert(others.begin(), home);
    return others;
}
}  // namespace

ElmoClient::ElmoClient(const ElmoStackConfig& config, ClientLink& link, ClientId id,
                       std::uint64_t seed, std::vector<std::string> topics,
                       std::vector<Endpoint> other_nodes,
                       std::shared_ptr<const ClientObserver> observer, SeedResolver seed_of)
    : link_(link),
      id_(id),
      observer_(std::move(observer)),
      seed_of_(std::move(seed_of)),
      core_(config.client, client_id_of(id), with_home(link.home(), std::move(other_nodes)), *this,
            seed),
      topics_(std::move(topics)) {
    if (!observer_) return;
    // The handlers hold the observer, not this object: they run inside core calls only.
    if (observer_->delivered)
        core_.set_event_handler([obs = observer_, id](TimePoint now, const wire::Event& e) {
            obs->delivered(id, now, e);
        });
    if (observer_->published)
        core_.set_publish_handler([obs = observer_, id](TimePoint now, const wire::EventId& e,
                                                        elmo::ClientCore::PublishOutcome o) {
            obs->published(id, now, e, o);
        });
}

Result<wire::EventId, elmo::ClientCore::PublishError> ElmoClient::publish(TimePoint now,
                                                                          const std::string& topic,
                                                                          Bytes payload) {
    return core_.publish(now, topic, std::move(payload));
}

// Every event in a Deliver or PollResult frame is one copy received. Decoded here a second time
// (the core decodes too) because the core dedups before anyone can see the copies.
void ElmoClient::count_copies(ByteView frame) {
    auto m = wire::decode(frame);
    if (!m) return;
    const std::vector<wire::Event>* events = nullptr;
    if (auto* d = std::get_if<wire::Deliver>(&*m)) events = &d->events;
    else if (auto* p = std::get_if<wire::PollResult>(&*m)) events = &p->events;
    if (events)
        for (const auto& e : *events) observer_->copy(id_, e.id);
}

// The sim's link is "online" or not; the core's connection is its own idea. The core asks to
// connect (connect()), and is told on_connected once the link is online to that node. Calls
// into the sim that re-enter this object (set_home) are made only from on_timer, never from
// inside a core call.
TimePoint ElmoClient::settle(TimePoint now, TimePoint next) {
    if (seed_of_ && online_ && core_.wants_seed_nodes()) {
        core_.add_seed_nodes(seed_of_(id_));
        next = std::min(next, core_.next_wakeup());
    }
    if (want_ && online_) return now;  // a connection to make: wake at once
    return next;
}

TimePoint ElmoClient::on_online(TimePoint now) {
    online_ = true;
    if (observer_ && observer_->presence && !rehoming_) observer_->presence(id_, now, true);
    TimePoint next = TimePoint::max();
    if (!started_) {
        started_ = true;
        next = core_.start(now);
        for (const auto& t : topics_) {
            next = core_.subscribe(now, t);
            if (observer_ && observer_->subscribed && core_.subscribed(t))
                observer_->subscribed(id_, now, t);
        }
    } else if (!rehoming_) {
        // The phone's network is back: the core reconnects at once (a real phone learns this
        // from the OS and the SDK's on_connectivity_changed).
        next = core_.network_changed(now, true);
    }
    if (want_ && link_.home() == *want_) {
        want_.reset();
        connected_ = true;
        next = core_.on_connected(now);
    }
    return settle(now, std::min(next, core_.next_wakeup()));
}

void ElmoClient::on_offline(TimePoint now) {
    online_ = false;
    if (observer_ && observer_->presence && !rehoming_) observer_->presence(id_, now, false);
    if (rehoming_) {
        // A move to another node (set_home), not a loss of the network.
        if (connected_) {
            connected_ = false;
            core_.on_disconnected(now);
        }
        return;
    }
    connected_ = false;
    core_.network_changed(now, false);
}

TimePoint ElmoClient::on_connection_lost(TimePoint now) {
    if (!connected_) return settle(now, core_.next_wakeup());
    connected_ = false;
    return settle(now, core_.on_disconnected(now));
}

TimePoint ElmoClient::on_frame(TimePoint now, ByteView frame) {
    if (!connected_) return settle(now, core_.next_wakeup());
    if (observer_ && observer_->copy) count_copies(frame);
    return settle(now, core_.on_frame(now, frame));
}

TimePoint ElmoClient::on_timer(TimePoint now) {
    if (want_ && online_) {
        Endpoint target = *want_;
        if (link_.home() != target) {
            rehoming_ = true;
            link_.set_home(target);  // reconnects: on_offline then on_online re-enter here
            rehoming_ = false;
        } else {
            want_.reset();
            connected_ = true;
            core_.on_connected(now);
        }
    }
    return settle(now, core_.on_timer(now));
}

void ElmoClient::connect(const Endpoint& node) {
    connected_ = false;
    want_ = node;
}

void ElmoClient::send(ByteView frame) {
    if (connected_) link_.send_to_home(frame);
}

void ElmoClient::disconnect() {
    connected_ = false;
    want_.reset();
}

ClientCoreFactory elmo_client_factory(
    const ElmoStackConfig& config, std::function<std::vector<std::string>(ClientId)> topics_of,
    std::function<std::vector<Endpoint>(ClientId)> nodes_of,
    std::shared_ptr<const ClientObserver> observer, SeedResolver seed_of) {
    return [config, topics_of, nodes_of, observer, seed_of](
               ClientLink& link, ClientId id, std::uint64_t seed) -> std::unique_ptr<sim::ClientCore> {
        return std::make_unique<ElmoClient>(config, link, id, seed, topics_of(id),
                                            nodes_of ? nodes_of(id) : std::vector<Endpoint>{},
                                            observer, seed_of);
    };
}

SeedResolver live_nodes_seed(const Simulation& sim, std::uint64_t seed, std::size_t count) {
    auto rng = std::make_shared<Rng>(seed);
    return [&sim, rng, count](ClientId) {
        const auto live = sim.live_sorted();
        std::set<HostId> picked;
        for (std::size_t i = 0; i < 4 * count && picked.size() < count && !live.empty(); ++i)
            picked.insert(live[rng->below(live.size())]);
        std::vector<Endpoint> out;
        for (HostId h : picked) out.push_back(Network::endpoint_of(h));
        return out;
    };
}

}  // namespace elmo::sim
