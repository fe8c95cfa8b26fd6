#include "traces/trace_stats.hpp"

#include <map>
#include <ostream>
#include <set>

namespace elmo::traces {

Result<TraceStats, std::string> trace_stats(const std::string& path) {
    auto rd = TraceReader::open(path);
    if (!rd) return Err{rd.error().message()};
    TraceStats s;
    s.meta = rd->meta();
    std::set<std::uint32_t> nodes, clients;
    std::map<std::string, std::uint64_t> subs;  // topic -> sub records
    std::set<std::string> published;
    std::uint64_t minute = 0, in_minute = 0;
    bool any = false;
    for (;;) {
        auto n = rd->next();
        if (!n) {
            ++s.errors;
            if (s.first_errors.size() < 10) s.first_errors.push_back(n.error().message());
            if (n.error().kind == ParseErrorKind::io_error) break;
            continue;
        }
        if (!*n) break;
        const Record& r = **n;
        if (!any) s.first_ms = r.t_ms, any = true;
        s.last_ms = r.t_ms;
        ++s.records;
        ++s.by_op[static_cast<std::size_t>(r.op)];
        if (r.is_node_op()) {
            nodes.insert(r.id);
            continue;
        }
        clients.insert(r.id);
        if (r.op == Op::subscribe) {
            ++subs[r.topic];
            ++s.subs_by_rule[static_cast<std::size_t>(r.rule)];
        } else if (r.op == Op::publish) {
            published.insert(r.topic);
            s.payload_bytes += r.size;
            if (r.t_ms / 60000 != minute) minute = r.t_ms / 60000, in_minute = 0;
            s.peak_publications_per_min = std::max(s.peak_publications_per_min, ++in_minute);
        }
    }
    s.nodes = nodes.size();
    s.clients = clients.size();
    std::set<std::string> topics(published);
    std::uint64_t total = 0;
    for (const auto& [t, k] : subs) {
        topics.insert(t);
        total += k;
        s.subscribers_per_topic_max = std::max(s.subscribers_per_topic_max, k);
    }
    s.topics = topics.size();
    s.topics_published = published.size();
    s.subscribers_per_topic_mean =
        subs.empty() ? 0 : static_cast<double>(total) / static_cast<double>(subs.size());
    const double span = static_cast<double>(s.last_ms - s.first_ms) / 1000.0;
    s.publications_per_s =
        span > 0 ? static_cast<double>(s.by_op[static_cast<std::size_t>(Op::publish)]) / span : 0;
    return s;
}

void print_stats(std::ostream& out, const TraceStats& s) {
    for (const auto& [k, v] : s.meta) out << "# " << k << ": " << v << "\n";
    out << "records " << s.records << "\n";
    for (std::size_t i = 0; i < s.by_op.size(); ++i)
        out << "  " << op_name(static_cast<Op>(i)) << " " << s.by_op[i] << "\n";
    out << "subscriptions by rule:";
    for (std::size_t i = 0; i < s.subs_by_rule.size(); ++i)
        out << " " << rule_name(static_cast<SubRule>(i)) << "=" << s.subs_by_rule[i];
    out << "\nnodes " << s.nodes << "\nclients " << s.clients << "\ntopics " << s.topics
        << " (published " << s.topics_published << ")\n"
        << "subscribers per topic: mean " << s.subscribers_per_topic_mean << ", max "
        << s.subscribers_per_topic_max << "\n"
        << "time " << s.first_ms / 1000.0 << " s to " << s.last_ms / 1000.0 << " s\n"
        << "publications per s " << s.publications_per_s << ", peak per minute "
        << s.peak_publications_per_min << ", payload bytes " << s.payload_bytes << "\n"
        << "errors " << s.errors << "\n";
    for (const auto& e : s.first_errors) out << "  " << e << "\n";
}

}  // namespace elmo::traces
