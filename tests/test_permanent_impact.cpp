// M3's permanent impact of forced flow (book.permanent_impact): V keeps a share of what the forced flow the
// engine executes reveals; the rest of the impact refills (#13).
#include <catch2/catch.hpp>

#include <cmath>

#include "engine_fixtures.h"
#include "wipeout/scenario.h"

using namespace wipeout;
using namespace wipeout::test;

TEST_CASE("M3 permanent impact: V falls by exp(-lambda x executed forced notional / d1), exactly",
          "[engine][M3][permanent-impact]") {
    // The shock moves V by 5% at once (all permanent, no flow); a long cohort liquidating at 97% of P0 is then
    // executed whole within the step at V = 95% of P0, and nothing else is left to trigger.
    CascadeParams p = quiet_market();
    p.shock_permanent_share = 1.0;
    p.shock_duration_s = 0;
    p.liquidation_capacity = 1e6;
    const double p0 = p.reference_price, notional = 0.5 * p.depth_1pct;
    Population pop;
    pop.longs.push_back(long_cohort(p0, 0.97 * p0, notional));
    pop.long_oi = notional;
    CascadeEngine engine(TierTable::btc_default(), EngineOptions{true});
    const double v_after_shock = p0 * (1.0 - p.shock_size);
    const double executed = notional / p0 * v_after_shock;  // its quantity valued at V when executed
    for (const double lambda : {0.0, 0.004, 0.02}) {
        p.permanent_impact = lambda;
        const PathOutputs out = engine.run(p, pop, 1, 0);
        INFO("lambda = " << lambda);
        CHECK(out.liquidated_long_notional > 0);
        CHECK(out.final_fundamental ==
              Approx(v_after_shock * std::exp(-lambda * executed / p.depth_1pct)).epsilon(1e-12));
    }
}

TEST_CASE("M3 permanent impact: the default scenario's cascades fall deeper and recover less with it",
          "[engine][M3][permanent-impact]") {
    const Scenario scenario = Scenario::builtin();
    CascadeEngine engine(TierTable::btc_default(), EngineOptions{true});
    double drawdown[2] = {0, 0}, recovered[2] = {0, 0}, final_value[2] = {0, 0};
    int cascades = 0;
    for (std::uint64_t i = 0; i < 300; ++i) {
        CascadeParams p = scenario.sample(1, i);
        p.permanent_impact = 0.0;  // the default scenario's own is calibrated: compare with none
        const PathOutputs off = engine.run(p, 1, i);
        p.permanent_impact = 0.003;
        const PathOutputs on = engine.run(p, 1, i);
        // Paths of a long cascade (the forced flow mostly sells). Path by path V need not end lower (a squeeze
        // later in the path moves it up as well), on average it does.
        if (off.liquidated_oi_fraction < 0.01 || off.liquidated_short_notional > 0.2 * off.liquidated_long_notional) {
            if (off.liquidated_oi_fraction < 0.001)  // little forced flow, little change
                CHECK(on.max_drawdown == Approx(off.max_drawdown).margin(0.002));
            continue;
        }
        ++cascades;
        drawdown[0] += off.max_drawdown;
        drawdown[1] += on.max_drawdown;
        recovered[0] += off.recovered_end;
        recovered[1] += on.recovered_end;
        final_value[0] += off.final_fundamental;
        final_value[1] += on.final_fundamental;
    }
    REQUIRE(cascades > 10);
    CHECK(drawdown[1] > drawdown[0] * 1.05);
    CHECK(recovered[1] < recovered[0] * 0.98);  // dip buyers on the perp keep much of the V either way
    CHECK(final_value[1] < final_value[0]);
    INFO("drawdown " << drawdown[0] / cascades << " -> " << drawdown[1] / cascades << ", recovered "
                     << recovered[0] / cascades << " -> " << recovered[1] / cascades);
    CHECK(cascades > 0);
}
