// The engine's fast paths against the code they stand in for: the closed-form partial-liquidation quote
// against the margin module, the inlined normal variates against boost, the aggregated take-over against
// cohort-by-cohort liquidation.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include <boost/random/normal_distribution.hpp>

#include "../src/engine/fast_math.h"
#include "engine_fixtures.h"
#include "wipeout/error.h"
#include "wipeout/margin.h"
#include "wipeout/population.h"
#include "wipeout/random.h"
#include "wipeout/tiers.h"

using namespace wipeout;

namespace {

// isolated_liquidation with the generic convention, as GenericLiquidation reports it.
GenericLiquidation::Quote reference_quote(Side side, double entry, double qty, double leverage,
                                          const TierTable& tiers, double fee) {
    GenericLiquidation::Quote q;  // invalid
    try {
        const LiquidationQuote r =
            isolated_liquidation({side, entry, qty, qty * entry / leverage}, tiers, {fee, Venue::Generic});
        q.price = r.liquidates ? r.liquidation_price : 0.0;
        q.tier = r.tier;
        REQUIRE(q.liquidates() == r.liquidates);  // the encoding holds
    } catch (const InputError&) {
        q.tier = -1;
    }
    return q;
}

TierTable jumpy_table() {
    // Maintenance amounts that jump at a boundary, so some brackets are not self-consistent (docs/margin.md).
    return TierTable::from_tiers({{0, 1e4, 50, 0.01, 0},
                                  {1e4, 1e5, 25, 0.02, 0},
                                  {1e5, 1e6, 10, 0.05, 5000},
                                  {1e6, 1e7, 5, 0.1, 0},
                                  {1e7, 1e8, 2, 0.3, 1e6}},
                                 "jumpy", false);
}

}  // namespace

TEST_CASE("the engine's closed-form generic quote is isolated_liquidation's, bit for bit",
          "[engine][perf][M7]") {
    const TierTable tables[] = {TierTable::btc_default(), TierTable::single(0.005), jumpy_table()};
    RandomStream rng(1, 2, StreamId::Scenario);
    int checked = 0, rejected = 0, never = 0;
    for (const TierTable& tiers : tables) {
        for (const double fee : {0.0, 0.005, 0.02, 0.3}) {
            const GenericLiquidation fast(tiers, fee);
            for (int n = 0; n < 20000; ++n) {
                const Side side = rng.uniform() < 0.5 ? Side::Long : Side::Short;
                const double entry = 1000.0 * std::exp(6.0 * rng.uniform());
                // Notionals from 10 to 10^9 (past the table's cap), leverage from 0.5x to 150x.
                const double notional = std::pow(10.0, 1.0 + 8.0 * rng.uniform());
                const double qty = notional / entry;
                const double leverage = std::exp(std::log(0.5) + std::log(300.0) * rng.uniform());
                const auto want = reference_quote(side, entry, qty, leverage, tiers, fee);
                const auto got = fast.quote(side, entry, qty, leverage);
                INFO("side " << side_name(side) << " entry " << entry << " qty " << qty << " leverage "
                             << leverage << " fee " << fee);
                REQUIRE(got.valid() == want.valid());
                if (!want.valid()) {
                    ++rejected;
                    continue;
                }
                REQUIRE(got.liquidates() == want.liquidates());
                REQUIRE(got.tier == want.tier);
                REQUIRE(got.price == want.price);  // exact: the same operations in the same order
                never += want.liquidates() ? 0 : 1;
                ++checked;
            }
        }
    }
    // Every branch was exercised: valid quotes, rejections, and longs at or below 1x that never liquidate.
    CHECK(checked > 10000);
    CHECK(rejected > 1000);
    CHECK(never > 100);
}

