// The liquidation map (wipeout/liquidation_map.h): a hand-made crowd whose bins, cumulative curves, depth and
// cliffs are known exactly; the grid crowd's notional conserved; the book's depth; refusals; and the map of a
// scenario's path equal to the map of the crowd that path builds.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "wipeout/book_snapshot.h"
#include "wipeout/cascade_params.h"
#include "wipeout/crowd_population.h"
#include "wipeout/error.h"
#include "wipeout/liquidation_map.h"
#include "wipeout/market_inputs.h"
#include "wipeout/population.h"
#include "wipeout/scenario.h"
#include "wipeout/tiers.h"

using namespace wipeout;

namespace {

constexpr double kTol = 1e-12;

bool near(double a, double b) {
    return std::abs(a - b) <= kTol * std::max(1.0, std::abs(b));
}

Cohort cohort(double liquidation_price, double qty) {
    return Cohort{liquidation_price, 100.0, qty, qty, 10.0, 0, 0, 0};
}

/// P0 = 100. Longs: 38 at 95, 85 at 85, 82 at 82, 110 at 55, 40 at 40 (below [50, 150]), a 1x long (never)
/// and one already past its price (101). Shorts: 26 at 104, 240 + 60 at 120 (one price, two cohorts), 145 at
/// 145, 150 at 150 (the range's top: the last bin), 160 at 160 (above), and one that never liquidates.
Population hand_made_crowd() {
    Population pop;
    pop.longs = {cohort(95, 0.4), cohort(85, 1), cohort(82, 1), cohort(55, 2),
                 cohort(40, 1),   cohort(0, 3),  cohort(101, 1)};
    pop.shorts = {cohort(104, 0.25), cohort(120, 2), cohort(145, 1),  cohort(120, 0.5),
                  cohort(150, 1),    cohort(160, 1), cohort(1e300, 1)};
    return pop;
}

/// D(m) = 10 (m / 1%): 1000 m on each side.
const BookDepth kLinearBook = BookDepth::power_law(10.0, 1.0);

}  // namespace

TEST_CASE("liquidation_map: a hand-made crowd's bins, curves, depth and cliffs are exact",
          "[liquidation_map]") {
    const LiquidationMap map = liquidation_map(hand_made_crowd(), 100.0, {50.0, 150.0, 10}, kLinearBook);
    REQUIRE(map.bins.size() == 10);
    const std::vector<double> longs{110, 0, 0, 167, 38, 0, 0, 0, 0, 0};
    const std::vector<double> shorts{0, 0, 0, 0, 0, 26, 0, 300, 0, 295};
    const std::vector<double> long_cum{315, 205, 205, 205, 38, 0, 0, 0, 0, 0};
    const std::vector<double> short_cum{0, 0, 0, 0, 0, 26, 26, 326, 326, 621};
    for (std::size_t i = 0; i < 10; ++i) {
        const LiquidationMapBin& b = map.bins[i];
        INFO("bin " << i);
        const double at = 10.0 * static_cast<double>(i);
        CHECK(near(b.low, 50 + at));
        CHECK(near(b.high, 60 + at));
        CHECK(near(b.price, 55 + at));
        CHECK(near(b.long_liquidated, longs[i]));
        CHECK(near(b.short_liquidated, shorts[i]));
        CHECK(near(b.long_cumulative, long_cum[i]));
        CHECK(near(b.short_cumulative, short_cum[i]));
        // The depth within the move to the bin's far edge from P0: 1000 x the move.
        CHECK(near(b.bid_depth, i < 5 ? 1000 * (1 - b.low / 100) : 0.0));
        CHECK(near(b.ask_depth, i >= 5 ? 1000 * (b.high / 100 - 1) : 0.0));
    }
    CHECK(map.bins[9].high == 150.0);

    // A fall: 38 at 5% (depth 50), 123 at 15% (150), 205 at 18% (180): the cliff, at the cohort's own price.
    CHECK(map.cliff_down.found);
    CHECK(near(map.cliff_down.move, 0.18));
    CHECK(map.cliff_down.price == 82.0);
    CHECK(near(map.cliff_down.forced, 205));
    CHECK(near(map.cliff_down.depth, 180));
    // Its reach: the next cohort (55, 45% away) lies past where the depth catches up, 1000 m = 205.
    CHECK(near(map.cliff_down.reach, 0.205));
    CHECK(near(map.cliff_down.reach_price, 79.5));
    CHECK(near(map.cliff_down.reach_forced, 205));
    // A rise: 26 at 4% (40), then both cohorts at 120 together: 326 > 200 at 20%; it runs to 32.6%.
    CHECK(map.cliff_up.found);
    CHECK(near(map.cliff_up.move, 0.2));
    CHECK(map.cliff_up.price == 120.0);
    CHECK(near(map.cliff_up.forced, 326));
    CHECK(near(map.cliff_up.depth, 200));
    CHECK(near(map.cliff_up.reach, 0.326));
    CHECK(near(map.cliff_up.reach_price, 132.6));
    CHECK(near(map.cliff_up.reach_forced, 326));

    // Totals: what lies outside the bins and what never enters the map.
    CHECK(near(map.longs.open_interest, 9.4 * 100));
    CHECK(near(map.longs.notional, 355));
    CHECK(near(map.longs.in_range, 315));
    CHECK(near(map.longs.beyond_range, 40));
    CHECK(map.longs.before_range == 0);
    CHECK(map.longs.cohorts == 5);
    CHECK(map.longs.never_cohorts == 1);
    CHECK(near(map.longs.never_open_interest, 300));
    CHECK(map.longs.crossed_cohorts == 1);
    CHECK(near(map.longs.crossed_open_interest, 100));
    CHECK(near(map.shorts.open_interest, 6.75 * 100));
    CHECK(near(map.shorts.notional, 781));
    CHECK(near(map.shorts.in_range, 621));
    CHECK(near(map.shorts.beyond_range, 160));
    CHECK(map.shorts.cohorts == 6);
    CHECK(map.shorts.never_cohorts == 1);
    CHECK(map.shorts.crossed_cohorts == 0);
}

