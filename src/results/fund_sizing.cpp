// Sizing the insurance fund from one run's fund_needed (wipeout/fund_sizing.h).
#include "wipeout/fund_sizing.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "wipeout/error.h"
#include "wipeout/h5.h"
#include "wipeout/statistics.h"

namespace wipeout {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

FundSizing::FundSizing(std::vector<double> needed, double confidence, const std::string& what)
    : sorted_(std::move(needed)), confidence_(confidence), z_(two_sided_z(confidence)) {
    if (sorted_.empty()) throw InputError(fmt::format("{}: no paths", what));
    const auto bad =
        std::find_if(sorted_.begin(), sorted_.end(), [](double v) { return !(v >= 0) || std::isinf(v); });
    if (bad != sorted_.end())
        throw InputError(
            fmt::format("{}: path {} has {}, not a fund size >= 0", what, bad - sorted_.begin(), *bad));
    std::sort(sorted_.begin(), sorted_.end());
}

FundCurvePoint FundSizing::at(double fund) const {
    const auto above =
        static_cast<std::uint64_t>(sorted_.end() - std::upper_bound(sorted_.begin(), sorted_.end(), fund));
    const auto ci = wilson_interval(above, paths(), z_);
    return {fund, above, static_cast<double>(above) / static_cast<double>(paths()), ci.lo, ci.hi};
}

std::vector<FundCurvePoint> FundSizing::curve() const {
    std::vector<FundCurvePoint> points{at(0.0)};
    for (std::size_t i = 0; i < sorted_.size(); ++i)
        if (sorted_[i] > 0 && (i + 1 == sorted_.size() || sorted_[i + 1] != sorted_[i]))
            points.push_back(at(sorted_[i]));
    return points;
}

FundSize FundSizing::size_for(double p) const {
    // With k = floor(p n), x_(n-k) leaves at most k paths above it and anything smaller leaves k + 1 > p n.
    const std::uint64_t n = paths();
    const auto k = static_cast<std::uint64_t>(std::floor(p * static_cast<double>(n)));
    const double fund = k >= n ? 0.0 : sorted_[n - k - 1];
    const RankInterval ranks = quantile_interval_ranks(n, 1.0 - p, confidence_);
    return {p, fund, ranks.r >= 1 ? sorted_[ranks.r - 1] : kNaN, ranks.s <= n ? sorted_[ranks.s - 1] : kNaN,
            at(fund)};
}

FundNeeds read_fund_needs(const std::filesystem::path& file) {
    const ResultsReader reader = ResultsReader::open(file);
    FundNeeds needs;
    needs.header = reader.header();
    const std::string name = file.string();
    if (!needs.header.complete)
        throw InputError(
            fmt::format("{} is incomplete ({} of {} paths): finish it with wipeout run ... --resume", name,
                        needs.header.n_paths_done, needs.header.n_paths));
    const h5::Group paths = reader.file().open_group("paths");
    for (const char* output : {"fund_needed", "fund_needed_to_oi"})
        if (!paths.contains(output))
            throw InputError(fmt::format(
                "{} has no /paths/{}: it was written before fund sizing; run it again", name, output));
    needs.to_oi = reader.read_output("fund_needed_to_oi");
    needs.quote = reader.read_output("fund_needed");
    needs.run_fund_to_oi = reader.read_parameter("fund.initial_to_oi");
    needs.run_fund_enabled = reader.read_parameter("fund.enabled");
    return needs;
}

}  // namespace wipeout
