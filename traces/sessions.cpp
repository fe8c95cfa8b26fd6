#include "traces/sessions.hpp"

#include <cmath>

#include "sim/rng.hpp"

namespace elmo::traces {

Sessions::Sessions(double online_mean_ms, double offline_mean_ms, std::uint64_t seed, Emit emit)
    : on_ms_(online_mean_ms), off_ms_(offline_mean_ms), seed_(seed), emit_(std::move(emit)) {}

double Sessions::draw(State& s, double mean) {
    // A counter-based stream per client: the n-th draw is a hash of (client seed, n).
    const std::uint64_t x = sim::splitmix64(s.rng[0] ^ sim::splitmix64(++s.rng[1]));
    const double u = static_cast<double>(x >> 11) * 0x1.0p-53;
    return -mean * std::log1p(-u);
}

void Sessions::schedule(std::uint32_t client, State& s, std::uint64_t from) {
    if (on_ms_ <= 0) return;
    const double d = draw(s, s.online ? on_ms_ : off_ms_);
    heap_.push(
        {from + static_cast<std::uint64_t>(std::llround(d)) + 1, seq_++, client, s.generation});
}

void Sessions::add(std::uint32_t client, std::uint64_t t) {
    auto [it, fresh] = state_.try_emplace(client);
    if (!fresh) return;
    State& s = it->second;
    s.rng[0] = sim::derive_seed(seed_, 0x5e55, client);
    const double p_on = on_ms_ <= 0 ? 1.0 : on_ms_ / (on_ms_ + off_ms_);
    s.online = static_cast<double>(sim::splitmix64(s.rng[0]) >> 11) * 0x1.0p-53 < p_on;
    if (s.online) emit_(Record{t, Op::online, client, {}, 0, SubRule::none});
    schedule(client, s, t);
}

void Sessions::emit_until(std::uint64_t t) {
    while (!heap_.empty() && heap_.top().t <= t) {
        const Due d = heap_.top();
        heap_.pop();
        State& s = state_.at(d.client);
        if (d.generation != s.generation) continue;
        s.online = !s.online;
        ++toggles_;
        emit_(Record{d.t, s.online ? Op::online : Op::offline, d.client, {}, 0, SubRule::none});
        schedule(d.client, s, d.t);
    }
}

void Sessions::ensure_online(std::uint32_t client, std::uint64_t t) {
    add(client, t);
    State& s = state_.at(client);
    if (s.online) return;
    s.online = true;
    ++s.generation;
    emit_(Record{t, Op::online, client, {}, 0, SubRule::none});
    schedule(client, s, t);
}

bool Sessions::online(std::uint32_t client) const {
    auto it = state_.find(client);
    return it != state_.end() && it->second.online;
}

}  // namespace elmo::traces