TEST_CASE("liquidation_map: P0 outside the range, and no cliff within it", "[liquidation_map]") {
    const Population pop = hand_made_crowd();
    // [60, 90]: the long at 95 lies between the range and P0, in every bin's cumulative; the one at 55
    // beyond.
    const LiquidationMap below = liquidation_map(pop, 100.0, {60.0, 90.0, 3}, kLinearBook);
    CHECK(near(below.longs.before_range, 38));
    CHECK(near(below.longs.beyond_range, 150));
    CHECK(near(below.bins[2].long_liquidated, 167));
    for (const LiquidationMapBin& b : below.bins) {
        CHECK(near(b.long_cumulative, 205));
        CHECK(b.short_cumulative == 0);
        CHECK(b.ask_depth == 0);
    }
    CHECK(near(below.cliff_down.move, 0.18));
    CHECK_FALSE(below.cliff_up.found);
    CHECK(std::isnan(below.cliff_up.move));
    CHECK(near(below.shorts.beyond_range, 781));

    // Within 15% neither side's forced flow catches up with the depth.
    const LiquidationMap near_p0 = liquidation_map(pop, 100.0, {85.0, 115.0, 6}, kLinearBook);
    CHECK_FALSE(near_p0.cliff_down.found);
    CHECK_FALSE(near_p0.cliff_up.found);
    CHECK(near(near_p0.bins[0].long_cumulative, 123));  // the bin from 85 holds the long at 85
}

