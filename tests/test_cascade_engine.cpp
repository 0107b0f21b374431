// The cascade engine: closed forms, every mechanism M1-M12 against its removal, invariants on every path,
// monotonicity in expectation, determinism.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>

#include "engine_fixtures.h"
#include "wipeout/margin.h"

using namespace wipeout;
using namespace wipeout::test;

// ---------------------------------------------------------------- closed forms

namespace {
/// The closed-form cases' market: a linear book (beta = 1), a 2% shock over 10 s, an engine with no
/// throughput limit, five minutes.
CascadeParams closed_form_market() {
    CascadeParams p = quiet_market();
    p.book_shape = 1.0;
    p.shock_size = 0.02;
    p.shock_duration_s = 10;
    p.liquidation_capacity = 1e6;
    p.max_waves = 100000;
    p.horizon_s = 300;
    return p;
}
}  // namespace

TEST_CASE("closed form: linear book, uniform liquidation density, final move s / (1 - k)", "[engine][closed-form]") {
    // D(x) = d1 x / 1%, no refill, no noise, mark = last; liquidation notional l per unit of relative price.
    // The shock alone moves the price by s; the liquidations it sets off add k = l 1% / d1 per unit moved.
    for (const double k : {0.25, 0.5, 0.8}) {
        const CascadeParams p = closed_form_market();
        const double density = k * p.depth_1pct / 0.01;
        const Population pop = uniform_long_density(p.reference_price, density, 0.5, 2e-5);
        CascadeEngine engine(TierTable::btc_default(), EngineOptions{true});
        const PathOutputs out = engine.run(p, pop, 1, 0);
        INFO("k = " << k);
        CHECK(out.max_drawdown == Approx(p.shock_size / (1.0 - k)).epsilon(0.01));
        CHECK(out.amplification == Approx(1.0 / (1.0 - k)).epsilon(0.01));
    }
}

TEST_CASE("closed form: at k >= 1 the cascade runs through the whole dense region", "[engine][closed-form]") {
    const CascadeParams p = closed_form_market();
    const double region = 0.3;
    const Population pop = uniform_long_density(p.reference_price, 1.2 * p.depth_1pct / 0.01, region, 1e-4);
    CascadeEngine engine(TierTable::btc_default(), EngineOptions{true});
    const PathOutputs out = engine.run(p, pop, 1, 0);
    CHECK(out.liquidated_long_count == Approx(static_cast<double>(pop.longs.size())).epsilon(1e-9));  // every cohort
    CHECK(out.max_drawdown >= region);
}

TEST_CASE("seed sanity: a 10x long dies near a 10% move, a 25x long near 4%", "[engine][M7]") {
    for (const double leverage : {10.0, 25.0}) {
        CascadeParams p = quiet_market();
        p.shock_size = 0.15;
        p.shock_duration_s = 1500;  // slow: 0.01% per second, so the trigger time resolves the price
        p.liquidation_fee = 0.0;  // the seed's approximation ignores the fee; the maintenance rate stays
        const double p0 = p.reference_price;
        const auto& tiers = TierTable::btc_default();
        const double qty = 0.1;  // one small position: no cascade of its own
        const auto quote = isolated_liquidation({Side::Long, p0, qty, qty * p0 / leverage}, tiers, {p.liquidation_fee, Venue::Generic});
        Population pop;
        pop.longs.push_back(Cohort{quote.liquidation_price, p0, qty, qty, leverage, 0, 0, 0});
        pop.long_oi = qty * p0;
        PathTrace trace;
        CascadeEngine engine(tiers, EngineOptions{true});
        engine.run(p, pop, 1, 0, &trace);
        double move_at_liquidation = -1;
        for (const auto& row : trace.rows) {
            if (row.liquidated_long > 0) {
                move_at_liquidation = 1.0 - row.mark_price / p0;
                break;
            }
        }
        INFO("leverage " << leverage);
        REQUIRE(move_at_liquidation > 0);
        CHECK(move_at_liquidation == Approx(1.0 - quote.liquidation_price / p0).margin(2e-4));
        CHECK(move_at_liquidation == Approx(1.0 / leverage).margin(0.125 / leverage));
        CHECK(move_at_liquidation < 1.0 / leverage);  // maintenance and fee: earlier than the seed's approximation
    }
}

