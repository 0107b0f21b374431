#pragma once
// What one path of the cascade engine returns. Every field is registered in output_specs() with its
// unit and meaning, in a fixed order: the HDF5 /paths datasets, /summary rows and `wipeout path` print
// them from that one table.
#include <span>
#include <string_view>

namespace wipeout {

struct PathOutputs {
    // price (relative quantities are fractions of P0 unless said otherwise)
    double max_drawdown = 0;          ///< 1 - trough / P0
    double trough_price = 0;          ///< lowest trade price
    double time_to_trough_s = 0;      ///< from the shock's start
    double amplification = 0;         ///< max_drawdown / shock size
    double final_price = 0;
    double final_fundamental = 0;     ///< V at the horizon
    double overshoot_above_v = 0;     ///< max over the path of P / V - 1, after the trough (>= 0)
    // bounce
    double recovered_1h = 0;          ///< (P - trough) / (P0 - trough) one hour after the shock's start
    double recovered_4h = 0;
    double recovered_end = 0;
    double time_to_50pct_recovery_s = 0;  ///< from the trough; the horizon's remainder if never reached
    double time_to_90pct_recovery_s = 0;
    double v_symmetry = 0;            ///< descent time / time to 50% recovery
    double squeeze_rise = 0;          ///< largest rise from the trough to a later peak, relative to the trough
    double max_rise = 0;              ///< highest price over P0, less 1 (>= 0): the day's rise from the open
    // liquidations
    double liquidated_long_notional = 0;
    double liquidated_short_notional = 0;
    double liquidated_long_count = 0;
    double liquidated_short_count = 0;
    double liquidated_oi_fraction = 0;  ///< liquidated notional / initial OI
    double n_waves = 0;                 ///< trigger-and-fill rounds that liquidated something
    double max_waves_in_step = 0;
    double wave_cap_hits = 0;           ///< steps that stopped at max_waves with triggers left
    double peak_liquidations_per_min = 0;  ///< largest liquidated notional in any 60 s window
    double cascade_duration_s = 0;      ///< between 5% and 95% of the liquidated notional
    double max_backlog = 0;             ///< largest liquidation backlog (notional)
    double opportunistic_short_notional = 0;  ///< M12 shorts opened during the fall
    double dip_long_notional = 0;             ///< M11 dip buyers' longs opened on the perp
    double stopped_long_notional = 0;         ///< longs closed at market at their stop-loss (M6)
    double stopped_short_notional = 0;        ///< shorts closed at market at their stop-loss (M6)
    // losses
    double trader_margin_lost = 0;
    double trader_margin_lost_long = 0;
    double trader_margin_lost_short = 0;
    double fund_fees = 0;               ///< liquidation fees and surpluses paid into the fund
    double fund_payout = 0;             ///< shortfalls the fund covered
    double fund_min = 0;                ///< lowest fund balance
    double fund_final = 0;
    double fund_depleted = 0;           ///< flag: the fund could not cover a shortfall
    double fund_depletion_time_s = 0;   ///< from the shock's start; the horizon if never
    double fund_needed = 0;             ///< smallest initial fund with which the path needs no ADL (quote)
    double fund_needed_to_oi = 0;       ///< over the initial OI: ADL at fund.initial_to_oi = F iff > F
    double adl_notional = 0;            ///< notional closed by auto-deleveraging
    double adl_haircut = 0;             ///< profit the deleveraged positions gave up (socialized loss)
    double adl_positions = 0;           ///< positions hit by ADL
    double adl_overshoot = 0;           ///< profit ADL took beyond the shortfall it covered
    double adl_max_share = 0;           ///< largest single position's share of the haircut (NaN: no haircut)
    double adl_hhi = 0;                 ///< Herfindahl index of the positions' shares (NaN: no haircut)
    double bad_debt = 0;                ///< shortfall neither the fund nor ADL covered
    double spot_loss_at_trough = 0;     ///< spot holders' mark-to-market loss (index) at its trough, fraction
    double spot_loss_at_end = 0;
    // bookkeeping
    double conservation_error = 0;      ///< |money in - money out| / money moved (should be ~1e-15)
    double n_steps = 0;
};

enum class OutputKind {
    Real,   ///< a continuous quantity
    Count,  ///< a whole number
    Flag,   ///< 0 or 1: summaries give a probability with a binomial interval
};

/// Which tail is adverse, for expected shortfall: the upper tail of a loss, the lower tail of a recovery.
enum class AdverseTail { Upper, Lower };

struct OutputSpec {
    std::string_view name;
    OutputKind kind;
    AdverseTail tail;
    std::string_view unit;
    std::string_view doc;
    double PathOutputs::*member;
};

/// Every per-path output, in a fixed order.
std::span<const OutputSpec> output_specs();

}  // namespace wipeout