TEST_CASE("liquidation_map: the grid crowd's notional is the sum over its cohorts, its cliff exact",
          "[liquidation_map]") {
    CascadeParams p;
    PopulationScratch scratch;
    Population pop;
    build_population(p, TierTable::btc_default(), scratch, pop);
    const double p0 = p.reference_price;
    double long_sum = 0, short_sum = 0, long_oi = 0, short_oi = 0, never_oi = 0;
    std::size_t never = 0;
    for (const Side side : {Side::Long, Side::Short}) {
        const auto& runs = side == Side::Long ? pop.long_runs : pop.short_runs;
        for (std::size_t r = 0; r < runs.size(); ++r) {
            for (auto e = runs[r].first_alive; e < runs[r].last_alive; ++e) {
                const Cohort c = pop.cohort(side, r, e);
                if (!(c.qty > 0)) continue;
                (side == Side::Long ? long_oi : short_oi) += c.qty * p0;
                if (side == Side::Long && c.liquidation_price == 0) {
                    ++never;
                    never_oi += c.qty * p0;
                    continue;
                }
                (side == Side::Long ? long_sum : short_sum) += c.qty * c.liquidation_price;
            }
        }
    }
    REQUIRE(never > 0);  // the 1x leverage level: longs that never liquidate
    const LiquidationMap map =
        liquidation_map(pop, p0, {0.0, 4 * p0, 400}, BookDepth::power_law(p.depth_1pct, p.book_shape));
    double long_bins = 0, short_bins = 0;
    for (const LiquidationMapBin& b : map.bins) {
        long_bins += b.long_liquidated;
        short_bins += b.short_liquidated;
    }
    CHECK(long_bins == Approx(long_sum).epsilon(kTol));
    CHECK(short_bins == Approx(short_sum).epsilon(kTol));
    CHECK(long_bins + short_bins == Approx(long_sum + short_sum).epsilon(kTol));
    CHECK(map.longs.beyond_range == 0);
    CHECK(map.shorts.beyond_range == 0);
    CHECK(map.longs.crossed_cohorts == 0);  // the clearance: none at P0
    CHECK(map.longs.never_cohorts == never);
    CHECK(map.longs.never_open_interest == Approx(never_oi).epsilon(kTol));
    // Every cohort of the side, mapped or not, carries the side's open interest.
    CHECK(map.longs.open_interest == Approx(pop.long_oi).epsilon(1e-9));
    CHECK(map.shorts.open_interest == Approx(pop.short_oi).epsilon(1e-9));
    CHECK(map.bins.front().long_cumulative == Approx(long_sum).epsilon(kTol));
    CHECK(map.bins.back().short_cumulative == Approx(short_sum).epsilon(kTol));
    // The default book absorbs the default crowd's forced flow at every move (no cliff at t = 0); a book a
    // twentieth as deep does not: the cliff is the first cohort's move at which F > D, checked by brute
    // force.
    CHECK_FALSE(map.cliff_down.found);
    const BookDepth thin = BookDepth::power_law(p.depth_1pct / 20, p.book_shape);
    const LiquidationMap thin_map = liquidation_map(pop, p0, {0.0, 4 * p0, 400}, thin);
    REQUIRE(thin_map.cliff_down.found);
    std::vector<std::pair<double, double>> triggers;  // (liquidation price, notional), longs
    for (std::size_t r = 0; r < pop.long_runs.size(); ++r) {
        for (auto e = pop.long_runs[r].first_alive; e < pop.long_runs[r].last_alive; ++e) {
            const Cohort c = pop.cohort(Side::Long, r, e);
            if (c.qty > 0 && c.liquidation_price > 0)
                triggers.emplace_back(c.liquidation_price, c.qty * c.liquidation_price);
        }
    }
    double forced_before = 0;  // F just above the cliff's price
    for (const auto& [price, notional] : triggers) {
        if (price > thin_map.cliff_down.price) {
            forced_before += notional;
            const double move = 1 - price / p0;
            double f = 0;
            for (const auto& [q, n] : triggers)
                if (q >= price) f += n;
            REQUIRE(f <= thin.within(true, move));
        }
    }
    double at = 0;
    for (const auto& [price, notional] : triggers)
        if (price >= thin_map.cliff_down.price) at += notional;
    CHECK(thin_map.cliff_down.forced == Approx(at).epsilon(kTol));
    CHECK(at > forced_before);
    CHECK(thin_map.cliff_down.forced > thin_map.cliff_down.depth);
    CHECK(thin_map.cliff_down.depth ==
          Approx(p.depth_1pct / 20 * std::pow(thin_map.cliff_down.move / 0.01, p.book_shape)).epsilon(kTol));
}

TEST_CASE("liquidation_map: the book's depth, a power law capped as the engine's or a snapshot's profile",
          "[liquidation_map]") {
    const BookDepth law = BookDepth::power_law(1e8, 2.0);
    CHECK(law.within(true, 0.0) == 0.0);
    CHECK(law.within(true, 0.02) == Approx(4e8).epsilon(kTol));
    CHECK(law.within(false, 0.005) == Approx(0.25e8).epsilon(kTol));
    CHECK(std::isinf(law.within(true, 0.96)));

    const BookSnapshot book = BookSnapshot::parse_csv(
        "side,price,qty\nbid,99.5,10\nbid,99,20\nbid,97,50\nask,100.5,10\nask,101,30\nask,104,40\n",
        "book.csv");
    const BookProfile profile = book.profile();
    const BookDepth depth = BookDepth::profile(profile, profile.depth_1pct());
    CHECK(depth.from_profile());
    // Within the levels the profile is the snapshot's own depth; past the deepest it goes on growing.
    for (const double x : {0.002, 0.005, 0.0075, 0.01, 0.02, 0.03}) {
        INFO("x = " << x);
        CHECK(depth.within(true, x) == Approx(book.depth_within(true, x)).epsilon(kTol));
        CHECK(depth.within(false, x) == Approx(book.depth_within(false, x)).epsilon(kTol));
    }
    CHECK(depth.within(true, 0.1) > book.depth_within(true, 0.1));
}

