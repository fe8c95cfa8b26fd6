#include "traces/synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <queue>
#include <set>
#include <sstream>
#include <vector>

#include "common/stats.hpp"
#include "sim/rng.hpp"
#include "traces/sessions.hpp"

namespace elmo::traces {
namespace {

std::uint64_t ms(double s) {
    return static_cast<std::uint64_t>(std::llround(s * 1000.0));
}

// Streams of the generator, derived from the seed (so changing one knob does not shift the
// draws of an unrelated part).
enum Stream : std::uint64_t { s_topics = 1, s_joins, s_publish, s_churn, s_sessions };

}  // namespace

Result<ChurnKind, std::string> parse_churn(const std::string& s) {
    if (s == "none") return ChurnKind::none;
    if (s == "crash") return ChurnKind::crash;
    if (s == "replace") return ChurnKind::replace;
    return Err{"churn must be none, crash or replace, not '" + s + "'"};
}

Result<SyntheticStats, std::string> generate_synthetic(const SyntheticConfig& c, TraceWriter& out) {
    const std::uint32_t n_topics = c.topics ? c.topics : 3 * c.nodes;
    if (c.nodes == 0 || c.clients_per_node == 0 || n_topics == 0 || c.rate <= 0 ||
        c.duration_s <= 0 || c.join_s < 0 || c.join_s > c.duration_s || c.fraction < 0 ||
        c.fraction > 1 || (c.churn == ChurnKind::replace && c.replace_period_s <= 0) ||
        c.payload > max_payload_bytes || (c.online_s > 0 && c.offline_s <= 0))
        return Err{std::string("bad synthetic configuration (a count, rate or duration)")};
    SyntheticStats st;
    const std::uint64_t end = ms(c.duration_s);
    const std::uint32_t n_clients = c.nodes * c.clients_per_node;

    std::ostringstream src;
    src << "synthetic seed=" << c.seed << " nodes=" << c.nodes
        << " clients_per_node=" << c.clients_per_node << " topics=" << n_topics
        << " subs=" << c.subs << " zipf=" << c.zipf << " rate=" << c.rate
        << " payload=" << c.payload << " online_s=" << c.online_s << " offline_s=" << c.offline_s
        << " join_s=" << c.join_s << " duration_s=" << c.duration_s << " churn="
        << (c.churn == ChurnKind::none    ? "none"
            : c.churn == ChurnKind::crash ? "crash"
                                          : "replace")
        << " fail_at_s=" << c.fail_at_s << " fraction=" << c.fraction
        << " replace_period_s=" << c.replace_period_s;
    out.meta("source", src.str());
    out.meta("nodes", std::to_string(c.nodes));
    out.meta("clients", std::to_string(n_clients));
    out.meta("topics", std::to_string(n_topics));
    out.meta("duration_ms", std::to_string(end));
    out.meta("rules", "synthetic: Zipf draws");

    bool write_failed = false;
    auto emit = [&](const Record& r) {
        if (!out.write(r)) write_failed = true;
        ++st.records;
    };
    Sessions sessions(c.online_s * 1000.0, c.offline_s * 1000.0,
                      sim::derive_seed(c.seed, s_sessions, 0), emit);

    // Subscriptions: distinct Zipf ranks per client.
    stats::ZipfSampler zipf(n_topics, c.zipf);
    sim::Rng topic_rng(sim::derive_seed(c.seed, s_topics, 0));
    std::vector<std::vector<std::uint32_t>> topics_of(n_clients), subscribers(n_topics);
    for (std::uint32_t cl = 0; cl < n_clients; ++cl) {
        std::set<std::uint32_t> ranks;
        while (ranks.size() < std::min(c.subs, n_topics))
            ranks.insert(static_cast<std::uint32_t>(zipf.sample(topic_rng.uniform01())));
        topics_of[cl].assign(ranks.begin(), ranks.end());
    }
    auto topic_name = [](std::uint32_t r) { return "topic-" + std::to_string(r); };

    // Events of the generator, merged in time order: client appearances, publications, churn.
    enum Kind : std::uint8_t { k_join, k_publish, k_crash, k_replace };
    struct Ev {
        std::uint64_t t, seq;
        Kind kind;
        std::uint32_t id;
        bool operator>(const Ev& o) const { return t != o.t ? t > o.t : seq > o.seq; }
    };
    std::priority_queue<Ev, std::vector<Ev>, std::greater<>> q;
    std::uint64_t seq = 0;
    sim::Rng join_rng(sim::derive_seed(c.seed, s_joins, 0));
    std::vector<std::uint64_t> join_at(n_clients);
    for (auto& t : join_at) t = static_cast<std::uint64_t>(join_rng.uniform01() * c.join_s * 1000);
    std::sort(join_at.begin(), join_at.end());
    for (std::uint32_t cl = 0; cl < n_clients; ++cl) q.push({join_at[cl], seq++, k_join, cl});
    sim::Rng pub_rng(sim::derive_seed(c.seed, s_publish, 0));
    const double gap_ms = 1000.0 / c.rate;
    q.push({ms(c.join_s), seq++, k_publish, 0});
    if (c.churn == ChurnKind::crash) q.push({ms(c.fail_at_s), seq++, k_crash, 0});
    if (c.churn == ChurnKind::replace) q.push({ms(c.fail_at_s), seq++, k_replace, 0});
    sim::Rng churn_rng(sim::derive_seed(c.seed, s_churn, 0));
    std::vector<std::uint32_t> live(c.nodes);  // kept sorted: victims drawn in id order
    for (std::uint32_t n = 0; n < c.nodes; ++n) {
        live[n] = n;
        emit(Record{0, Op::node_join, n, {}, 0, SubRule::none});
    }
    std::uint32_t next_node = c.nodes;
    auto fail_some = [&](std::uint64_t t) {
        const auto k =
            static_cast<std::size_t>(std::llround(c.fraction * static_cast<double>(live.size())));
        std::vector<std::uint32_t> victims;
        for (std::size_t i = 0; i < k && !live.empty(); ++i) {
            const std::size_t j = churn_rng.below(live.size());
            victims.push_back(live[j]);
            live.erase(live.begin() + static_cast<std::ptrdiff_t>(j));
        }
        std::sort(victims.begin(), victims.end());
        for (auto v : victims) emit(Record{t, Op::node_crash, v, {}, 0, SubRule::none});
        st.crashes += victims.size();
        return victims.size();
    };

    std::vector<std::uint32_t> candidates;
    std::vector<bool> joined(n_clients, false);
    while (!q.empty() && q.top().t < end) {
        const Ev e = q.top();
        q.pop();
        sessions.emit_until(e.t);
        switch (e.kind) {
            case k_join:
                for (auto r : topics_of[e.id]) {
                    emit(Record{e.t, Op::subscribe, e.id, topic_name(r), 0, SubRule::synthetic});
                    subscribers[r].push_back(e.id);
                    ++st.subscriptions;
                }
                joined[e.id] = true;
                sessions.add(e.id, e.t);
                break;
            case k_publish: {
                bool done = false;
                for (int attempt = 0; attempt < c.publish_tries && !done; ++attempt) {
                    const auto r = static_cast<std::uint32_t>(zipf.sample(pub_rng.uniform01()));
                    candidates.clear();
                    for (auto cl : subscribers[r])
                        if (sessions.online(cl)) candidates.push_back(cl);
                    if (candidates.empty()) continue;
                    const auto who = candidates[pub_rng.below(candidates.size())];
                    emit(Record{e.t, Op::publish, who, topic_name(r), c.payload, SubRule::none});
                    ++st.publications;
                    done = true;
                }
                if (!done) ++st.skipped;
                const auto next = e.t + 1 + static_cast<std::uint64_t>(pub_rng.exponential(gap_ms));
                q.push({next, seq++, k_publish, 0});
                break;
            }
            case k_crash:
                fail_some(e.t);
                break;
            case k_replace: {
                const std::size_t n = fail_some(e.t);
                for (std::size_t i = 0; i < n; ++i) {
                    emit(Record{e.t, Op::node_join, next_node, {}, 0, SubRule::none});
                    live.push_back(next_node++);
                    ++st.joins;
                }
                q.push({e.t + ms(c.replace_period_s), seq++, k_replace, 0});
                break;
            }
        }
    }
    sessions.emit_until(end - 1);
    st.toggles = sessions.toggles();
    if (write_failed) return Err{std::string("a record was refused (bug: unsorted or invalid)")};
    return st;
}

}  // namespace elmo::traces
