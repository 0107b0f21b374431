// M6 population: quadrature weights, OI, entry clusters, the clearance, and the run order the engine needs.
#include <catch2/catch.hpp>

#include <cmath>

#include "wipeout/population.h"
#include "wipeout/tiers.h"

using namespace wipeout;

namespace {
double side_notional(const Population& pop, Side side, double p0) {
    double sum = 0;
    const auto& runs = side == Side::Long ? pop.long_runs : pop.short_runs;
    for (std::size_t k = 0; k < runs.size(); ++k) {
        for (auto e = runs[k].first_alive; e < runs[k].last_alive; ++e) sum += pop.cohort(side, k, e).qty * p0;
    }
    return sum;
}
}  // namespace

TEST_CASE("the surviving cohorts carry exactly the open interest, split by the long share", "[population][M6]") {
    CascadeParams p;
    p.long_share = 0.7;
    PopulationScratch scratch;
    Population pop;
    build_population(p, TierTable::btc_default(), scratch, pop);
    const double oi = p.oi_to_depth * p.depth_1pct;
    CHECK(side_notional(pop, Side::Long, p.reference_price) == Approx(0.7 * oi).epsilon(1e-9));
    CHECK(side_notional(pop, Side::Short, p.reference_price) == Approx(0.3 * oi).epsilon(1e-9));
    CHECK(pop.cohort_count() >= 10000);  // the default fidelity the cost target is stated for
}

TEST_CASE("no position exists within the clearance of its liquidation price at t = 0", "[population][M6]") {
    CascadeParams p;
    p.clearance = 0.02;
    PopulationScratch scratch;
    Population pop;
    build_population(p, TierTable::btc_default(), scratch, pop);
    for (std::size_t k = 0; k < pop.long_runs.size(); ++k) {
        for (auto e = pop.long_runs[k].first_alive; e < pop.long_runs[k].last_alive; ++e) {
            REQUIRE(pop.cohort(Side::Long, k, e).liquidation_price < 0.98 * p.reference_price);
        }
    }
    for (std::size_t k = 0; k < pop.short_runs.size(); ++k) {
        for (auto e = pop.short_runs[k].first_alive; e < pop.short_runs[k].last_alive; ++e) {
            REQUIRE(pop.cohort(Side::Short, k, e).liquidation_price > 1.02 * p.reference_price);
        }
    }
}

TEST_CASE("each run is ordered by liquidation price along the entries", "[population][M6][M7]") {
    CascadeParams p;
    PopulationScratch scratch;
    Population pop;
    build_population(p, TierTable::btc_default(), scratch, pop);
    for (std::size_t k = 0; k < pop.long_runs.size(); ++k) {
        if (pop.long_runs[k].ratio <= 0) continue;  // 1x longs: never liquidated
        for (auto e = pop.long_runs[k].first_alive + 1; e < pop.long_runs[k].last_alive; ++e) {
            REQUIRE(pop.cohort(Side::Long, k, e).liquidation_price > pop.cohort(Side::Long, k, e - 1).liquidation_price);
        }
    }
}

TEST_CASE("round-number levels carry the clustered share of entries", "[population][M6]") {
    CascadeParams p;
    p.round_share = 0.4;
    PopulationScratch scratch;
    Population pop;
    build_population(p, TierTable::btc_default(), scratch, pop);
    double on_round = 0, total = 0;
    const double unit = p.round_step * p.reference_price;
    for (std::size_t e = 0; e < pop.entries.size(); ++e) {
        total += pop.entry_weights[e];
        const double m = pop.entries[e] / unit;
        if (std::abs(m - std::round(m)) < 1e-9) on_round += pop.entry_weights[e];
    }
    CHECK(total == Approx(1.0).epsilon(1e-12));
    CHECK(on_round == Approx(0.4).epsilon(1e-6));
}

TEST_CASE("more leverage puts liquidation prices closer: the mean distance shrinks", "[population][M6]") {
    const auto mean_distance = [](double leverage_median) {
        CascadeParams p;
        p.leverage_median = leverage_median;
        p.clearance = 0;
        PopulationScratch scratch;
        Population pop;
        build_population(p, TierTable::btc_default(), scratch, pop);
        double num = 0, den = 0;
        for (std::size_t k = 0; k < pop.long_runs.size(); ++k) {
            for (auto e = pop.long_runs[k].first_alive; e < pop.long_runs[k].last_alive; ++e) {
                const Cohort c = pop.cohort(Side::Long, k, e);
                num += c.qty * (1.0 - c.liquidation_price / p.reference_price);
                den += c.qty;
            }
        }
        return num / den;
    };
    CHECK(mean_distance(25.0) < mean_distance(5.0));
}

TEST_CASE("leverage above a bracket's maximum opens at the cap", "[population][M6][M7]") {
    CascadeParams p;
    p.size_min = 2e7;  // every position in a high bracket
    p.size_classes = 1;
    PopulationScratch scratch;
    Population pop;
    build_population(p, TierTable::btc_default(), scratch, pop);
    const auto& tiers = TierTable::btc_default();
    const double cap = tiers[tiers.index_for_notional(pop.long_runs.front().position_notional)].max_leverage;
    for (const auto& run : pop.long_runs) CHECK(run.leverage <= cap);
}
