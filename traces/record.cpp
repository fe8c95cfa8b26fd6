#include "traces/record.hpp"

#include <array>
#include <charconv>

namespace elmo::traces {
namespace {

constexpr std::array<const char*, 8> op_names = {"join",    "leave", "crash", "online",
                                                 "offline", "sub",   "unsub", "pub"};
constexpr std::array<const char*, 4> rule_names = {"-", "follow", "interaction", "synthetic"};

// Splits on single spaces or tabs; empty fields (two separators in a row) are kept out.
struct Fields {
    std::array<std::string_view, 8> f{};
    std::size_t n = 0;
    bool overflow = false;
};
Fields split(std::string_view line) {
    Fields out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        if (i == line.size()) break;
        std::size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
        if (out.n == out.f.size()) {
            out.overflow = true;
            break;
        }
        out.f[out.n++] = line.substr(i, j - i);
        i = j;
    }
    return out;
}

template <class T>
bool to_uint(std::string_view s, T& out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

Err<ParseError> fail(ParseErrorKind k, std::string detail) {
    return Err{ParseError{0, k, std::move(detail)}};
}

bool valid_topic(std::string_view t) {
    if (t.empty() || t.size() > max_topic_bytes) return false;
    for (char c : t)
        if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
    return true;
}

}  // namespace

const char* op_name(Op op) {
    return op_names[static_cast<std::size_t>(op)];
}
const char* rule_name(SubRule r) {
    return rule_names[static_cast<std::size_t>(r)];
}

std::string ParseError::message() const {
    static constexpr std::array<const char*, 10> kinds = {
        "bad time", "unknown op",   "bad id",         "bad topic",  "bad size",
        "bad rule", "extra fields", "time goes back", "read error", "line too long"};
    std::string m = line ? "line " + std::to_string(line) + ": " : std::string();
    m += kinds[static_cast<std::size_t>(kind)];
    if (!detail.empty()) m += ": " + detail;
    return m;
}

Result<Record, ParseError> parse_record(std::string_view line) {
    const Fields f = split(line);
    if (f.overflow) return fail(ParseErrorKind::extra_fields, "more than 6 fields");
    Record r;
    if (f.n == 0 || !to_uint(f.f[0], r.t_ms))
        return fail(ParseErrorKind::bad_time, "'" + std::string(f.n ? f.f[0] : "") + "'");
    if (f.n < 2) return fail(ParseErrorKind::unknown_op, "missing");
    std::size_t op = 0;
    while (op < op_names.size() && f.f[1] != op_names[op]) ++op;
    if (op == op_names.size())
        return fail(ParseErrorKind::unknown_op, "'" + std::string(f.f[1]) + "'");
    r.op = static_cast<Op>(op);
    if (f.n < 3 || !to_uint(f.f[2], r.id))
        return fail(ParseErrorKind::bad_id, f.n < 3 ? "missing" : "'" + std::string(f.f[2]) + "'");
    std::size_t want = 3;
    switch (r.op) {
        case Op::subscribe:
        case Op::unsubscribe:
        case Op::publish:
            if (f.n < 4 || !valid_topic(f.f[3]))
                return fail(ParseErrorKind::bad_topic, f.n < 4 ? "missing" : "empty or too long");
            r.topic = std::string(f.f[3]);
            want = 4;
            break;
        default:
            break;
    }
    if (r.op == Op::publish) {
        if (f.n < 5 || !to_uint(f.f[4], r.size) || r.size > max_payload_bytes)
            return fail(ParseErrorKind::bad_size,
                        f.n < 5 ? "missing" : "'" + std::string(f.f[4]) + "' (at most 16384)");
        want = 5;
    }
    if (r.op == Op::subscribe && f.n > 4) {
        std::size_t k = 0;
        while (k < rule_names.size() && f.f[4] != rule_names[k]) ++k;
        if (k == rule_names.size())
            return fail(ParseErrorKind::bad_rule, "'" + std::string(f.f[4]) + "'");
        r.rule = static_cast<SubRule>(k);
        want = 5;
    }
    if (f.n > want) return fail(ParseErrorKind::extra_fields, "'" + std::string(f.f[want]) + "'");
    return r;
}

std::string format_record(const Record& r) {
    std::string s = std::to_string(r.t_ms);
    s += ' ';
    s += op_name(r.op);
    s += ' ';
    s += std::to_string(r.id);
    if (r.op == Op::subscribe || r.op == Op::unsubscribe || r.op == Op::publish) {
        s += ' ';
        s += r.topic;
    }
    if (r.op == Op::publish) {
        s += ' ';
        s += std::to_string(r.size);
    }
    if (r.op == Op::subscribe && r.rule != SubRule::none) {
        s += ' ';
        s += rule_name(r.rule);
    }
    return s;
}

bool valid_record(const Record& r) {
    const bool topical = r.op == Op::subscribe || r.op == Op::unsubscribe || r.op == Op::publish;
    if (topical && !valid_topic(r.topic)) return false;
    if (r.op == Op::publish && r.size > max_payload_bytes) return false;
    return true;
}

}  // namespace elmo::traces