TEST_CASE("the closed-form quote agrees at the leverage caps, where it skips a division",
          "[engine][perf][M7]") {
    // Grid cohorts open at a bracket's maximum leverage; the quote decides "above the maximum" without
    // dividing unless the leverage is within 1e-14 of it: probe that edge from both sides.
    const TierTable tables[] = {TierTable::btc_default(), jumpy_table()};
    for (const TierTable& tiers : tables) {
        const GenericLiquidation fast(tiers, 0.005);
        for (int t = 0; t < tiers.size(); ++t) {
            const Tier& tier = tiers[t];
            for (const double where : {0.0, 0.3, 0.999999, 1.0}) {
                const double notional =
                    tier.notional_floor + where * (std::min(tier.notional_cap, 1e9) - tier.notional_floor);
                if (!(notional > 0)) continue;
                for (const double entry : {95000.0, 100000.0, 3.0}) {
                    const double qty = notional / entry;
                    for (const double rel : {-1e-13, -1e-14, -3e-15, 0.0, 3e-15, 1e-14, 1e-13, 2e-12}) {
                        double leverage = tier.max_leverage * (1.0 + rel);
                        for (int step = -2; step <= 2; ++step) {
                            const double l = step < 0   ? std::nextafter(leverage, 0.0)
                                             : step > 0 ? std::nextafter(leverage, 1e9)
                                                        : leverage;
                            for (const Side side : {Side::Long, Side::Short}) {
                                const auto want = reference_quote(side, entry, qty, l, tiers, 0.005);
                                const auto got = fast.quote(side, entry, qty, l);
                                INFO("tier " << t << " notional " << notional << " leverage " << l);
                                REQUIRE(got.valid() == want.valid());
                                REQUIRE(got.tier == want.tier);
                                REQUIRE(got.price == want.price);
                            }
                            leverage = l;
                        }
                    }
                }
            }
        }
    }
}


