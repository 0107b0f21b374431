// Summary statistics: compensated sums in path order, order statistics by successive selection.
#include "wipeout/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/normal.hpp>

namespace wipeout {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Neumaier's compensated running sum.
class CompensatedSum {
  public:
    void add(double x) {
        const double t = sum_ + x;
        compensation_ += std::abs(sum_) >= std::abs(x) ? (sum_ - t) + x : (x - t) + sum_;
        sum_ = t;
    }
    double value() const { return sum_ + compensation_; }

  private:
    double sum_ = 0;
    double compensation_ = 0;
};

/// Number of values in the adverse tail at level alpha: ceil((1 - alpha) n), at least 1. The small
/// allowance keeps (1 - 0.99) * 100 = 1.0000000000000009 from rounding up to 2.
std::size_t tail_count(std::size_t n, double alpha) {
    const double k = std::ceil((1.0 - alpha) * static_cast<double>(n) - 1e-9);
    return std::clamp<std::size_t>(static_cast<std::size_t>(std::max(k, 1.0)), 1, n);
}

}  // namespace

double compensated_sum(std::span<const double> values) {
    CompensatedSum s;
    for (double x : values) s.add(x);
    return s.value();
}

double mean_of(std::span<const double> values) {
    if (values.empty()) return kNaN;
    return compensated_sum(values) / static_cast<double>(values.size());
}

double sample_sd(std::span<const double> values, double mean) {
    if (values.size() < 2) return kNaN;
    CompensatedSum s;
    for (double x : values) s.add((x - mean) * (x - mean));
    return std::sqrt(s.value() / static_cast<double>(values.size() - 1));
}

double quantile_sorted(std::span<const double> sorted, double p) {
    if (sorted.empty()) return kNaN;
    const double h = static_cast<double>(sorted.size() - 1) * p;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

double expected_shortfall_sorted(std::span<const double> sorted, double alpha, AdverseTail tail) {
    if (sorted.empty()) return kNaN;
    const std::size_t k = tail_count(sorted.size(), alpha);
    const auto worst = tail == AdverseTail::Upper ? sorted.last(k) : sorted.first(k);
    return compensated_sum(worst) / static_cast<double>(k);
}

ProportionInterval wilson_interval(std::uint64_t successes, std::uint64_t n, double z) {
    if (n == 0) return {kNaN, kNaN};
    const double nn = static_cast<double>(n);
    const double p = static_cast<double>(successes) / nn;
    const double z2 = z * z;
    const double denominator = 1.0 + z2 / nn;
    const double centre = (p + z2 / (2.0 * nn)) / denominator;
    const double half = z / denominator * std::sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn));
    // Clamped so the estimate always lies inside its interval (rounding can otherwise put the bound a few
    // ulps past p when no or every path has the flag).
    return {std::min(p, std::max(0.0, centre - half)), std::max(p, std::min(1.0, centre + half))};
}

double two_sided_z(double level) {
    if (level == 0.95) return kZ95;  // the driver's, to the bit
    return boost::math::quantile(boost::math::normal_distribution<double>(), 0.5 + 0.5 * level);
}

