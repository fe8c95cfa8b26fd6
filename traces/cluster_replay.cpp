#include "traces/cluster_replay.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <asio/executor_work_guard.hpp>
#include <asio/ip/tcp.hpp>
#include <charconv>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>

#include "client-sdk/driver/asio_client.hpp"
#include "sim/rng.hpp"
#include "traces/progress.hpp"
#include "traces/trace_io.hpp"
#include "transport/tls_identity.hpp"

namespace elmo::traces {
namespace {

using Clock = std::chrono::steady_clock;

Duration seconds(double s) {
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}
double secs(Duration d) {
    return std::chrono::duration<double>(d).count();
}

// One node's counters from its metrics page.
struct Scrape {
    bool ok = false;
    std::uint64_t msgs_in = 0, msgs_out = 0, bytes_in = 0, bytes_out = 0;
    std::uint64_t mailbox_topics = 0, registrations = 0;
};

std::uint64_t value_of(const std::string& line) {
    const auto sp = line.rfind(' ');
    double v = 0;
    if (sp == std::string::npos) return 0;
    auto [p, ec] = std::from_chars(line.data() + sp + 1, line.data() + line.size(), v);
    (void)p;
    return ec == std::errc() && v > 0 ? static_cast<std::uint64_t>(v) : 0;
}

// GET /metrics over plain HTTP (the admin endpoint is loopback only), 2 s at most.
Scrape scrape(const Endpoint& admin) {
    Scrape s;
    asio::ip::tcp::iostream io;
    io.expires_after(std::chrono::seconds(2));
    const auto a = admin.v4_host_order();
    const std::string host = std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
                             std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
    io.connect(host, std::to_string(admin.port));
    if (!io) return s;
    io << "GET /metrics HTTP/1.1\r\nHost: " << host << "\r\nConnection: close\r\n\r\n"
       << std::flush;
    std::string line;
    while (std::getline(io, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        auto starts = [&](const char* p) { return line.rfind(p, 0) == 0; };
        if (starts("elmo_messages_total{direction=\"in\""))
            s.msgs_in += value_of(line), s.ok = true;
        else if (starts("elmo_messages_total{direction=\"out\""))
            s.msgs_out += value_of(line);
        else if (starts("elmo_message_bytes_total{direction=\"in\""))
            s.bytes_in += value_of(line);
        else if (starts("elmo_message_bytes_total{direction=\"out\""))
            s.bytes_out += value_of(line);
        else if (starts("elmo_client_frames_in_total "))
            s.msgs_in += value_of(line), s.ok = true;
        else if (starts("elmo_client_frames_out_total "))
            s.msgs_out += value_of(line);
        else if (starts("elmo_client_bytes_in_total "))
            s.bytes_in += value_of(line);
        else if (starts("elmo_client_bytes_out_total "))
            s.bytes_out += value_of(line);
        else if (starts("elmo_mailbox_topics "))
            s.mailbox_topics = value_of(line), s.ok = true;
        else if (starts("elmo_mailbox_registrations "))
            s.registrations = value_of(line);
    }
    return s;
}

// Many sockets in one process: as many descriptors as the hard limit allows.
void raise_fd_limit() {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

class ClusterReplay {
  public:
    explicit ClusterReplay(const ClusterReplayOptions& o) : o_(o) {}
    Result<ReplayData, std::string> run();

  private:
    struct Slot {
        std::uint32_t trace_id = 0;
        std::unique_ptr<client::AsioClient> client;
        std::vector<std::string> pending;
        std::vector<std::uint32_t> transitions;  // ms since start, online first
    };
    std::uint32_t slot(std::uint32_t trace_id);
    void apply(const Record& r);
    void start_client(std::uint32_t c);
    std::uint32_t ms_now() const {
        return static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count());
    }
    void wait_until(Clock::time_point t);
    std::string detail() const;
    std::uint64_t client_frames_sent() const;

    const ClusterReplayOptions& o_;
    asio::io_context io_;
    std::unique_ptr<sim::DeliveryRecorder> rec_;
    std::unique_ptr<Progress> progress_;
    Clock::time_point start_{}, t0_{}, end_trace_{}, end_{}, next_gauge_{};
    std::vector<Slot> slots_;
    std::unordered_map<std::uint32_t, std::uint32_t> ids_;  // trace id -> slot; lookups only
    std::map<std::string, std::uint64_t> topic_subs_;
    struct Hash {
        std::size_t operator()(const wire::EventId& id) const {
            std::size_t h = 0;
            std::memcpy(&h, id.data(), sizeof h);
            return h;
        }
    };
    std::unordered_map<wire::EventId, std::uint32_t, Hash> published_ms_;  // lookups only
    struct Delivery {
        std::uint32_t client, pub_ms, at_ms;
    };
    std::vector<Delivery> deliveries_;
    std::vector<transport::CertFingerprint> pins_;
    std::array<std::uint64_t, 4> subs_by_rule_{};
    std::uint64_t records_ = 0, published_ = 0, refused_ = 0, invalid_ = 0, pub_offline_ = 0;
    std::uint64_t create_failed_ = 0, seq_ = 0, online_ = 0, node_records_ = 0;
};

std::uint32_t ClusterReplay::slot(std::uint32_t trace_id) {
    auto [it, fresh] = ids_.try_emplace(trace_id, static_cast<std::uint32_t>(slots_.size()));
    if (fresh) {
        slots_.emplace_back();
        slots_.back().trace_id = trace_id;
    }
    return it->second;
}

void ClusterReplay::start_client(std::uint32_t c) {
    Slot& s = slots_[c];
    client::AsioClientConfig cfg;
    const std::string id = "c" + std::to_string(s.trace_id);
    cfg.client_id.assign(id.begin(), id.end());
    const std::size_t n = o_.nodes.size();
    const std::uint64_t h = sim::derive_seed(o_.seed, sim::seed_scenario, s.trace_id);
    for (std::size_t k = 0; k < std::min<std::size_t>(4, n); ++k)
        cfg.bootstrap.push_back(o_.nodes[(h + k * 7919) % n]);
    std::sort(cfg.bootstrap.begin() + 1, cfg.bootstrap.end());
    cfg.bootstrap.erase(std::unique(cfg.bootstrap.begin(), cfg.bootstrap.end()),
                        cfg.bootstrap.end());
    cfg.trust =
        o_.plain_tcp ? client::TrustPolicy::plain_tcp() : client::TrustPolicy::pinned(pins_);
    cfg.seed = sim::derive_seed(o_.seed, sim::seed_client, s.trace_id);
    auto made = client::AsioClient::create(io_, std::move(cfg));
    if (!made) {
        ++create_failed_;
        return;
    }
    s.client = std::move(made).value();
    s.client->set_event_handler([this, c](const wire::Event& e) {
        const std::uint32_t now = ms_now();
        rec_->delivered(c, e.id, start_ + std::chrono::milliseconds(now));
        auto it = published_ms_.find(e.id);
        if (it != published_ms_.end()) deliveries_.push_back({c, it->second, now});
    });
    s.client->set_publish_handler([this](const wire::EventId& id, ClientCore::PublishOutcome out) {
        if (out == ClientCore::PublishOutcome::accepted)
            rec_->accepted(id, Clock::now());
        else
            ++invalid_;
    });
    s.client->start();
    for (const auto& t : s.pending) s.client->subscribe(t);
    s.pending.clear();
}

void ClusterReplay::apply(const Record& r) {
    ++records_;
    if (r.is_node_op()) {
        ++node_records_;  // the cluster's membership is scripts/cluster.sh's business
        return;
    }
    const std::uint32_t c = slot(r.id);
    Slot& s = slots_[c];
    const TimePoint now = Clock::now();
    switch (r.op) {
        case Op::online:
        case Op::offline: {
            const bool on = r.op == Op::online;
            if ((s.transitions.size() % 2 == 1) == on) break;  // no change
            s.transitions.push_back(ms_now());
            on ? (rec_->client_online(c, now), ++online_)
               : (rec_->client_offline(c, now), --online_);
            if (on && !s.client)
                start_client(c);
            else if (s.client)
                s.client->on_connectivity_changed(on);
            break;
        }
        case Op::subscribe:
            ++subs_by_rule_[static_cast<std::size_t>(r.rule)];
            ++topic_subs_[r.topic];
            rec_->subscribed(c, r.topic, now);
            if (s.client)
                s.client->subscribe(r.topic);
            else
                s.pending.push_back(r.topic);
            break;
        case Op::unsubscribe:
            rec_->unsubscribed(c, r.topic, now);
            if (s.client) s.client->unsubscribe(r.topic);
            s.pending.erase(std::remove(s.pending.begin(), s.pending.end(), r.topic),
                            s.pending.end());
            break;
        case Op::publish: {
            if (!s.client || s.transitions.size() % 2 == 0) {
                ++pub_offline_;
                break;
            }
            Bytes payload(r.size);
            for (std::size_t i = 0; i < payload.size(); ++i)
                payload[i] = static_cast<std::uint8_t>(seq_ + i);
            ++seq_;
            auto id = s.client->publish(r.topic, std::move(payload));
            if (!id) {
                ++refused_;
                break;
            }
            rec_->published(*id, r.topic, c, now);
            published_ms_.emplace(*id, ms_now());
            ++published_;
            break;
        }
        default:
            break;
    }
}

std::string ClusterReplay::detail() const {
    char buf[160];
    std::snprintf(buf, sizeof buf, "records %llu published %llu online %llu clients %zu",
                  static_cast<unsigned long long>(records_),
                  static_cast<unsigned long long>(published_),
                  static_cast<unsigned long long>(online_), slots_.size());
    return buf;
}

// Runs the clients' io until `t`, drawing progress.
void ClusterReplay::wait_until(Clock::time_point t) {
    while (Clock::now() < t) {
        io_.run_for(std::min<Clock::duration>(t - Clock::now(), std::chrono::milliseconds(200)));
        // Gauges for the time series, once per window (mailboxes: not visible from here).
        if (Clock::now() >= next_gauge_) {
            rec_->gauge(Clock::now(), sim::Gauges{online_, o_.nodes.size(), 0});
            next_gauge_ += seconds(o_.window_s);
        }
        if (progress_) progress_->update(secs(Clock::now() - start_), detail());
    }
}

std::uint64_t ClusterReplay::client_frames_sent() const {
    std::uint64_t n = 0;
    for (const auto& s : slots_)
        if (s.client) n += s.client->stats().frames_out;
    return n;
}

Result<ReplayData, std::string> ClusterReplay::run() {
    if (o_.nodes.empty()) return Err{std::string("no node endpoints")};
    if (!o_.admins.empty() && o_.admins.size() != o_.nodes.size())
        return Err{std::string("--admin needs one endpoint per node, in the same order")};
    if (o_.speedup <= 0 || o_.window_s <= 0) return Err{std::string("bad speedup or window")};
    for (const auto& p : o_.pins) {
        auto f = transport::parse_fingerprint(p);
        if (!f) return Err{"bad fingerprint '" + p + "'"};
        pins_.push_back(*f);
    }
    if (!o_.plain_tcp && pins_.empty())
        return Err{std::string("give --plain-tcp or the nodes' fingerprints (--pin)")};
    raise_fd_limit();
    auto rd = TraceReader::open(o_.trace);
    if (!rd) return Err{rd.error().message()};
    double trace_s = static_cast<double>(rd->meta_uint("duration_ms").value_or(0)) / 1000.0;
    if (trace_s <= 0) return Err{std::string("the trace has no duration_ms header")};
    if (o_.stop_at_s >= 0) trace_s = std::min(trace_s, o_.stop_at_s);

    start_ = Clock::now();
    next_gauge_ = start_;
    t0_ = start_ + seconds(o_.warmup_s);
    end_trace_ = t0_ + seconds(trace_s / o_.speedup);
    end_ = end_trace_ + seconds(o_.drain_s);
    const auto measure_from = t0_ + seconds(o_.measure_from_s / o_.speedup);
    sim::DeliveryConfig dc;
    dc.origin = start_;
    dc.measure_from = measure_from;
    dc.measure_to = end_trace_;
    dc.window = seconds(o_.window_s);
    rec_ = std::make_unique<sim::DeliveryRecorder>(dc);
    auto guard = asio::make_work_guard(io_);
    if (o_.progress) progress_ = std::make_unique<Progress>(secs(end_ - start_), o_.progress);

    std::vector<Scrape> before, after;
    std::uint64_t frames_before = 0;
    bool measuring = false;
    auto begin_measure = [&] {
        measuring = true;
        for (const auto& a : o_.admins) before.push_back(scrape(a));
        frames_before = client_frames_sent();
    };
    wait_until(t0_);
    for (;;) {
        auto n = rd->next();
        if (!n) return Err{n.error().message()};
        if (!*n) break;
        const auto at = t0_ + seconds(static_cast<double>((*n)->t_ms) / 1000.0 / o_.speedup);
        if (at >= end_trace_) break;
        if (!measuring && at >= measure_from) {
            wait_until(measure_from);
            begin_measure();
        }
        wait_until(at);
        apply(**n);
    }
    if (!measuring) begin_measure();
    wait_until(end_trace_);
    for (const auto& a : o_.admins) after.push_back(scrape(a));
    const double interval = secs(end_trace_ - measure_from);
    const std::uint64_t frames = client_frames_sent() - frames_before;
    wait_until(end_);
    if (progress_) progress_->finish(detail());
    for (auto& s : slots_)
        if (s.client) s.client->stop();
    guard.reset();
    io_.run_for(std::chrono::milliseconds(200));

    ReplayData d;
    d.window_s = o_.window_s;
    d.delivery = rec_->report(end_);
    for (const auto& x : deliveries_) {
        const auto& tr = slots_[x.client].transitions;
        const bool online = (std::upper_bound(tr.begin(), tr.end(), x.pub_ms) - tr.begin()) % 2;
        const auto mf = static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(measure_from - start_).count());
        if (online && x.pub_ms >= mf && x.at_ms >= x.pub_ms)
            d.latencies_ms.push_back(static_cast<double>(x.at_ms - x.pub_ms));
    }
    std::sort(d.latencies_ms.begin(), d.latencies_ms.end());
    std::uint64_t node_msgs = 0, mailboxes = 0, regs = 0, scraped = 0;
    for (std::size_t i = 0; i < after.size(); ++i) {
        sim::NodeLoadRow row;
        row.host = static_cast<sim::HostId>(i);
        row.up = after[i].ok && before[i].ok;
        row.up_s = interval;
        row.mailbox_topics = after[i].mailbox_topics;
        if (row.up) {
            row.msgs_in = after[i].msgs_in - std::min(after[i].msgs_in, before[i].msgs_in);
            row.msgs_out = after[i].msgs_out - std::min(after[i].msgs_out, before[i].msgs_out);
            row.bytes_in = after[i].bytes_in - std::min(after[i].bytes_in, before[i].bytes_in);
            row.bytes_out = after[i].bytes_out - std::min(after[i].bytes_out, before[i].bytes_out);
            row.msgs_per_s =
                interval > 0 ? static_cast<double>(row.msgs_in + row.msgs_out) / interval : 0;
            node_msgs += row.msgs_out;
            ++scraped;
            mailboxes += after[i].mailbox_topics > 0;
            regs += after[i].registrations;
        }
        d.nodes.push_back(row);
    }

    sim::Summary& s = d.summary;
    s.set("mode", "cluster");
    s.set("trace", o_.trace);
    auto meta = [&](const char* k) {
        auto it = rd->meta().find(k);
        return it == rd->meta().end() ? std::string() : it->second;
    };
    s.set("trace_source", meta("source"));
    s.set("subscription_rules", meta("rules"));
    s.set("nodes", static_cast<unsigned long>(o_.nodes.size()));
    s.set("nodes_scraped", static_cast<unsigned long>(scraped));
    s.set("transport", o_.plain_tcp ? "plain-tcp" : "tls-pinned");
    s.set("warmup_s", o_.warmup_s);
    s.set("speedup", o_.speedup);
    s.set("trace_s", trace_s);
    s.set("drain_s", o_.drain_s);
    s.set("records", static_cast<unsigned long>(records_));
    s.set("clients", static_cast<unsigned long>(slots_.size()));
    add_subscription_rules(s, subs_by_rule_);
    const auto& rep = d.delivery;
    add_delivery_rates(s, rep);
    const std::uint64_t msgs = node_msgs + frames;
    s.set("messages_per_delivery",
          rep.delivered && scraped ? static_cast<double>(msgs) / static_cast<double>(rep.delivered)
                                   : 0.0);
    s.set("duplicates_per_delivery", rep.duplicates_per_delivery);
    const auto nl = sim::NodeLoad::summarize(d.nodes, 0.0);
    sim::add_node_load(s, nl);
    s.set("mailbox_nodes", static_cast<unsigned long>(mailboxes));
    s.set("registrations_per_mailbox_node_mean",
          mailboxes ? static_cast<double>(regs) / static_cast<double>(mailboxes) : 0.0);
    s.set("lost_events", static_cast<unsigned long>(rep.lost_events));
    s.set("lost_events_excused", static_cast<unsigned long>(rep.lost_events_excused));
    add_pair_counts(s, rep);
    s.set("publications_total", static_cast<unsigned long>(published_));
    s.set("publish_refused", static_cast<unsigned long>(refused_));
    s.set("publish_invalid", static_cast<unsigned long>(invalid_));
    s.set("publish_from_offline_skipped", static_cast<unsigned long>(pub_offline_));
    s.set("client_create_failed", static_cast<unsigned long>(create_failed_));
    s.set("node_records_ignored", static_cast<unsigned long>(node_records_));
    std::uint64_t conn_failed = 0, connections = 0;
    for (const auto& sl : slots_)
        if (sl.client) {
            conn_failed +=
                sl.client->stats().tcp_connect_failed + sl.client->stats().handshake_failed;
            connections += sl.client->stats().connections;
        }
    s.set("client_connections", static_cast<unsigned long>(connections));
    s.set("client_connect_failures", static_cast<unsigned long>(conn_failed));
    s.set("elmo_messages", static_cast<unsigned long>(msgs));
    s.set("wall_s", secs(Clock::now() - start_));
    return d;
}

}  // namespace

Result<std::vector<Endpoint>, std::string> parse_endpoints(const std::string& list) {
    std::vector<Endpoint> out;
    std::size_t i = 0;
    while (i <= list.size()) {
        const std::size_t j = std::min(list.find(',', i), list.size());
        const std::string item = list.substr(i, j - i);
        unsigned a = 0, b = 0, c = 0, d = 0, port = 0;
        char tail = 0;
        if (std::sscanf(item.c_str(), "%u.%u.%u.%u:%u%c", &a, &b, &c, &d, &port, &tail) != 5 ||
            a > 255 || b > 255 || c > 255 || d > 255 || port == 0 || port > 65535)
            return Err{"bad endpoint '" + item + "' (want a.b.c.d:port)"};
        out.push_back(
            Endpoint::v4((a << 24) | (b << 16) | (c << 8) | d, static_cast<std::uint16_t>(port)));
        i = j + 1;
    }
    return out;
}

Result<ReplayData, std::string> replay_cluster(const ClusterReplayOptions& o) {
    ClusterReplay r(o);
    return r.run();
}

}  // namespace elmo::traces