// ---------------------------------------------------------------- mechanisms against their removal

TEST_CASE("M1: the shock drives the drawdown; its permanent part moves the fundamental", "[engine][M1]") {
    CascadeParams p = quiet_market();
    p.shock_permanent_share = 0.4;
    PathOutputs on = checked_run(p, 3, 0);
    p.shock_enabled = false;
    PathOutputs off = checked_run(p, 3, 0);
    CHECK(on.max_drawdown >= 0.05);
    CHECK(off.max_drawdown < 1e-9);
    CHECK(on.final_fundamental == Approx(100000.0 * (1.0 - 0.4 * 0.05)).epsilon(1e-9));
    CHECK(off.final_fundamental == Approx(100000.0).epsilon(1e-12));
}

TEST_CASE("M1: background volatility moves the fundamental", "[engine][M1]") {
    CascadeParams p = quiet_market();
    p.shock_enabled = false;
    p.volatility_annual = 0.8;
    const PathOutputs out = checked_run(p, 3, 0);
    CHECK(out.final_fundamental != Approx(100000.0).epsilon(1e-6));
}

TEST_CASE("M2: the air pocket thins the book and deepens the fall", "[engine][M2]") {
    CascadeParams p;
    p.air_pocket = true;
    const double pocket = mean_over_paths(p, 20, &PathOutputs::max_drawdown);
    p.regime_enabled = false;
    const double normal = mean_over_paths(p, 20, &PathOutputs::max_drawdown);
    CHECK(pocket > normal * 1.1);
}

TEST_CASE("M3: refill brings the price back; without it the displacement stays", "[engine][M3]") {
    CascadeParams p = quiet_market();
    p.book_refill_enabled = true;
    const PathOutputs with = checked_run(p, 3, 0);
    p.book_refill_enabled = false;
    const PathOutputs without = checked_run(p, 3, 0);
    CHECK(with.recovered_end > 0.9);
    CHECK(without.recovered_end < 0.05);
}

TEST_CASE("M4: depth evaporation deepens the fall and recovers as stress decays", "[engine][M4]") {
    CascadeParams p = quiet_market();
    p.book_refill_enabled = true;
    p.evaporation_enabled = true;
    PathTrace trace;
    const PathOutputs with = checked_run(p, 3, 0, &trace);
    p.evaporation_enabled = false;
    const PathOutputs without = checked_run(p, 3, 0);
    CHECK(with.max_drawdown > without.max_drawdown * 1.05);
    double min_depth = trace.rows.front().bid_depth_1pct;
    for (const auto& row : trace.rows) min_depth = std::min(min_depth, row.bid_depth_1pct);
    CHECK(min_depth < 0.8 * p.depth_1pct);
    CHECK(min_depth >= p.evaporation_floor * p.depth_1pct * (1 - 1e-12));
    CHECK(trace.rows.back().bid_depth_1pct > 0.95 * p.depth_1pct);
}

TEST_CASE("M4: a stress threshold keeps quotes through ordinary moves and pulls them past it", "[engine][M4]") {
    // The shock moves the static book 5%: stress peaks near 5%. Below the threshold no quote is pulled;
    // above it depth falls with the excess only.
    CascadeParams p = quiet_market();
    p.book_refill_enabled = true;
    p.evaporation_enabled = true;
    const auto run = [&](double threshold, PathTrace* trace = nullptr) {
        CascadeParams q = p;
        q.evaporation_threshold = threshold;
        return checked_run(q, 3, 0, trace);
    };
    CascadeParams off = p;
    off.evaporation_enabled = false;
    const PathOutputs without = checked_run(off, 3, 0);
    PathTrace high_trace;
    const PathOutputs high = run(0.5, &high_trace);  // above any stress this path reaches
    for (const auto& row : high_trace.rows) REQUIRE(row.bid_depth_1pct == p.depth_1pct);
    CHECK(high.max_drawdown == without.max_drawdown);
    const PathOutputs none = run(0.0), some = run(0.02);
    CHECK(none.max_drawdown > some.max_drawdown);      // less stress left to act on
    CHECK(some.max_drawdown > without.max_drawdown);   // but past 2% quotes are pulled
}

