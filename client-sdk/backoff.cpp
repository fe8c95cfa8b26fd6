#include "client-sdk/backoff.hpp"

#include <algorithm>

namespace elmo {

double unit_uniform(std::mt19937_64& rng) {
    return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);  // 2^-53
}

Duration jittered_backoff(Duration initial, Duration max, int attempt, double jitter,
                          std::mt19937_64& rng) {
    Duration d = initial;
    for (int i = 1; i < attempt && d < max; ++i) d *= 2;  // stops before it could overflow
    d = std::min(d, max);
    jitter = std::clamp(jitter, 0.0, 1.0);
    double factor = 1.0 - jitter * unit_uniform(rng);
    return std::chrono::duration_cast<Duration>(d * factor);
}

Duration stretched(Duration base, double jitter, std::mt19937_64& rng) {
    jitter = std::max(jitter, 0.0);
    double factor = 1.0 + jitter * unit_uniform(rng);
    return std::chrono::duration_cast<Duration>(base * factor);
}

}  // namespace elmo
