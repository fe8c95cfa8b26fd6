#pragma once
// What a trace contains (elmo-trace stats): records by kind, distinct nodes, clients and topics,
// subscriptions by rule, subscribers per topic, publication rates, and the first parse errors.
#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "traces/trace_io.hpp"

namespace elmo::traces {

struct TraceStats {
    std::array<std::uint64_t, 8> by_op{};         // indexed by Op
    std::array<std::uint64_t, 4> subs_by_rule{};  // indexed by SubRule
    std::uint64_t records = 0, nodes = 0, clients = 0, topics = 0, topics_published = 0;
    std::uint64_t first_ms = 0, last_ms = 0;
    double subscribers_per_topic_mean = 0;  // sub records per subscribed topic
    std::uint64_t subscribers_per_topic_max = 0;
    double publications_per_s = 0;  // over [first, last]
    std::uint64_t peak_publications_per_min = 0;
    std::uint64_t payload_bytes = 0;
    std::uint64_t errors = 0;
    std::vector<std::string> first_errors;  // at most 10
    std::map<std::string, std::string> meta;
};

// Reads the whole trace (streaming; memory grows with distinct ids and topics only).
Result<TraceStats, std::string> trace_stats(const std::string& path);
void print_stats(std::ostream& out, const TraceStats& s);

}  // namespace elmo::traces
