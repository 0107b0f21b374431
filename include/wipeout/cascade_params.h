#pragma once
// Everything that specifies one path of the cascade model (docs/model.md explains each parameter).
// Every field is registered in src/scenario/cascade_params.cpp (key, unit, range, doc): a scenario file sets them by
// key, either fixed or sampled per path.
#include <cstdint>

#include "wipeout/adl_ranking.h"

namespace wipeout {

enum class MarkRule : std::uint8_t { Median = 0, Index = 1, Last = 2 };
enum class IndexAggregation : std::uint8_t { Median = 0, Mean = 1 };
/// M10: who covers a shortfall the fund cannot (docs/model.md): the ranked queue at the bankruptcy price, every
/// profitable position the same share of its profit, or the smallest largest haircut (water-filling).
enum class AdlDesign : std::uint8_t { Queue = 0, ProRata = 1, MinMax = 2 };

struct CascadeParams {
    // ---- market: reference price, background diffusion, horizon ----
    double reference_price = 100000.0;  ///< P0, quote per base
    double volatility_annual = 0.6;     ///< sigma of the fundamental's diffusion, per sqrt(year)
    double jump_rate_per_day = 0.0;     ///< Poisson rate of fundamental jumps
    double jump_stdev = 0.02;           ///< standard deviation of a jump's log size
    double horizon_s = 86400.0;         ///< simulated time after t = 0

    // ---- M1 macro shock ----
    bool shock_enabled = true;
    double shock_size = 0.05;             ///< s: the move the shock alone makes in a normal, static book
    double shock_start_s = 60.0;          ///< t0
    double shock_duration_s = 120.0;      ///< tau_s: the shock's flow and V's move spread evenly over it
    double shock_permanent_share = 0.3;   ///< phi: fraction of s that moves the fundamental V

    // ---- M2 liquidity regime ("air pocket": weekend, CME closed) ----
    bool regime_enabled = true;
    bool air_pocket = false;             ///< the regime flag (sample it: a weekend probability)
    double regime_depth_factor = 0.5;    ///< base depth multiplier in the air pocket
    double regime_arbitrage_factor = 0.3;  ///< spot-perp arbitrage speed multiplier
    double regime_buyer_factor = 0.5;    ///< dip-buyer intensity multiplier

    // ---- M3 order book ----
    double depth_1pct = 1.0e8;           ///< d1: notional resting within 1% of the touch, each side (quote)
    double book_shape = 2.0;             ///< beta in D(x) = d1 (x / 1%)^beta; 1 linear, 2 square-root impact
    double book_resilience_per_s = 0.01; ///< rho: consumed depth refills at this rate
    bool book_refill_enabled = true;

    // ---- M4 depth evaporation ----
    bool evaporation_enabled = true;
    double evaporation_rate = 15.0;           ///< epsilon: depth falls as exp(-epsilon * stress)
    double evaporation_floor = 0.2;           ///< depth never below this fraction of base
    double evaporation_threshold = 0.0;       ///< stress market makers sit through: depth falls with the excess
    double stress_timescale_s = 120.0;        ///< EMA time constant of the price that stress measures from
    double depth_recovery_timescale_s = 600.0;  ///< depth returns this slowly once stress abates

    // ---- M5 index and mark ----
    int spot_venues = 3;                      ///< K spot venues in the index
    double arbitrage_rate_per_s = 0.2;        ///< kappa: each venue closes its gap to the perp at this rate
    double spot_anchor_rate_per_s = 0.002;    ///< each venue's own pull back to the fundamental
    double venue_noise = 0.0005;              ///< stationary stdev of a venue's own relative deviation
    IndexAggregation index_aggregation = IndexAggregation::Median;
    MarkRule mark_rule = MarkRule::Median;
    double mark_basis_timescale_s = 300.0;    ///< EMA of (P - index) in the median rule's second term
    double funding_basis = 0.0001;            ///< index * (1 + basis), the median rule's first term

