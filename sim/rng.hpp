#pragma once
// Seeded randomness for the simulator. Every random choice of a run comes from generators derived
// from the one run seed, so that a run can be replayed. The generator is xoshiro256** (32 bytes
// of state, so 100,000 nodes can each have their own) and the distributions are written here
// rather than taken from <random>, whose distributions may differ between standard libraries.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace elmo::sim {

__extension__ typedef unsigned __int128 uint128;  // GCC/Clang extension, for Lemire's method

// SplitMix64 step: a good 64-bit mixer, used to derive independent seeds.
constexpr std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// Seed of stream `stream` (e.g. a node index) of purpose `purpose` under run seed `seed`.
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t purpose,
                                    std::uint64_t stream = 0) {
    return splitmix64(splitmix64(splitmix64(seed) ^ purpose) ^ stream);
}

// Purposes for derive_seed: one constant per family of random streams.
enum SeedPurpose : std::uint64_t {
    seed_node = 1,      // per-node generator (node id, bootstrap choice, value ids)
    seed_network = 2,   // loss and jitter draws
    seed_churn = 3,     // which nodes crash, session lengths
    seed_client = 4,    // client online/offline periods
    seed_core = 5,      // seed handed to a node's protocol core
    seed_link = 6,      // per-link stable latency
    seed_scenario = 7,  // scenario-level choices (which nodes put and get)
    seed_entropy = 8,   // what std::random_device returns to OpenDHT (Engine::seed_entropy)
};

class Rng {
public:
    using result_type = std::uint64_t;

    explicit Rng(std::uint64_t seed = 0) { reseed(seed); }

    void reseed(std::uint64_t seed) {
        std::uint64_t x = seed;
        for (auto& w : s_) {
            x += 0x9E3779B97F4A7C15ull;
            w = splitmix64(x);
        }
    }

    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }

    result_type operator()() {
        const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = std::rotl(s_[3], 45);
        return result;
    }

    // Uniform integer in [0, n); n > 0. Lemire's multiply-shift with rejection (unbiased).
    std::uint64_t below(std::uint64_t n) {
        uint128 m = static_cast<uint128>((*this)()) * n;
        auto low = static_cast<std::uint64_t>(m);
        if (low < n) {
            const std::uint64_t threshold = (0 - n) % n;
            while (low < threshold) {
                m = static_cast<uint128>((*this)()) * n;
                low = static_cast<std::uint64_t>(m);
            }
        }
        return static_cast<std::uint64_t>(m >> 64);
    }

    // Uniform integer in [lo, hi] (inclusive).
    std::int64_t between(std::int64_t lo, std::int64_t hi) {
        return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
    }

    // Uniform double in [0, 1).
    double uniform01() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

    bool chance(double p) { return p > 0 && (p >= 1 || uniform01() < p); }

    // Exponential with the given mean.
    double exponential(double mean) { return -mean * std::log1p(-uniform01()); }

private:
    std::uint64_t s_[4]{};
};

}  // namespace elmo::sim
