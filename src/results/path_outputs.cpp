// The registry of per-path outputs: name, kind, adverse tail, unit and meaning of each PathOutputs field.
#include <array>

#include "wipeout/path_outputs.h"

namespace wipeout {
namespace {

using K = OutputKind;
constexpr auto Up = AdverseTail::Upper;
constexpr auto Down = AdverseTail::Lower;
using O = PathOutputs;

const std::array kOutputs = std::to_array<OutputSpec>({
    {"max_drawdown", K::Real, Up, "fraction", "1 - trough / P0", &O::max_drawdown},
    {"trough_price", K::Real, Down, "quote", "lowest trade price", &O::trough_price},
    {"time_to_trough_s", K::Real, Up, "s", "from the shock's start to the trough", &O::time_to_trough_s},
    {"amplification", K::Real, Up, "", "max drawdown / exogenous shock size", &O::amplification},
    {"final_price", K::Real, Down, "quote", "trade price at the horizon", &O::final_price},
    {"final_fundamental", K::Real, Down, "quote", "fundamental value at the horizon", &O::final_fundamental},
    {"overshoot_above_v", K::Real, Up, "fraction", "largest P / V - 1 after the trough", &O::overshoot_above_v},
    {"recovered_1h", K::Real, Down, "fraction", "share of the drawdown recovered 1 h after the shock", &O::recovered_1h},
    {"recovered_4h", K::Real, Down, "fraction", "share recovered 4 h after the shock", &O::recovered_4h},
    {"recovered_end", K::Real, Down, "fraction", "share recovered at the horizon", &O::recovered_end},
    {"time_to_50pct_recovery_s", K::Real, Up, "s", "trough to 50% recovery (rest of horizon if never)", &O::time_to_50pct_recovery_s},
    {"time_to_90pct_recovery_s", K::Real, Up, "s", "trough to 90% recovery (rest of horizon if never)", &O::time_to_90pct_recovery_s},
    {"v_symmetry", K::Real, Down, "", "descent time / time to 50% recovery", &O::v_symmetry},
    {"squeeze_rise", K::Real, Up, "fraction", "largest rise from the trough to a later peak, over the trough", &O::squeeze_rise},
    {"max_rise", K::Real, Up, "fraction", "highest price / P0 - 1, at least 0: the rise from the open (max_drawdown's mirror)", &O::max_rise},
    {"liquidated_long_notional", K::Real, Up, "quote", "notional of longs liquidated", &O::liquidated_long_notional},
    {"liquidated_short_notional", K::Real, Up, "quote", "notional of shorts liquidated", &O::liquidated_short_notional},
    {"liquidated_long_count", K::Count, Up, "positions", "longs liquidated", &O::liquidated_long_count},
    {"liquidated_short_count", K::Count, Up, "positions", "shorts liquidated", &O::liquidated_short_count},
    {"liquidated_oi_fraction", K::Real, Up, "fraction", "liquidated notional / initial OI", &O::liquidated_oi_fraction},
    {"n_waves", K::Count, Up, "", "trigger-and-fill rounds that liquidated something", &O::n_waves},
    {"max_waves_in_step", K::Count, Up, "", "most rounds in one step", &O::max_waves_in_step},
    {"wave_cap_hits", K::Count, Up, "", "steps stopped at max_waves with triggers left", &O::wave_cap_hits},
    {"peak_liquidations_per_min", K::Real, Up, "quote/min", "largest liquidated notional in a 60 s window", &O::peak_liquidations_per_min},
    {"cascade_duration_s", K::Real, Up, "s", "time between 5% and 95% of liquidated notional", &O::cascade_duration_s},
    {"max_backlog", K::Real, Up, "quote", "largest liquidation backlog", &O::max_backlog},
    {"opportunistic_short_notional", K::Real, Up, "quote", "M12 shorts opened into the fall", &O::opportunistic_short_notional},
    {"dip_long_notional", K::Real, Up, "quote", "M11 dip buyers' longs opened on the perp", &O::dip_long_notional},
    {"stopped_long_notional", K::Real, Up, "quote", "longs closed at market at their stop-loss (positions.stop_share)", &O::stopped_long_notional},
    {"stopped_short_notional", K::Real, Up, "quote", "shorts closed at market at their stop-loss", &O::stopped_short_notional},
    {"trader_margin_lost", K::Real, Up, "quote", "margin lost by liquidated traders", &O::trader_margin_lost},
    {"trader_margin_lost_long", K::Real, Up, "quote", "of which longs", &O::trader_margin_lost_long},
    {"trader_margin_lost_short", K::Real, Up, "quote", "of which shorts", &O::trader_margin_lost_short},
    {"fund_fees", K::Real, Down, "quote", "fees and surpluses paid into the insurance fund", &O::fund_fees},
    {"fund_payout", K::Real, Up, "quote", "shortfalls the insurance fund covered", &O::fund_payout},
    {"fund_min", K::Real, Down, "quote", "lowest insurance fund balance", &O::fund_min},
    {"fund_final", K::Real, Down, "quote", "insurance fund balance at the horizon", &O::fund_final},
    {"fund_depleted", K::Flag, Up, "", "the fund could not cover a shortfall", &O::fund_depleted},
    {"fund_depletion_time_s", K::Real, Down, "s", "shock start to depletion (horizon if never)", &O::fund_depletion_time_s},
    {"fund_needed", K::Real, Up, "quote", "smallest initial fund with which the path needs no ADL (the fund could cover every shortfall)", &O::fund_needed},
    {"fund_needed_to_oi", K::Real, Up, "fraction", "fund_needed / initial OI: fund.initial_to_oi = F depletes the fund iff this > F", &O::fund_needed_to_oi},
    {"adl_notional", K::Real, Up, "quote", "notional closed by auto-deleveraging", &O::adl_notional},
    {"adl_haircut", K::Real, Up, "quote", "profit deleveraged positions gave up", &O::adl_haircut},
    {"adl_positions", K::Count, Up, "positions", "positions hit by ADL", &O::adl_positions},
    {"adl_overshoot", K::Real, Up, "quote", "profit ADL took beyond the shortfall it covered", &O::adl_overshoot},
    {"adl_max_share", K::Real, Up, "fraction", "largest single position's share of the ADL haircut (NaN: no haircut)", &O::adl_max_share},
    {"adl_hhi", K::Real, Up, "", "Herfindahl index of the positions' shares of the ADL haircut (NaN: no haircut)", &O::adl_hhi},
    {"bad_debt", K::Real, Up, "quote", "shortfall neither the fund nor ADL covered", &O::bad_debt},
    {"spot_loss_at_trough", K::Real, Up, "fraction", "spot holders' loss at the index's trough", &O::spot_loss_at_trough},
    {"spot_loss_at_end", K::Real, Up, "fraction", "spot holders' loss at the horizon", &O::spot_loss_at_end},
    {"conservation_error", K::Real, Up, "fraction", "relative money-conservation residual", &O::conservation_error},
    {"n_steps", K::Count, Up, "", "clock steps taken", &O::n_steps},
});

}  // namespace

std::span<const OutputSpec> output_specs() { return kOutputs; }

}  // namespace wipeout
