// M6 from the market's history: the Brownian closed form against a brute-force simulation of histories, the
// crowd given bars against a hand count, the price-history file's errors, and what the crowd changes in a path.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "wipeout/cascade_engine.h"
#include "wipeout/error.h"
#include "wipeout/population.h"
#include "wipeout/price_history.h"
#include "wipeout/tiers.h"

using namespace wipeout;

namespace {

CascadeParams history_params() {
    CascadeParams p;
    p.history_enabled = true;
    p.history_volatility_annual = 0.6;
    p.history_drift_annual = -1.5;  // a falling history: the asymmetric case
    p.history_hold_days = 4.0;
    p.history_bin_width = 0.002;
    p.leverage_bins = 25;
    p.size_classes = 1;
    return p;
}

// The run of the given side whose leverage is nearest `leverage`.
std::size_t run_near(const Population& pop, Side side, double leverage) {
    const auto& runs = side == Side::Long ? pop.long_runs : pop.short_runs;
    std::size_t best = 0;
    for (std::size_t k = 1; k < runs.size(); ++k)
        if (std::abs(std::log(runs[k].leverage / leverage)) < std::abs(std::log(runs[best].leverage / leverage)))
            best = k;
    return best;
}

// A day with nothing but the shock: no background diffusion, no venue noise, no M12 shorts, so what a crowd
// changes in a path is all that differs between two runs.
CascadeParams quiet_day() {
    CascadeParams p;
    p.volatility_annual = 0.0;
    p.venue_noise = 0.0;
    p.shorts_enabled = false;
    return p;
}

}  // namespace

TEST_CASE("the Brownian history's crowd equals a brute-force simulation of histories", "[population][M6][history]") {
    // Positions opened at exponential ages (hazard 1 / hold) on a Brownian motion with drift; one survives when
    // the path's low (long) or high (short) since its opening stayed beyond its liquidation price. Sampled
    // exactly: the increment, then the extreme of the Brownian bridge between its ends. The closed form's
    // surviving density over y = log(P0 / entry), weighted as the engine weights quantity (exp(y)), must match
    // the simulation's histogram cell by cell, and the surviving share of the flow must match too.
    const CascadeParams p = history_params();
    PopulationScratch scratch;
    Population pop;
    build_population(p, TierTable::btc_default(), scratch, pop);
    const double sigma = p.history_volatility_annual / std::sqrt(365.0), mu = p.history_drift_annual / 365.0;
    for (const Side side : {Side::Long, Side::Short}) {
        for (const double leverage : {5.0, 20.0}) {
            const std::size_t k = run_near(pop, side, leverage);
            const CohortRun& run = (side == Side::Long ? pop.long_runs : pop.short_runs)[k];
            const double b = std::log(run.ratio);
            // The model: per grid cell, the run's share (its quantity over the quantity the flow opened there).
            const std::size_t ne = pop.entries.size();
            std::vector<double> model(ne, 0.0), opened(ne, 0.0);
            double model_total = 0, opened_total = 0;
            for (std::size_t e = 0; e < ne; ++e) opened_total += opened[e] = pop.entry_weights[e];
            for (std::size_t e = run.first_alive; e < run.last_alive; ++e) {
                const double removal = (side == Side::Long ? pop.long_removal : pop.short_removal)[e];
                model_total += model[e] = pop.entry_weights[e] - run.removed * removal;
            }
            // The simulation, on the same grid (y of a cell: entries ascend, y = log(P0 / entry) descends).
            std::mt19937_64 rng(side == Side::Long ? 11 : 12);
            std::exponential_distribution<double> age_of(p.history_hold_days > 0 ? 1.0 / p.history_hold_days : 1.0);
            std::normal_distribution<double> z;
            std::uniform_real_distribution<double> u(0.0, 1.0);
            std::vector<double> simulated(ne, 0.0), all(ne, 0.0);
            double simulated_total = 0, all_total = 0;
            const double y_top = std::log(p.reference_price / pop.entries.front());
            const double w = p.history_bin_width;
            constexpr int kSamples = 400000;
            for (int i = 0; i < kSamples; ++i) {
                const double a = age_of(rng);
                const double x = mu * a + sigma * std::sqrt(a) * z(rng);  // log(P0 / entry) = the increment
                const double bridge = std::sqrt(x * x - 2.0 * sigma * sigma * a * std::log(u(rng)));
                const double extreme = side == Side::Long ? 0.5 * (x - bridge) : 0.5 * (x + bridge);
                const double cell = std::floor((y_top + 0.5 * w - x) / w);
                if (cell < 0 || cell >= static_cast<double>(ne)) continue;
                const auto e = static_cast<std::size_t>(cell);
                const double q = std::exp(x);
                all[e] += q;
                all_total += q;
                if (side == Side::Long ? extreme > b : extreme < b) {
                    simulated[e] += q;
                    simulated_total += q;
                }
            }
            INFO((side == Side::Long ? "long " : "short ") << leverage << "x, log ratio " << b);
            // The surviving share of the flow (the model's grid spans 7 decay lengths: its tails are negligible).
            CHECK(model_total / opened_total == Approx(simulated_total / all_total).epsilon(0.02));
            // Cell by cell: the total variation distance between the two surviving distributions.
            double tv = 0;
            for (std::size_t e = 0; e < ne; ++e) tv += std::abs(model[e] / model_total - simulated[e] / simulated_total);
            CHECK(0.5 * tv < 0.03);
        }
    }
}

