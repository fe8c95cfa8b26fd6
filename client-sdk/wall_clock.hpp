#pragma once
// Events carry wall-clock times (ms since the Unix epoch) while the core's `now` is steady-clock
// protocol time. The driver tells the core which wall time one steady instant corresponds to (and
// again after a clock step); the core never reads a clock. The same idea as the mailbox's
// WallClock, copied so that the client library does not depend on the server's.
#include <chrono>
#include <cstdint>

#include "common/time.hpp"

namespace elmo {

struct WallClock {
    TimePoint at{};            // a steady instant ...
    std::int64_t unix_ms = 0;  // ... and the wall time it corresponds to

    std::int64_t to_unix_ms(TimePoint t) const {
        return unix_ms + std::chrono::duration_cast<std::chrono::milliseconds>(t - at).count();
    }
};

}  // namespace elmo
