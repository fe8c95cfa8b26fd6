#pragma once
// One record of a workload trace (docs/traces.md): at a time since the start of the trace, a node
// joins, leaves or crashes, a client comes online or goes offline, subscribes, unsubscribes or
// publishes. Records are one text line each ("<ms> <op> <args>"); parse_record turns a line into
// a Record or a typed error, format_record is its inverse.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace elmo::traces {

enum class Op : std::uint8_t {
    node_join,
    node_leave,
    node_crash,
    online,
    offline,
    subscribe,
    unsubscribe,
    publish,
};
const char* op_name(Op op);  // the word used in the text format

// Which rule produced a subscription (the Higgs importer's mapping, docs/traces.md).
enum class SubRule : std::uint8_t {
    none,         // not stated
    follow,       // the follower graph
    interaction,  // the subscriber retweeted, mentioned or replied to the topic's account
    synthetic,    // drawn by the synthetic generator
};
const char* rule_name(SubRule r);

inline constexpr std::size_t max_topic_bytes = 256;            // the client core's limit
inline constexpr std::uint32_t max_payload_bytes = 16 * 1024;  // DESIGN 2.6
inline constexpr std::size_t max_line_bytes = 1024;

struct Record {
    std::uint64_t t_ms = 0;  // since the start of the trace
    Op op = Op::online;
    std::uint32_t id = 0;          // node id (node ops) or client id (the others)
    std::string topic;             // subscribe, unsubscribe, publish
    std::uint32_t size = 0;        // publish: payload bytes
    SubRule rule = SubRule::none;  // subscribe

    bool is_node_op() const { return op <= Op::node_crash; }
    friend bool operator==(const Record&, const Record&) = default;
};

enum class ParseErrorKind : std::uint8_t {
    bad_time,  // not an unsigned integer
    unknown_op,
    bad_id,     // missing or not a 32-bit unsigned integer
    bad_topic,  // missing, over max_topic_bytes, control characters
    bad_size,   // missing, not an integer, over max_payload_bytes
    bad_rule,
    extra_fields,
    time_goes_back,  // earlier than the previous record (reader only)
    io_error,        // the file could not be read (reader only)
    too_long,        // a line over max_line_bytes (reader only)
};

struct ParseError {
    std::uint64_t line = 0;  // 1-based; 0 when not known (parse_record alone)
    ParseErrorKind kind = ParseErrorKind::bad_time;
    std::string detail;
    std::string message() const;  // "line 12: unknown op 'foo'"
};

// A record line without its newline. Comment and blank lines are the reader's business.
Result<Record, ParseError> parse_record(std::string_view line);
// False if the record cannot be written (a topic empty, too long or with whitespace, a size over
// max_payload_bytes).
bool valid_record(const Record& r);
// The line of a valid record, without a newline.
std::string format_record(const Record& r);

}  // namespace elmo::traces
