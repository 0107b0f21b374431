// Position snapshots ([positions] source): a venue's own positions replacing the parametric crowd (#14).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "engine_fixtures.h"
#include "wipeout/error.h"
#include "wipeout/market_inputs.h"
#include "wipeout/position_snapshot.h"
#include "wipeout/scenario.h"
#include "wipeout/statistics.h"

using namespace wipeout;

namespace {

const TierTable& tiers() {
    return TierTable::btc_default();
}

std::string error_of(const std::string& csv) {
    try {
        PositionSnapshot::parse_csv(csv, "pos.csv", tiers());
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

MarketInputs inputs_with(const PositionSnapshot& snapshot) {
    MarketInputs in{tiers(), std::nullopt, std::make_shared<const PositionSnapshot>(snapshot), std::nullopt};
    return in;
}

}  // namespace

TEST_CASE("position snapshots: every position's liquidation price is the margin module's, exactly",
          "[snapshot][input]") {
    // Four isolated positions far apart (each its own cohort), one past its liquidation price at P0 = 100.
    const std::string csv =
        "side,entry,qty,leverage,margin\n"
        "long,100,2,10,\n"      // 20 x 10 = 200 notional at 10x
        "short,95,1,,19\n"      // margin 19 on 95: 5x
        "long,120,1,5,\n"       // liquidates near 96.5 > 100? no: 5x from 120, ~96.6 < 100, kept
        "long,130,1,20,\n";     // 20x from 130: liquidation ~124 >= 100, past it: left out
    const PositionSnapshot snap = PositionSnapshot::parse_csv(csv, "pos.csv", tiers());
    REQUIRE(snap.rows() == 4);
    REQUIRE(snap.positions().size() == 4);
    const double fee = 0.005;
    Population pop;
    const auto s = snap.build(tiers(), fee, 100.0, 1.0, pop);
    CHECK(s.positions == 3);
    CHECK(s.excluded_long == 1);
    CHECK(s.excluded_short == 0);
    REQUIRE(pop.longs.size() == 2);
    REQUIRE(pop.shorts.size() == 1);
    const MarginParams mp{fee, Venue::Generic};
    const auto long1 = isolated_liquidation({Side::Long, 100, 2, 20}, tiers(), mp);
    const auto long3 = isolated_liquidation({Side::Long, 120, 1, 24}, tiers(), mp);
    const auto short2 = isolated_liquidation({Side::Short, 95, 1, 19}, tiers(), mp);
    // Cohorts come by leverage class, then liquidation price, within a side: the 5x long first.
    CHECK(pop.longs[0].liquidation_price == long3.liquidation_price);
    CHECK(pop.longs[1].liquidation_price == long1.liquidation_price);
    CHECK(pop.shorts[0].liquidation_price == short2.liquidation_price);
    CHECK(pop.longs[1].margin() == Approx(20).epsilon(1e-14));
    CHECK(pop.longs[0].margin() == Approx(24).epsilon(1e-14));
    CHECK(pop.shorts[0].margin() == Approx(19).epsilon(1e-14));
    CHECK(pop.long_oi == Approx(300.0).epsilon(1e-14));  // (2 + 1) x 100
    CHECK(pop.short_oi == Approx(100.0).epsilon(1e-14));
    CHECK(snap.describe(s).find("1 past their liquidation price at the reference price left out (1 long, 0 short)") !=
          std::string::npos);

    // oi_scale: more positions like these, at the same prices.
    Population scaled;
    snap.build(tiers(), fee, 100.0, 1.3, scaled);
    CHECK(scaled.long_oi == Approx(1.3 * pop.long_oi).epsilon(1e-14));
    CHECK(scaled.longs[0].liquidation_price == pop.longs[0].liquidation_price);
    CHECK(scaled.longs[1].liquidation_price == pop.longs[1].liquidation_price);
    CHECK(scaled.longs[0].qty == Approx(1.3 * pop.longs[0].qty).epsilon(1e-14));
    CHECK(scaled.longs[0].position_qty == pop.longs[0].position_qty);
}

TEST_CASE("position snapshots: positions within a bin are one cohort that keeps their quantity, entry value, margin "
          "and count", "[snapshot]") {
    // Two longs whose liquidation prices lie within 0.1% of each other, at the same leverage class.
    const std::string csv = "side,entry,qty,leverage\nlong,100,1,10\nlong,100.02,3,10\n";
    const PositionSnapshot snap = PositionSnapshot::parse_csv(csv, "pos.csv", tiers());
    Population pop;
    const auto s = snap.build(tiers(), 0.005, 100.0, 1.0, pop);
    REQUIRE(pop.longs.size() == 1);
    CHECK(s.cohorts == 1);
    const Cohort& c = pop.longs[0];
    CHECK(c.qty == 4);
    CHECK(c.count() == Approx(2).epsilon(1e-14));
    CHECK(c.qty * c.entry == Approx(100 + 3 * 100.02).epsilon(1e-14));
    CHECK(c.margin() == Approx(10 + 3 * 10.002).epsilon(1e-14));
    const MarginParams mp{0.005, Venue::Generic};
    const double l1 = isolated_liquidation({Side::Long, 100, 1, 10}, tiers(), mp).liquidation_price;
    const double l2 = isolated_liquidation({Side::Long, 100.02, 3, 3 * 10.002}, tiers(), mp).liquidation_price;
    CHECK(c.liquidation_price == Approx((l1 + 3 * l2) / 4).epsilon(1e-14));
}

TEST_CASE("position snapshots: bad input names file:line:column and the value", "[snapshot][input]") {
    CHECK(error_of("side,entry,leverage\nlong,100,10\n") == "pos.csv:1: header: column 'qty' is missing");
    CHECK(error_of("side,entry,qty\nlong,100,1\n") == "pos.csv:1: header: column 'leverage' (or 'margin') is missing");
    CHECK(error_of("side,entry,qty,leverage\nlong,100,-5,10\n") ==
          "pos.csv:2:10: column 'qty': '-5' is not a positive quantity (base units)");
    CHECK(error_of("side,entry,qty,leverage\nlong,nan,1,10\n") ==
          "pos.csv:2:6: column 'entry': 'nan' is not a positive entry price");
    CHECK(error_of("side,entry,qty,leverage\nlong,100,1,10\nsideways,100,1,10\n") ==
          "pos.csv:3:1: column 'side': 'sideways' is not a side: expected long or short");
    CHECK(error_of("side,entry,qty,leverage\nlong,100,1,200\n") ==
          "pos.csv:2:12: column 'leverage': '200' is above the maximum 125x of the tier of notional 100");
    CHECK(error_of("side,entry,qty,leverage\nlong,100,1,0.5\n") == "pos.csv:2:12: column 'leverage': '0.5' is below 1x");
    CHECK(error_of("side,entry,qty,leverage,mode\nlong,100,1,10,portfolio\n") ==
          "pos.csv:2:15: column 'mode': 'portfolio' is not a margin mode: expected isolated or cross");
    CHECK(error_of("side,entry,qty,leverage,mode,account,wallet_balance\nlong,100,1,10,cross,,5\n") ==
          "pos.csv:2:15: column 'mode': 'cross' needs an account: cross positions share their account's wallet");
    CHECK(error_of("account,side,entry,qty,leverage,mode,wallet_balance\nA,long,100,1,10,cross,\n") ==
          "pos.csv:2: cross account 'A' has no wallet_balance on any of its rows");
    CHECK(error_of("account,side,entry,qty,leverage,mode,wallet_balance\nA,long,100,1,10,cross,50\n"
                   "A,long,101,1,10,cross,60\n") ==
          "pos.csv:3:23: column 'wallet_balance': '60' differs from account 'A''s wallet balance 50 on an earlier row");
    CHECK(error_of("account,side,entry,qty,leverage,mode,wallet_balance\nA,long,100,1,10,cross,50\n"
                   "A,short,101,1,10,cross,50\n")
              .find("pos.csv:3:3: column 'side': 'short' account 'A' already holds a cross long") == 0);
    CHECK(error_of("side,entry,qty,leverage\n# nothing\n") == "pos.csv: no positions");
    // Through the scenario: a missing file names the key's file.
    Scenario sc = Scenario::builtin();
    sc.set("positions.source=\"/nonexistent/pos.csv\"");
    CHECK_THROWS_WITH(MarketInputs::load(sc.run()), "/nonexistent/pos.csv: cannot read the position snapshot");
}

TEST_CASE("position snapshots: a cross account is one position margined by its wallet, liquidated where the "
          "margin module says", "[snapshot][cross][M7]") {
    // Account A: two cross longs (one-way mode nets them) on a wallet of 30; B: an isolated long with the same
    // margin, for contrast.
    const std::string with_margin =
        "account,side,entry,qty,leverage,mode,wallet_balance,margin\n"
        "A,long,100,1,10,cross,30,\n"
        "A,long,104,1,10,cross,,\n"
        "B,long,102,2,,isolated,,20.4\n";
    const PositionSnapshot snap = PositionSnapshot::parse_csv(with_margin, "pos.csv", tiers());
    REQUIRE(snap.positions().size() == 2);
    const double fee = 0.005;
    const auto cross = cross_liquidation(Side::Long, 102, 2, std::nullopt, CrossAccount{30}, tiers(), {fee, Venue::Generic});
    const auto isolated = isolated_liquidation({Side::Long, 102, 2, 20.4}, tiers(), {fee, Venue::Generic});
    Population pop;
    snap.build(tiers(), fee, 102.0, 1.0, pop);
    REQUIRE(pop.longs.size() == 2);
    CHECK(pop.longs[0].liquidation_price == cross.liquidation_price);  // the wallet's cushion: lower
    CHECK(pop.longs[1].liquidation_price == isolated.liquidation_price);
    CHECK(pop.longs[0].margin() == Approx(30).epsilon(1e-14));

    // A fall to just above the cross price liquidates only the isolated long; past it, both.
    CascadeParams p = test::quiet_market();
    p.reference_price = 102.0;
    p.liquidation_fee = fee;
    p.depth_1pct = 1e9;  // no impact: the price is the shock's
    const MarketInputs in = inputs_with(snap);
    CascadeEngine engine(in, EngineOptions{true});
    const double to_cross = 1.0 - cross.liquidation_price / 102.0;
    p.shock_size = to_cross * 0.98;
    p.shock_permanent_share = 1;
    const PathOutputs above = engine.run(p, 1, 0);
    p.shock_size = to_cross * 1.02;
    const PathOutputs below = engine.run(p, 1, 0);
    CHECK(above.liquidated_long_count == Approx(1).epsilon(1e-12));
    CHECK(below.liquidated_long_count == Approx(2).epsilon(1e-12));
}

TEST_CASE("position snapshots: with no shock and no volatility nothing is liquidated", "[snapshot]") {
    Scenario sc = Scenario::builtin();
    const CascadeParams sampled = sc.sample(1, 0);
    PopulationScratch scratch;
    Population crowd;
    build_population(sampled, tiers(), scratch, crowd);
    SnapshotDraw draw;
    draw.positions = 20000;
    draw.cross_share = 0.2;
    const DrawnSnapshot drawn = draw_snapshot(crowd, sampled.reference_price, draw);
    const PositionSnapshot snap = PositionSnapshot::parse_csv(drawn.csv, "drawn.csv", tiers());
    CascadeParams p = test::quiet_market();
    p.reference_price = sampled.reference_price;
    p.liquidation_fee = sampled.liquidation_fee;
    p.shock_size = 0;
    p.oi_scale = drawn.oi_scale;
    CascadeEngine engine(inputs_with(snap), EngineOptions{true});
    for (std::uint64_t i = 0; i < 3; ++i) {
        const PathOutputs out = engine.run(p, 3, i);
        CHECK(out.liquidated_long_notional == 0);
        CHECK(out.liquidated_short_notional == 0);
        CHECK(out.max_drawdown == Approx(0).margin(1e-12));
    }
}

TEST_CASE("position snapshots: a snapshot drawn from the parametric crowd reproduces the parametric run's statistics",
          "[snapshot][statistics]") {
    // The default scenario's path-0 crowd, its smallest position ten times the default's (about 110,000
    // positions), drawn whole into a snapshot: each cohort gets its number of positions to within one, so
    // oi_scale is about 1. Both runs on the same paths (common random numbers; the crowd's own parameters fixed
    // at path 0's, since a snapshot is one crowd).
    Scenario sc = Scenario::builtin();
    sc.set("positions.size_min=" + std::to_string(10 * CascadeParams{}.size_min));
    sc.set("positions.size_classes=3");
    // The dip buyers on the perp open with the crowd's leverage mix: the parametric crowd's is its opening
    // flow's, a snapshot's (which knows only what is open) its positions'. Not the same new longs, so off here.
    sc.set("buyers.perp_share=0");
    const CascadeParams first = sc.sample(1, 0);
    PopulationScratch scratch;
    Population crowd;
    build_population(first, tiers(), scratch, crowd);
    double count = 0;
    for (const Side side : {Side::Long, Side::Short}) {
        const auto& runs = side == Side::Long ? crowd.long_runs : crowd.short_runs;
        for (std::size_t k = 0; k < runs.size(); ++k)
            for (std::size_t e = runs[k].first_alive; e < runs[k].last_alive; ++e) count += crowd.cohort(side, k, e).count();
    }
    REQUIRE(count > 50000);
    REQUIRE(count < 300000);
    SnapshotDraw draw;
    draw.positions = static_cast<std::size_t>(std::llround(count));
    const DrawnSnapshot drawn = draw_snapshot(crowd, first.reference_price, draw);
    CHECK(drawn.oi_scale == Approx(1).epsilon(0.05));
    const PositionSnapshot snap = PositionSnapshot::parse_csv(drawn.csv, "drawn.csv", tiers());
    Population built;
    const auto summary = snap.build(tiers(), first.liquidation_fee, first.reference_price, drawn.oi_scale, built);
    CHECK(summary.excluded_long + summary.excluded_short == 0);  // the crowd's positions all liquidate below P0
    CHECK((built.long_oi + built.short_oi) / (crowd.long_oi + crowd.short_oi) == Approx(1).epsilon(0.02));
    CHECK(built.long_oi / crowd.long_oi == Approx(1).epsilon(0.02));

    CascadeEngine parametric(tiers());
    CascadeEngine snapshot(inputs_with(snap));
    constexpr int kPaths = 400;
    double d_par = 0, d_snap = 0, l_par = 0, l_snap = 0, l2_diff = 0, d2_diff = 0;
    for (int i = 0; i < kPaths; ++i) {
        CascadeParams p = sc.sample(1, static_cast<std::uint64_t>(i));
        // The crowd's own parameters fixed at path 0's: the snapshot is one crowd.
        p.oi_to_depth = first.oi_to_depth;
        p.long_share = first.long_share;
        p.leverage_median = first.leverage_median;
        p.oi_scale = drawn.oi_scale;
        const PathOutputs a = parametric.run(p, 1, static_cast<std::uint64_t>(i));
        const PathOutputs b = snapshot.run(p, 1, static_cast<std::uint64_t>(i));
        d_par += a.max_drawdown;
        d_snap += b.max_drawdown;
        const double la = a.liquidated_long_notional / (crowd.long_oi + crowd.short_oi);
        const double lb = b.liquidated_long_notional / (crowd.long_oi + crowd.short_oi);
        l_par += la;
        l_snap += lb;
        l2_diff += (la - lb) * (la - lb);
        d2_diff += (a.max_drawdown - b.max_drawdown) * (a.max_drawdown - b.max_drawdown);
    }
    // Paired differences: the means agree within 3 standard errors of the mean difference plus the bins' offset.
    const double n = kPaths;
    const double se_d = std::sqrt(d2_diff / n / n), se_l = std::sqrt(l2_diff / n / n);
    INFO("drawdown " << d_par / n << " vs " << d_snap / n << " (se " << se_d << "); long liquidated/OI " << l_par / n
                     << " vs " << l_snap / n << " (se " << se_l << ")");
    CHECK(std::abs(d_par - d_snap) / n <= 3 * se_d + 0.002 * d_par / n);
    CHECK(std::abs(l_par - l_snap) / n <= 3 * se_l + 0.02 * l_par / n);
}

TEST_CASE("position snapshots: ADL ranks a snapshot's cohorts by group bounds in exactly the order of scoring each",
          "[snapshot][ADL][M10]") {
    // A 10% weekend shock on a snapshot drawn from the default crowd: most paths exhaust the fund. With invariant
    // checks on, every ADL round is compared with a brute-force ranking of every cohort in profit.
    Scenario sc = Scenario::builtin();
    sc.set("shock.size=0.12");
    sc.set("regime.air_pocket=true");
    const CascadeParams first = sc.sample(1, 0);
    PopulationScratch scratch;
    Population crowd;
    build_population(first, tiers(), scratch, crowd);
    SnapshotDraw draw;
    draw.positions = 20000;
    draw.cross_share = 0.15;
    const DrawnSnapshot drawn = draw_snapshot(crowd, first.reference_price, draw);
    const PositionSnapshot snap = PositionSnapshot::parse_csv(drawn.csv, "drawn.csv", tiers());
    CascadeEngine engine(inputs_with(snap), EngineOptions{true});
    std::size_t rounds = 0;
    for (std::uint64_t i = 0; i < 24; ++i) {
        CascadeParams p = sc.sample(1, i);
        p.oi_scale = drawn.oi_scale;
        const PathOutputs out = engine.run(p, 1, i);
        rounds += engine.last_counters().adl_rounds;
        CHECK(out.conservation_error < 1e-9);
    }
    CHECK(rounds > 50);
}