RankInterval quantile_interval_ranks(std::uint64_t n, double p, double level) {
    const double half = 0.5 * (1.0 - level);
    const boost::math::binomial_distribution<double> b(static_cast<double>(n), p);
    const auto below = [&](std::uint64_t k) { return boost::math::cdf(b, static_cast<double>(k)); };
    const auto above = [&](std::uint64_t k) {  // P(B > k)
        return boost::math::cdf(boost::math::complement(b, static_cast<double>(k)));
    };
    // r: the largest with P(B <= r - 1) <= half (0: none); s: the smallest with P(B > s - 1) <= half (n + 1:
    // none). Both tails are monotone in k: bisection.
    std::uint64_t lo = 0, hi = n + 1;  // P(B <= k) <= half for k < lo, > half for k >= hi
    while (lo < hi) {
        const std::uint64_t mid = lo + (hi - lo) / 2;
        if (below(mid) <= half) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    const std::uint64_t r = lo;  // lo - 1 is the largest k with P(B <= k) <= half
    lo = 0;
    hi = n + 1;  // P(B > k) > half for k < lo, <= half for k >= hi
    while (lo < hi) {
        const std::uint64_t mid = lo + (hi - lo) / 2;
        if (above(mid) <= half) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return {r, lo + 1};
}

Summary summarize(std::span<double> values, OutputKind kind, AdverseTail tail) {
    Summary s{};
    s.mean = s.sd = s.se = kNaN;
    s.quantiles.fill(kNaN);
    s.shortfalls.fill(kNaN);
    s.probability = s.probability_lo = s.probability_hi = kNaN;

    // Moments in path order, skipping missing values.
    CompensatedSum sum;
    std::uint64_t successes = 0;
    for (double x : values) {
        if (!std::isfinite(x)) {
            ++s.n_missing;
            continue;
        }
        ++s.n;
        sum.add(x);
        successes += x != 0.0 ? 1 : 0;
    }
    if (s.n == 0) return s;
    s.mean = sum.value() / static_cast<double>(s.n);
    if (s.n >= 2) {
        CompensatedSum squares;
        for (double x : values)
            if (std::isfinite(x)) squares.add((x - s.mean) * (x - s.mean));
        s.sd = std::sqrt(squares.value() / static_cast<double>(s.n - 1));
        s.se = s.sd / std::sqrt(static_cast<double>(s.n));
    }
    if (kind == OutputKind::Flag) {
        s.probability = static_cast<double>(successes) / static_cast<double>(s.n);
        const auto ci = wilson_interval(successes, s.n);
        s.probability_lo = ci.lo;
        s.probability_hi = ci.hi;
    }

    // Order statistics: finite values to the front, then select each needed rank in ascending order on
    // the part right of the previous one, so every rank ends up holding its order statistic.
    const auto finite_end =
        std::partition(values.begin(), values.end(), [](double x) { return std::isfinite(x); });
    const std::span<double> v(values.begin(), finite_end);
    const std::size_t n = v.size();
    std::vector<std::size_t> ranks;
    ranks.reserve(2 * kQuantileLevels.size() + kShortfallLevels.size());
    for (double p : kQuantileLevels) {
        const auto lo = static_cast<std::size_t>(std::floor(static_cast<double>(n - 1) * p));
        ranks.push_back(lo);
        ranks.push_back(std::min(lo + 1, n - 1));
    }
    for (double alpha : kShortfallLevels) {
        const std::size_t k = tail_count(n, alpha);
        ranks.push_back(tail == AdverseTail::Upper ? n - k : k - 1);
    }
    std::sort(ranks.begin(), ranks.end());
    ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
    std::size_t first = 0;
    for (std::size_t r : ranks) {
        std::nth_element(v.begin() + static_cast<std::ptrdiff_t>(first),
                         v.begin() + static_cast<std::ptrdiff_t>(r), v.end());
        first = r + 1;
    }
    for (std::size_t i = 0; i < kQuantileLevels.size(); ++i) {
        const double h = static_cast<double>(n - 1) * kQuantileLevels[i];
        const auto lo = static_cast<std::size_t>(std::floor(h));
        const std::size_t hi = std::min(lo + 1, n - 1);
        s.quantiles[i] = v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
    }
    // The widest adverse tail is a contiguous block holding the right values: sort just it, so its sum runs
    // in a defined (ascending) order; narrower tails are sub-blocks of it.
    std::size_t widest = 0;
    for (double alpha : kShortfallLevels) widest = std::max(widest, tail_count(n, alpha));
    const auto block = tail == AdverseTail::Upper ? v.last(widest) : v.first(widest);
    std::sort(block.begin(), block.end());
    for (std::size_t i = 0; i < kShortfallLevels.size(); ++i) {
        const std::size_t k = tail_count(n, kShortfallLevels[i]);
        const auto worst = tail == AdverseTail::Upper ? block.last(k) : block.first(k);
        s.shortfalls[i] = compensated_sum(worst) / static_cast<double>(k);
    }
    return s;
}

}  // namespace wipeout
