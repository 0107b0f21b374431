#include "path_simulation.h"

#include <cmath>
#include <string>

namespace wipeout::engine {

PathSimulation::PathSimulation(const CascadeParams& p, const TierTable& tiers,
                               const GenericLiquidation& quotes, const EngineOptions& options,
                               const BookProfile* book, const Population& population,
                               std::uint64_t population_version, PathBuffers& buffers,
                               EngineCounters& counters, std::uint64_t seed, std::uint64_t path_index,
                               bool tracing)
    : p_(p),
      counters_(counters),
      checks_{options.check_invariants, path_index},
      horizon_(p.horizon_s),
      quiet_move_(p.quiet_move),
      initial_oi_(population.long_oi + population.short_oi + population.hedged_oi),
      regime_(Regime::of(p)),
      clock_(p, regime_),
      fundamental_(p.reference_price, p.volatility_annual, p.jump_rate_per_day, p.jump_stdev, seed,
                   path_index),
      shock_(p, p.depth_1pct, book),
      depth_(p, regime_, book),
      memory_(p.reference_price),
      venues_(p, regime_, seed, path_index),
      flows_(p, tiers, regime_, depth_, initial_oi_),
      crowd_(population, buffers.crowd, population_version, p.reference_price,
             flows_.short_position_notional()),
      adl_(p, buffers.adl, counters, checks_),
      settlement_(p, initial_oi_, depth_.book(), adl_, crowd_, checks_),
      engine_(p, tiers, quotes, depth_.base(), counters),
      record_(buffers.record, tracing),
      trade_(p.reference_price) {
    counters_ = EngineCounters{};
    if (p.history_enabled && p.history_renewal) {  // the opening flow that replaces what closes, 1 / hold a day
        const double per_s = 1.0 / (p.history_hold_days * 86400.0);
        crowd_.set_renewal(Side::Long, population.long_oi * per_s);
        crowd_.set_renewal(Side::Short, population.short_oi * per_s);
    } else if (p.buyer_perp_share > 0) {  // M11's buyers on the perp open longs with the crowd's leverage mix
        crowd_.set_renewal(Side::Long, 0.0);
    }
}

PathOutputs PathSimulation::run() {
    double t = 0;
    record_.add({0.0, fundamental_.value(), trade_, venues_.index(), 0.0});
    if (record_.tracing()) {
        record_.add_trace({0.0, fundamental_.value(), trade_, venues_.index(), venues_.mark(),
                           depth_.current(), 0, 0, 0, settlement_.fund().balance(), 0, 0});
    }
    bool active = true;
    while (t < horizon_ - 1e-9) {
        const double dt = clock_.next_dt(t, active);
        const double displacement_before = depth_.book().displacement();
        step(t, dt);
        clock_.stepped(t);
        t += dt;
        if (checks_.on) check_invariants(t);
        const double backlog = engine_.backlog(fundamental_.value());
        record(t, backlog);
        // The clock stays fine while forced or exogenous flow moves the book; the fundamental's diffusion and
        // the venues' noise are exact at any step, so they alone never hold it fine, and neither does a
        // trickle of liquidations too small to move the book.
        const double moved = std::abs(depth_.book().displacement() - displacement_before);
        const bool liquidating = engine_.step_forced() > quiet_move_ * depth_.base();
        active = shock_.under_way(t) || backlog > 0 || liquidating || moved > quiet_move_;
    }
    return finish();
}

void PathSimulation::step(double t, double dt) {
    const StepDecays& decays = clock_.decays(dt);
    const double shock = shock_.share_in(t, dt);  // the share of the shock that falls in this step
    OrderBook& book = depth_.book();
    adl_.begin_step();

    fundamental_.move(t + dt, shock_.permanent_log_move(shock) + forced_log_move_);  // M1 (and M3's permanent impact): V moves
    depth_.update(memory_.stress(), decays);                      // M2-M4: depth and refill
    const double V = fundamental_.value();
    const auto opened = flows_.trade(decays, shock_.sell_flow(shock), memory_, depth_);  // M1, M12, M11
    trade_ = book.price(V);
    if (opened.shorts > 0) flows_.open_shorts(opened.shorts, V, trade_, crowd_);
    crowd_.renew(dt, trade_);                                                     // M6 during the path
    if (opened.longs > 0) flows_.open_longs(opened.longs, V, trade_, crowd_);     // M11's buyers on the perp
    venues_.update(book, V, trade_, decays);                              // M5: venues, index
    engine_.waves(t, dt, V, trade_, venues_, book, crowd_, settlement_);  // M7-M10: mark, cascade
    forced_log_move_ = depth_.permanent_log_move(engine_.step_executed_net_sell());  // V's next move (M3)
    memory_.update(fundamental_.log_value() + venues_.perp_gap(book.displacement()), engine_.step_forced(),
                   decays);  // stress and momentum
}

void PathSimulation::record(double t, double backlog) {
    const double V = fundamental_.value();
    record_.add({t, V, trade_, venues_.index(), engine_.step_liquidated()});
    if (record_.tracing()) {
        record_.add_trace({t, V, trade_, venues_.index(), venues_.mark(), depth_.current(), backlog,
                           engine_.step_liquidated_long(), engine_.step_liquidated_short(),
                           settlement_.fund().balance(), adl_.step_notional(),
                           static_cast<double>(engine_.step_waves())});
    }
}

double PathSimulation::conservation_residual() const {
    return settlement_.conservation_residual(engine_.margin_taken(), engine_.backlog_margin());
}

void PathSimulation::check_invariants(double t) {
    if (const double residual = conservation_residual(); residual > 1e-9) {
        checks_.fail(t, "money not conserved: relative residual " + std::to_string(residual) +
                            " (margin taken " + std::to_string(engine_.margin_taken()) + ")");
    }
    const InsuranceFund& fund = settlement_.fund();
    if (p_.adl_enabled && fund.balance() < -1e-9 * std::max(1.0, fund.initial()))
        checks_.fail(t, "insurance fund negative with ADL enabled: " + std::to_string(fund.balance()));
    if (!p_.liquidation_enabled) return;
    // No position outside the engine's hands is past its liquidation price: a full scan, not the queues.
    const double mark = venues_.mark();
    for (const Side side : {Side::Long, Side::Short}) {
        crowd_.for_each_alive(side, [&](const Cohort& c, std::int64_t, std::size_t) {
            const bool crossed =
                side == Side::Long ? mark <= c.liquidation_price : mark >= c.liquidation_price;
            if (c.qty > 0 && crossed) {
                checks_.fail(t, std::string(side_name(side)) + " open past its liquidation price " +
                                    std::to_string(c.liquidation_price) + " at mark " + std::to_string(mark));
            }
        });
    }
}

PathOutputs PathSimulation::finish() {
    PathOutputs o;
    engine_.report(o);
    flows_.report(o);
    adl_.report(o);
    settlement_.report(o, p_.shock_enabled ? p_.shock_start_s : 0.0, p_.horizon_s);
    record_.summarize(p_, initial_oi_, o);
    o.conservation_error = conservation_residual();
    counters_.steps = record_.steps();
    return o;
}

}  // namespace wipeout::engine
