// Auto-deleveraging priority scores (MODEL.md M10). Sources and conventions: docs/margin.md.
#include "wipeout/adl_ranking.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "wipeout/error.h"

namespace wipeout {

std::optional<AdlRanking> parse_adl_ranking(std::string_view name) {
    if (name == "pnl-leverage") return AdlRanking::PnlTimesLeverage;
    if (name == "hyperliquid") return AdlRanking::Hyperliquid;
    return std::nullopt;
}

std::string_view adl_ranking_name(AdlRanking ranking) {
    return ranking == AdlRanking::PnlTimesLeverage ? "pnl-leverage" : "hyperliquid";
}

double adl_score(AdlRanking ranking, Side side, double entry, double mark, double qty, double margin) {
    for (const auto& [what, value] : {std::pair<const char*, double>{"entry price", entry},
                                      {"mark price", mark},
                                      {"quantity", qty},
                                      {"margin", margin}}) {
        if (!(std::isfinite(value) && value > 0.0)) {
            throw InputError(
                fmt::format("ADL score: {} must be a positive finite number, got {}", what, value));
        }
    }
    return adl_score_unchecked(ranking, side, entry, mark, qty, margin);
}

double adl_score_bound(AdlRanking ranking, Side side, double leverage, double entry_lo, double entry_hi,
                       double mark) {
    const auto at = [&](double entry) {
        return adl_score_unchecked(ranking, side, entry, mark, 1.0, entry / leverage);
    };
    double best = std::max(at(entry_lo), at(entry_hi));
    if (ranking == AdlRanking::PnlTimesLeverage && side == Side::Short) {
        // (x - 1) / (x ((1 + 1/L) x - 1)) in x = entry / mark peaks where x^2 - 2x + L / (L + 1) = 0.
        const double peak = mark * (1.0 + 1.0 / std::sqrt(leverage + 1.0));
        if (peak > entry_lo && peak < entry_hi) best = std::max(best, at(peak));
    }
    return best + std::abs(best) * 1e-9;
}

}  // namespace wipeout
