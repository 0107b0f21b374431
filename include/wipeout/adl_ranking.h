#pragma once
// Auto-deleveraging priority scores (MODEL.md M10): the order in which opposite-side positions in profit
// are closed when the insurance fund cannot cover a shortfall. Sources: docs/margin.md.
#include <limits>
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

/// adl_score without its input checks, inline: the engine ranks positions it knows to be valid.
inline double adl_score_unchecked(AdlRanking ranking, Side side, double entry, double mark, double qty,
                                  double margin) {
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

/// An upper bound of adl_score over every position in profit opened at `leverage` (margin = qty * entry /
/// leverage) with its entry in [entry_lo, entry_hi], at this mark. At a fixed leverage the score does not
/// depend on the quantity and has at most one turning point in the entry: none for PnL x leverage longs and
/// Hyperliquid shorts, a valley for Hyperliquid longs, a peak at entry = mark (1 + 1/sqrt(leverage + 1)) for
/// PnL x leverage shorts. So the bound is the score at the end or the peak the shape picks, plus a relative
/// 1e-9 for the ulps a position's own quantity (and the bound's shorter formula) moves a score. The engine
/// ranks a whole run of cohorts by it and scores the run's cohorts only when the run reaches the top of the
/// ADL queue.
double adl_score_bound(AdlRanking ranking, Side side, double leverage, double entry_lo, double entry_hi,
                       double mark);

/// The shape of adl_score in the entry at a fixed leverage (margin = qty * entry / leverage) at this mark, as
/// adl_score_bound describes it: falling as the entry rises, or rising up to a peak at `turn` and falling
/// after it, or falling down to a valley at `turn` and rising after it. ADL walks a run's cohorts in score
/// order from it, one monotone stretch at a time, instead of scoring and sorting the whole run.
struct AdlScoreShape {
    enum Kind { Falling, Peak, Valley } kind;
    double turn;  ///< the entry of the peak or valley (Falling: unused)
};
AdlScoreShape adl_score_shape(AdlRanking ranking, Side side, double leverage, double mark);

}  // namespace wipeout