TEST_CASE("a given history's crowd: every later low removes the longs whose liquidation price it crossed",
          "[population][M6][history]") {
    // Day 1 flat at 100; day 2 dips to 90 and closes at 100 (an up bar by its close: open, low, high, close).
    // A 20x long opened at 100 before the dip was liquidated by it; one opened at the low or after survives; a 5x
    // long survives wherever it was opened. The opening flow: a quarter of a day at each of a bar's four points,
    // weighted exp(-age / hold).
    const PriceHistory bars = PriceHistory::parse_csv(
        "date,open,high,low,close\n2024-01-01,100,100,100,100\n2024-01-02,100,100,90,100\n", "test");
    CascadeParams p = history_params();
    p.reference_price = 100.0;
    p.history_hold_days = 2.0;
    p.history_bin_width = 0.004;
    PopulationScratch scratch;
    Population pop;
    build_population(p, TierTable::btc_default(), scratch, pop, &bars);
    const std::size_t lo = run_near(pop, Side::Long, 5.0), hi = run_near(pop, Side::Long, 20.0);
    REQUIRE(pop.long_runs[hi].leverage > 15.0);
    // The grid cell of 100 and of 90.
    const auto cell_of = [&](double price) {
        std::size_t best = 0;
        for (std::size_t e = 1; e < pop.entries.size(); ++e)
            if (std::abs(pop.entries[e] - price) < std::abs(pop.entries[best] - price)) best = e;
        return best;
    };
    const std::size_t at100 = cell_of(100.0), at90 = cell_of(90.0);
    const auto weight = [](double age_days) { return std::exp(-age_days / 2.0); };
    // Ages in days at the points (end of day 2 is age 0): day 1 at 2, 5/3, 4/3, 1; day 2 at 1, 2/3, 1/3, 0.
    const double all_at_100 = weight(2) + weight(5.0 / 3) + weight(4.0 / 3) + weight(1) + weight(1) +
                              weight(1.0 / 3) + weight(0);  // day 2's low point is at 90
    const double after_the_low = weight(1.0 / 3) + weight(0);
    const auto share = [&](std::size_t k, std::size_t e) {
        return pop.cohort(Side::Long, k, e).qty / (pop.long_runs[k].weight * pop.long_qty_per_weight);
    };
    CHECK(share(hi, at100) / share(lo, at100) == Approx(after_the_low / all_at_100).epsilon(1e-12));
    CHECK(share(hi, at90) == Approx(share(lo, at90)).epsilon(1e-12));  // opened at the low: both survive
    CHECK(share(lo, at100) > 0);
    // Nothing is open past its liquidation price at P0, and the crowd carries the OI.
    double notional = 0;
    for (std::size_t k = 0; k < pop.long_runs.size(); ++k) {
        for (auto e = pop.long_runs[k].first_alive; e < pop.long_runs[k].last_alive; ++e) {
            const Cohort c = pop.cohort(Side::Long, k, e);
            CHECK(c.liquidation_price < p.reference_price);
            notional += c.qty * p.reference_price;
        }
    }
    CHECK(notional == Approx(p.oi_to_depth * p.depth_1pct * p.long_share).epsilon(1e-9));
}

