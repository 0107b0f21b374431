#pragma once
// M6 position population as cohorts: side x entry level x leverage level x size class, each with its exact
// liquidation price (M7). Built by quadrature of the sampled distributions: a cohort's weight is the
// probability mass of its cell, so a path's population costs no random draws and carries no sampling noise.
//
// The grid is never materialized. For one (leverage, size) pair the liquidation price is entry x a fixed
// ratio (a size class fixes the notional, hence the bracket at the liquidation price), so the pair's cohorts
// over the ascending entry levels form a run already ordered by liquidation price. The engine files each run
// under its next cohort in a bucketed trigger queue (src/engine/cascade_engine.cpp): building a path's population is
// O(entries + runs), not O(cohorts).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "wipeout/cascade_params.h"
#include "wipeout/margin.h"

namespace wipeout {

class TierTable;

/// A group of identical isolated positions. Margin is qty * entry / leverage, kept proportional through
/// partial closes and ADL, so a cohort's liquidation price only changes when its bracket does.
struct Cohort {
    double liquidation_price;
    double entry;
    double qty;           ///< base units, all positions together
    double position_qty;  ///< one position's quantity (its notional picks the maintenance bracket)
    double leverage;
    std::uint8_t size_class;
    std::uint8_t tier;
    std::uint16_t flags;  ///< kOpportunistic, ...

    double margin() const { return qty * entry / leverage; }
    double count() const { return qty / position_qty; }
};

inline constexpr std::uint16_t kOpportunistic = 1;  ///< an M12 short opened during the fall
inline constexpr std::uint16_t kGrouped = 2;        ///< in a pool slot of a group ADL bounds (never reused)
inline constexpr std::uint16_t kStop = 4;           ///< closed at market at its stop (its liquidation_price)

/// The cohorts of one (leverage, size) pair on one side.
struct CohortRun {
    double ratio;              ///< liquidation price / entry
    double leverage;           ///< after the bracket's cap
    double position_notional;  ///< one position's notional at entry
    double weight;             ///< leverage mass x size mass
    std::uint8_t tier;
    std::uint8_t size_class;
    std::uint32_t first_alive;  ///< entries [first_alive, last_alive) exist at t = 0
    std::uint32_t last_alive;
    /// A crowd shaped by its history: the run's cohort at entry e weighs entry_weights[e] - removed *
    /// removal[e], what the history's past extremes left of the flow opened there (0: nothing removed).
    double removed = 0;
    /// Positions with a stop-loss: `ratio` is the stop's, and crossing it closes them at market.
    bool stop = false;
};

struct Population {
    std::vector<double> entries;        ///< ascending entry levels, shared by both sides
    std::vector<double> entry_weights;  ///< their probability masses
    /// Per side and entry: the flow a run's liquidation boundary removes, per unit of the run's `removed`
    /// (zeros unless the crowd is shaped by a history).
    std::vector<double> long_removal, short_removal;
    /// A crowd shaped by a given price history: run k's weight at entry e is rows[k * entries.size() + e] (empty
    /// otherwise: the weights above).
    std::vector<double> long_rows, short_rows;
    std::vector<CohortRun> long_runs, short_runs;
    double long_qty_per_weight = 0;  ///< base units per unit of cohort weight
    double short_qty_per_weight = 0;
    /// Explicit cohorts in any order: a position snapshot or a test's hand-built book. They trigger
    /// alongside the grid's.
    std::vector<Cohort> longs, shorts;
    double long_oi = 0;  ///< quote notional at P0 (grid and explicit together)
    double short_oi = 0;
    /// The open interest held hedged (positions.hedged_share; basis trades): in the market's open interest
    /// and the fund's base, but no fall liquidates it, so it has no cohorts.
    double hedged_oi = 0;

