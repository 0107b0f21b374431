#pragma once
// Sizing the insurance fund from one run (`wipeout fund`, docs/model.md "Sizing the fund"). A path started
// with fund F needs ADL exactly when its fund_needed exceeds F (the engine computes fund_needed on the path
// an unlimited fund would have had, which is the path itself up to its first ADL), so the share of paths with
// fund_needed > F is P(ADL | F) for every F at once, on the same paths: one run gives the whole curve.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "wipeout/results_file.h"

namespace wipeout {

/// P(ADL) at one fund size: the paths that need more, their share and its pointwise interval (Wilson).
struct FundCurvePoint {
    double fund;
    std::uint64_t paths_above;
    double p_adl, p_lo, p_hi;
};

/// The smallest fund with P(ADL) <= p_target in the run, with its distribution-free interval (the order
/// statistics bounding the (1 - p) quantile of fund_needed; NaN where the run has too few paths to bound it),
/// and the run's P(ADL) at that fund.
struct FundSize {
    double p_target;
    double fund, fund_lo, fund_hi;
    FundCurvePoint at;
};

class FundSizing {
  public:
    /// `needed`: fund_needed (or fund_needed_to_oi) of every path, finite and >= 0 (InputError otherwise,
    /// naming `what`). `confidence` in (0, 1): of every interval.
    FundSizing(std::vector<double> needed, double confidence, const std::string& what);

    std::uint64_t paths() const { return sorted_.size(); }
    double confidence() const { return confidence_; }
    /// P(ADL) with a fund of `fund`.
    FundCurvePoint at(double fund) const;
    /// The curve: at 0 and at every distinct amount some path needs (P(ADL) drops there).
    std::vector<FundCurvePoint> curve() const;
    /// The smallest fund whose P(ADL) in this run is at most p (0 < p < 1): the order statistic
    /// x_(n - floor(p n)) of fund_needed, with the interval of the (1 - p) quantile.
    FundSize size_for(double p) const;

  private:
    std::vector<double> sorted_;
    double confidence_, z_;
};

/// What `wipeout fund` reads from a complete results file: fund_needed per path as a share of OI and in
/// quote, and the run's own fund (fund.initial_to_oi, and whether fund.enabled) per path. InputError (one
/// line, naming the file) for an incomplete file or one written before fund_needed existed.
struct FundNeeds {
    ResultsHeader header;
    std::vector<double> to_oi, quote, run_fund_to_oi, run_fund_enabled;
};
FundNeeds read_fund_needs(const std::filesystem::path& file);

}  // namespace wipeout
