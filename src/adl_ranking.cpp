// Auto-deleveraging priority scores (MODEL.md M10). Sources and conventions: docs/margin.md.
#include "wipeout/adl_ranking.h"

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
    const double s = side == Side::Long ? 1.0 : -1.0;
    // Equity = margin + unrealized PnL = |mark value - bankrupt value| (BitMEX's denominator).
    const double equity = margin + s * qty * (mark - entry);
    if (!(equity > 0.0)) return -std::numeric_limits<double>::infinity();  // bankrupt: never a counterparty
    const double effective_leverage = qty * mark / equity;
    if (ranking == AdlRanking::Hyperliquid) {
        // (mark / entry) * (notional / account value); mirrored to entry / mark for shorts so that the
        // more profitable short ranks higher, as the long's index does.
        const double price_ratio = side == Side::Long ? mark / entry : entry / mark;
        return price_ratio * effective_leverage;
    }
    // PnL% = (mark value - entry value) / |entry value|; multiplied by leverage in profit, divided in loss,
    // so that among losers too the more leveraged rank higher.
    const double pnl_fraction = s * (mark - entry) / entry;
    return pnl_fraction >= 0.0 ? pnl_fraction * effective_leverage : pnl_fraction / effective_leverage;
}

}  // namespace wipeout
