#include "node/daemon/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace elmo::daemon {

void Log::emit(LogLevel level, std::string_view component, const std::string& text) const {
    // Logs are for people: wall-clock UTC with milliseconds.
    const auto now = std::chrono::system_clock::now();
    const std::time_t secs = std::chrono::system_clock::to_time_t(now);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    const std::string_view name = to_string(level);
    std::fprintf(stderr, "%s.%03dZ %-5.*s %.*s: %s\n", stamp, static_cast<int>(ms),
                 static_cast<int>(name.size()), name.data(), static_cast<int>(component.size()),
                 component.data(), text.c_str());
}

}  // namespace elmo::daemon
