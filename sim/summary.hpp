#pragma once
// A run's summary: named values in insertion order, printed as a table for people and as one
// JSON object (one line) for scripts.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace elmo::sim {

class Summary {
public:
    using Value = std::variant<std::monostate, bool, std::int64_t, double, std::string>;

    void set(const std::string& key, Value v);
    // Exact overloads, so that no argument is converted to a narrower alternative.
    void set(const std::string& key, bool v) { set(key, Value{v}); }
    void set(const std::string& key, double v) { set(key, Value{v}); }
    void set(const std::string& key, std::string v) { set(key, Value{std::move(v)}); }
    void set(const std::string& key, int v) { set(key, Value{std::int64_t{v}}); }
    void set(const std::string& key, unsigned v) { set(key, Value{std::int64_t{v}}); }
    void set(const std::string& key, long v) { set(key, Value{std::int64_t{v}}); }
    void set(const std::string& key, unsigned long v) { set(key, Value{static_cast<std::int64_t>(v)}); }
    void set(const std::string& key, const char* v) { set(key, Value{std::string(v)}); }
    void set_null(const std::string& key) { set(key, Value{}); }

    const Value* get(const std::string& key) const;
    double number(const std::string& key, double fallback = 0) const;
    const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }

    std::string to_json() const;
    void print_table(std::ostream& out) const;

private:
    std::vector<std::pair<std::string, Value>> entries_;
};

std::string json_escape(const std::string& s);

}  // namespace elmo::sim