    /// The grid cohort at entry level e of run r.
    Cohort cohort(Side side, std::size_t run, std::size_t e) const {
        const CohortRun& k = (side == Side::Long ? long_runs : short_runs)[run];
        const double scale = side == Side::Long ? long_qty_per_weight : short_qty_per_weight;
        const auto& rows = side == Side::Long ? long_rows : short_rows;
        const double w = !rows.empty()     ? rows[run * entries.size() + e]
                         : k.removed == 0 ? entry_weights[e]
                                          : entry_weights[e] - k.removed * (side == Side::Long ? long_removal : short_removal)[e];
        return Cohort{entries[e] * k.ratio,
                      entries[e],
                      scale * k.weight * w,
                      k.position_notional / entries[e],
                      k.leverage,
                      k.size_class,
                      k.tier,
                      static_cast<std::uint16_t>(k.stop ? kStop : 0)};
    }
    std::size_t cohort_count() const;
};

/// The margin module's isolated liquidation quote under the generic convention (isolated_liquidation with
/// Venue::Generic, MODEL.md M7), specialised to what the engine asks for every partial liquidation: a
/// position of `qty` opened at `entry` with margin qty * entry / leverage. The same bracket walk and the
/// same floating-point operations, so the same bits; what isolated_liquidation would reject with an
/// InputError comes back as an invalid quote instead of an exception (tests/test_engine_perf.cpp checks both
/// against the margin module).
class GenericLiquidation {
  public:
    /// Two words, so it comes back in registers.
    struct Quote {
        double price = 0;  ///< liquidation price; 0 when it never liquidates (a long at or below 1x)
        int tier =
            -1;  ///< bracket the maintenance margin is taken from; -1: isolated_liquidation would throw
        bool valid() const { return tier >= 0; }
        bool liquidates() const { return tier >= 0 && price > 0; }
    };

    GenericLiquidation() = default;
    GenericLiquidation(const TierTable& tiers, double fee);
    [[gnu::always_inline]] Quote quote(Side side, double entry, double qty, double leverage) const;

