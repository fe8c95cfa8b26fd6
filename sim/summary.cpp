#include "sim/summary.hpp"

#include <cmath>
#include <cstdio>
#include <ostream>

namespace elmo::sim {
namespace {

std::string format(const Summary::Value& v, bool json) {
    struct Visitor {
        bool json;
        std::string operator()(std::monostate) const { return json ? "null" : "-"; }
        std::string operator()(bool b) const { return b ? "true" : "false"; }
        std::string operator()(std::int64_t i) const { return std::to_string(i); }
        std::string operator()(double d) const {
            if (!std::isfinite(d)) return json ? "null" : "-";
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.6g", d);
            return buf;
        }
        std::string operator()(const std::string& s) const {
            return json ? "\"" + json_escape(s) + "\"" : s;
        }
    };
    return std::visit(Visitor{json}, v);
}

}  // namespace

std::string json_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    return out;
}

void Summary::set(const std::string& key, Value v) {
    for (auto& e : entries_)
        if (e.first == key) {
            e.second = std::move(v);
            return;
        }
    entries_.emplace_back(key, std::move(v));
}

const Summary::Value* Summary::get(const std::string& key) const {
    for (const auto& e : entries_)
        if (e.first == key) return &e.second;
    return nullptr;
}

double Summary::number(const std::string& key, double fallback) const {
    const Value* v = get(key);
    if (!v) return fallback;
    if (const auto* i = std::get_if<std::int64_t>(v)) return static_cast<double>(*i);
    if (const auto* d = std::get_if<double>(v)) return *d;
    if (const auto* b = std::get_if<bool>(v)) return *b ? 1 : 0;
    return fallback;
}

std::string Summary::to_json() const {
    std::string out = "{";
    bool first = true;
    for (const auto& [k, v] : entries_) {
        if (!first) out += ",";
        first = false;
        out += "\"" + json_escape(k) + "\":" + format(v, true);
    }
    return out + "}";
}

void Summary::print_table(std::ostream& out) const {
    std::size_t width = 0;
    for (const auto& e : entries_) width = std::max(width, e.first.size());
    for (const auto& [k, v] : entries_)
        out << "  " << k << std::string(width - k.size() + 2, ' ') << format(v, false) << "\n";
}

}  // namespace elmo::sim
