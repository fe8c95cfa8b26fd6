#include "node/daemon/elmod_options.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <optional>
#include <set>
#include <type_traits>
#include <utility>

#include "bloom/bloom_filter.hpp"
#include "node/ports.hpp"
#include "wire/msg_walk.hpp"

namespace elmo::daemon::detail {

std::string in_quotes(const std::string& s) {
    return "'" + s + "'";
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

namespace {

// One accessor serves both show (const) and set.
#define ELMOD_FIELD(path)  \
    [](auto& c) -> auto& { \
        return c.path;     \
    }

Check parse_integer(const std::string& text, long long min, long long max, long long& out) {
    long long v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    const std::string range = std::to_string(min) + ".." + std::to_string(max);
    if (ec == std::errc::result_out_of_range)
        return Problem{Code::out_of_range, "must be " + range + ", got " + in_quotes(text)};
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
        return Problem{Code::bad_value, "not a whole number: " + in_quotes(text)};
    if (v < min || v > max)
        return Problem{Code::out_of_range, "must be " + range + ", got " + in_quotes(text)};
    out = v;
    return std::nullopt;
}

std::string format_seconds(double s) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, s, std::chars_format::fixed);
    return ec == std::errc{} ? std::string(buf, end) : std::to_string(s);
}

template <class Get>
Spec integer(std::string name, std::string help, Get get, long long min, long long max,
             std::string value_name = "N") {
    return Spec{std::move(name),
                std::move(value_name),
                std::move(help),
                Kind::value,
                [get](const ElmodConfig& c) { return std::to_string(get(c)); },
                [get, min, max](ElmodConfig& c, const std::string& text) -> Check {
                    long long v = 0;
                    if (auto p = parse_integer(text, min, max, v)) return p;
                    using T = std::remove_reference_t<decltype(get(c))>;
                    get(c) = static_cast<T>(v);
                    return std::nullopt;
                }};
}

Spec port(std::string name, std::string help, std::uint16_t ElmodConfig::*field,
          long long min = 1) {
    return integer(
        std::move(name), std::move(help), [field](auto& c) -> auto& { return c.*field; }, min,
        65535, "PORT");
}

// Whole seconds for std::chrono::seconds fields; fractions allowed for finer durations.
template <class Get>
Spec seconds_option(std::string name, std::string help, Get get, double min, double max) {
    return Spec{
        std::move(name),
        "SECONDS",
        std::move(help),
        Kind::value,
        [get](const ElmodConfig& c) {
            return format_seconds(std::chrono::duration<double>(get(c)).count());
        },
        [get, min, max](ElmodConfig& c, const std::string& text) -> Check {
            using D = std::remove_reference_t<decltype(get(c))>;
            const std::string range = format_seconds(min) + ".." + format_seconds(max);
            if constexpr (std::is_same_v<D, std::chrono::seconds>) {
                long long v = 0;
                if (auto p = parse_integer(text, static_cast<long long>(min),
                                           static_cast<long long>(max), v))
                    return p;
                get(c) = std::chrono::seconds(v);
            } else {
                double v = 0;
                auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
                if (ec != std::errc{} || end != text.data() + text.size() || text.empty() ||
                    !std::isfinite(v))
                    return Problem{Code::bad_value, "not a number of seconds: " + in_quotes(text)};
                if (v < min || v > max)
                    return Problem{Code::out_of_range,
                                   "must be " + range + " seconds, got " + in_quotes(text)};
                get(c) = std::chrono::duration_cast<D>(std::chrono::duration<double>(v));
            }
            return std::nullopt;
        }};
}

std::optional<bool> parse_bool(const std::string& text) {
    static const std::set<std::string> yes = {"true", "1", "yes", "on"};
    static const std::set<std::string> no = {"false", "0", "no", "off"};
    if (yes.contains(text)) return true;
    if (no.contains(text)) return false;
    return std::nullopt;
}

template <class Get>
Spec flag(std::string name, std::string help, Get get) {
    // Written "--flag" or "--flag=false": a separate "false" would be a stray argument.
    return Spec{std::move(name),
                "[=BOOL]",
                std::move(help),
                Kind::flag,
                [get](const ElmodConfig& c) { return std::string(get(c) ? "true" : "false"); },
                [get](ElmodConfig& c, const std::string& text) -> Check {
                    auto b = parse_bool(text);
                    if (!b) return Problem{Code::bad_value, "not true|false: " + in_quotes(text)};
                    get(c) = *b;
                    return std::nullopt;
                }};
}

bool is_ip_literal(const std::string& s) {
    unsigned char buf[16];
    return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// "host:port" or "[v6]:port"; host a name or an address literal.
Check parse_host_port(const std::string& text, HostPort& out) {
    auto bad = [&](const std::string& why) {
        return Problem{Code::bad_endpoint, why + ": " + in_quotes(text) + " (expected host:port)"};
    };
    std::string host;
    std::string port_text;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return bad("bad bracketed address");
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
        unsigned char buf[16];
        if (inet_pton(AF_INET6, host.c_str(), buf) != 1) return bad("not an IPv6 address");
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos) return bad("no port");
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
        if (host.find(':') != std::string::npos) return bad("IPv6 addresses go in brackets");
        if (host.empty() || host.size() > 253) return bad("bad host");
        for (unsigned char ch : host)
            if (!(std::isalnum(ch) || ch == '.' || ch == '-' || ch == '_')) return bad("bad host");
    }
    long long p = 0;
    if (parse_integer(port_text, 1, 65535, p)) return bad("port must be 1..65535");
    out = HostPort{host, static_cast<std::uint16_t>(p)};
    return std::nullopt;
}

