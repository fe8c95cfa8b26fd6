#pragma once
// Distributions of durations (session lengths, online periods), sampled from a seeded Rng.
#include <algorithm>
#include <cmath>
#include <string>

#include "common/time.hpp"
#include "sim/rng.hpp"

namespace elmo::sim {

struct DurationDist {
    enum class Kind : std::uint8_t { constant, uniform, exponential, pareto };
    Kind kind = Kind::constant;
    Duration a{0};       // constant value, uniform min, exponential mean, Pareto scale (minimum)
    Duration b{0};       // uniform max
    double shape = 1.5;  // Pareto shape (alpha > 1 for a finite mean)

    static DurationDist constant(Duration d) { return {Kind::constant, d, d, 0}; }
    static DurationDist uniform(Duration lo, Duration hi) { return {Kind::uniform, lo, hi, 0}; }
    static DurationDist exponential(Duration mean) { return {Kind::exponential, mean, mean, 0}; }
    static DurationDist pareto(Duration scale, double shape) {
        return {Kind::pareto, scale, scale, shape};
    }

    Duration sample(Rng& rng) const {
        switch (kind) {
            case Kind::constant: return a;
            case Kind::uniform: return Duration(rng.between(a.count(), std::max(a, b).count()));
            case Kind::exponential:
                return Duration(static_cast<Duration::rep>(rng.exponential(static_cast<double>(a.count()))));
            case Kind::pareto: {
                const double u = 1.0 - rng.uniform01();  // (0, 1]
                return Duration(static_cast<Duration::rep>(static_cast<double>(a.count()) *
                                                           std::pow(u, -1.0 / shape)));
            }
        }
        return a;
    }

    double mean_seconds() const {
        const double sa = std::chrono::duration<double>(a).count();
        switch (kind) {
            case Kind::uniform: return (sa + std::chrono::duration<double>(b).count()) / 2;
            case Kind::pareto: return shape > 1 ? sa * shape / (shape - 1) : INFINITY;
            default: return sa;
        }
    }
};

}  // namespace elmo::sim