TEST_CASE("liquidation_map: a map refuses a bad reference price, range or bin count", "[liquidation_map]") {
    const Population pop = hand_made_crowd();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(liquidation_map(pop, 100.0, {50.0, 150.0, 0}, kLinearBook), InputError);
    CHECK_THROWS_AS(liquidation_map(pop, 100.0, {50.0, 150.0, kMaxLiquidationMapBins + 1}, kLinearBook),
                    InputError);
    CHECK_NOTHROW(liquidation_map(pop, 100.0, {50.0, 150.0, kMaxLiquidationMapBins}, kLinearBook));
    CHECK_THROWS_AS(liquidation_map(pop, 100.0, {150.0, 50.0, 10}, kLinearBook), InputError);
    CHECK_THROWS_AS(liquidation_map(pop, 100.0, {50.0, 50.0, 10}, kLinearBook), InputError);
    CHECK_THROWS_AS(liquidation_map(pop, 100.0, {-1.0, 50.0, 10}, kLinearBook), InputError);
    CHECK_THROWS_AS(liquidation_map(pop, 100.0, {nan, 50.0, 10}, kLinearBook), InputError);
    CHECK_THROWS_AS(
        liquidation_map(pop, 100.0, {0.0, std::numeric_limits<double>::infinity(), 10}, kLinearBook),
        InputError);
    CHECK_THROWS_AS(liquidation_map(pop, 0.0, {50.0, 150.0, 10}, kLinearBook), InputError);
    CHECK_THROWS_AS(liquidation_map(pop, nan, {50.0, 150.0, 10}, kLinearBook), InputError);
    CHECK_THROWS_AS(BookDepth::power_law(0.0, 2.0), InputError);
}

TEST_CASE("liquidation_map: a cliff's reach runs through the cohorts it liquidates, up to the book's end",
          "[liquidation_map]") {
    // On D(m) = 1000 m: 300 at 20% (depth 200: the cliff), 200 at 25% (250 < 300: inside the zone, F = 500),
    // nothing more: the move runs until the depth reaches 500, at 50%.
    Population pop;
    pop.longs = {cohort(80, 3.75), cohort(75, 200.0 / 75)};
    const LiquidationMap map = liquidation_map(pop, 100.0, {1.0, 200.0, 10}, kLinearBook);
    CHECK(near(map.cliff_down.move, 0.2));
    CHECK(near(map.cliff_down.forced, 300));
    CHECK(near(map.cliff_down.reach, 0.5));
    CHECK(near(map.cliff_down.reach_price, 50));
    CHECK(near(map.cliff_down.reach_forced, 500));
    // More than the book holds within its deepest displacement (950 at 95%): the reach stops there.
    pop.longs = {cohort(80, 25.0)};
    const LiquidationMap deep = liquidation_map(pop, 100.0, {1.0, 200.0, 10}, kLinearBook);
    CHECK(near(deep.cliff_down.reach, kMaxBookDisplacement));
    CHECK(near(deep.cliff_down.reach_forced, 2000));
    // No cliff, no reach.
    CHECK(!map.cliff_up.found);
    CHECK(std::isnan(map.cliff_up.reach));
}

TEST_CASE("liquidation_map: a scenario path's map is that of the crowd and book it starts with",
          "[liquidation_map]") {
    Scenario scenario = Scenario::builtin();
    scenario.set("regime.air_pocket=true");
    const MarketInputs inputs = MarketInputs::load(scenario.run());
    const CrowdLiquidationMap m = crowd_liquidation_map(scenario, inputs, 7, 3, std::nullopt, 50);
    CHECK(m.crowd.source == CrowdSource::History);
    CHECK(m.seed == 7);
    CHECK(m.path == 3);

    const CascadeParams p = scenario.sample(7, 3);
    REQUIRE((p.regime_enabled && p.air_pocket));
    PopulationScratch scratch;
    Population pop;
    build_crowd_population(p, inputs, scratch, pop);
    // The air pocket thins the book the path starts with.
    const BookDepth depth = BookDepth::power_law(p.depth_1pct * p.regime_depth_factor, p.book_shape);
    const LiquidationMap direct = liquidation_map(
        pop, p.reference_price, {0.5 * p.reference_price, 1.5 * p.reference_price, 50}, depth);
    REQUIRE(m.map.bins.size() == direct.bins.size());
    for (std::size_t i = 0; i < direct.bins.size(); ++i) {
        CHECK(m.map.bins[i].long_liquidated == direct.bins[i].long_liquidated);
        CHECK(m.map.bins[i].short_cumulative == direct.bins[i].short_cumulative);
        CHECK(m.map.bins[i].bid_depth == direct.bins[i].bid_depth);
    }
    CHECK(m.map.cliff_down.move == direct.cliff_down.move);
    CHECK(m.map.cliff_up.move == direct.cliff_up.move);
    CHECK(m.map.reference_price == p.reference_price);
}
