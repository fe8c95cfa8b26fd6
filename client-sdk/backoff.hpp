#pragma once
// Jittered exponential backoff and a portable uniform draw. The draws are computed by hand from
// the generator's raw output (not std::uniform_real_distribution, whose algorithm is left to the
// library) so that one seed gives one run on every platform.
#include <cstdint>
#include <random>

#include "common/time.hpp"

namespace elmo {

// Uniform in [0, 1), from the top 53 bits of one draw.
double unit_uniform(std::mt19937_64& rng);

// The delay before attempt number `attempt` (1 = the first retry): initial x 2^(attempt-1),
// capped at `max`, then drawn uniformly from [d * (1 - jitter), d].
Duration jittered_backoff(Duration initial, Duration max, int attempt, double jitter,
                          std::mt19937_64& rng);

// `base` stretched by a uniform factor in [1, 1 + jitter]: never earlier than `base`.
Duration stretched(Duration base, double jitter, std::mt19937_64& rng);

}  // namespace elmo