TEST_CASE("M5: the mark insulates against a perp-only dump, not when every venue falls", "[engine][M5]") {
    const auto liquidated = [](MarkRule rule, double permanent) {
        CascadeParams p = quiet_market();
        p.book_refill_enabled = true;
        p.book_resilience_per_s = 0.05;  // the dump is brief
        p.arbitrage_rate_per_s = 0.002;  // and the venues slow to follow it
        p.shock_duration_s = 20;
        p.shock_permanent_share = permanent;
        p.mark_rule = rule;
        return checked_run(p, 3, 0).liquidated_long_notional;
    };
    const double last_dump = liquidated(MarkRule::Last, 0.0), index_dump = liquidated(MarkRule::Index, 0.0);
    const double median_dump = liquidated(MarkRule::Median, 0.0);
    CHECK(index_dump < 0.5 * last_dump);
    CHECK(median_dump < 0.5 * last_dump);
    const double last_all = liquidated(MarkRule::Last, 1.0), index_all = liquidated(MarkRule::Index, 1.0);
    CHECK(index_all > 0.7 * last_all);
}

TEST_CASE("M5: the index follows the venues, which follow the perp", "[engine][M5]") {
    CascadeParams p = quiet_market();
    p.book_refill_enabled = true;
    PathTrace trace;
    checked_run(p, 3, 0, &trace);
    // Some time into the fall the index has moved with the perp, but lags it.
    bool lagged = false, followed = false;
    for (const auto& row : trace.rows) {
        if (row.trade_price < 0.97 * p.reference_price && row.index_price > row.trade_price) lagged = true;
        if (row.index_price < 0.97 * p.reference_price) followed = true;
    }
    CHECK(lagged);
    CHECK(followed);
}

TEST_CASE("M6: the long share and leverage decide who is liquidated", "[engine][M6]") {
    CascadeParams p;
    p.long_share = 0.8;
    const double heavy_long = mean_over_paths(p, 10, &PathOutputs::liquidated_long_notional);
    p.long_share = 0.4;
    const double light_long = mean_over_paths(p, 10, &PathOutputs::liquidated_long_notional);
    CHECK(heavy_long > 1.5 * light_long);
}

TEST_CASE("M8: finite throughput builds a backlog and stretches the cascade", "[engine][M8]") {
    CascadeParams p;
    p.air_pocket = true;
    p.liquidation_capacity = 0.005;
    const PathOutputs slow = checked_run(p, 5, 1);
    p.liquidation_capacity = 100.0;
    const PathOutputs fast = checked_run(p, 5, 1);
    CHECK(slow.max_backlog > 0);
    CHECK(slow.cascade_duration_s > fast.cascade_duration_s);
}

TEST_CASE("M8: waves inside a step, capped and counted", "[engine][M8]") {
    CascadeParams p = quiet_market();
    p.book_shape = 1.0;
    p.shock_size = 0.02;
    p.shock_duration_s = 1;
    p.liquidation_capacity = 1e6;
    const Population pop = uniform_long_density(p.reference_price, 0.6 * p.depth_1pct / 0.01, 0.3, 1e-4);
    p.max_waves = 100000;
    CascadeEngine engine(TierTable::btc_default(), EngineOptions{true});
    const PathOutputs many = engine.run(p, pop, 1, 0);
    CHECK(many.max_waves_in_step > 3);
    p.max_waves = 2;
    const PathOutputs capped = engine.run(p, pop, 1, 0);
    CHECK(capped.max_waves_in_step <= 3);
    CHECK(capped.wave_cap_hits > 0);
}

TEST_CASE("M8: partial liquidation cuts large positions down a bracket instead of closing them", "[engine][M8]") {
    CascadeParams p;
    p.size_min = 1e6;  // large positions: every class above the first bracket
    p.size_classes = 2;
    p.partial_liquidation = true;
    const PathOutputs partial = checked_run(p, 5, 2);
    p.partial_liquidation = false;
    const PathOutputs full = checked_run(p, 5, 2);
    CHECK(partial.liquidated_long_notional < full.liquidated_long_notional);
    CHECK(partial.liquidated_long_notional > 0);
}