TEST_CASE("the closed-form quote decides at a bracket's edge as the margin module does",
          "[engine][perf][M7]") {
    // Random positions rarely put a candidate price near a bracket's edge, where the walk's tests are
    // closest: put it on the edge (its liquidation notional on the bracket's floor or cap) and a few ulps and
    // relative hairs to either side. Every one must give the reference's tier and price (a walk that decided
    // its tests on approximate quotients, products with 1/qty, fails here).
    const TierTable tables[] = {TierTable::btc_default(), jumpy_table()};
    int near_edge = 0;
    for (const TierTable& tiers : tables) {
        for (const double fee : {0.0, 0.005}) {
            const GenericLiquidation fast(tiers, fee);
            for (int t = 0; t < tiers.size(); ++t) {
                const Tier& tier = tiers[t];
                for (const Side side : {Side::Long, Side::Short}) {
                    // A long's liquidation notional falls to its bracket's floor, a short's rises to its cap.
                    const double edge = side == Side::Long ? tier.notional_floor : std::min(tier.notional_cap, 1e9);
                    if (!(edge > 0)) continue;
                    const double sign = side == Side::Long ? 1.0 : -1.0;
                    const double den = 1.0 - sign * (tier.mmr + fee);
                    for (const double leverage : {2.0, tier.max_leverage * 0.5, tier.max_leverage}) {
                        for (const double qty : {0.37, 3.0, 41.0}) {
                            for (const double rel : {-1e-10, -1e-12, -1e-14, 0.0, 1e-14, 1e-12, 1e-10}) {
                                // The entry whose candidate (entry - sign (margin + maint) / qty) / den is the
                                // edge price (1 + rel), margin = qty entry / leverage.
                                const double target = edge / qty * (1.0 + rel);
                                double entry = (den * target + sign * tier.maint_amount / qty) / (1.0 - sign / leverage);
                                for (int k = 0; k < 3; ++k) entry = std::nextafter(entry, 0.0);
                                for (int ulp = 0; ulp < 7; ++ulp, entry = std::nextafter(entry, 1e300)) {  // -3 .. +3
                                    if (!(entry > 0)) continue;
                                    const auto want = reference_quote(side, entry, qty, leverage, tiers, fee);
                                    const auto got = fast.quote(side, entry, qty, leverage);
                                    INFO("tier " << t << " side " << side_name(side) << " entry " << entry
                                                 << " qty " << qty << " leverage " << leverage);
                                    REQUIRE(got.valid() == want.valid());
                                    REQUIRE(got.tier == want.tier);
                                    REQUIRE(got.price == want.price);
                                    near_edge += want.valid() ? 1 : 0;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    CHECK(near_edge > 500);
}
TEST_CASE("the engine's normal variates are boost's, bit for bit", "[engine][perf]") {
    RandomStream a(7, 3, StreamId::Market), b(7, 3, StreamId::Market);
    boost::random::normal_distribution<double> boost_normal;
    detail::FastNormal fast_normal;
    double tail = 0;
    for (int n = 0; n < 2000000; ++n) {
        const double want = boost_normal(a);
        const double got = fast_normal(b);
        if (std::abs(want) > 3.5) ++tail;
        REQUIRE(std::signbit(got) == std::signbit(want));
        REQUIRE(got == want);
    }
    CHECK(tail > 0);    // the tail and wedge paths ran too
    CHECK(a() == b());  // and consumed the same draws
}

TEST_CASE("the engine's exp and log1p near zero are within an ulp of libm's", "[engine][perf]") {
    RandomStream rng(3, 1, StreamId::Scenario);
    const auto ulps = [](double got, double want) {
        return std::abs(got - want) / (std::nextafter(std::abs(want), 1e300) - std::abs(want));
    };
    double worst_exp = 0, worst_log = 0;
    for (int n = 0; n < 4000000; ++n) {
        // Arguments across the polynomials' ranges, their edges, and a little beyond (where libm takes over).
        const double scale = std::ldexp(1.0, -static_cast<int>(40 * rng.uniform()));
        const double x = (2 * rng.uniform() - 1) * scale * 0.14;
        worst_exp = std::max(worst_exp, ulps(detail::exp_near_zero(x), std::exp(x)));
        worst_log = std::max(worst_log, ulps(detail::log1p_near_zero(x), std::log1p(x)));
    }
    CHECK(worst_exp <= 1.0);
    CHECK(worst_log <= 1.0);
    for (const double edge : {0.125, -0.125, 0x1p-5, -0x1p-5, 0x1.0000000000001p-5, 0.0, -0.0, 1e-300}) {
        CHECK(ulps(detail::exp_near_zero(edge), std::exp(edge)) <= 1.0);
        CHECK(ulps(detail::log1p_near_zero(edge), std::log1p(edge)) <= 1.0);
    }
    CHECK(detail::exp_near_zero(0.5) == std::exp(0.5));  // beyond the polynomials: libm itself
    CHECK(detail::log1p_near_zero(-0.5) == std::log1p(-0.5));
}

TEST_CASE("aggregated take-overs of a run liquidate what cohort-by-cohort ones do", "[engine][perf][M8]") {
    // Without partial liquidation every crossed block of a run is one aggregated take-over; the same grid as
    // explicit cohorts goes through the engine one cohort at a time. Same liquidations, up to rounding.
    CascadeParams p;
    p.partial_liquidation = false;
    p.air_pocket = true;
    PopulationScratch scratch;
    Population grid;
    build_population(p, TierTable::btc_default(), scratch, grid);
    Population explicit_cohorts;
    for (const Side side : {Side::Long, Side::Short}) {
        const auto& runs = side == Side::Long ? grid.long_runs : grid.short_runs;
        for (std::size_t k = 0; k < runs.size(); ++k) {
            for (auto e = runs[k].first_alive; e < runs[k].last_alive; ++e) {
                (side == Side::Long ? explicit_cohorts.longs : explicit_cohorts.shorts)
                    .push_back(grid.cohort(side, k, e));
            }
        }
    }
    explicit_cohorts.long_oi = grid.long_oi;
    explicit_cohorts.short_oi = grid.short_oi;
    CascadeEngine engine(TierTable::btc_default(), EngineOptions{true});
    for (std::uint64_t path = 0; path < 4; ++path) {
        const PathOutputs a = engine.run(p, grid, 5, path);
        const auto blocks = engine.last_counters().grid_blocks;
        const PathOutputs b = engine.run(p, explicit_cohorts, 5, path);
        INFO("path " << path);
        CHECK(blocks > 0);
        CHECK(engine.last_counters().grid_blocks == 0);
        CHECK(a.liquidated_long_notional == Approx(b.liquidated_long_notional).epsilon(1e-9));
        CHECK(a.liquidated_short_notional == Approx(b.liquidated_short_notional).epsilon(1e-9));
        CHECK(a.liquidated_long_count == Approx(b.liquidated_long_count).epsilon(1e-9));
        CHECK(a.trader_margin_lost == Approx(b.trader_margin_lost).epsilon(1e-9));
        CHECK(a.max_drawdown == Approx(b.max_drawdown).epsilon(1e-9));
        CHECK(a.fund_final == Approx(b.fund_final).epsilon(1e-9));
    }
}

namespace {

bool same_population(const Population& a, const Population& b) {
    const auto same_runs = [](const std::vector<CohortRun>& x, const std::vector<CohortRun>& y) {
        if (x.size() != y.size()) return false;
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (x[i].ratio != y[i].ratio || x[i].leverage != y[i].leverage || x[i].weight != y[i].weight ||
                x[i].position_notional != y[i].position_notional || x[i].tier != y[i].tier ||
                x[i].size_class != y[i].size_class || x[i].first_alive != y[i].first_alive ||
                x[i].last_alive != y[i].last_alive) {
                return false;
            }
        }
        return true;
    };
    return a.entries == b.entries && a.entry_weights == b.entry_weights &&
           same_runs(a.long_runs, b.long_runs) && same_runs(a.short_runs, b.short_runs) &&
           a.long_qty_per_weight == b.long_qty_per_weight &&
           a.short_qty_per_weight == b.short_qty_per_weight && a.long_oi == b.long_oi &&
           a.short_oi == b.short_oi;
}

}  // namespace

TEST_CASE("a population build reusing its scratch equals a fresh build, whatever changed",
          "[population][perf]") {
    // The build keeps each stage with the parameters it came from: vary them one at a time and back.
    std::vector<CascadeParams> variants(8);
    variants[1].leverage_median = 20;
    variants[2].entry_dispersion = 0.08;
    variants[3].size_tail = 1.5;
    variants[4].liquidation_fee = 0.01;
    variants[5].leverage_bins = 12;
    variants[6].round_share = 0.0;
    variants[7].reference_price = 50000;
    PopulationScratch reused;
    Population reused_out;
    for (int pass = 0; pass < 2; ++pass) {
        for (std::size_t v = 0; v < variants.size(); ++v) {
            PopulationScratch fresh;
            Population fresh_out;
            build_population(variants[v], TierTable::btc_default(), fresh, fresh_out);
            build_population(variants[v], TierTable::btc_default(), reused, reused_out);
            INFO("pass " << pass << " variant " << v);
            CHECK(same_population(reused_out, fresh_out));
        }
    }
}

TEST_CASE("an engine reusing its population across paths gives each path's outputs bit for bit",
          "[engine][perf][determinism]") {
    // The engine skips the build when a path's population parameters equal the last path's: interleave
    // parameter sets, and a supplied population, and compare with a fresh engine per path.
    CascadeParams a, b;
    b.leverage_median = 25;
    b.oi_to_depth = 100;
    const Population hand = test::uniform_long_density(a.reference_price, 1e9, 0.2, 1e-3);
    CascadeEngine shared(TierTable::btc_default());
    const auto same = [](const PathOutputs& x, const PathOutputs& y) {
        for (const auto& spec : output_specs()) {
            if (std::memcmp(&(x.*spec.member), &(y.*spec.member), sizeof(double)) != 0) return false;
        }
        return true;
    };
    const CascadeParams* sequence[] = {&a, &a, &b, &a, nullptr, &a, &b, &b};
    std::uint64_t path = 0;
    for (const CascadeParams* p : sequence) {
        CascadeEngine fresh(TierTable::btc_default());
        if (p == nullptr) {
            CHECK(same(shared.run(a, hand, 3, path), fresh.run(a, hand, 3, path)));
        } else {
            CHECK(same(shared.run(*p, 3, path), fresh.run(*p, 3, path)));
            CHECK(shared.last_counters().cohorts == fresh.last_counters().cohorts);
        }
        ++path;
    }
}

TEST_CASE("a traced path has the outputs of the untraced one", "[engine][perf]") {
    CascadeParams p;
    p.air_pocket = true;
    CascadeEngine engine(TierTable::btc_default());
    for (std::uint64_t path = 0; path < 3; ++path) {
        PathTrace trace;
        const PathOutputs traced = engine.run(p, 9, path, &trace);
        const PathOutputs plain = engine.run(p, 9, path);
        CHECK(trace.rows.size() == static_cast<std::size_t>(plain.n_steps) + 1);
        for (const auto& spec : output_specs()) {
            INFO(spec.name);
            CHECK(std::memcmp(&(traced.*spec.member), &(plain.*spec.member), sizeof(double)) == 0);
        }
    }
}
