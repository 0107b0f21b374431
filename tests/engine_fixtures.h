#pragma once
// Shared set-ups for the engine tests: a noiseless market, hand-built populations, and many-path means.
#include <cstdint>
#include <functional>

#include "wipeout/cascade_engine.h"
#include "wipeout/population.h"
#include "wipeout/tiers.h"

namespace wipeout::test {

/// A market with no diffusion, no venue noise and every reflexive mechanism off: what moves is what a
/// test switches back on.
inline CascadeParams quiet_market() {
    CascadeParams p;
    p.volatility_annual = 0;
    p.venue_noise = 0;
    p.regime_enabled = false;
    p.evaporation_enabled = false;
    p.buyers_enabled = false;
    p.shorts_enabled = false;
    p.book_refill_enabled = false;
    p.mark_rule = MarkRule::Last;
    p.shock_permanent_share = 0;
    p.horizon_s = 1800;
    return p;
}

/// A long cohort of `notional` (quote, at P0) liquidating exactly at `liquidation_price`.
inline Cohort long_cohort(double p0, double liquidation_price, double notional, double leverage = 2.0) {
    const double qty = notional / p0;
    return Cohort{liquidation_price, p0, qty, qty, leverage, 0, 0, 0};
}

/// Uniform density of long liquidation notional: `density` quote per unit of relative price, liquidation
/// prices spread evenly from just under P0 down to P0 (1 - depth_of_region).
inline Population uniform_long_density(double p0, double density, double depth_of_region, double spacing) {
    Population pop;
    for (double y = spacing; y <= depth_of_region + 1e-12; y += spacing) {
        pop.longs.push_back(long_cohort(p0, p0 * (1.0 - y), density * spacing));
        pop.long_oi += density * spacing;
    }
    return pop;
}

/// Mean of an output over paths 0..n-1 (common random numbers: the same seeds for every setting).
inline double mean_over_paths(const CascadeParams& p, int n, double PathOutputs::*field,
                              std::uint64_t seed = 7) {
    CascadeEngine engine(TierTable::btc_default());
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += engine.run(p, seed, static_cast<std::uint64_t>(i)).*field;
    return sum / n;
}

/// Runs one path with invariant checks on.
inline PathOutputs checked_run(const CascadeParams& p, std::uint64_t seed, std::uint64_t index,
                               PathTrace* trace = nullptr) {
    CascadeEngine engine(TierTable::btc_default(), EngineOptions{true});
    return engine.run(p, seed, index, trace);
}

}  // namespace wipeout::test