TEST_CASE("M9: the fund takes surpluses and pays shortfalls", "[engine][M9]") {
    CascadeParams p;
    p.air_pocket = true;
    p.shock_size = 0.12;
    const PathOutputs out = checked_run(p, 5, 0);
    CHECK(out.fund_fees > 0);
    CHECK(out.fund_payout > 0);
    p.fund_enabled = false;
    const PathOutputs no_fund = checked_run(p, 5, 0);
    CHECK(no_fund.fund_payout == 0);
    CHECK(no_fund.adl_notional > 0);  // every shortfall goes straight to ADL
}

TEST_CASE("M10: ADL only once the fund is spent; off, the loss stays as bad debt", "[engine][M10]") {
    CascadeParams p;
    p.air_pocket = true;
    p.shock_size = 0.15;
    p.fund_to_oi = 1e-6;  // a nearly empty fund
    const PathOutputs adl = checked_run(p, 5, 0);  // checks: no ADL while the fund holds money, fund >= 0
    CHECK(adl.fund_depleted == 1);
    CHECK(adl.adl_notional > 0);
    CHECK(adl.adl_positions > 0);
    CHECK(adl.adl_haircut > 0);
    CHECK(adl.fund_min >= -1e-6);
    p.adl_enabled = false;
    const PathOutputs no_adl = checked_run(p, 5, 0);
    CHECK(no_adl.adl_notional == 0);
    CHECK(no_adl.fund_min < 0);  // with ADL off the fund goes negative: that is the uncovered loss
    p.adl_ranking = AdlRanking::Hyperliquid;
    p.adl_enabled = true;
    const PathOutputs hyper = checked_run(p, 5, 0);
    CHECK(hyper.adl_notional == Approx(adl.adl_notional).epsilon(0.2));  // same need, another queue order
}

TEST_CASE("M11: dip buyers speed up the bounce", "[engine][M11]") {
    CascadeParams p = quiet_market();
    p.book_refill_enabled = true;
    p.book_resilience_per_s = 0.001;
    p.buyers_enabled = true;
    const PathOutputs with = checked_run(p, 3, 0);
    p.buyers_enabled = false;
    const PathOutputs without = checked_run(p, 3, 0);
    CHECK(with.recovered_1h > without.recovered_1h + 0.05);
}

TEST_CASE("M11: a permanent shock leaves only a partial recovery", "[engine][M11][M1]") {
    CascadeParams p = quiet_market();
    p.book_refill_enabled = true;
    p.buyers_enabled = true;
    p.shock_permanent_share = 0.8;
    const PathOutputs out = checked_run(p, 3, 0);
    CHECK(out.recovered_end < 0.5);
}

TEST_CASE("M11: dip buyers on the perp are longs, and a fall that goes on liquidates them", "[engine][M11]") {
    // buyers.perp_share: the share of the dip-buying flow that buys the perp with the crowd's own leverage
    // mix. Their longs open at the price they buy at and count as any other position; the buying itself is
    // the same flow either way.
    CascadeParams p;
    p.air_pocket = true;
    p.shock_size = 0.12;
    p.fund_to_oi = 1.0;  // no ADL: it alone would tell the crowds apart
    const PathOutputs spot = checked_run(p, 5, 3);
    CHECK(spot.dip_long_notional == 0);
    p.buyer_perp_share = 1.0;
    const PathOutputs perp = checked_run(p, 5, 3);
    CHECK(perp.dip_long_notional > 0);
    // The legs after the first liquidate them, and their forced sales deepen the fall.
    CHECK(perp.liquidated_long_count > spot.liquidated_long_count);
    CHECK(perp.liquidated_long_notional > spot.liquidated_long_notional);
    CHECK(perp.max_drawdown > spot.max_drawdown);
    // Half on the perp: fewer opened than all of them would.
    p.buyer_perp_share = 0.5;
    CHECK(checked_run(p, 5, 3).dip_long_notional < perp.dip_long_notional);
    // A crowd of 1x longs opens 1x longs, which no fall liquidates: the path is the spot buyers' to the bit.
    p.leverage_median = 1.0;
    p.leverage_sigma = 0.0;
    p.buyer_perp_share = 0.0;
    const PathOutputs unlevered_spot = checked_run(p, 5, 3);
    p.buyer_perp_share = 1.0;
    const PathOutputs unlevered = checked_run(p, 5, 3);
    CHECK(unlevered.dip_long_notional > 0);
    CHECK(unlevered.liquidated_long_notional == 0);
    CHECK(unlevered.max_drawdown == unlevered_spot.max_drawdown);
    CHECK(unlevered.final_price == unlevered_spot.final_price);
}

