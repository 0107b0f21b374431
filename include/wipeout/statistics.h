#pragma once
// Summary statistics of one output over all paths: moments, exact quantiles, expected shortfall of the
// adverse tail, and for flags a probability with a Wilson interval. Every result is a deterministic
// function of the values in path order (definitions in docs/results_format.md).
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "wipeout/path_outputs.h"

namespace wipeout {

/// Quantile levels reported in every summary, with their names (the /summary dataset names).
inline constexpr std::array<double, 6> kQuantileLevels{0.01, 0.05, 0.50, 0.95, 0.99, 0.999};
inline constexpr std::array<std::string_view, 6> kQuantileNames{"p01", "p05", "p50", "p95", "p99", "p999"};
/// Expected-shortfall levels, with their names.
inline constexpr std::array<double, 2> kShortfallLevels{0.95, 0.99};
inline constexpr std::array<std::string_view, 2> kShortfallNames{"es95", "es99"};
/// The two-sided 95% normal quantile used by the Wilson interval.
inline constexpr double kZ95 = 1.959963984540054;

struct Summary {
    std::uint64_t n = 0;          ///< finite values summarized
    std::uint64_t n_missing = 0;  ///< NaN or infinite values left out
    double mean;
    double sd;  ///< sample standard deviation (n - 1 denominator)
    double se;  ///< standard error of the mean, sd / sqrt(n)
    std::array<double, kQuantileLevels.size()> quantiles;
    std::array<double, kShortfallLevels.size()> shortfalls;
    /// Flag outputs only (NaN otherwise): the share of paths where the flag is set, and its 95% Wilson
    /// score interval.
    double probability;
    double probability_lo;
    double probability_hi;
};

/// Sum in index order with Neumaier's compensation: a deterministic order, error O(eps) not O(n eps).
double compensated_sum(std::span<const double> values);

/// Mean and sample standard deviation by two compensated passes (NaN for an empty span; sd NaN for n < 2).
double mean_of(std::span<const double> values);
double sample_sd(std::span<const double> values, double mean);

/// Type-7 sample quantile (Hyndman & Fan 1996; R's default, numpy's "linear"): with the values sorted
/// x_0 <= ... <= x_{n-1} and h = (n - 1) p, Q(p) = x_floor(h) + (h - floor(h)) (x_floor(h)+1 - x_floor(h)).
/// `sorted` must be sorted ascending.
double quantile_sorted(std::span<const double> sorted, double p);

/// Expected shortfall at level alpha of the adverse tail: the mean of the k = ceil((1 - alpha) n) largest
/// values (Upper) or smallest values (Lower), k at least 1. `sorted` must be sorted ascending.
double expected_shortfall_sorted(std::span<const double> sorted, double alpha, AdverseTail tail);

struct ProportionInterval {
    double lo;
    double hi;
};
/// Wilson score interval for `successes` out of `n` trials at normal quantile z (NaN for n = 0).
ProportionInterval wilson_interval(std::uint64_t successes, std::uint64_t n, double z = kZ95);

/// The normal quantile z with P(|Z| <= z) = level, for a two-sided interval at `level` in (0, 1) (kZ95 at
/// 0.95).
double two_sided_z(double level);

/// 1-based ranks [r, s] of the distribution-free interval [x_(r), x_(s)] for the p-quantile of n values:
/// P(B < r) <= (1 - level) / 2 and P(B >= s) <= (1 - level) / 2 for B ~ Binomial(n, p), so it covers the
/// quantile with probability at least `level` whatever the distribution. r = 0 or s = n + 1 where the sample
/// is too small to bound it on that side. The report's quantile_ci_ranks (scripts/report/report_stats.py)
/// gives the same ranks.
struct RankInterval {
    std::uint64_t r, s;
};
RankInterval quantile_interval_ranks(std::uint64_t n, double p, double level);

/// Every statistic of one output. Reorders `values` (selection instead of a full sort: O(n) per
/// quantile); the results do not depend on that order.
Summary summarize(std::span<double> values, OutputKind kind, AdverseTail tail);

}  // namespace wipeout
