#pragma once
// Auto-deleveraging priority scores (MODEL.md M10): the order in which opposite-side positions in profit
// are closed when the insurance fund cannot cover a shortfall. Sources: docs/margin.md.
#include <optional>
#include <string_view>

#include "wipeout/margin.h"

namespace wipeout {

enum class AdlRanking {
    PnlTimesLeverage,  ///< BitMEX/Binance/Bybit: PnL% x effective leverage (PnL% / leverage when PnL% < 0)
    Hyperliquid,       ///< (mark / entry) x (notional / equity); (entry / mark) x ... for shorts
};
std::optional<AdlRanking> parse_adl_ranking(std::string_view name);  ///< "pnl-leverage" | "hyperliquid"
std::string_view adl_ranking_name(AdlRanking ranking);

/// Priority score of one isolated position at this mark price: higher = deleveraged first. margin is the
/// position's margin (posted plus added), so equity = margin + unrealized PnL. A position with equity <= 0
/// (already bankrupt) scores -infinity. Throws InputError on non-finite or non-positive inputs.
double adl_score(AdlRanking ranking, Side side, double entry, double mark, double qty, double margin);

}  // namespace wipeout
