#pragma once
// Small descriptive statistics for reports: Gini coefficient, mean, percentiles, and a Zipf
// sampler driven by a uniform draw (so callers keep their own seeded generator).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

namespace elmo::stats {

// Gini coefficient of non-negative values: 0 when all are equal, towards 1 when one value holds
// everything. Empty or all-zero input: 0.
inline double gini(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    double sum = std::accumulate(v.begin(), v.end(), 0.0);
    if (sum <= 0) return 0.0;
    double weighted = 0;
    for (std::size_t i = 0; i < v.size(); ++i) weighted += static_cast<double>(i + 1) * v[i];
    double n = static_cast<double>(v.size());
    return (2.0 * weighted) / (n * sum) - (n + 1.0) / n;
}

inline double mean(const std::vector<double>& v) {
    if (v.empty()) return 0.0;
    return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// The p-th percentile (0..100) by nearest rank. Empty input: 0.
inline double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    double rank = std::ceil(p / 100.0 * static_cast<double>(v.size()));
    std::size_t i = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
    return v[std::min(i, v.size() - 1)];
}

// Ranks 0..n-1 with P(rank k) proportional to 1/(k+1)^s.
class ZipfSampler {
public:
    ZipfSampler(std::size_t n, double s) : cdf_(n) {
        double acc = 0;
        for (std::size_t k = 0; k < n; ++k) {
            acc += 1.0 / std::pow(static_cast<double>(k + 1), s);
            cdf_[k] = acc;
        }
        for (auto& c : cdf_) c /= acc;
    }
    // u uniform in [0, 1).
    std::size_t sample(double u) const {
        auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
        return std::min(static_cast<std::size_t>(it - cdf_.begin()), cdf_.size() - 1);
    }
    double probability(std::size_t k) const { return cdf_[k] - (k ? cdf_[k - 1] : 0.0); }
    std::size_t size() const { return cdf_.size(); }

private:
    std::vector<double> cdf_;
};

}  // namespace elmo::stats