TEST_CASE("price-history files: bad input names the file, the line and the value", "[history][input]") {
    const auto refused = [](const char* text, const char* what) {
        try {
            PriceHistory::parse_csv(text, "bars.csv");
        } catch (const InputError& e) {
            INFO(e.what());
            CHECK(std::string(e.what()).find(what) != std::string::npos);
            return true;
        }
        return false;
    };
    CHECK(refused("date,open,high,low\n", "bars.csv:1: header: column 'close' is missing"));
    CHECK(refused("date,open,high,low,close\n2024-13-01,1,1,1,1\n", "bars.csv:2: column 'date': '2024-13-01'"));
    CHECK(refused("date,open,high,low,close\n2024-01-01,1,1,-1,1\n", "bars.csv:2: column 'low': '-1'"));
    CHECK(refused("date,open,high,low,close\n2024-01-01,1,1,1,nan\n", "column 'close': 'nan'"));
    CHECK(refused("date,open,high,low,close\n2024-01-01,10,11,10.5,10.8\n", "bars.csv:2: low 10.5 and high 11"));
    CHECK(refused("date,open,high,low,close\n2024-01-02,1,1,1,1\n2024-01-01,1,1,1,1\n", "bars.csv:3: bars must ascend"));
    CHECK(refused("date,open,high,low,close\n", "bars.csv: no bars"));
    const PriceHistory h = PriceHistory::parse_csv(
        "# a comment\ntime,close,open,high,low,volume\n0,10,10,11,9,5\n3600,10.5,10,11,10,1\n", "bars.csv");
    REQUIRE(h.bars().size() == 2);
    CHECK(h.bars()[1].time_s == 3600.0);
    CHECK(h.bars()[1].close == 10.5);
    CHECK(PriceHistory::parse_csv("date,open,high,low,close\n2024-03-01T12:30,1,1,1,1\n", "b").bars()[0].time_s ==
          1709296200.0);
}

TEST_CASE("the history's crowd liquidates longs on a small move that the clearance's crowd sits through",
          "[engine][M6][history]") {
    // A 2.5% shock: inside the classic crowd's 5.3% clearance nothing is liquidated; the crowd a history leaves
    // has fresh, highly leveraged positions near the price, and a few of them are taken over.
    CascadeParams p = quiet_day();
    p.shock_size = 0.025;
    p.clearance = 0.053;
    CascadeEngine engine(TierTable::btc_default(), EngineOptions{true});
    const PathOutputs classic = engine.run(p, 1, 0);
    p.history_enabled = true;
    const PathOutputs history = engine.run(p, 1, 0);
    CHECK(classic.liquidated_long_notional == 0.0);
    CHECK(history.liquidated_long_notional > 0.0);
    CHECK(history.liquidated_oi_fraction < 0.2);  // a few, not a cascade through the crowd
}

TEST_CASE("the crowd's renewal during the path: positions opened near the trough are squeezed by the bounce",
          "[engine][M6][history]") {
    // A 6% shock, mostly transient, then the V-bounce: with renewal, shorts opened at the low prices of the fall
    // (and longs opened on the way down) have liquidation prices the bounce and the fall cross; without it, only
    // M12's momentum shorts (switched off here) and the crowd of t = 0 can be liquidated.
    CascadeParams p = quiet_day();
    p.history_enabled = true;
    p.shock_size = 0.06;
    p.shock_permanent_share = 0.1;
    p.history_hold_days = 1.0;
    CascadeEngine engine(TierTable::btc_default(), EngineOptions{true});
    const PathOutputs without = engine.run(p, 3, 0);
    p.history_renewal = true;
    const PathOutputs with = engine.run(p, 3, 0);
    CHECK(with.liquidated_short_notional > 1.05 * without.liquidated_short_notional);
    CHECK(with.liquidated_long_notional > without.liquidated_long_notional);
    CHECK(with.conservation_error < 1e-12);
    // Off without a history: the flow is the history's.
    p.history_enabled = false;
    const PathOutputs grid = engine.run(p, 3, 0);
    p.history_renewal = false;
    const PathOutputs grid_off = engine.run(p, 3, 0);
    CHECK(grid.liquidated_short_notional == grid_off.liquidated_short_notional);
}

