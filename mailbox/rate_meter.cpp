#include "mailbox/rate_meter.hpp"

#include <algorithm>
#include <chrono>

namespace elmo::mailbox {

namespace {
std::size_t at_least_one(std::size_t n) { return std::max<std::size_t>(n, 1); }
}  // namespace

RateMeter::RateMeter(Duration window, std::size_t buckets)
    : width_(std::max(window / static_cast<Duration::rep>(at_least_one(buckets)), Duration(1))),
      buckets_(at_least_one(buckets)) {
    // The window actually measured: a whole number of buckets.
    window_seconds_ =
        std::chrono::duration<double>(width_ * static_cast<Duration::rep>(buckets_.size())).count();
}

std::int64_t RateMeter::index_of(TimePoint t) const {
    // Floor division, so that instants before the clock's epoch land in the right bucket too.
    const auto ticks = t.time_since_epoch().count();
    const auto w = width_.count();
    return ticks >= 0 ? ticks / w : -((-ticks + w - 1) / w);
}

void RateMeter::add(TimePoint now, std::uint64_t messages, std::uint64_t bytes) {
    const std::int64_t idx = index_of(now);
    const auto n = static_cast<std::int64_t>(buckets_.size());
    Bucket& b = buckets_[static_cast<std::size_t>(((idx % n) + n) % n)];
    if (b.index != idx) b = Bucket{idx, 0, 0};
    b.messages += messages;
    b.bytes += bytes;
}

template <class F>
double RateMeter::rate(TimePoint now, F field) const {
    const std::int64_t idx = index_of(now);
    const auto n = static_cast<std::int64_t>(buckets_.size());
    std::uint64_t sum = 0;
    for (const Bucket& b : buckets_)
        if (b.index <= idx && b.index > idx - n) sum += field(b);
    return static_cast<double>(sum) / window_seconds_;
}

double RateMeter::messages_per_sec(TimePoint now) const {
    return rate(now, [](const Bucket& b) { return b.messages; });
}

double RateMeter::bytes_per_sec(TimePoint now) const {
    return rate(now, [](const Bucket& b) { return b.bytes; });
}

}  // namespace elmo::mailbox