    // ---- M6 position population ----
    double oi_to_depth = 80.0;            ///< open interest / d1 (both sides, quote notional at P0)
    double long_share = 0.6;              ///< fraction of OI held long
    double entry_dispersion = 0.05;       ///< stdev of log entry price around P0
    double clearance = 0.01;              ///< no liquidation price within this distance of P0: the recent range cleared them
    double round_share = 0.2;             ///< fraction of entries clustered on round-number levels
    double round_step = 0.025;            ///< spacing of round levels relative to P0
    double leverage_median = 10.0;        ///< log-normal leverage distribution's median
    double leverage_sigma = 0.8;          ///< and log-stdev, truncated to [1, max_leverage]
    double max_leverage = 125.0;
    double size_tail = 1.2;               ///< Pareto tail index of position notional
    double size_min = 1000.0;             ///< smallest position notional (quote)
    int entry_bins = 40;                  ///< cohort grid: entry bins (round levels come on top)
    int leverage_bins = 25;               ///< leverage levels, geometric over [1, max_leverage]
    int size_classes = 5;                 ///< size classes, a decade apart from size_min
    // M6 from the market's history (docs/model.md): positions opened all the time at the then-current price of
    // a Brownian price history, closed voluntarily at a hazard, removed where a past extreme crossed their
    // liquidation price. Replaces the entry grid, the round levels and the clearance above.
    bool history_enabled = false;
    double history_volatility_annual = 0.6;  ///< the history's volatility (low: compressed, loaded springs)
    double history_drift_annual = 0.0;       ///< its log drift (< 0: the price fell into the present)
    double history_hold_days = 5.0;          ///< mean time a position stays open (closing hazard 1 / hold)
    double history_bin_width = 0.004;        ///< entry grid spacing in log price
    bool history_renewal = false;            ///< the opening flow goes on during the path (1 / hold of OI a day)
    // M6's intraday traders: a share of each side's open interest held for hours, by traders more levered
    // than the history's crowd (docs/model.md, M6). 0: none.
    double intraday_share = 0.0;             ///< share of each side's open interest they hold
    double intraday_hold_days = 1.0 / 24.0;  ///< their mean hold
    double intraday_leverage = 1.0;          ///< their leverage median over positions.leverage_median
    // Stop-loss orders: a share of the crowd's positions closes at market at a stop between the entry and the
    // liquidation price (docs/model.md, M6). 0: none.
    double stop_share = 0.0;                 ///< share of each (leverage, size) pair's positions with a stop
    double stop_distance = 0.5;              ///< the stop's place: this fraction of the way to liquidation
    double hedged_share = 0.0;               ///< share of the open interest held hedged: never liquidated
    double oi_scale = 1.0;                   ///< a position snapshot's open interest times this (positions.source)
    double permanent_impact = 0.0;           ///< lambda: V's log move per d1 of net forced flow executed (M3)

    // ---- M7 / M8 liquidation engine ----
    bool liquidation_enabled = true;
    double liquidation_fee = 0.005;           ///< F, of notional, taken at closure; part of the maintenance requirement
    double liquidation_capacity = 0.05;       ///< notional the engine can send per second, in units of d1
    int max_waves = 50;                       ///< cap on trigger-and-fill rounds within one step
    bool partial_liquidation = true;          ///< large positions are cut down a tier instead of closed

    // ---- M9 insurance fund ----
    bool fund_enabled = true;
    double fund_to_oi = 0.005;                ///< initial fund balance / OI

    // ---- M10 auto-deleveraging ----
    bool adl_enabled = true;
    AdlRanking adl_ranking = AdlRanking::PnlTimesLeverage;
    AdlDesign adl_design = AdlDesign::Queue;

    // ---- M11 dip buyers ----
    bool buyers_enabled = true;
    double buyer_intensity_per_s = 0.02;      ///< buy flow per second, in d1 per 1% of discount to V
    double buyer_reservation = 0.005;         ///< discount to V below which they do not buy
    double buyer_flush_flow = 0.01;           ///< liquidation flow (d1 per s) that halves their intensity
    double buyer_perp_share = 0.0;            ///< share of their flow that buys the perp: new longs (0: all spot)
    double buyer_budget = 0.0;                ///< what they can spend, a multiple of OI (0: unlimited)

    // ---- M12 opportunistic shorts ----
    bool shorts_enabled = true;
    double short_intensity_per_s = 5.0e-4;    ///< new short flow per second, in d1 per 1% of momentum
    double short_leverage = 50.0;
    double short_momentum_timescale_s = 60.0; ///< momentum = log(EMA(P) / P) over this time constant
    double short_cascade_share = 0.0;         ///< new short flow per unit of liquidation flow while P falls

    // ---- clock ----
    double dt_active_s = 1.0;    ///< step while anything moves
    double dt_max_s = 900.0;     ///< longest step when calm
    double dt_growth = 2.0;      ///< calm steps grow by this factor
    double quiet_move = 5.0e-4;  ///< a step is calm when forced flow moved the book less than this (relative)
};

}  // namespace wipeout
