// Auto-deleveraging priority scores (MODEL.md M10): both ranking rules, their ordering, their documented
// definitions and the loss branch.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "wipeout/adl_ranking.h"
#include "wipeout/error.h"

using namespace wipeout;

TEST_CASE("PnL x leverage follows BitMEX's documented definition", "[adl]") {
    // BitMEX "Auto-Deleveraging" (https://www.bitmex.com/app/autoDeleveraging), the rule Binance and Bybit
    // also describe: Ranking = PNL% * Effective Leverage if PNL% > 0, PNL% / Effective Leverage if < 0;
    // Effective Leverage = abs(Mark Value) / (Mark Value - Bankrupt Value); PNL% = (Mark Value - Avg Entry
    // Value) / abs(Avg Entry Value). Position values are signed (negative for shorts).
    const auto documented = [](Side side, double entry, double mark, double qty, double margin) {
        const double s = side == Side::Long ? 1.0 : -1.0;
        const double bankrupt = entry - s * margin / qty;
        const double mark_value = s * qty * mark, bankrupt_value = s * qty * bankrupt,
                     entry_value = s * qty * entry;
        const double lev = std::abs(mark_value) / (mark_value - bankrupt_value);
        const double pnl = (mark_value - entry_value) / std::abs(entry_value);
        return pnl > 0 ? pnl * lev : pnl / lev;
    };
    struct Case {
        Side side;
        double entry, mark, qty, margin;
    };
    const Case cases[] = {{Side::Long, 100.0, 110.0, 2.0, 20.0},
                          {Side::Long, 100.0, 95.0, 1.0, 20.0},
                          {Side::Short, 100.0, 90.0, 3.0, 30.0},
                          {Side::Short, 100.0, 104.0, 1.0, 10.0},
                          {Side::Long, 50000.0, 50000.0, 0.1, 500.0}};
    for (const Case& c : cases) {
        CAPTURE(c.side == Side::Long, c.entry, c.mark, c.qty, c.margin);
        // Tolerance 1e-12 relative: the same arithmetic in another order.
        CHECK(adl_score(AdlRanking::PnlTimesLeverage, c.side, c.entry, c.mark, c.qty, c.margin) ==
              Approx(documented(c.side, c.entry, c.mark, c.qty, c.margin)).epsilon(1e-12).margin(1e-15));
    }
    // A hand-computed value: long 2 @ 100, mark 110, margin 20: equity 40, leverage 220 / 40 = 5.5, PnL 10%.
    CHECK(adl_score(AdlRanking::PnlTimesLeverage, Side::Long, 100.0, 110.0, 2.0, 20.0) ==
          Approx(0.55).epsilon(1e-12));
}

