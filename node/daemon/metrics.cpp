#include "node/daemon/metrics.hpp"

#include <cstdio>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "wire/datagram_kind.hpp"
#include "wire/decode_error.hpp"
#include "wire/messages.hpp"

namespace elmo::daemon {

int peek_type_id(ByteView d) {
    if (d.size() < 4 || d[0] != wire::elmo_magic || d[1] != 0x93 || d[2] >= 0x80) return -1;
    if (d[3] < 0x80) return d[3];
    if (d[3] == 0xcc && d.size() >= 5) return d[4];
    if (d[3] == 0xcd && d.size() >= 6) return (d[4] << 8) | d[5];
    return -1;
}

namespace {

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

class Text {
  public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_ += "# HELP elmo_";
        out_ += name;
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE elmo_";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }
    void sample(std::string_view name, Labels labels, double value) {
        out_ += "elmo_";
        out_ += name;
        if (labels.size() > 0) {
            out_ += '{';
            bool first = true;
            for (const auto& [k, v] : labels) {
                if (!first) out_ += ',';
                first = false;
                out_ += k;
                out_ += "=\"";
                out_ += v;  // our own constants: nothing to escape
                out_ += '"';
            }
            out_ += '}';
        }
        char buf[40];
        std::snprintf(buf, sizeof buf, " %.17g\n", value);
        out_ += buf;
    }
    void one(std::string_view name, std::string_view type, std::string_view help, double v) {
        family(name, type, help);
        sample(name, {}, v);
    }
    void counter(std::string_view name, std::string_view help, std::uint64_t v) {
        one(name, "counter", help, static_cast<double>(v));
    }
    void gauge(std::string_view name, std::string_view help, double v) {
        one(name, "gauge", help, v);
    }
    std::string take() { return std::move(out_); }