TEST_CASE("M11: the dip buyers' capital is finite: they spend at most their budget, and spend it on the fall",
          "[engine][M11]") {
    // buyers.budget: what they can spend over the path, a multiple of the open interest; their flow falls in
    // proportion to what is left. On the perp every unit they buy is a long at the price they pay (below V on
    // a discount), so dip_long_notional is at most what they spent at V.
    CascadeParams p;
    p.air_pocket = true;
    p.shock_size = 0.12;
    p.fund_to_oi = 1.0;
    p.buyer_perp_share = 1.0;
    const PathOutputs unlimited = checked_run(p, 5, 3);
    const double oi = (unlimited.liquidated_long_notional + unlimited.liquidated_short_notional) /
                      unlimited.liquidated_oi_fraction;
    REQUIRE(unlimited.dip_long_notional > 0.1 * oi);
    for (const double budget : {0.02, 0.05}) {
        p.buyer_budget = budget;
        const PathOutputs limited = checked_run(p, 5, 3);
        CHECK(limited.dip_long_notional <= budget * oi * (1 + 1e-12));
        // The flow that would have bought more spends most of it.
        CHECK(limited.dip_long_notional > 0.5 * budget * oi);
    }
    // Spot buyers with almost nothing to spend barely lift the bounce: it is the buyers-off path's, nearly.
    CascadeParams q = quiet_market();
    q.book_refill_enabled = true;
    q.book_resilience_per_s = 0.001;
    q.buyers_enabled = true;
    const PathOutputs full = checked_run(q, 3, 0);
    q.buyer_budget = 1e-4;
    const PathOutputs starved = checked_run(q, 3, 0);
    q.buyers_enabled = false;
    const PathOutputs none = checked_run(q, 3, 0);
    CHECK(starved.recovered_1h < full.recovered_1h - 0.04);
    CHECK(starved.recovered_1h == Approx(none.recovered_1h).margin(0.01));
}

TEST_CASE("M11: on explicit cohorts the perp's dip buyers take their leverage mix; with no longs none open",
          "[engine][M11]") {
    // A position snapshot has no runs: the mix is its cohorts' notional by leverage level.
    CascadeParams p;
    p.shock_size = 0.08;
    p.buyer_perp_share = 1.0;
    const double p0 = p.reference_price, d1 = p.depth_1pct;
    Population pop;
    for (int i = 1; i <= 40; ++i) {  // 25x longs, liquidation prices 1-8% below P0
        pop.longs.push_back(long_cohort(p0, p0 * (1 - 0.002 * i), 0.5 * d1, 25.0));
        pop.long_oi += 0.5 * d1;
    }
    CascadeEngine engine(TierTable::btc_default(), EngineOptions{true});
    const PathOutputs out = engine.run(p, pop, 5, 3);
    CHECK(out.dip_long_notional > 0);
    // Shorts only: no long mix to open with, so nothing opens and the path is the spot buyers' to the bit.
    Population shorts;
    shorts.shorts.push_back(Cohort{1.5 * p0, p0, d1 / p0, 1.0, 2.0, 0, 0, 0});
    shorts.short_oi = d1;
    const PathOutputs none = engine.run(p, shorts, 5, 3);
    p.buyer_perp_share = 0.0;
    const PathOutputs spot = engine.run(p, shorts, 5, 3);
    CHECK(none.dip_long_notional == 0);
    CHECK(none.max_drawdown == spot.max_drawdown);
}