TEST_CASE("PnL x leverage ranks more profit and more leverage first, losers by PnL / leverage", "[adl]") {
    const auto score = [](Side side, double mark, double margin) {
        return adl_score(AdlRanking::PnlTimesLeverage, side, 100.0, mark, 1.0, margin);
    };
    // More profit, same margin: higher.
    CHECK(score(Side::Long, 120.0, 20.0) > score(Side::Long, 110.0, 20.0));
    CHECK(score(Side::Short, 80.0, 20.0) > score(Side::Short, 90.0, 20.0));
    // Same profit, more leverage (less margin): higher.
    CHECK(score(Side::Long, 110.0, 10.0) > score(Side::Long, 110.0, 50.0));
    // Any profit beats any loss.
    CHECK(score(Side::Long, 101.0, 90.0) > score(Side::Long, 99.0, 5.0));
    // Losers: PnL% divided by leverage, so the more leveraged loser is closer to 0 and ranks higher.
    // Long @100, mark 90 (-10%): margin 20 -> equity 10, leverage 9, score -0.1/9; margin 50 ->
    // leverage 2.25, score -0.1/2.25. Multiplying instead would reverse this order (-0.9 < -0.225).
    const double high_lev_loser = score(Side::Long, 90.0, 20.0);
    const double low_lev_loser = score(Side::Long, 90.0, 50.0);
    CHECK(high_lev_loser == Approx(-0.1 / 9.0).epsilon(1e-12));
    CHECK(low_lev_loser == Approx(-0.1 / 2.25).epsilon(1e-12));
    CHECK(high_lev_loser > low_lev_loser);
    // Sorting a queue: the expected order of deleveraging.
    std::vector<std::pair<double, int>> queue = {{score(Side::Short, 95.0, 40.0), 2},
                                                 {score(Side::Short, 80.0, 10.0), 0},
                                                 {score(Side::Short, 105.0, 40.0), 4},
                                                 {score(Side::Short, 90.0, 10.0), 1},
                                                 {score(Side::Short, 105.0, 10.0), 3}};
    std::sort(queue.begin(), queue.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (int i = 0; i < 5; ++i) CHECK(queue[static_cast<std::size_t>(i)].second == i);
}

TEST_CASE("Hyperliquid's ranking: (mark / entry) x (notional / account value)", "[adl]") {
    // Hyperliquid Docs, Trading > Auto-deleveraging: "The specific sorting index to determine the affected
    // users in profit is (mark_price / entry_price) * (notional_position / account_value)". For shorts the
    // price ratio is mirrored (entry / mark) so that profit raises the index as it does for longs.
    // Long 2 @ 100, mark 110, margin 20: (110/100) * (220 / 40) = 6.05.
    CHECK(adl_score(AdlRanking::Hyperliquid, Side::Long, 100.0, 110.0, 2.0, 20.0) ==
          Approx(6.05).epsilon(1e-12));
    // Short 2 @ 100, mark 90, margin 20: account value 40, notional 180: (100/90) * (180/40) = 5.
    CHECK(adl_score(AdlRanking::Hyperliquid, Side::Short, 100.0, 90.0, 2.0, 20.0) ==
          Approx(5.0).epsilon(1e-12));
    // At equal effective leverage (notional / account value = 5) more profit ranks higher, on both sides.
    // Long @100: mark 110 with margin 12 (equity 22) vs mark 105 with margin 16 (equity 21).
    // Short @100: mark 90 with margin 8 (equity 18) vs mark 95 with margin 14 (equity 19); with mark / entry
    // for shorts too this order would reverse (4.5 < 4.75).
    const auto score = [](Side side, double mark, double margin) {
        return adl_score(AdlRanking::Hyperliquid, side, 100.0, mark, 1.0, margin);
    };
    CHECK(score(Side::Long, 110.0, 12.0) == Approx(1.1 * 5.0).epsilon(1e-12));
    CHECK(score(Side::Long, 110.0, 12.0) > score(Side::Long, 105.0, 16.0));
    CHECK(score(Side::Short, 90.0, 8.0) == Approx(5.0 / 0.9).epsilon(1e-12));
    CHECK(score(Side::Short, 90.0, 8.0) > score(Side::Short, 95.0, 14.0));
    // At equal profit more leverage ranks higher.
    CHECK(score(Side::Long, 110.0, 10.0) > score(Side::Long, 110.0, 50.0));
    CHECK(score(Side::Short, 90.0, 10.0) > score(Side::Short, 90.0, 50.0));
}

TEST_CASE("ADL scores: bankrupt positions last, invalid input refused, names round-trip", "[adl]") {
    for (const AdlRanking r : {AdlRanking::PnlTimesLeverage, AdlRanking::Hyperliquid}) {
        CAPTURE(adl_ranking_name(r));
        CHECK(parse_adl_ranking(adl_ranking_name(r)) == r);
        // Long @100 with margin 10 at mark 85: equity -5, beyond bankruptcy.
        const double bankrupt = adl_score(r, Side::Long, 100.0, 85.0, 1.0, 10.0);
        CHECK(std::isinf(bankrupt));
        CHECK(bankrupt < 0);
        CHECK(bankrupt < adl_score(r, Side::Long, 100.0, 91.0, 1.0, 10.0));
        CHECK_THROWS_AS(adl_score(r, Side::Long, 0.0, 100.0, 1.0, 10.0), InputError);
        CHECK_THROWS_AS(adl_score(r, Side::Long, 100.0, NAN, 1.0, 10.0), InputError);
        CHECK_THROWS_AS(adl_score(r, Side::Long, 100.0, 100.0, -1.0, 10.0), InputError);
        CHECK_THROWS_AS(adl_score(r, Side::Long, 100.0, 100.0, 1.0, INFINITY), InputError);
    }
    CHECK_FALSE(parse_adl_ranking("bybit").has_value());
}

TEST_CASE("an ADL score bound covers every position of its leverage and entry range, and is tight",
          "[adl][perf]") {
    // The engine ranks whole runs of cohorts by this bound (src/engine/adl.cpp, deleverage): a
    // bound below one of its positions' scores would hand out ADL in the wrong order.
    std::mt19937_64 rng(2024);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    int peaks_inside = 0;
    for (const AdlRanking ranking : {AdlRanking::PnlTimesLeverage, AdlRanking::Hyperliquid}) {
        for (const Side side : {Side::Long, Side::Short}) {
            for (int trial = 0; trial < 1000; ++trial) {
                const double leverage = std::exp(u(rng) * std::log(125.0));
                const double mark = 1e5 * (0.5 + u(rng));
                // Entries in profit: above the mark for shorts, below it for longs.
                double lo, hi;
                if (side == Side::Short) {
                    lo = mark * (1.0 + 0.6 * u(rng));
                    hi = lo * (1.0 + 0.5 * u(rng));
                } else {
                    hi = mark * (1.0 - 0.5 * u(rng));
                    lo = hi * (1.0 - 0.5 * u(rng));
                }
                const double bound = adl_score_bound(ranking, side, leverage, lo, hi, mark);
                const double peak = mark * (1.0 + 1.0 / std::sqrt(leverage + 1.0));
                if (ranking == AdlRanking::PnlTimesLeverage && side == Side::Short && peak > lo && peak < hi)
                    ++peaks_inside;
                double best = 0;
                for (int i = 0; i <= 400; ++i) {
                    const double entry = i == 400 ? hi : lo + (hi - lo) * i / 400.0;
                    const double qty = std::exp((u(rng) - 0.5) * 14.0);
                    const double score = adl_score(ranking, side, entry, mark, qty, qty * entry / leverage);
                    INFO(adl_ranking_name(ranking)
                         << " " << side_name(side) << " L " << leverage << " mark " << mark << " entry "
                         << entry << " in [" << lo << ", " << hi << "]");
                    REQUIRE(score <= bound);
                    best = std::max(best, score);
                }
                REQUIRE(bound <= best * (1.0 + 1e-4));
            }
        }
    }
    CHECK(peaks_inside > 100);  // the interior maximum was exercised
}
TEST_CASE("an ADL score is monotone on each side of the turn adl_score_shape gives", "[adl][perf]") {
    // The engine walks each stretch of a run from its best cohort outward (src/engine/adl.cpp, deleverage): a
    // score that rose along a stretch, at any quantity, would hand out ADL in the wrong order. Entries on a
    // 0.1% grid (the history crowd's is 0.4%), quantities over six decades.
    std::mt19937_64 rng(2026);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    int turns_inside[3] = {0, 0, 0};
    for (const AdlRanking ranking : {AdlRanking::PnlTimesLeverage, AdlRanking::Hyperliquid}) {
        for (const Side side : {Side::Long, Side::Short}) {
            for (int trial = 0; trial < 300; ++trial) {
                const double leverage = trial == 0 ? 1.0 : std::exp(u(rng) * std::log(125.0));
                const double mark = 1e5 * (0.5 + u(rng));
                const AdlScoreShape shape = adl_score_shape(ranking, side, leverage, mark);
                // Entries in profit, ascending: above the mark for shorts, below it for longs.
                std::vector<double> entries;
                for (double x = side == Side::Short ? mark * 1.001 : mark * 0.3;
                     side == Side::Short ? x < mark * 2.0 : x < mark; x *= 1.001)
                    entries.push_back(x);
                const auto turn = static_cast<std::size_t>(
                    std::lower_bound(entries.begin(), entries.end(), shape.turn) - entries.begin());
                if (shape.kind != AdlScoreShape::Falling && turn > 0 && turn < entries.size())
                    ++turns_inside[shape.kind];
                const auto score_at = [&](std::size_t e) {
                    const double qty = std::exp((u(rng) - 0.5) * 14.0);
                    return adl_score(ranking, side, entries[e], mark, qty, qty * entries[e] / leverage);
                };
                INFO(adl_ranking_name(ranking)
                     << " " << side_name(side) << " L " << leverage << " mark " << mark);
                for (std::size_t e = 0; e + 1 < entries.size(); ++e) {
                    if (shape.kind != AdlScoreShape::Falling && e + 1 == turn) continue;  // either way
                    const bool falls = shape.kind == AdlScoreShape::Falling ||
                                       (shape.kind == AdlScoreShape::Peak ? e >= turn : e + 1 < turn);
                    const double here = score_at(e), next = score_at(e + 1);
                    INFO("entries " << entries[e] << ", " << entries[e + 1] << " (turn " << shape.turn
                                    << ")");
                    if (falls)
                        REQUIRE(next < here);
                    else
                        REQUIRE(next > here);
                }
            }
        }
    }
    CHECK(turns_inside[AdlScoreShape::Peak] > 100);    // pnl-leverage shorts peak inside the grid
    CHECK(turns_inside[AdlScoreShape::Valley] > 100);  // and Hyperliquid longs bottom out inside it
}