  private:
    std::string out_;
};

std::string type_name(std::size_t i) {
    if (i >= TrafficByType::types) return "unparsed";
    return std::string(wire::message_name(static_cast<std::uint16_t>(i)));
}

void traffic(Text& t, const TrafficByType& in, const TrafficByType& out) {
    t.family("messages_total", "counter", "Elmo datagrams by direction and message type.");
    for (const auto* dir : {&in, &out})
        for (std::size_t i = 0; i < dir->messages.size(); ++i)
            if (dir->messages[i] > 0)
                t.sample("messages_total",
                         {{"direction", dir == &in ? "in" : "out"}, {"type", type_name(i)}},
                         static_cast<double>(dir->messages[i]));
    t.family("message_bytes_total", "counter", "Elmo datagram bytes by direction and type.");
    for (const auto* dir : {&in, &out})
        for (std::size_t i = 0; i < dir->bytes.size(); ++i)
            if (dir->messages[i] > 0)
                t.sample("message_bytes_total",
                         {{"direction", dir == &in ? "in" : "out"}, {"type", type_name(i)}},
                         static_cast<double>(dir->bytes[i]));
}

void node_stats(Text& t, const NodeStats& n) {
    t.family("decode_errors_total", "counter", "Elmo datagrams dropped as undecodable, by code.");
    for (std::size_t i = 0; i < n.decode_errors.size(); ++i)
        t.sample("decode_errors_total",
                 {{"code", wire::to_string(static_cast<wire::DecodeErrorCode>(i))}},
                 static_cast<double>(n.decode_errors[i]));
    t.counter("unexpected_messages_total", "Well-formed messages not valid here (dropped).",
              n.unexpected_messages);
    t.counter("hints_from_strangers_total", "Hints from endpoints not in the overlay (dropped).",
              n.hints_from_strangers);
    t.counter("core_datagrams_in_total", "Datagrams the node core received.", n.datagrams_in);
    t.counter("core_datagrams_out_total", "Datagrams the node core sent.", n.datagrams_out);
    t.counter("lookups_started_total", "Mailbox lookups started.", n.lookups_started);
    t.counter("lookups_failed_total", "Mailbox lookups that failed.", n.lookups_failed);
    t.counter("lookups_self_elected_total", "Lookups resolved by electing this node.",
              n.lookups_self_elected);
    t.counter("walks_started_total", "Random walks started.", n.walks_started);
    t.counter("subscribe_requests_total", "Client subscribe requests.", n.subscribe_requests);
    t.counter("registrations_ok_total", "Client registrations made.", n.registrations_ok);
    t.counter("registrations_beyond_topic_budget_total",
              "Refused registrations asked again beyond the topic budget (no other mailbox).",
              n.registrations_beyond_topic_budget);
    t.counter("registrations_skipped_full_total",
              "Mailboxes not asked for a registration: they refused the topic as full lately.",
              n.registrations_skipped_full);
    t.counter("full_memory_dropped_total",
              "Full (topic, mailbox) pairs forgotten early: the memory was at its bound.",
              n.full_memory_dropped);
    t.counter("publish_requests_total", "Client publications received.", n.publish_requests);
    t.counter("publications_accepted_total", "Publications a mailbox stored.",
              n.publications_accepted);
    t.counter("publications_failed_total", "Publications answered failed.", n.publications_failed);
    t.counter("events_stored_total", "Events stored from publishers (mailbox side).",
              n.events_stored);
    t.counter("events_from_gossip_total", "Events stored from linked mailboxes.",
              n.events_from_gossip);
    t.counter("gossip_hops_total",
              "Mailbox-to-mailbox hops made by the events stored from linked mailboxes.",
              n.gossip_hops_sum);
    t.counter("events_from_gossip_far_total",
              "Events stored from linked mailboxes after 4 hops or more (a deep tree).",
              n.events_from_gossip_far);
    t.counter("replica_puts_total", "Events put in the DHT history replica.", n.replica_puts);
    t.counter("replica_events_recovered_total",
              "Events read back from the DHT history replica that this mailbox lacked.",
              n.replica_events_recovered);
    t.counter("replica_values_bad_total",
              "Values under a replica key that are not events of the topic (ignored).",
              n.replica_values_bad);
    t.counter("events_handed_off_total", "Events handed to a successor mailbox.",
              n.events_handed_off);
    t.counter("pushes_relayed_total", "Deliver frames sent to clients.", n.pushes_relayed);
    t.counter("pushes_no_session_total", "Pushes for clients not connected here (dropped).",
              n.pushes_no_session);
    t.counter("restart_repushes_total",
              "Restored events pushed again to restored registrations at the start.",
              n.restart_repushes);
    t.counter("polls_served_total", "Polls served as a mailbox.", n.polls_served);
    t.counter("mailboxes_lost_total", "Mailboxes declared dead after missed pings.",
              n.mailboxes_lost);
    t.counter("client_frames_in_total", "Frames received from clients.", n.client_frames_in);
    t.counter("client_frames_out_total", "Frames sent to clients.", n.client_frames_out);
    t.counter("clients_refused_total", "Client sessions the core refused.", n.clients_refused);
}

void mailbox_stats(Text& t, const mailbox::Counters& c, const mailbox::Load& l, std::size_t state,
                   std::size_t links) {
    t.gauge("mailbox_topics", "Topics this node holds as a mailbox.", double(l.topics));
    t.gauge("mailbox_registrations", "Clients registered for push here.", double(l.registrations));
    t.gauge("mailbox_stored_events", "Events stored.", double(l.stored_events));
    t.gauge("mailbox_links", "Links to other mailboxes, over all topics held.", double(links));
    t.gauge("mailbox_stored_bytes", "Bytes of events stored.", double(l.stored_bytes));
    t.gauge("mailbox_msgs_per_second", "Mailbox message rate.", l.msgs_per_sec);
    t.gauge("mailbox_state", "0 inactive, 1 recruiting, 2 full.", double(state));
    t.counter("mailbox_topics_adopted_total", "Topics adopted.", c.topics_adopted);
    t.counter("mailbox_topics_refused_total", "Topics refused (full).", c.refused_topics);
    t.family("mailbox_topics_evaporated_total", "counter", "Topics given up, by reason.");
    t.sample("mailbox_topics_evaporated_total", {{"reason", "idle"}},
             double(c.topics_evaporated_idle));
    t.sample("mailbox_topics_evaporated_total", {{"reason", "shutdown"}},
             double(c.topics_evaporated_shutdown));
    t.family("mailbox_events_refused_total", "counter", "Events not stored, by reason.");
    const std::pair<const char*, std::uint64_t> refused[] = {{"duplicate", c.duplicates},
                                                             {"expired", c.refused_expired},
                                                             {"not_held", c.refused_not_held},
                                                             {"too_large", c.refused_too_large},
                                                             {"budget", c.refused_budget}};
    for (const auto& [k, v] : refused)
        t.sample("mailbox_events_refused_total", {{"reason", k}}, double(v));
    t.family("mailbox_events_dropped_total", "counter", "Stored events dropped, by bound.");
    const std::pair<const char*, std::uint64_t> dropped[] = {{"count", c.dropped_by_count},
                                                             {"bytes", c.dropped_by_bytes},
                                                             {"age", c.dropped_by_age},
                                                             {"expiry", c.dropped_by_expiry}};
    for (const auto& [k, v] : dropped)
        t.sample("mailbox_events_dropped_total", {{"bound", k}}, double(v));
    t.family("mailbox_clients_refused_total", "counter", "New registrations refused, by reason.");
    t.sample("mailbox_clients_refused_total", {{"reason", "budget"}}, double(c.refused_clients));
    t.sample("mailbox_clients_refused_total", {{"reason", "topic_full"}},
             double(c.refused_topic_full));
    t.counter("mailbox_registrations_expired_total", "Registrations that lapsed.",
              c.registrations_expired);
}

void transport(Text& t, const UdpStats& u, std::size_t queued, const DaemonStats& d) {
    t.counter("udp_datagrams_in_total", "UDP datagrams received (DHT and elmo).", u.datagrams_in);
    t.counter("udp_bytes_in_total", "UDP bytes received.", u.bytes_in);
    t.counter("udp_datagrams_out_total", "UDP datagrams sent.", u.datagrams_out);
    t.counter("udp_bytes_out_total", "UDP bytes sent.", u.bytes_out);
    t.gauge("udp_send_queue", "Datagrams waiting for the socket.", double(queued));
    t.family("udp_drops_total", "counter", "UDP datagrams dropped, by reason.");
    t.sample("udp_drops_total", {{"reason", "send_queue_full"}}, double(u.dropped_queue_full));
    t.sample("udp_drops_total", {{"reason", "send_error"}}, double(u.send_errors));
    t.sample("udp_drops_total", {{"reason", "unknown_kind"}}, double(d.dropped_unknown_kind));
    t.counter("udp_receive_errors_total", "Failed receives (ICMP errors).", u.receive_errors);
    t.counter("dht_datagrams_in_total", "DHT datagrams received.", d.dht_datagrams_in);
    t.counter("dht_bytes_in_total", "DHT bytes received.", d.dht_bytes_in);
    t.counter("replies_held_total", "Answers held until the journal synced.", d.replies_held);
    t.counter("client_frames_dropped_total", "Frames to clients dropped: no listener.",
              d.client_frames_dropped);
}

void dht_stats(Text& t, const DhtDriverStats& s, const dht::NodeStats& n, bool connected,
               std::size_t neighbours) {
    t.family("dht_nodes", "gauge", "DHT routing-table nodes, by state.");
    t.sample("dht_nodes", {{"state", "good"}}, n.good_nodes);
    t.sample("dht_nodes", {{"state", "dubious"}}, n.dubious_nodes);
    t.sample("dht_nodes", {{"state", "cached"}}, n.cached_nodes);
    t.sample("dht_nodes", {{"state", "incoming"}}, n.incoming_nodes);
    t.gauge("dht_table_depth", "DHT routing-table depth.", n.table_depth);
    t.gauge("dht_searches", "DHT searches in progress.", n.searches);
    t.gauge("dht_connected", "1 when the DHT reports itself connected.", connected ? 1 : 0);
    t.gauge("overlay_neighbours", "Neighbours the node core sees.", double(neighbours));
    t.counter("dht_exceptions_total", "OpenDHT exceptions on input (datagram dropped).",
              s.exceptions);
    t.family("dht_dropped_total", "counter",
             "DHT datagrams dropped before OpenDHT parsed them, by reason.");
    for (std::size_t i = 1; i < s.guard_drops.size(); ++i)
        t.sample("dht_dropped_total", {{"reason", to_string(static_cast<DhtGuardVerdict>(i))}},
                 double(s.guard_drops[i]));
    t.counter("directory_announces_total", "Directory puts (a mailbox announcing a topic).",
              s.directory_announces);
    t.counter("directory_queries_total", "Directory gets (who holds a topic).",
              s.directory_queries);
    t.counter("directory_values_total", "Values the directory's gets returned.",
              s.directory_values);
    t.counter("dht_bootstrap_pings_total", "Bootstrap pings sent.", s.bootstrap_pings);
    t.counter("dht_ping_backs_total",
              "Pings sent back to DHT senders not yet confirmed good (speeds up joining).",
              s.ping_backs);
    t.family("dht_messages_total", "counter", "OpenDHT requests by direction and kind.");
    for (std::size_t i = 0; i < DhtDriver::message_kinds.size(); ++i) {
        t.sample("dht_messages_total", {{"direction", "in"}, {"kind", DhtDriver::message_kinds[i]}},
                 double(s.messages_in[i]));
        t.sample("dht_messages_total",
                 {{"direction", "out"}, {"kind", DhtDriver::message_kinds[i]}},
                 double(s.messages_out[i]));
    }
}

void persistence(Text& t, const PersistenceStats& p, std::uint64_t bytes) {
    t.gauge("journal_bytes", "Size of the mailbox journal.", double(bytes));
    t.counter("journal_records_total", "Records appended to the journal.", p.records_appended);
    t.counter("journal_syncs_total", "Journal fdatasyncs.", p.syncs);
    t.counter("journal_compactions_total", "Journal rewrites.", p.compactions);
    t.family("journal_errors_total", "counter", "Journal failures, by operation.");
    t.sample("journal_errors_total", {{"op", "append"}}, double(p.append_errors));
    t.sample("journal_errors_total", {{"op", "sync"}}, double(p.sync_errors));
    t.sample("journal_errors_total", {{"op", "compact"}}, double(p.compaction_errors));
    t.gauge("journal_restored_events", "Events restored from the journal at start-up.",
            double(p.restored_events));
    t.gauge("journal_restored_topics", "Topics restored from the journal at start-up.",
            double(p.restored_topics));
    t.gauge("journal_recovered_bytes_dropped", "Damaged journal tail truncated at start-up.",
            double(p.recovery.bytes_dropped));
}

void clients(Text& t, const ClientListenerStats& c) {
    t.gauge("clients_connected", "Client connections established.", double(c.open));
    t.counter("clients_accepted_total", "Client connections accepted.", c.accepted);
    t.counter("client_bytes_in_total", "Client frame payload bytes received.", c.bytes_in);
    t.counter("client_bytes_out_total", "Client frame payload bytes sent.", c.bytes_out);
    t.family("client_closed_total", "counter", "Client connections closed, by reason.");
    const std::pair<const char*, std::uint64_t> closed[] = {
        {"max_clients", c.refused_max_clients},
        {"handshake_failed", c.handshake_failed},
        {"handshake_timeout", c.handshake_timeout},
        {"oversized_frame", c.oversized_frames},
        {"slow", c.closed_slow},
        {"peer", c.closed_by_peer},
        {"core", c.closed_by_core},
        {"idle", c.closed_idle},
        {"empty_frame", c.empty_frames}};
    for (const auto& [k, v] : closed) t.sample("client_closed_total", {{"reason", k}}, double(v));
    t.counter("client_frames_dropped_closed_total", "Frames to connections already closed.",
              c.frames_dropped_closed);
    t.counter("client_accept_errors_total", "accept() failures (EMFILE, ...), retried.",
              c.accept_errors);
}

}  // namespace

std::string render_metrics(const MetricsInput& in) {
    Text t;
    t.family("node_info", "gauge", "The node's DHT id (constant 1).");
    t.sample("node_info", {{"id", in.node_id_hex}}, 1);
    if (in.daemon) {
        t.gauge("start_time_seconds", "Unix time the daemon started.",
                double(in.daemon->start_unix_ms) / 1000.0);
        t.gauge("uptime_seconds", "Seconds since the daemon started.",
                double(in.now_unix_ms - in.daemon->start_unix_ms) / 1000.0);
        traffic(t, in.daemon->elmo_in, in.daemon->elmo_out);
        if (in.udp) transport(t, *in.udp, in.udp_queued, *in.daemon);
    }
    if (in.node) node_stats(t, *in.node);
    if (in.mailbox) mailbox_stats(t, *in.mailbox, in.load, in.mailbox_state, in.mailbox_links);
    if (in.dht) dht_stats(t, *in.dht, in.dht_nodes, in.dht_connected, in.neighbours);
    if (in.persistence) persistence(t, *in.persistence, in.journal_bytes);
    if (in.clients)
        clients(t, *in.clients);
    else
        t.gauge("clients_connected", "Client connections established.", 0);
    return t.take();
}

}  // namespace elmo::daemon