namespace {

// The intraday cohort (an explicit cohort of the history's population) of the given side nearest `leverage`.
const Cohort& intraday_near(const Population& pop, Side side, double leverage) {
    const auto& cohorts = side == Side::Long ? pop.longs : pop.shorts;
    REQUIRE(!cohorts.empty());
    const Cohort* best = &cohorts.front();
    for (const Cohort& c : cohorts)
        if (std::abs(std::log(c.leverage / leverage)) < std::abs(std::log(best->leverage / leverage)))
            best = &c;
    return *best;
}

}  // namespace

TEST_CASE("M6's intraday traders: their stock equals a brute-force simulation of their holds",
          "[population][M6][history][intraday]") {
    // Positions opened at exponential ages (hazard 1 / hold, hours) on a driftless Brownian motion; one is
    // still open when the path's low (long) or high (short) since its opening stayed beyond its liquidation
    // price. Per (leverage, size) pair the model keeps one cohort: its quantity over the pair's weight is the
    // surviving share of the flow (to a constant), its entry the survivors' mean entry. Both against the
    // simulation, with the crowd's own leverage mix (intraday_leverage 1: the pairs' weights are the runs').
    CascadeParams p = history_params();
    p.history_drift_annual = 0.0;
    p.intraday_share = 0.2;
    p.intraday_hold_days = 0.1;
    PopulationScratch scratch;
    Population pop;
    build_population(p, TierTable::btc_default(), scratch, pop);
    const double sigma = p.history_volatility_annual / std::sqrt(365.0);
    for (const Side side : {Side::Long, Side::Short}) {
        // The intraday traders hold their share of the side's open interest.
        const auto& cohorts = side == Side::Long ? pop.longs : pop.shorts;
        double notional = 0;
        for (const Cohort& c : cohorts) notional += c.qty * p.reference_price;
        const double side_oi = side == Side::Long ? pop.long_oi : pop.short_oi;
        CHECK(notional == Approx(p.intraday_share * side_oi).epsilon(1e-12));
        std::vector<double> share, simulated, offset, simulated_offset;
        for (const double leverage : {10.0, 30.0, 80.0}) {
            const Cohort& c = intraday_near(pop, side, leverage);
            const CohortRun& run =
                (side == Side::Long ? pop.long_runs : pop.short_runs)[run_near(pop, side, c.leverage)];
            REQUIRE(run.leverage == c.leverage);
            const double b = std::log(c.liquidation_price / c.entry);
            share.push_back(c.qty / run.weight);
            offset.push_back(std::log(p.reference_price / c.entry));
            std::mt19937_64 rng(side == Side::Long ? 21 : 22);
            std::exponential_distribution<double> age_of(1.0 / p.intraday_hold_days);
            std::normal_distribution<double> z;
            std::uniform_real_distribution<double> u(0.0, 1.0);
            constexpr int kSamples = 400000;
            double survivors = 0, sum_x = 0;
            for (int i = 0; i < kSamples; ++i) {
                const double a = age_of(rng);
                const double x = sigma * std::sqrt(a) * z(rng);  // log(P0 / entry)
                const double bridge = std::sqrt(x * x - 2.0 * sigma * sigma * a * std::log(u(rng)));
                const double extreme = side == Side::Long ? 0.5 * (x - bridge) : 0.5 * (x + bridge);
                if (side == Side::Long ? extreme > b : extreme < b) {
                    ++survivors;
                    sum_x += x;
                }
            }
            simulated.push_back(survivors / kSamples);
            simulated_offset.push_back(sum_x / survivors);
            INFO((side == Side::Long ? "long " : "short ") << c.leverage << "x, log ratio " << b);
            // The survivors' mean entry, within 4 of the simulation's standard errors (1.6e-5).
            CHECK(offset.back() == Approx(simulated_offset.back()).margin(6e-5));
            CHECK((side == Side::Long ? offset.back() > 0 : offset.back() < 0));  // on the safe side of P0
        }
        // The surviving shares, relative to the least levered pair's: fewer of the more levered are left.
        for (std::size_t i = 1; i < share.size(); ++i) {
            CHECK(share[i] / share[0] == Approx(simulated[i] / simulated[0]).epsilon(0.01));
            CHECK(share[i] < share[i - 1]);
        }
    }
    // More levered intraday traders: their notional-weighted leverage rises; off, no explicit cohorts at all.
    const auto mean_leverage = [](const std::vector<Cohort>& cohorts) {
        double n = 0, l = 0;
        for (const Cohort& c : cohorts) {
            n += c.qty;
            l += c.qty * c.leverage;
        }
        return l / n;
    };
    const double base = mean_leverage(pop.longs);
    p.intraday_leverage = 4.0;
    build_population(p, TierTable::btc_default(), scratch, pop);
    CHECK(mean_leverage(pop.longs) > 1.5 * base);
    p.intraday_share = 0.0;
    build_population(p, TierTable::btc_default(), scratch, pop);
    CHECK(pop.longs.empty());
    CHECK(pop.shorts.empty());
}

