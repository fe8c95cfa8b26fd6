#include "traces/higgs.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <sstream>
#include <unordered_set>
#include <utility>
#include <vector>

#include "sim/rng.hpp"
#include "traces/gz_lines.hpp"
#include "traces/sessions.hpp"

namespace elmo::traces {
namespace {

using Edge = std::pair<std::uint32_t, std::uint32_t>;  // (followed B, follower A)

// The first `n` whitespace-separated unsigned fields of a line; false if any is missing or bad.
template <std::size_t N>
bool uint_fields(std::string_view l, std::array<std::uint64_t, N>& out, std::string_view* rest) {
    std::size_t i = 0;
    for (std::size_t k = 0; k < N; ++k) {
        while (i < l.size() && (l[i] == ' ' || l[i] == '\t')) ++i;
        std::size_t j = i;
        while (j < l.size() && l[j] != ' ' && l[j] != '\t' && l[j] != '\r') ++j;
        auto [p, ec] = std::from_chars(l.data() + i, l.data() + j, out[k]);
        if (i == j || ec != std::errc() || p != l.data() + j) return false;
        i = j;
    }
    if (rest) *rest = l.substr(i);
    return true;
}

bool fits32(std::uint64_t v) {
    return v <= 0xFFFFFFFFu;
}

// Edges "A B ..." of a file as (B, A), sorted and unique. Counts lines that do not parse (the
// follower file's last line may be cut short).
Result<std::vector<Edge>, std::string> load_edges(const std::string& path, std::uint64_t& bad) {
    GzLines in(path);
    if (!in.ok()) return Err{"cannot open " + path};
    std::vector<Edge> edges;
    std::string_view l;
    std::array<std::uint64_t, 2> f{};
    while (in.next(l)) {
        if (!uint_fields(l, f, nullptr) || !fits32(f[0]) || !fits32(f[1])) {
            ++bad;
            continue;
        }
        edges.emplace_back(static_cast<std::uint32_t>(f[1]), static_cast<std::uint32_t>(f[0]));
    }
    if (in.error()) return Err{"read error in " + path};
    std::sort(edges.begin(), edges.end());
    edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
    return edges;
}

// Followers (second members) of `b` in edges sorted by first member.
std::pair<std::vector<Edge>::const_iterator, std::vector<Edge>::const_iterator> of(
    const std::vector<Edge>& edges, std::uint32_t b) {
    auto lo = std::lower_bound(edges.begin(), edges.end(), Edge{b, 0});
    auto hi = std::lower_bound(lo, edges.end(), Edge{b + 1, 0});
    if (b == 0xFFFFFFFFu) hi = edges.end();
    return {lo, hi};
}

struct Row {
    std::uint32_t a = 0;
    std::uint64_t t = 0;
};

// Rows "A B unix_time type" of the activity file, in file order (sorted by time).
template <class F>
Result<Unit, std::string> for_each_row(const std::string& path, std::uint64_t& bad, F&& fn) {
    GzLines in(path);
    if (!in.ok()) return Err{"cannot open " + path};
    std::string_view l;
    std::array<std::uint64_t, 3> f{};
    while (in.next(l)) {
        if (!uint_fields(l, f, nullptr) || !fits32(f[0])) {
            ++bad;
            continue;
        }
        fn(Row{static_cast<std::uint32_t>(f[0]), f[2]});
    }
    if (in.error()) return Err{"read error in " + path};
    return unit;
}

}  // namespace

Result<HiggsStats, std::string> import_higgs(const HiggsConfig& c, TraceWriter& out) {
    if (c.speedup <= 0 || c.sample <= 0 || c.sample > 1 || c.lead_s < 0 || c.arrivals_s < 0 ||
        c.arrivals_s > c.lead_s ||
        (c.online_s > 0 && c.offline_s <= 0) || c.payload > max_payload_bytes)
        return Err{std::string("bad configuration (speedup, sample, lead, sessions or payload)")};
    HiggsStats st;
    const std::string activity = c.dir + "/higgs-activity_time.txt.gz";

    // ---- pass 1: the window and its publishers ----
    std::uint64_t first = 0, last = 0;
    std::map<std::uint64_t, std::uint64_t> per_hour;
    {
        auto r = for_each_row(activity, st.bad_lines, [&](const Row& row) {
            if (first == 0) first = row.t;
            last = row.t;
            if (c.busiest_hours > 0) ++per_hour[row.t / 3600];
        });
        if (!r) return Err{r.error()};
    }
    if (first == 0) return Err{"no activity rows in " + activity};
    std::uint64_t from = c.from_unix ? c.from_unix : first;
    std::uint64_t to = c.to_unix ? c.to_unix : last + 1;
    if (c.busiest_hours > 0) {
        const auto len = static_cast<std::uint64_t>(std::llround(c.busiest_hours * 3600));
        // Windows starting on an hour boundary; the count of a window is summed from its hours.
        std::uint64_t best = 0, best_start = first;
        for (const auto& [h, _] : per_hour) {
            std::uint64_t n = 0;
            for (auto it = per_hour.lower_bound(h);
                 it != per_hour.end() && it->first * 3600 < h * 3600 + len; ++it)
                n += it->second;
            if (n > best) best = n, best_start = h * 3600;
        }
        from = best_start;
        to = best_start + len;
    }
    if (to <= from) return Err{std::string("empty time window")};
    st.from_unix = from;
    st.to_unix = to;
    std::map<std::uint32_t, std::uint64_t> publishers;  // account -> rows in the window
    {
        auto r = for_each_row(activity, st.bad_lines, [&](const Row& row) {
            if (row.t >= from && row.t < to) {
                ++publishers[row.a];
                ++st.rows_in_window;
            }
        });
        if (!r) return Err{r.error()};
    }
    st.publishers = publishers.size();

    // ---- the subscription rules ----
    std::uint64_t bad_edges = 0;
    auto follows = load_edges(c.dir + "/higgs-social_network-partial.edgelist.gz", bad_edges);
    if (!follows) return Err{follows.error()};
    std::vector<std::uint32_t> covered;  // accounts whose follow list the graph holds
    for (const auto& [b, a] : *follows) covered.push_back(a);
    std::sort(covered.begin(), covered.end());
    covered.erase(std::unique(covered.begin(), covered.end()), covered.end());
    auto is_covered = [&](std::uint32_t a) {
        return std::binary_search(covered.begin(), covered.end(), a);
    };
    std::vector<Edge> interactions;
    for (const char* f : {"retweet", "mention", "reply"}) {
        auto e = load_edges(c.dir + "/higgs-" + f + "_network.edgelist.gz", bad_edges);
        if (!e) return Err{e.error()};
        interactions.insert(interactions.end(), e->begin(), e->end());
    }
    std::sort(interactions.begin(), interactions.end());
    interactions.erase(std::unique(interactions.begin(), interactions.end()), interactions.end());
    st.covered_followers = covered.size();
    st.follower_edges = follows->size();
    st.interaction_edges = interactions.size();
    st.bad_lines += bad_edges;

    // Subscribers of one topic with the rule that produced each, sorted by subscriber.
    auto subscribers_of = [&](std::uint32_t b) {
        std::vector<std::pair<std::uint32_t, SubRule>> s;
        auto [flo, fhi] = of(*follows, b);
        for (auto it = flo; it != fhi; ++it)
            if (it->second != b) s.emplace_back(it->second, SubRule::follow);
        auto [ilo, ihi] = of(interactions, b);
        for (auto it = ilo; it != ihi; ++it)
            if (it->second != b && !is_covered(it->second))
                s.emplace_back(it->second, SubRule::interaction);
        std::sort(s.begin(), s.end());
        return s;
    };

    // ---- sampling: publishers in the order of a seeded hash of their id ----
    std::vector<std::pair<std::uint64_t, std::uint32_t>> order;
    for (const auto& [a, _] : publishers)
        order.emplace_back(sim::derive_seed(c.seed, 0x4166, a), a);
    std::sort(order.begin(), order.end());
    const auto keep_below =
        c.sample >= 1
            ? order.size()
            : static_cast<std::size_t>(std::floor(c.sample * static_cast<double>(order.size())));
    std::vector<std::uint32_t> kept;
    // Membership only (never iterated): the clients chosen so far, to count what a publisher adds.
    std::unordered_set<std::uint32_t> chosen;
    std::vector<std::tuple<std::uint32_t, std::uint32_t, SubRule>> subs;  // (client, topic, rule)
    std::vector<std::uint32_t> fresh;
    for (std::size_t i = 0; i < keep_below; ++i) {
        const std::uint32_t b = order[i].second;
        auto s = subscribers_of(b);
        fresh.clear();
        if (!chosen.contains(b)) fresh.push_back(b);
        for (const auto& [a, _] : s)
            if (a != b && !chosen.contains(a)) fresh.push_back(a);
        if (c.max_clients && chosen.size() + fresh.size() > c.max_clients)
            continue;  // too big to fit: skip
        chosen.insert(fresh.begin(), fresh.end());
        kept.push_back(b);
        if (s.empty()) ++st.topics_without_subscribers;
        for (const auto& [a, rule] : s) {
            subs.emplace_back(a, b, rule);
            ++(rule == SubRule::follow ? st.subs_follow : st.subs_interaction);
        }
    }
    std::vector<std::uint32_t> clients(chosen.begin(), chosen.end());
    std::sort(clients.begin(), clients.end());  // the output's order does not depend on the set's
    std::sort(kept.begin(), kept.end());
    std::sort(subs.begin(), subs.end());
    st.publishers_kept = kept.size();
    st.clients = clients.size();
    st.sample_used =
        order.empty() ? 1.0 : static_cast<double>(kept.size()) / static_cast<double>(order.size());

    // ---- header and subscriptions ----
    const double lead_ms = c.lead_s * 1000.0;
    st.duration_ms = static_cast<std::uint64_t>(
        std::llround(lead_ms + static_cast<double>(to - from) * 1000.0 / c.speedup));
    std::ostringstream src;
    src << "higgs-twitter from_unix=" << from << " to_unix=" << to << " speedup=" << c.speedup
        << " lead_s=" << c.lead_s << " arrivals_s=" << c.arrivals_s << " sample=" << st.sample_used << " seed=" << c.seed
        << " online_s=" << c.online_s << " offline_s=" << c.offline_s << " payload=" << c.payload;
    out.meta("source", src.str());
    if (c.nodes) out.meta("nodes", std::to_string(c.nodes));
    out.meta("clients", std::to_string(st.clients));
    out.meta("topics", std::to_string(kept.size()));
    out.meta("duration_ms", std::to_string(st.duration_ms));
    out.meta("rules",
             "follow: the partial follower graph (for the " + std::to_string(covered.size()) +
                 " accounts it covers); interaction: retweeted, mentioned or replied to the "
                 "topic's account (all other accounts)");
    out.meta("subs_follow", std::to_string(st.subs_follow));
    out.meta("subs_interaction", std::to_string(st.subs_interaction));
    bool refused = false;
    auto emit = [&](const Record& r) {
        refused |= !out.write(r);
        ++st.records;
    };
    Sessions sessions(c.online_s * 1000.0, c.offline_s * 1000.0, sim::derive_seed(c.seed, 0x5e, 0),
                      emit);
    auto subscribe = [&](std::uint64_t t, const auto& sub) {
        const auto& [a, b, rule] = sub;
        emit(Record{t, Op::subscribe, a, "u" + std::to_string(b), 0, rule});
    };
    if (c.arrivals_s <= 0) {  // everybody at 0
        for (const auto& s : subs) subscribe(0, s);
        for (auto a : clients) sessions.add(a, 0);
    } else {
        // Each client's subscriptions and first session at its arrival time, clients in
        // arrival order (`subs` is sorted by client).
        std::vector<std::pair<std::uint64_t, std::uint32_t>> arrivals;
        arrivals.reserve(clients.size());
        const double arrivals_ms = c.arrivals_s * 1000.0;
        for (auto a : clients) {
            const double u =
                static_cast<double>(sim::derive_seed(c.seed, 0xa221, a) >> 11) * 0x1.0p-53;
            arrivals.emplace_back(static_cast<std::uint64_t>(std::floor(u * arrivals_ms)), a);
        }
        std::sort(arrivals.begin(), arrivals.end());
        for (const auto& [t, a] : arrivals) {
            sessions.emit_until(t);
            auto it = std::lower_bound(subs.begin(), subs.end(), std::make_tuple(a, 0u, SubRule{}));
            for (; it != subs.end() && std::get<0>(*it) == a; ++it) subscribe(t, *it);
            sessions.add(a, t);
        }
    }

    // ---- pass 2: the tweets, one per (account, second), spread over their second ----
    std::vector<std::uint32_t> second;  // kept accounts tweeting in the current second
    std::uint64_t cur = 0;
    auto flush = [&] {
        for (std::size_t k = 0; k < second.size(); ++k) {
            const double off_ms =
                static_cast<double>(cur - from) * 1000.0 +
                1000.0 * static_cast<double>(k) / static_cast<double>(second.size());
            const auto t = static_cast<std::uint64_t>(std::llround(lead_ms + off_ms / c.speedup));
            sessions.emit_until(t);
            sessions.ensure_online(second[k], t);
            emit(Record{t, Op::publish, second[k], "u" + std::to_string(second[k]), c.payload,
                        SubRule::none});
            ++st.publications;
        }
        second.clear();
    };
    std::uint64_t ignored = 0;
    auto r = for_each_row(activity, ignored, [&](const Row& row) {
        if (row.t < from || row.t >= to) return;
        if (row.t != cur) {
            flush();
            cur = row.t;
        }
        if (!std::binary_search(kept.begin(), kept.end(), row.a)) return;
        if (std::find(second.begin(), second.end(), row.a) == second.end()) second.push_back(row.a);
    });
    if (!r) return Err{r.error()};
    flush();
    sessions.emit_until(st.duration_ms);
    st.toggles = sessions.toggles();
    if (refused) return Err{std::string("a record was refused (bug: unsorted or invalid)")};
    return st;
}

}  // namespace elmo::traces
