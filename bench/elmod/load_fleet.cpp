#include "load_fleet.hpp"

#include <asio/executor_work_guard.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace elmo::bench {
namespace {

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

std::mutex error_mu;  // errors come from every shard's thread

}  // namespace

Fleet::Fleet(FleetConfig config) : config_(std::move(config)) {
    config_.payload_bytes = std::max<std::size_t>(config_.payload_bytes, 12);
    config_.shards = std::max<std::size_t>(config_.shards, 1);
    for (std::size_t i = 0; i < config_.shards; ++i) shards_.push_back(std::make_unique<Shard>());
    if (!config_.plain_tcp) {
        // One credentials object for every client (the driver's advice for many clients).
        auto c = transport::TlsCredentials::client();
        if (c.ok())
            credentials_ = std::move(*c);
        else
            error_ = "client credentials: " + c.error();
    }
}

Fleet::~Fleet() {
    stop_ = true;
    for (auto& s : shards_) {
        if (!s->thread.joinable()) continue;
        s->io.stop();
        s->thread.join();
    }
    // Clients are destroyed (and their connections closed) with their shards, after the threads.
    publishers_.clear();
    for (auto& s : shards_) s->clients.clear();
}

std::unique_ptr<client::AsioClient> Fleet::make(Shard& shard, const std::string& id,
                                                const ClientParams& params) {
    client::AsioClientConfig cfg;
    cfg.params = params;
    cfg.client_id = Bytes(id.begin(), id.end());
    cfg.bootstrap = {config_.node};
    cfg.trust = config_.plain_tcp ? client::TrustPolicy::plain_tcp()
                                  : client::TrustPolicy::pinned({config_.pin});
    cfg.seed = std::hash<std::string>{}(id);
    cfg.credentials = credentials_;
    auto created = client::AsioClient::create(shard.io, cfg);
    if (!created.ok()) {
        std::lock_guard lock(error_mu);
        if (error_.empty()) error_ = id + ": " + created.error();
        return nullptr;
    }
    auto c = std::move(*created);
    c->set_error_handler([this, id](const std::string& m) {
        std::lock_guard lock(error_mu);
        if (error_.empty()) error_ = id + ": " + m;
    });
    return c;
}

bool Fleet::add_publishers(std::size_t count, std::size_t in_flight) {
    ClientParams p;
    p.max_publish_in_flight = in_flight;
    for (std::size_t i = 0; i < count; ++i) {
        auto c = make(*shards_[0], "pub-" + std::to_string(i), p);
        if (!c) return false;
        c->start();
        publishers_.push_back(std::move(c));
    }
    return true;
}

bool Fleet::add_subscribers(std::size_t count) {
    ClientParams p;
    // Ids remembered for dedup: 4,096 per topic by default, about 100 B each, would be 400 MB
    // over 1,000 clients in this process; 512 is plenty for one publisher's ordered stream.
    p.seen_ids_per_topic = 512;
    for (std::size_t i = 0; i < count; ++i) {
        Shard& s = *shards_[i % shards_.size()];
        auto c = make(s, "sub-" + std::to_string(i), p);
        if (!c) return false;
        const std::size_t index = s.clients.size();
        Shard* sp = &s;
        c->set_event_handler([this, sp, index](const wire::Event& e) { on_event(*sp, index, e); });
        c->set_connection_handler([sp](bool up) {
            if (up)
                ++sp->connected;
            else
                --sp->connected;
        });
        c->start();
        c->subscribe(config_.topic);
        s.clients.push_back(std::move(c));
        s.warm.push_back(0);
    }
    for (std::size_t i = 1; i < shards_.size(); ++i) {
        Shard* s = shards_[i].get();
        s->thread = std::thread([this, s] {
            auto guard = asio::make_work_guard(s->io);
            while (!stop_) {
                try {
                    s->io.run();
                    return;
                } catch (const std::exception&) {
                    // A handler threw: keep the shard running (counted nowhere; should not happen).
                }
            }
        });
    }
    return true;
}

void Fleet::run_for(std::chrono::microseconds d) {
    auto& io = shards_[0]->io;
    io.restart();
    io.run_for(d);
}

void Fleet::on_event(Shard& s, std::size_t index, const wire::Event& e) {
    const std::uint64_t now = now_ns();
    ++s.deliveries;
    if (e.payload.size() < 12) return;
    std::uint64_t sent = 0;
    std::uint32_t step = 0;
    std::memcpy(&sent, e.payload.data(), 8);
    std::memcpy(&step, e.payload.data() + 8, 4);
    if (step == warmup_step) {
        if (!s.warm[index]) {
            s.warm[index] = 1;
            ++s.warmed;
        }
        return;
    }
    const std::uint64_t us = now > sent ? (now - sent) / 1000 : 0;
    std::lock_guard lock(s.mu);
    if (step >= s.latency_us.size()) s.latency_us.resize(step + 1);
    s.latency_us[step].push_back(static_cast<std::uint32_t>(std::min<std::uint64_t>(us, ~0u)));
}

bool Fleet::publish(std::uint32_t step) {
    if (publishers_.empty()) return false;
    Bytes payload(config_.payload_bytes, 0);
    const std::uint64_t now = now_ns();
    std::memcpy(payload.data(), &now, 8);
    std::memcpy(payload.data() + 8, &step, 4);
    auto& p = publishers_[next_publisher_++ % publishers_.size()];
    return p->publish(config_.topic, std::move(payload)).ok();
}

std::size_t Fleet::publishers_connected() const {
    return static_cast<std::size_t>(std::count_if(publishers_.begin(), publishers_.end(),
                                                  [](const auto& p) { return p->connected(); }));
}

std::size_t Fleet::publishers_outbox() const {
    std::size_t n = 0;
    for (const auto& p : publishers_) n += p->core().outbox_size();
    return n;
}

std::uint64_t Fleet::subscribers_connected() const {
    std::uint64_t n = 0;
    for (const auto& s : shards_) n += s->connected;
    return n;
}

std::uint64_t Fleet::subscribers_warm() const {
    std::uint64_t n = 0;
    for (const auto& s : shards_) n += s->warmed;
    return n;
}

std::uint64_t Fleet::deliveries() const {
    std::uint64_t n = 0;
    for (const auto& s : shards_) n += s->deliveries;
    return n;
}

std::vector<std::uint32_t> Fleet::latencies(std::uint32_t step) const {
    std::vector<std::uint32_t> all;
    for (const auto& s : shards_) {
        std::lock_guard lock(s->mu);
        if (step < s->latency_us.size())
            all.insert(all.end(), s->latency_us[step].begin(), s->latency_us[step].end());
    }
    return all;
}

std::size_t Fleet::delivered(std::uint32_t step) const {
    std::size_t n = 0;
    for (const auto& s : shards_) {
        std::lock_guard lock(s->mu);
        if (step < s->latency_us.size()) n += s->latency_us[step].size();
    }
    return n;
}

std::string Fleet::first_error() const {
    std::lock_guard lock(error_mu);
    return error_;
}

}  // namespace elmo::bench