TEST_CASE("M6's intraday traders: small falls liquidate more, and the response curve flattens",
          "[engine][M6][history][intraday]") {
    // The history's crowd thins towards the price (those near it were removed by the past's excursions); the
    // intraday traders' stock, hours old and levered, sits right by it. A 3% shock liquidates more longs with
    // them; a 10% shock too, but by less relative to what it liquidates anyway: the ratio of the two falls.
    CascadeParams p = quiet_day();
    p.history_enabled = true;
    p.history_hold_days = 19.3;
    p.shock_permanent_share = 0.3;
    CascadeEngine engine(TierTable::btc_default(), EngineOptions{true});
    const auto longs = [&](double share, double shock) {
        p.intraday_share = share;
        p.intraday_leverage = 4.0;
        p.shock_size = shock;
        const PathOutputs o = engine.run(p, 5, 0);
        CHECK(o.conservation_error < 1e-12);
        return o.liquidated_long_notional;
    };
    const double small_without = longs(0.0, 0.03), big_without = longs(0.0, 0.10);
    const double small_with = longs(0.1, 0.03), big_with = longs(0.1, 0.10);
    INFO("3%: " << small_without << " -> " << small_with << ", 10%: " << big_without << " -> " << big_with);
    CHECK(small_with > 1.5 * small_without);
    CHECK(big_with / small_with < 0.8 * (big_without / small_without));
}

TEST_CASE("stop-losses: a share of each pair sits at a stop, which past extremes reach first",
          "[population][M6][history]") {
    // positions.stop_share of each (leverage, size) pair's flow carries a stop stop_distance of the way from
    // the entry to the liquidation price: a twin run whose ratio is the stop's. The history's extremes cross
    // a stop before the liquidation price, so of the same flow fewer positions with a stop are still open.
    CascadeParams p = history_params();
    PopulationScratch scratch;
    Population plain, stops;
    build_population(p, TierTable::btc_default(), scratch, plain);
    p.stop_share = 0.5;
    p.stop_distance = 0.5;
    build_population(p, TierTable::btc_default(), scratch, stops);
    const auto& runs = stops.long_runs;
    std::size_t twins = 0;
    double with = 0, without = 0;
    for (std::size_t k = 0; k < runs.size(); ++k) {
        double qty = 0;
        for (std::size_t e = runs[k].first_alive; e < runs[k].last_alive; ++e)
            qty += stops.cohort(Side::Long, k, e).qty;
        (runs[k].stop ? with : without) += qty;
        if (!runs[k].stop) continue;
        ++twins;
        CHECK((stops.cohort(Side::Long, k, runs[k].first_alive).flags & kStop) != 0);
        // The stop lies between the liquidation price and the entry: halfway at 0.5.
        const auto same = std::find_if(runs.begin(), runs.end(), [&](const CohortRun& r) {
            return !r.stop && r.leverage == runs[k].leverage && r.size_class == runs[k].size_class;
        });
        if (same != runs.end()) CHECK(runs[k].ratio == Approx(0.5 * (1.0 + same->ratio)).epsilon(1e-12));
    }
    CHECK(twins > 0);
    CHECK(with > 0);
    CHECK(with < 0.9 * without);
    // Open interest is the side's whatever the stops: the survivors carry it.
    CHECK((with + without) * p.reference_price == Approx(plain.long_oi).epsilon(1e-9));
    CHECK(plain.long_runs.size() < runs.size());
}

