#pragma once
// Events carry wall-clock times (ms since the Unix epoch, set by the publisher) while the core's
// `now` is steady-clock time. The driver tells the mailbox once which wall time one steady instant
// corresponds to; the mailbox never reads a clock itself. The simulator passes a fixed base, the
// daemon samples both clocks at start-up (and may pass a new base after a clock step).
#include <algorithm>
#include <chrono>
#include <cstdint>

#include "common/time.hpp"

namespace elmo::mailbox {

struct WallClock {
    TimePoint at{};              // a steady instant ...
    std::int64_t unix_ms = 0;    // ... and the wall time it corresponds to

    std::int64_t to_unix_ms(TimePoint t) const {
        return unix_ms + std::chrono::duration_cast<std::chrono::milliseconds>(t - at).count();
    }
    // Saturates instead of overflowing: an event may carry any 64-bit expiry, and steady time in
    // nanoseconds spans only about 292 years.
    TimePoint from_unix_ms(std::int64_t ms) const {
        constexpr std::int64_t span = 100LL * 365 * 24 * 3600 * 1000;  // 100 years
        const std::int64_t delta =
            (ms > unix_ms && ms - unix_ms > span)   ? span
            : (ms < unix_ms && unix_ms - ms > span) ? -span
                                                    : ms - unix_ms;
        const Duration d = std::chrono::milliseconds(delta);
        if (d > Duration::zero() && at > TimePoint::max() - d) return TimePoint::max();
        if (d < Duration::zero() && at < TimePoint::min() - d) return TimePoint::min();
        return at + d;
    }
};

}  // namespace elmo::mailbox
