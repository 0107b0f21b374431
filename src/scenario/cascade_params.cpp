// The registry of engine parameters: key, kind, default, range, unit, doc and accessors for each field of
// CascadeParams. Adding a parameter means adding a field and one row here.
#include <algorithm>
#include <array>

#include "wipeout/cascade_params.h"
#include "wipeout/parameter.h"

namespace wipeout {
namespace {

constexpr double kInf = 1e300;  // "no upper bound" that still prints as a number
constexpr std::array<std::string_view, 3> kMarkRules{"median", "index", "last"};
constexpr std::array<std::string_view, 2> kIndexAggregations{"median", "mean"};
constexpr std::array<std::string_view, 2> kAdlRules{"pnl-leverage", "hyperliquid"};
constexpr std::array<std::string_view, 3> kAdlDesigns{"queue", "pro-rata", "min-max"};

// Accessors: a real, an integer, a flag or an enum field, read and written as a double.
#define WIPEOUT_ACCESS(field, to_field)                                            \
    [](const CascadeParams& p) { return static_cast<double>(p.field); },          \
    [](CascadeParams& p, double v) { p.field = to_field; }
#define REAL(field) {}, WIPEOUT_ACCESS(field, v)
#define INTEGER(field) {}, WIPEOUT_ACCESS(field, static_cast<int>(v))
#define FLAG(field) {}, WIPEOUT_ACCESS(field, v != 0.0)
#define CHOICE(field, names, type) names, WIPEOUT_ACCESS(field, static_cast<type>(static_cast<int>(v)))

using K = ParameterKind;
const CascadeParams kDefaults{};

const std::array kSpecs = std::to_array<ParameterSpec>({
    // market
    {"market.reference_price", K::Real, kDefaults.reference_price, 1e-9, kInf, "quote", "P0, price at t = 0", REAL(reference_price)},
    {"market.volatility_annual", K::Real, kDefaults.volatility_annual, 0, 10, "1/sqrt(yr)", "fundamental's diffusion volatility", REAL(volatility_annual)},
    {"market.jump_rate_per_day", K::Real, kDefaults.jump_rate_per_day, 0, 1e4, "1/day", "Poisson rate of fundamental jumps", REAL(jump_rate_per_day)},
    {"market.jump_stdev", K::Real, kDefaults.jump_stdev, 0, 1, "log", "stdev of a jump's log size", REAL(jump_stdev)},
    {"market.horizon_s", K::Real, kDefaults.horizon_s, 1, 30 * 86400.0, "s", "simulated time", REAL(horizon_s)},
    // M1
    {"shock.enabled", K::Flag, 1, 0, 1, "", "M1 macro shock on/off", FLAG(shock_enabled)},
    {"shock.size", K::Real, kDefaults.shock_size, 0, 0.95, "fraction", "s: the move the shock alone makes in a normal static book", REAL(shock_size)},
    {"shock.start_s", K::Real, kDefaults.shock_start_s, 0, kInf, "s", "t0", REAL(shock_start_s)},
    {"shock.duration_s", K::Real, kDefaults.shock_duration_s, 0, kInf, "s", "tau_s: the shock is spread evenly over it", REAL(shock_duration_s)},
    {"shock.permanent_share", K::Real, kDefaults.shock_permanent_share, 0, 1, "fraction", "phi: share of s that moves the fundamental", REAL(shock_permanent_share)},
    // M2
    {"regime.enabled", K::Flag, 1, 0, 1, "", "M2 liquidity regime on/off", FLAG(regime_enabled)},
    {"regime.air_pocket", K::Flag, 0, 0, 1, "", "the air-pocket flag (weekend, CME closed); sample it with a probability", FLAG(air_pocket)},
    {"regime.depth_factor", K::Real, kDefaults.regime_depth_factor, 1e-6, 1, "fraction", "base depth multiplier in the air pocket", REAL(regime_depth_factor)},
    {"regime.arbitrage_factor", K::Real, kDefaults.regime_arbitrage_factor, 0, 1, "fraction", "arbitrage speed multiplier in the air pocket", REAL(regime_arbitrage_factor)},
    {"regime.buyer_factor", K::Real, kDefaults.regime_buyer_factor, 0, 1, "fraction", "dip-buyer intensity multiplier in the air pocket", REAL(regime_buyer_factor)},
    // M3
    {"book.depth_1pct", K::Real, kDefaults.depth_1pct, 1e-9, kInf, "quote", "d1: notional within 1% of the touch, each side", REAL(depth_1pct)},
    {"book.shape", K::Real, kDefaults.book_shape, 0.1, 10, "", "beta in D(x) = d1 (x/1%)^beta", REAL(book_shape)},
    {"book.resilience_per_s", K::Real, kDefaults.book_resilience_per_s, 0, 100, "1/s", "rho: refill rate of consumed depth", REAL(book_resilience_per_s)},
    {"book.refill_enabled", K::Flag, 1, 0, 1, "", "M3 transient-impact refill on/off", FLAG(book_refill_enabled)},
    // M4
    {"evaporation.enabled", K::Flag, 1, 0, 1, "", "M4 depth evaporation on/off", FLAG(evaporation_enabled)},
    {"evaporation.rate", K::Real, kDefaults.evaporation_rate, 0, 1e4, "1/fraction", "epsilon: depth falls as exp(-epsilon * stress)", REAL(evaporation_rate)},
    {"evaporation.floor", K::Real, kDefaults.evaporation_floor, 1e-6, 1, "fraction", "depth never below this fraction of base", REAL(evaporation_floor)},
    {"evaporation.stress_timescale_s", K::Real, kDefaults.stress_timescale_s, 1e-3, kInf, "s", "EMA time constant stress measures from", REAL(stress_timescale_s)},
    {"evaporation.recovery_timescale_s", K::Real, kDefaults.depth_recovery_timescale_s, 1e-3, kInf, "s", "depth returns at this time constant", REAL(depth_recovery_timescale_s)},
    // M5
    {"index.spot_venues", K::Integer, double(kDefaults.spot_venues), 1, 15, "", "K spot venues in the index", INTEGER(spot_venues)},
    {"index.arbitrage_rate_per_s", K::Real, kDefaults.arbitrage_rate_per_s, 0, 1e3, "1/s", "kappa: venues close their gap to the perp at this rate", REAL(arbitrage_rate_per_s)},
    {"index.spot_anchor_rate_per_s", K::Real, kDefaults.spot_anchor_rate_per_s, 0, 1e3, "1/s", "venues' own pull back to the fundamental", REAL(spot_anchor_rate_per_s)},
    {"index.venue_noise", K::Real, kDefaults.venue_noise, 0, 0.5, "fraction", "stationary stdev of a venue's deviation", REAL(venue_noise)},
    {"index.aggregation", K::Choice, 0, 0, 1, "", "how venues combine into the index", CHOICE(index_aggregation, kIndexAggregations, IndexAggregation)},
    {"mark.rule", K::Choice, 0, 0, 2, "", "what liquidations trigger on: median(index*(1+basis), index+EMA(P-index), P), index, or last", CHOICE(mark_rule, kMarkRules, MarkRule)},
    {"mark.basis_timescale_s", K::Real, kDefaults.mark_basis_timescale_s, 1e-3, kInf, "s", "EMA time constant of P - index", REAL(mark_basis_timescale_s)},
    {"mark.funding_basis", K::Real, kDefaults.funding_basis, -0.1, 0.1, "fraction", "funding basis in the median rule", REAL(funding_basis)},
    // M6
    {"positions.oi_to_depth", K::Real, kDefaults.oi_to_depth, 0, 1e6, "", "open interest / d1", REAL(oi_to_depth)},
    {"positions.long_share", K::Real, kDefaults.long_share, 0, 1, "fraction", "share of OI held long", REAL(long_share)},
    {"positions.entry_dispersion", K::Real, kDefaults.entry_dispersion, 1e-4, 1, "log", "stdev of log entry price around P0", REAL(entry_dispersion)},
    {"positions.clearance", K::Real, kDefaults.clearance, 0, 0.5, "fraction", "no liquidation price within this distance of P0 (the recent range cleared them)", REAL(clearance)},
    {"positions.round_share", K::Real, kDefaults.round_share, 0, 1, "fraction", "share of entries on round-number levels", REAL(round_share)},
    {"positions.round_step", K::Real, kDefaults.round_step, 1e-4, 1, "fraction", "spacing of round levels relative to P0", REAL(round_step)},
    {"positions.leverage_median", K::Real, kDefaults.leverage_median, 1, 1000, "x", "median of the log-normal leverage", REAL(leverage_median)},
    {"positions.leverage_sigma", K::Real, kDefaults.leverage_sigma, 0, 10, "log", "log-stdev of leverage", REAL(leverage_sigma)},
    {"positions.max_leverage", K::Real, kDefaults.max_leverage, 1, 1000, "x", "leverage cap", REAL(max_leverage)},
    {"positions.size_tail", K::Real, kDefaults.size_tail, 0.05, 20, "", "Pareto tail index of position notional", REAL(size_tail)},
    {"positions.size_min", K::Real, kDefaults.size_min, 1e-9, kInf, "quote", "smallest position notional", REAL(size_min)},
    {"positions.entry_bins", K::Integer, double(kDefaults.entry_bins), 1, 10000, "", "cohort grid: entry bins", INTEGER(entry_bins)},
    {"positions.leverage_bins", K::Integer, double(kDefaults.leverage_bins), 1, 1000, "", "cohort grid: leverage levels", INTEGER(leverage_bins)},
    {"positions.size_classes", K::Integer, double(kDefaults.size_classes), 1, 12, "", "cohort grid: size classes a decade apart", INTEGER(size_classes)},
    // M7 / M8
    {"liquidation.enabled", K::Flag, 1, 0, 1, "", "M8 liquidation engine on/off", FLAG(liquidation_enabled)},
    {"liquidation.fee", K::Real, kDefaults.liquidation_fee, 0, 0.2, "fraction", "F: liquidation fee of notional", REAL(liquidation_fee)},
    {"liquidation.capacity", K::Real, kDefaults.liquidation_capacity, 1e-9, kInf, "d1/s", "notional the engine sends per second", REAL(liquidation_capacity)},
    {"liquidation.max_waves", K::Integer, double(kDefaults.max_waves), 1, 100000, "", "cap on trigger-and-fill rounds per step", INTEGER(max_waves)},
    {"liquidation.partial", K::Flag, 1, 0, 1, "", "large positions cut down a tier instead of closed", FLAG(partial_liquidation)},
    // M9 / M10
    {"fund.enabled", K::Flag, 1, 0, 1, "", "M9 insurance fund on/off (off: every shortfall goes to ADL)", FLAG(fund_enabled)},
    {"fund.initial_to_oi", K::Real, kDefaults.fund_to_oi, 0, 10, "fraction", "initial fund balance / OI", REAL(fund_to_oi)},
    {"adl.enabled", K::Flag, 1, 0, 1, "", "M10 auto-deleveraging on/off (off: uncovered shortfall is bad debt)", FLAG(adl_enabled)},
    {"adl.ranking", K::Choice, 0, 0, 1, "", "ADL queue order", CHOICE(adl_ranking, kAdlRules, AdlRanking)},
    // M11
    {"buyers.enabled", K::Flag, 1, 0, 1, "", "M11 dip buyers on/off", FLAG(buyers_enabled)},
    {"buyers.intensity_per_s", K::Real, kDefaults.buyer_intensity_per_s, 0, 1e3, "d1/s per 1%", "buy flow per 1% of discount to V", REAL(buyer_intensity_per_s)},
    {"buyers.reservation", K::Real, kDefaults.buyer_reservation, 0, 1, "fraction", "discount to V below which they do not buy", REAL(buyer_reservation)},
    {"buyers.flush_flow", K::Real, kDefaults.buyer_flush_flow, 1e-12, kInf, "d1/s", "liquidation flow that halves their intensity", REAL(buyer_flush_flow)},
    {"buyers.perp_share", K::Real, kDefaults.buyer_perp_share, 0, 1, "fraction", "share of their flow that buys the perp with the crowd's leverage mix: new longs, liquidated if the fall goes on (0: all spot buyers)", REAL(buyer_perp_share)},
    // M12
    {"shorts.enabled", K::Flag, 1, 0, 1, "", "M12 opportunistic shorts on/off", FLAG(shorts_enabled)},
    {"shorts.intensity_per_s", K::Real, kDefaults.short_intensity_per_s, 0, 1e3, "d1/s per 1%", "new short flow per 1% of downward momentum", REAL(short_intensity_per_s)},
    {"shorts.leverage", K::Real, kDefaults.short_leverage, 1, 1000, "x", "their leverage", REAL(short_leverage)},
    {"shorts.cascade_share", K::Real, kDefaults.short_cascade_share, 0, 100, "x", "new short flow per unit of the minute's liquidation flow while the price falls (shorts drawn by a cascade in progress)", REAL(short_cascade_share)},
    {"shorts.momentum_timescale_s", K::Real, kDefaults.short_momentum_timescale_s, 1e-3, kInf, "s", "momentum's EMA time constant", REAL(short_momentum_timescale_s)},
    // clock
    {"clock.dt_active_s", K::Real, kDefaults.dt_active_s, 1e-3, 60, "s", "step while anything moves", REAL(dt_active_s)},
    {"clock.dt_max_s", K::Real, kDefaults.dt_max_s, 1e-3, 86400, "s", "longest calm step", REAL(dt_max_s)},
    {"clock.dt_growth", K::Real, kDefaults.dt_growth, 1, 100, "", "calm steps grow by this factor", REAL(dt_growth)},
    {"clock.quiet_move", K::Real, kDefaults.quiet_move, 0, 1, "fraction", "a step is calm when price moved less", REAL(quiet_move)},
    // Appended, not filed under M4 above: a path draws one uniform per entry in this order, so a new entry at
    // the end leaves every existing scenario's draws (and results) as they were.
    {"evaporation.threshold", K::Real, kDefaults.evaporation_threshold, 0, 1, "fraction", "stress quotes sit through: depth falls as exp(-epsilon * (stress - threshold))", REAL(evaporation_threshold)},
    // M6 from the market's history (appended for the same reason)
    {"history.enabled", K::Flag, 0, 0, 1, "", "M6 crowd shaped by a Brownian price history (off: the entry grid and clearance)", FLAG(history_enabled)},
    {"history.volatility_annual", K::Real, kDefaults.history_volatility_annual, 1e-3, 10, "1/sqrt(yr)", "the history's volatility: low is compressed (loaded springs)", REAL(history_volatility_annual)},
    {"history.drift_annual", K::Real, kDefaults.history_drift_annual, -100, 100, "1/yr", "the history's log drift (< 0: the price fell into the present)", REAL(history_drift_annual)},
    {"history.hold_days", K::Real, kDefaults.history_hold_days, 1e-3, 3650, "day", "mean time a position stays open (closing hazard 1 / hold)", REAL(history_hold_days)},
    {"history.bin_width", K::Real, kDefaults.history_bin_width, 1e-4, 0.1, "log", "entry grid spacing in log price", REAL(history_bin_width)},
    {"history.renewal", K::Flag, 0, 0, 1, "", "the history's opening flow goes on during the path (needs history.enabled)", FLAG(history_renewal)},
    // M10's design (appended for the same reason)
    {"adl.design", K::Choice, 0, 0, 2, "", "who covers what the fund cannot: queue (ranked, at the bankruptcy price), pro-rata (every profitable position the same share of its profit), min-max (the smallest largest haircut)", CHOICE(adl_design, kAdlDesigns, AdlDesign)},
    // M3's permanent impact of forced flow (appended for the same reason)
    {"book.permanent_impact", K::Real, kDefaults.permanent_impact, 0, 1, "log per d1", "lambda: V's permanent log move per d1 of net forced flow the engine executes (Obizhaeva-Wang); 0: all impact transient", REAL(permanent_impact)},
    // Position snapshots (appended for the same reason)
    {"positions.oi_scale", K::Real, kDefaults.oi_scale, 1e-6, 1e6, "x", "with positions.source: the snapshot's open interest times this (more positions like these, at the same prices)", REAL(oi_scale)},
    // M6's intraday traders (appended for the same reason)
    {"history.intraday_share", K::Real, kDefaults.intraday_share, 0, 0.9, "fraction", "share of each side's open interest held for hours by intraday traders (needs history.enabled; 0: none)", REAL(intraday_share)},
    {"history.intraday_hold_days", K::Real, kDefaults.intraday_hold_days, 1e-4, 1, "day", "the intraday traders' mean hold", REAL(intraday_hold_days)},
    {"history.intraday_leverage", K::Real, kDefaults.intraday_leverage, 1, 100, "x", "the intraday traders' leverage median over positions.leverage_median (the same spread)", REAL(intraday_leverage)},
    // M11's capital (appended for the same reason)
    {"buyers.budget", K::Real, kDefaults.buyer_budget, 0, 1e3, "x OI", "what the dip buyers can spend over the path, a multiple of the open interest: their flow falls as they spend it (0: unlimited)", REAL(buyer_budget)},
    // Stop-loss orders (appended for the same reason)
    {"positions.stop_share", K::Real, kDefaults.stop_share, 0, 0.95, "fraction", "share of the crowd's positions (grid or history) with a stop-loss: closed at market when the mark crosses the stop, never liquidated (0: none)", REAL(stop_share)},
    {"positions.stop_distance", K::Real, kDefaults.stop_distance, 0.01, 1, "fraction", "where the stop sits: this fraction of the way from the entry to the liquidation price", REAL(stop_distance)},
    // Hedged open interest (appended for the same reason)
    {"positions.hedged_share", K::Real, kDefaults.hedged_share, 0, 0.95, "fraction", "share of the open interest (grid or history) held hedged, e.g. basis trades: counted in the open interest and the fund's base, never liquidated (0: none)", REAL(hedged_share)},
});

#undef REAL
#undef INTEGER
#undef FLAG
#undef CHOICE
#undef WIPEOUT_ACCESS

}  // namespace

std::span<const ParameterSpec> parameter_specs() { return kSpecs; }

const ParameterSpec* find_parameter(std::string_view key) {
    const auto it = std::find_if(kSpecs.begin(), kSpecs.end(), [&](const ParameterSpec& s) { return s.key == key; });
    return it == kSpecs.end() ? nullptr : &*it;
}

}  // namespace wipeout