TEST_CASE("M12: shorts pile in on the way down and are squeezed on the way up", "[engine][M12]") {
    CascadeParams p;
    p.air_pocket = true;
    p.short_intensity_per_s = 5e-3;
    const PathOutputs with = checked_run(p, 5, 3);
    p.shorts_enabled = false;
    const PathOutputs without = checked_run(p, 5, 3);
    CHECK(with.opportunistic_short_notional > 0);
    CHECK(without.opportunistic_short_notional == 0);
    CHECK(with.liquidated_short_notional > without.liquidated_short_notional);
}

TEST_CASE("M12: a cascade seen in progress draws shorts in, a share of its forced flow", "[engine][M12]") {
    // shorts.cascade_share alone (no momentum shorts): new shorts follow the liquidations, not the fall.
    // The flow each step shows is the exact integral of the decaying minute's flow, so over a path the
    // shorts opened are at most the share times what was liquidated (less while the price rises, when none
    // open), whatever the clock's steps.
    CascadeParams p;
    p.air_pocket = true;
    p.short_intensity_per_s = 0.0;
    p.short_cascade_share = 0.0;
    const PathOutputs off = checked_run(p, 5, 3);
    CHECK(off.opportunistic_short_notional == 0);
    p.short_cascade_share = 0.5;
    const PathOutputs on = checked_run(p, 5, 3);
    const double liquidated = on.liquidated_long_notional + on.liquidated_short_notional;
    REQUIRE(on.liquidated_long_notional > 0);
    CHECK(on.opportunistic_short_notional > 0.3 * 0.5 * liquidated);  // 0.62 here: most of it falls on the way down
    CHECK(on.opportunistic_short_notional <= 0.5 * liquidated * (1 + 1e-9));
    CHECK(on.liquidated_short_notional > off.liquidated_short_notional);  // and the bounce squeezes them
    // The same fall without a cascade (no one liquidated) draws no one in.
    p.liquidation_enabled = false;
    CHECK(checked_run(p, 5, 3).opportunistic_short_notional == 0);
}

TEST_CASE("max_rise is the highest traded price over P0, and the squeeze's peak bounds it below", "[engine][outputs]") {
    // The day's rise from the open, max_drawdown's mirror (the daily data's high / open - 1): on paths that
    // bounce past P0 and on one that never gets back, against the traced prices.
    CascadeEngine engine(TierTable::btc_default());
    CascadeParams p;
    p.volatility_annual = 1.5;  // a day that rises as well as falls
    int above = 0;
    for (std::uint64_t i = 0; i < 8; ++i) {
        PathTrace trace;
        const PathOutputs out = engine.run(p, 17, i, &trace);
        double highest = p.reference_price;
        for (const TraceRow& r : trace.rows) highest = std::max(highest, r.trade_price);
        CHECK(out.max_rise == highest / p.reference_price - 1.0);
        CHECK(out.max_rise >= out.trough_price * (1 + out.squeeze_rise) / p.reference_price - 1.0 - 1e-15);
        above += out.max_rise > 0.01;
    }
    CHECK(above > 0);
    p.volatility_annual = 0.0;  // the shock alone: the price never rises above P0 again
    p.shock_permanent_share = 1.0;
    CHECK(engine.run(p, 17, 0).max_rise == 0.0);
}

// ---------------------------------------------------------------- invariants on every path

