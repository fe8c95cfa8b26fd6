#pragma once
// Messages and bytes per second over a sliding window, in fixed memory: the window is split into
// buckets of equal width and the rate is the sum of the buckets that overlap the window ending at
// `now`, divided by the window. The current bucket is partly filled, so the reading lags a burst
// by up to one bucket width and forgets it one bucket width late; with the defaults (10 s in ten
// 1 s buckets) that is a second, fine for a budget that decides admission, not for billing.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/time.hpp"

namespace elmo::mailbox {

class RateMeter {
public:
    RateMeter(Duration window, std::size_t buckets);

    void add(TimePoint now, std::uint64_t messages, std::uint64_t bytes);
    double messages_per_sec(TimePoint now) const;
    double bytes_per_sec(TimePoint now) const;

private:
    struct Bucket {
        std::int64_t index = INT64_MIN;  // which slice of time this bucket counts
        std::uint64_t messages = 0;
        std::uint64_t bytes = 0;
    };
    std::int64_t index_of(TimePoint t) const;
    template <class F>
    double rate(TimePoint now, F field) const;

    Duration width_;
    std::vector<Bucket> buckets_;
    double window_seconds_ = 1;
};

}  // namespace elmo::mailbox