std::string hex32(std::uint32_t v) {
    char buf[16];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, 16);
    (void)ec;
    return "0x" + std::string(buf, end);
}

std::vector<Spec> make_specs() {
    std::vector<Spec> s;
    // ---- the daemon ----
    s.push_back(port("port", "UDP port shared by the DHT and elmo datagrams", &ElmodConfig::port));
    s.push_back(
        {"bind", "ADDR", "address to bind (UDP and TCP); loopback unless you mean it", Kind::value,
         [](const ElmodConfig& c) { return c.bind; },
         [](ElmodConfig& c, const std::string& t) -> Check {
             if (!is_ip_literal(t))
                 return Problem{Code::bad_value, "not an IPv4 or IPv6 address: " + in_quotes(t)};
             c.bind = t;
             return std::nullopt;
         }});
    s.push_back(
        {"bootstrap", "HOST:PORT",
         "node(s) to join through, repeatable or comma-separated; none starts a new network",
         Kind::list,
         [](const ElmodConfig& c) {
             std::string out;
             for (const auto& b : c.bootstrap) out += (out.empty() ? "" : ",") + b.to_string();
             return out;
         },
         [](ElmodConfig& c, const std::string& t) -> Check {
             std::size_t start = 0;
             while (start <= t.size()) {
                 std::size_t comma = t.find(',', start);
                 if (comma == std::string::npos) comma = t.size();
                 HostPort hp;
                 if (auto p = parse_host_port(trim(t.substr(start, comma - start)), hp)) return p;
                 c.bootstrap.push_back(hp);
                 start = comma + 1;
             }
             return std::nullopt;
         }});
    s.push_back({"data-dir", "DIR", "directory for the node identity and the mailbox journal",
                 Kind::value, [](const ElmodConfig& c) { return c.data_dir; },
                 [](ElmodConfig& c, const std::string& t) -> Check {
                     if (t.empty()) return Problem{Code::bad_value, "must not be empty"};
                     c.data_dir = t;
                     return std::nullopt;
                 }});
    s.push_back(port("client-port",
                     "TCP port of the client listener (TLS); 0: the same number as --port, which "
                     "clients assume of the nodes they learn of (keep it so)",
                     &ElmodConfig::client_port, 0));
    s.push_back(flag("plain-tcp", "clients over plain TCP, no TLS: local benchmarks only",
                     ELMOD_FIELD(plain_tcp)));
    s.push_back(integer("client-max-connections",
                        "client connections (handshaking included) beyond this are closed at once",
                        ELMOD_FIELD(client_max_connections), 1, 1'000'000));
    s.push_back(
        seconds_option("client-idle-timeout",
                       "a client that sent no frame for this long is disconnected; 0: never",
                       ELMOD_FIELD(client_idle_timeout), 0, 7 * 86400));
    s.push_back(port("admin-port", "TCP port of the Prometheus metrics endpoint (loopback); 0: off",
                     &ElmodConfig::admin_port, 0));
    s.push_back(
        {"log-level", "LEVEL", "log verbosity: error|warn|info|debug", Kind::value,
         [](const ElmodConfig& c) { return std::string(to_string(c.log_level)); },
         [](ElmodConfig& c, const std::string& t) -> Check {
             for (LogLevel l : {LogLevel::error, LogLevel::warn, LogLevel::info, LogLevel::debug})
                 if (t == to_string(l)) {
                     c.log_level = l;
                     return std::nullopt;
                 }
             return Problem{Code::bad_value, "not error|warn|info|debug: " + in_quotes(t)};
         }});
    s.push_back(
        {"network", "ID", "OpenDHT network id (decimal or 0x hex); nodes of other ids are ignored",
         Kind::value, [](const ElmodConfig& c) { return hex32(c.network); },
         [](ElmodConfig& c, const std::string& t) -> Check {
             const bool hex = t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X');
             const char* b = t.data() + (hex ? 2 : 0);
             std::uint32_t v = 0;
             auto [end, ec] = std::from_chars(b, t.data() + t.size(), v, hex ? 16 : 10);
             if (ec == std::errc::result_out_of_range)
                 return Problem{Code::out_of_range, "must fit 32 bits, got " + in_quotes(t)};
             if (ec != std::errc{} || end != t.data() + t.size() || b == end)
                 return Problem{Code::bad_value, "not a number: " + in_quotes(t)};
             c.network = v;
             return std::nullopt;
         }});

    // ---- NodeParams (node/params.hpp documents each) ----
    constexpr long long big = 1'000'000'000;
    constexpr double day = 86'400;
    s.push_back(
        integer("node.hint_radius", "hint levels 0..R (R)", ELMOD_FIELD(node.hint_radius), 0, 8));
    s.push_back(integer("node.hint_bits", "bits of a hint Bloom filter",
                        ELMOD_FIELD(node.hint_bits), bloom::min_bits, bloom::max_bits));
    s.push_back(integer("node.hint_hashes", "hash functions of a hint Bloom filter",
                        ELMOD_FIELD(node.hint_hashes), 1, bloom::max_hashes));
    s.push_back(integer("node.hint_merge_fanout", "neighbours' filters merged into levels >= 1",
                        ELMOD_FIELD(node.hint_merge_fanout), 0, 1024));
    s.push_back(seconds_option("node.hint_refresh", "hints re-sent to every neighbour this often",
                               ELMOD_FIELD(node.hint_refresh), 1, day));
    s.push_back(seconds_option("node.hint_expiry", "a hint not refreshed for this long is dropped",
                               ELMOD_FIELD(node.hint_expiry), 1, day));
    s.push_back(seconds_option("node.hint_min_interval",
                               "a topic-set change is sent at most this often",
                               ELMOD_FIELD(node.hint_min_interval), 0, day));
    s.push_back(integer("node.recruit_max_registrations",
                        "registrations beyond which a mailbox stops recruiting",
                        ELMOD_FIELD(node.recruit_max_registrations), 0, big));
    s.push_back(integer("node.recruit_choices", "recruiting mailboxes a walk meets before choosing",
                        ELMOD_FIELD(node.recruit_choices), 1, 64));
    s.push_back(flag("node.use_hints", "follow hints in walks (false: plain random walks)",
                     ELMOD_FIELD(node.use_hints)));
    s.push_back(integer("node.walks", "walks per lookup (W)", ELMOD_FIELD(node.walks), 1, 64));
    s.push_back(integer("node.walk_ttl", "hops per walk (L)", ELMOD_FIELD(node.walk_ttl), 1,
                        static_cast<long long>(wire::max_walk_ttl)));
    s.push_back(seconds_option("node.lookup_timeout",
                               "no mailbox found in this time: the home elects itself",
                               ELMOD_FIELD(node.lookup_timeout), 1, 3600));
    s.push_back(integer("node.known_mailboxes_per_topic", "mailboxes remembered per topic",
                        ELMOD_FIELD(node.known_mailboxes_per_topic), 1, 1024));
    s.push_back(seconds_option("node.known_mailbox_ttl", "a known mailbox is forgotten after this",
                               ELMOD_FIELD(node.known_mailbox_ttl), 1, day));
    s.push_back(integer("node.known_topics_max", "topics in the known-mailbox cache",
                        ELMOD_FIELD(node.known_topics_max), 1, big));
    s.push_back(seconds_option("node.mailbox_ping_period",
                               "clients' mailboxes are pinged this often",
                               ELMOD_FIELD(node.mailbox_ping_period), 1, day));
    s.push_back(integer("node.mailbox_ping_misses", "unanswered pings before a mailbox is lost",
                        ELMOD_FIELD(node.mailbox_ping_misses), 1, 1000));
    s.push_back(seconds_option("node.suspect_period",
                               "a node that failed to answer is skipped this long",
                               ELMOD_FIELD(node.suspect_period), 0, day));
    s.push_back(seconds_option("node.request_timeout",
                               "adopt and register requests time out after this",
                               ELMOD_FIELD(node.request_timeout), 1, 3600));
    s.push_back(seconds_option("node.subscribe_deadline", "a subscription not done by then fails",
                               ELMOD_FIELD(node.subscribe_deadline), 1, 3600));
    s.push_back(seconds_option("node.publication_grace",
                               "a publication not stored by the deadline is tried this much longer",
                               ELMOD_FIELD(node.publication_grace), 0, 3600));
    s.push_back(integer("node.max_preferred", "mailboxes taken from a client's preferred list",
                        ELMOD_FIELD(node.max_preferred), 0, 64));
    s.push_back(integer("node.full_refusals_before_new_mailbox",
                        "a subscription that met this many full mailboxes of its topic asks for "
                        "one more mailbox",
                        ELMOD_FIELD(node.full_refusals_before_new_mailbox), 1, 1000));
    s.push_back(seconds_option("node.full_memory",
                               "a mailbox that refused a topic as full is skipped this long",
                               ELMOD_FIELD(node.full_memory), 0, day));
    s.push_back(integer("node.full_memory_max", "(topic, mailbox) pairs remembered as full",
                        ELMOD_FIELD(node.full_memory_max), 1, big));
    s.push_back(seconds_option("node.discovery_first",
                               "first discovery walk after adopting a topic",
                               ELMOD_FIELD(node.discovery_first), 0, day));
    s.push_back(seconds_option("node.discovery_second", "second discovery walk after adopting",
                               ELMOD_FIELD(node.discovery_second), 0, day));
    s.push_back(seconds_option("node.discovery_period", "then a discovery walk this often",
                               ELMOD_FIELD(node.discovery_period), 1, day));
    s.push_back(integer("node.discovery_directory_rounds",
                        "discovery rounds that ask the DHT directory before it is asked only "
                        "once a period",
                        ELMOD_FIELD(node.discovery_directory_rounds), 0, 1000));
    s.push_back(seconds_option("node.intro_interval",
                               "a mailbox is introduced at most this often per topic",
                               ELMOD_FIELD(node.intro_interval), 0, day));
    s.push_back(flag("node.use_directory",
                     "mailboxes announce themselves in the DHT; lookups ask it",
                     ELMOD_FIELD(node.use_directory)));
    s.push_back(flag("node.directory_beside_walks",
                     "lookups ask the DHT directory at once, beside their walks (else only when "
                     "the walks found no mailbox)",
                     ELMOD_FIELD(node.directory_beside_walks)));
    s.push_back(seconds_option("node.directory_refresh",
                               "a mailbox re-announces its topics this often",
                               ELMOD_FIELD(node.directory_refresh), 1, 599));
    s.push_back(flag("node.arbitrated_election",
                     "a mailbox elected for a topic nobody holds is first claimed at the DHT "
                     "node nearest its key; the first claim wins",
                     ELMOD_FIELD(node.arbitrated_election)));
    s.push_back(seconds_option("node.election_claim_window",
                               "an arbiter holds a topic's winning claim this long",
                               ELMOD_FIELD(node.election_claim_window), 1, day));
    s.push_back(integer("node.max_election_claims",
                        "claims an arbiter remembers (one per topic)",
                        ELMOD_FIELD(node.max_election_claims), 1, 1 << 20));
    s.push_back(integer("node.directory_slots",
                        "directory entries a topic holds at most (its mailboxes share them)",
                        ELMOD_FIELD(node.directory_slots), 1,
                        static_cast<long long>(elmo::max_directory_values)));
    s.push_back(integer("node.max_directory_queries",
                        "DHT gets in flight (directory and replica reads); beyond, walks alone",
                        ELMOD_FIELD(node.max_directory_queries), 1, 4096));
    s.push_back(seconds_option("node.directory_query_timeout",
                               "a DHT get unanswered this long is forgotten",
                               ELMOD_FIELD(node.directory_query_timeout), 1, 3600));
    s.push_back(integer("node.event_replica_slots",
                        "slots of a topic's history replica in the DHT (0: off)",
                        ELMOD_FIELD(node.event_replica_slots), 0, 128));
    s.push_back(integer("node.nodes_for_clients",
                        "live neighbours named to a client as failover candidates",
                        ELMOD_FIELD(node.nodes_for_clients), 0, 16));
    s.push_back(integer("node.backup_min_registrations",
                        "a mailbox alone with a topic of this many clients recruits a second "
                        "(0: never)",
                        ELMOD_FIELD(node.backup_min_registrations), 0, 1'000'000));
    s.push_back(integer("node.max_pending_publications",
                        "publications in progress per client session",
                        ELMOD_FIELD(node.max_pending_publications), 1, 1'000'000));
    s.push_back(integer("node.max_clients", "client sessions beyond this are refused",
                        ELMOD_FIELD(node.max_clients), 1, big));
    s.push_back(integer("node.restart_repush_events",
                        "newest restored events per topic pushed again to the restored "
                        "registrations at a restart",
                        ELMOD_FIELD(node.restart_repush_events), 0, 100'000));
    s.push_back(seconds_option("node.restart_repush_window",
                               "only events published this long before the node stopped are "
                               "pushed again at a restart",
                               ELMOD_FIELD(node.restart_repush_window), 0, day));

    // ---- MailboxParams (mailbox/params.hpp documents each) ----
    s.push_back(integer("mailbox.capacity_topics", "topics held at once",
                        ELMOD_FIELD(mailbox.capacity_topics), 1, 1'000'000));
    s.push_back(integer("mailbox.max_registrations", "registrations over all topics",
                        ELMOD_FIELD(mailbox.max_registrations), 1, big));
    s.push_back(integer("mailbox.max_registrations_per_topic",
                        "registrations of one topic; beyond, its clients get one more mailbox",
                        ELMOD_FIELD(mailbox.max_registrations_per_topic), 1, big));
    s.push_back(integer("mailbox.max_stored_bytes", "bytes of stored events over all topics",
                        ELMOD_FIELD(mailbox.max_stored_bytes), 1, 1LL << 40));
    s.push_back(integer("mailbox.max_msgs_per_sec", "messages per second the mailbox role handles",
                        ELMOD_FIELD(mailbox.max_msgs_per_sec), 1, big));
    s.push_back(seconds_option("mailbox.rate_window", "window of the message-rate measure",
                               ELMOD_FIELD(mailbox.rate_window), 0.001, 3600));
    s.push_back(integer("mailbox.rate_buckets", "buckets of the message-rate window",
                        ELMOD_FIELD(mailbox.rate_buckets), 1, 10'000));
    s.push_back(seconds_option("mailbox.idle_period",
                               "a topic with no client and no poll evaporates after this",
                               ELMOD_FIELD(mailbox.idle_period), 1, 30 * day));
    s.push_back(seconds_option("mailbox.registration_lifetime",
                               "a registration lapses unless renewed within this",
                               ELMOD_FIELD(mailbox.registration_lifetime), 1, 30 * day));
    s.push_back(seconds_option("mailbox.lapsed_memory", "lapsed registrations remembered this long",
                               ELMOD_FIELD(mailbox.lapsed_memory), 0, 30 * day));
    s.push_back(integer("mailbox.max_lapsed_per_topic", "lapsed registrations remembered per topic",
                        ELMOD_FIELD(mailbox.max_lapsed_per_topic), 0, 1'000'000));
    s.push_back(integer("mailbox.max_events_per_topic", "events of history per topic",
                        ELMOD_FIELD(mailbox.max_events_per_topic), 1, big));
    s.push_back(integer("mailbox.max_bytes_per_topic", "bytes of history per topic",
                        ELMOD_FIELD(mailbox.max_bytes_per_topic), 1, 1LL << 40));
    s.push_back(seconds_option("mailbox.max_event_age", "no event kept longer than this",
                               ELMOD_FIELD(mailbox.max_event_age), 1, 365 * day));
    s.push_back(integer("mailbox.max_seen_ids_per_topic",
                        "event ids remembered per topic for dedup",
                        ELMOD_FIELD(mailbox.max_seen_ids_per_topic), 1, big));
    s.push_back(integer("mailbox.max_links_per_topic", "links to other mailboxes per topic",
                        ELMOD_FIELD(mailbox.max_links_per_topic), 0, 1024));
    return s;
}

#undef ELMOD_FIELD

}  // namespace

const std::vector<Spec>& option_specs() {
    static const std::vector<Spec> s = make_specs();
    return s;
}

}  // namespace elmo::daemon::detail