TEST_CASE("invariants hold on every path of varied scenarios", "[engine][invariants]") {
    std::vector<CascadeParams> scenarios(10);
    scenarios[1].air_pocket = true;
    scenarios[1].shock_size = 0.12;
    scenarios[2].fund_to_oi = 1e-5;  // ADL-heavy
    scenarios[2].shock_size = 0.1;
    scenarios[2].air_pocket = true;
    scenarios[3].adl_enabled = false;
    scenarios[3].shock_size = 0.1;
    scenarios[4].mark_rule = MarkRule::Index;
    scenarios[4].leverage_median = 30;
    // ADL in both rankings, through a deep cascade with a thin fund (the check ranks every counterparty by
    // brute force and compares with the order ADL took).
    scenarios[5] = scenarios[2];
    scenarios[5].adl_ranking = AdlRanking::Hyperliquid;
    scenarios[5].shock_size = 0.2;
    scenarios[6] = scenarios[2];
    scenarios[6].shock_size = 0.25;
    scenarios[6].book_resilience_per_s = 0.001;
    scenarios[6].evaporation_rate = 40;
    // The history's crowd: ADL walks its runs' hundred-level stretches in score order (both rankings).
    scenarios[7] = scenarios[2];
    scenarios[7].history_enabled = true;
    scenarios[7].shock_size = 0.15;
    scenarios[8] = scenarios[7];
    scenarios[8].adl_ranking = AdlRanking::Hyperliquid;
    scenarios[8].short_intensity_per_s = 0.05;  // a squeeze: ADL of longs too, whose scores have a valley
    scenarios[8].buyer_intensity_per_s = 0.2;
    scenarios[8].horizon_s = 1800;  // the squeeze is over by then
    // And dip buyers on the perp: longs opened in the fall, in ADL's queue at the top.
    scenarios[9] = scenarios[8];
    scenarios[9].buyer_perp_share = 1.0;
    double adl_rounds = 0;
    CascadeEngine engine(TierTable::btc_default(), EngineOptions{true});
    for (std::size_t s = 0; s < scenarios.size(); ++s) {
        for (std::uint64_t i = 0; i < (s >= 7 ? 1u : 6u); ++i) {  // a history crowd's brute force is slow
            INFO("scenario " << s << " path " << i);
            const PathOutputs out = engine.run(scenarios[s], 11, i);  // throws on any violation
            CHECK(out.conservation_error < 1e-9);
            CHECK(out.max_drawdown >= 0);
            CHECK(out.trough_price > 0);
            if (s >= 5) adl_rounds += static_cast<double>(engine.last_counters().adl_rounds);
        }
    }
    CHECK(adl_rounds > 100);  // the ADL order was checked many times
}

// ---------------------------------------------------------------- monotone in expectation

TEST_CASE("more leverage, more open interest or less depth never lowers the mean drawdown", "[engine][monotone]") {
    CascadeParams base;
    const int n = 40;
    const double reference = mean_over_paths(base, n, &PathOutputs::max_drawdown);
    CascadeParams lev = base;
    lev.leverage_median = 20;
    CHECK(mean_over_paths(lev, n, &PathOutputs::max_drawdown) >= reference);
    CascadeParams oi = base;
    oi.oi_to_depth = 1.5 * base.oi_to_depth;
    CHECK(mean_over_paths(oi, n, &PathOutputs::max_drawdown) >= reference);
    CascadeParams thin = base;  // half the depth, the same open interest
    thin.depth_1pct = 0.5 * base.depth_1pct;
    thin.oi_to_depth = 2.0 * base.oi_to_depth;
    CHECK(mean_over_paths(thin, n, &PathOutputs::max_drawdown) >= reference);
}

TEST_CASE("a larger permanent share of the shock lowers the recovered fraction", "[engine][monotone]") {
    CascadeParams p;
    p.shock_permanent_share = 0.1;
    const double transient = mean_over_paths(p, 30, &PathOutputs::recovered_4h);
    p.shock_permanent_share = 0.7;
    const double permanent = mean_over_paths(p, 30, &PathOutputs::recovered_4h);
    CHECK(permanent < transient);
}

// ---------------------------------------------------------------- determinism

TEST_CASE("a path is a pure function of (parameters, seed, index)", "[engine][determinism]") {
    CascadeParams p;
    CascadeEngine a(TierTable::btc_default()), b(TierTable::btc_default());
    // Engine b runs other paths first: its reused buffers must not leak into the next path.
    b.run(p, 99, 5);
    p.air_pocket = true;
    b.run(p, 99, 6);
    p.air_pocket = false;
    const PathOutputs x = a.run(p, 42, 17), y = b.run(p, 42, 17);
    for (const auto& spec : output_specs()) {
        INFO(spec.name);
        // Bit for bit, NaN (an output left undefined) included.
        CHECK(std::bit_cast<std::uint64_t>(x.*spec.member) == std::bit_cast<std::uint64_t>(y.*spec.member));
    }
    const PathOutputs z = a.run(p, 42, 18);
    CHECK(z.max_drawdown != x.max_drawdown);
}