  private:
    struct Bracket {
        double floor, cap, max_leverage, maint_amount;
        double long_denominator, short_denominator;  // 1 -/+ (mmr + fee)
        bool long_solvable;                          // mmr + fee < 1
    };
    std::vector<Bracket> brackets_;
    double fee_ = 0;
    double max_notional_ = 0;
    bool fee_valid_ = false;
};

// Inline: the engine calls it for every partial liquidation, and the call and its returned quote were a
// measurable share of one.
inline GenericLiquidation::Quote GenericLiquidation::quote(Side side, double entry, double qty,
                                                           double leverage) const {
    // isolated_liquidation's checks, in its order: positive finite entry, qty and margin, the fee, the
    // notional below the table's cap, the leverage within the entry bracket's maximum.
    Quote q;
    const double margin = qty * entry / leverage;
    const auto positive = [](double x) { return std::isfinite(x) && x > 0.0; };
    if (!positive(entry) || !positive(qty) || !positive(margin) || !fee_valid_) return q;
    const double notional = entry * qty;
    if (notional > max_notional_) return q;
    const int last = static_cast<int>(brackets_.size()) - 1;
    int entry_tier = last;  // TierTable::index_for_notional
    for (int i = 0; i < last; ++i) {
        if (!(notional > brackets_[static_cast<std::size_t>(i)].cap)) {
            entry_tier = i;
            break;
        }
    }
    // The leverage the margin module checks is notional / margin, within a few ulps of `leverage` (two
    // roundings in the margin, one in the quotient): divide only when that close to the bound.
    const double max_leverage = brackets_[static_cast<std::size_t>(entry_tier)].max_leverage * (1.0 + 1e-12);
    if (!(leverage <= max_leverage * (1.0 - 1e-14)) && entry * qty / margin > max_leverage) return q;

    // margin.cpp's solve_at_liquidation_price for the generic convention: walk the brackets from the entry's
    // in the direction the notional moves until the candidate price lies in the bracket it was computed with.
    const double cushion = margin + 0.0;
    double price;
    int tier = entry_tier;
    bool at_entry;
    if (side == Side::Long) {
        double upper = entry;
        for (;;) {
            const Bracket& b = brackets_[static_cast<std::size_t>(tier)];
            if (!b.long_solvable) return q;
            const double candidate = (entry - 1.0 * (cushion + b.maint_amount) / qty) / b.long_denominator;
            if (candidate >= upper) {
                at_entry = tier == entry_tier;
                price = at_entry ? candidate : upper;
                break;
            }
            const double lower = tier == 0 ? -std::numeric_limits<double>::infinity() : b.floor / qty;
            if (candidate >= lower) {
                price = candidate;
                at_entry = false;
                break;
            }
            upper = lower;
            --tier;
        }
    } else {
        double lower = entry;
        for (;;) {
            const Bracket& b = brackets_[static_cast<std::size_t>(tier)];
            const double candidate = (entry - -1.0 * (cushion + b.maint_amount) / qty) / b.short_denominator;
            if (candidate <= lower) {
                at_entry = tier == entry_tier;
                price = at_entry ? candidate : lower;
                break;
            }
            const double upper = tier == last ? std::numeric_limits<double>::infinity() : b.cap / qty;
            if (candidate <= upper) {
                price = candidate;
                at_entry = false;
                break;
            }
            lower = upper;
            ++tier;
        }
    }
    if (at_entry) return q;  // already at or past its liquidation price at entry
    q.tier = tier;
    if (side == Side::Long && price <= 0.0) return q;  // at or below 1x: never liquidated, reported as 0
    q.price = price;
    return q;
}

/// Scratch reused across paths so a path allocates nothing once grown; it also caches the liquidation
/// ratios, which only change when the leverage levels, size classes or fee do.
struct PopulationScratch {
    std::vector<double> leverages, log_leverages, leverage_weights, size_notional, size_weights;
    std::vector<double> weight_prefix;  // prefix sums of the entry weights: a run's mass is one subtraction
    std::vector<double> removal_prefix;  // and of one side's removal weights (a crowd shaped by its history)
    std::vector<double> boundary_cdf;   // leverage cells' boundaries, log-normal CDF
    // Each stage is a pure function of a few parameters, kept with them until they change (a scenario samples
    // a few parameters per path; the rest of the build is then reused, which changes no value).
    std::array<double, 5> entry_key{};
    std::array<double, 4> leverage_key{};
    std::array<double, 3> size_key{};
    bool entry_valid = false, leverage_valid = false, size_valid = false;
    std::vector<double> cached_entries, cached_entry_weights;
    std::vector<double> cached_leverages, cached_sizes;
    double cached_fee = -1;
    double cached_stop = -1;  // the stops' distance the ratios carry twins for (-1: no stops)
    const TierTable* cached_tiers = nullptr;
    std::vector<CohortRun> ratio_long,
        ratio_short;  // per (leverage, size); weight unset; leverage 0 = infeasible
    std::uint64_t ratio_version = 0;  // changes whenever the ratios do
    // A given price history's crowd per (leverage, size) and entry, kept until the history, the hold, the grid
    // or the ratios change.
    struct HistoryRows {
        const void* history = nullptr;
        double hold_days = 0, bin_width = 0, reference_price = 0;
        std::uint64_t ratio_version = 0;
        std::vector<double> entries, long_rows, short_rows;  // rows per (leverage, size) index
        std::vector<double> diff, order_b;
        std::vector<std::uint32_t> order;
    } history_rows;
    // M6's intraday traders per (leverage, size) index and side (longs, shorts): the surviving share of the
    // flow and the survivors' mean log distance from P0, kept until the ratios, the hold or the volatility
    // change; their leverage weights per path.
    struct Intraday {
        std::uint64_t ratio_version = 0;
        double hold_days = 0, volatility = 0;
        std::vector<double> surviving[2], offset[2];
        std::vector<double> weights, cdf;
    } intraday;
};

class PriceHistory;

/// Builds the population of one path into `out`. With params.history_enabled the crowd is the one a price
/// history leaves: `history`'s bars when given, else a Brownian history with the history.* parameters.
void build_population(const CascadeParams& params, const TierTable& tiers, PopulationScratch& scratch,
                      Population& out, const PriceHistory* history = nullptr);

}  // namespace wipeout
