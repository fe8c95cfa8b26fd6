#pragma once
// Levelled logs of the daemon, one line each on stderr: "2024-05-01T12:00:00.123Z warn udp: ...".
// A line below the configured level is not formatted at all. Not thread-safe: the daemon is one
// thread (its asio loop).
#include <sstream>
#include <string_view>
#include <utility>

#include "node/daemon/elmod_config.hpp"

namespace elmo::daemon {

class Log {
  public:
    explicit Log(LogLevel level = LogLevel::info) : level_(level) {}
    void set_level(LogLevel level) { level_ = level; }
    bool enabled(LogLevel level) const { return level <= level_; }

    // Writes `parts` (streamed) as one line if `level` is enabled.
    template <class... Parts>
    void write(LogLevel level, std::string_view component, Parts&&... parts) const {
        if (!enabled(level)) return;
        std::ostringstream s;
        (s << ... << std::forward<Parts>(parts));
        emit(level, component, s.str());
    }
    template <class... P>
    void error(std::string_view c, P&&... p) const {
        write(LogLevel::error, c, std::forward<P>(p)...);
    }
    template <class... P>
    void warn(std::string_view c, P&&... p) const {
        write(LogLevel::warn, c, std::forward<P>(p)...);
    }
    template <class... P>
    void info(std::string_view c, P&&... p) const {
        write(LogLevel::info, c, std::forward<P>(p)...);
    }
    template <class... P>
    void debug(std::string_view c, P&&... p) const {
        write(LogLevel::debug, c, std::forward<P>(p)...);
    }

  private:
    void emit(LogLevel level, std::string_view component, const std::string& text) const;
    LogLevel level_;
};

}  // namespace elmo::daemon
