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
    // adl_score at a fixed leverage (margin = qty entry / L) in closed form, free of the quantity; its
    // maximum over [entry_lo, entry_hi] is where the shape puts it, so one evaluation.
    const double inv_leverage = 1.0 / leverage;
    const auto score = [&](double e) {
        const double equity = e * inv_leverage + (side == Side::Long ? mark - e : e - mark);  // per unit qty
        if (ranking == AdlRanking::Hyperliquid)
            return side == Side::Long ? mark * mark / (e * equity) : e / equity;
        return std::abs(mark - e) * mark / (e * equity);
    };
    const AdlScoreShape shape = adl_score_shape(ranking, side, leverage, mark);
    const double best = shape.kind == AdlScoreShape::Valley ? std::max(score(entry_lo), score(entry_hi))
                        : shape.kind == AdlScoreShape::Peak
                            ? score(std::clamp(shape.turn, entry_lo, entry_hi))
                            : score(entry_lo);
    return best * (1.0 + 1e-9);
}

AdlScoreShape adl_score_shape(AdlRanking ranking, Side side, double leverage, double mark) {
    if (side == Side::Short && ranking == AdlRanking::PnlTimesLeverage) {
        // (x - 1) / (x ((1 + 1/L) x - 1)) in x = entry / mark peaks where x^2 - 2x + L / (L + 1) = 0.
        return {AdlScoreShape::Peak, mark * (1.0 + 1.0 / std::sqrt(leverage + 1.0))};
    }
    if (side == Side::Long && ranking == AdlRanking::Hyperliquid && leverage > 1.0) {
        // mark^2 / (e (mark - e (1 - 1/L))) is lowest where its denominator peaks:
        // at e = mark / (2 (1 - 1/L)).
        return {AdlScoreShape::Valley, mark / (2.0 * (1.0 - 1.0 / leverage))};
    }
    // Falls as the entry rises: most profit for a long, nearest the mark for a short.
    return {AdlScoreShape::Falling, 0.0};
}

}  // namespace wipeout