TEST_CASE("stop-losses close at market when the mark crosses them: no liquidation, no margin to the engine",
          "[engine][M6]") {
    CascadeParams p = quiet_day();
    p.history_enabled = true;
    p.air_pocket = true;
    p.shock_size = 0.1;
    p.fund_to_oi = 1.0;  // no ADL
    // Invariants checked every step.
    CascadeEngine engine(TierTable::btc_default(), EngineOptions{true});
    const PathOutputs none = engine.run(p, 1, 0);
    CHECK(none.stopped_long_notional == 0);
    p.stop_share = 0.5;
    const PathOutputs half = engine.run(p, 1, 0);
    CHECK(half.stopped_long_notional > 0);
    // Those stopped out are not liquidated and lose no margin to the engine.
    CHECK(half.liquidated_long_notional < none.liquidated_long_notional);
    CHECK(half.trader_margin_lost_long < none.trader_margin_lost_long);
    // Their market orders are forced flow: stopped and liquidated longs together exceed the liquidations of
    // the crowd without stops, whose positions only leave at their liquidation prices, further away.
    CHECK(half.stopped_long_notional + half.liquidated_long_notional > none.liquidated_long_notional);
    // A stop at the liquidation price itself closes the same positions as liquidation would, at market: the
    // engine's throughput no longer holds them back, and none of them reaches the fund.
    p.stop_share = 0.95;
    p.stop_distance = 1.0;
    const PathOutputs at_liquidation = engine.run(p, 1, 0);
    CHECK(at_liquidation.liquidated_long_notional < 0.15 * none.liquidated_long_notional);
    CHECK(at_liquidation.stopped_long_notional > 0.5 * none.liquidated_long_notional);
}

TEST_CASE("hedged open interest: in the open interest and the fund's base, never liquidated",
          "[engine][M6]") {
    // positions.hedged_share of the open interest is held hedged (basis trades): the crowd that can be
    // liquidated is the rest. A market with 80 d1 of open interest, a quarter hedged, plays exactly the
    // cascade of a market with 60 d1 and none; only the denominator of the liquidated share differs.
    CascadeParams p = quiet_day();
    p.history_enabled = true;
    p.air_pocket = true;
    p.shock_size = 0.1;
    p.fund_to_oi = 1.0;  // the fund never runs out: its base cannot change the path
    p.oi_to_depth = 80.0;
    p.hedged_share = 0.25;
    PopulationScratch scratch;
    Population hedged, thin;
    build_population(p, TierTable::btc_default(), scratch, hedged);
    CHECK(hedged.hedged_oi == 20.0 * p.depth_1pct);
    CHECK(hedged.long_oi + hedged.short_oi == Approx(60.0 * p.depth_1pct).epsilon(1e-15));
    CascadeEngine engine(TierTable::btc_default(), EngineOptions{true});  // invariants checked every step
    const PathOutputs with = engine.run(p, 1, 0);
    CascadeParams q = p;
    q.oi_to_depth = 60.0;
    q.hedged_share = 0.0;
    build_population(q, TierTable::btc_default(), scratch, thin);
    CHECK(thin.long_oi == Approx(hedged.long_oi).epsilon(1e-15));
    CHECK(thin.hedged_oi == 0.0);
    const PathOutputs without = engine.run(q, 1, 0);
    REQUIRE(without.liquidated_long_notional > 0);
    CHECK(with.liquidated_long_notional == Approx(without.liquidated_long_notional).epsilon(1e-9));
    CHECK(with.max_drawdown == Approx(without.max_drawdown).epsilon(1e-9));
    CHECK(with.liquidated_oi_fraction == Approx(0.75 * without.liquidated_oi_fraction).epsilon(1e-9));
    // The whole crowd unhedged liquidates more: the hedged quarter is what no fall reaches.
    p.hedged_share = 0.0;
    const PathOutputs unhedged = engine.run(p, 1, 0);
    CHECK(unhedged.liquidated_long_notional > 1.1 * with.liquidated_long_notional);
}
