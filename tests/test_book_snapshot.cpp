// M3 with an order-book snapshot ([book] source): parsing and its refusals, the profile the book walks (exact
// depth and fills on a hand-made book, the power law recovered from a snapshot drawn from it), evaporation
// and refill on the profile, and the engine on thin and thick snapshots.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "engine_fixtures.h"
#include "wipeout/book_snapshot.h"
#include "wipeout/error.h"
#include "wipeout/market_inputs.h"
#include "wipeout/order_book.h"

using namespace wipeout;
using namespace wipeout::test;
using Catch::Matchers::Contains;

namespace {

BookSnapshot parse(const std::string& text) {
    return BookSnapshot::parse_csv(text, "book.csv");
}

/// A snapshot of the power law D(x) = d1 (x / 1%)^beta on both sides of `mid`: a level every `step`
/// (relative) out to `reach`, each holding the depth between it and the level before (quote notional at its
/// price).
std::string power_law_csv(double mid, double d1, double beta, double step, double reach) {
    std::string csv = "side,price,qty\n";
    const int n = static_cast<int>(std::lround(reach / step));
    for (const bool bid : {true, false}) {
        double before = 0;
        for (int i = 1; i <= n; ++i) {
            const double x = i * step;
            const double depth = d1 * std::pow(x / 0.01, beta);
            const double price = mid * (bid ? 1.0 - x : 1.0 + x);
            csv += fmt::format("{},{:.17g},{:.17g}\n", bid ? "bid" : "ask", price, (depth - before) / price);
            before = depth;
        }
    }
    return csv;
}

// The hand-made book around a mid of 100: bids 990 at 99 (1%) and 1960 at 98 (2%); asks 1010 at 101 and
// 510 at 102. Its d1 is (990 + 1010) / 2 = 1000.
const char* const kHandMade =
    "side,price,qty\n"
    "# best levels first, then the deeper ones\n"
    "bid,99,10\n"
    "ask,101,10\n"
    "bid,98,20\n"
    "ask,102,5\n";

}  // namespace

TEST_CASE("book snapshot: bad input is refused naming file:line:column and the value", "[book][snapshot]") {
    const std::string head = "side,price,qty\nbid,99,1\n";
    CHECK_THROWS_WITH(parse("side,price\nbid,99\n"), Contains("book.csv:1: header: column 'qty' is missing"));
    CHECK_THROWS_WITH(parse(head + "buy,101,1\n"),
                      Contains("book.csv:3:1: column 'side': 'buy' is not a side"));
    CHECK_THROWS_WITH(parse(head + "ask,-101,1\n"), Contains("book.csv:3:5: column 'price': '-101' is not"));
    CHECK_THROWS_WITH(parse(head + "ask,101,nan\n"), Contains("book.csv:3:9: column 'qty': 'nan' is not"));
    CHECK_THROWS_WITH(parse(head + "ask,101,0\n"), Contains("book.csv:3:9: column 'qty': '0' is not"));
    CHECK_THROWS_WITH(parse(head + "ask,101,\n"), Contains("book.csv:3:9: column 'qty': '' is not"));
    CHECK_THROWS_WITH(
        parse(head + "ask, 98.5 ,1\n"),
        Contains("book.csv:3:6: column 'price': '98.5' crosses the book: an ask at or below the "
                 "best bid 99 (line 2)"));
    CHECK_THROWS_WITH(parse("side,price,qty\nask,101,1\nbid,101,1\n"),
                      Contains("book.csv:3:5: column 'price': '101' crosses the book: a bid at or above"));
    CHECK_THROWS_WITH(
        parse(head + "ask,101,1\nbid,99,2\n"),
        Contains("book.csv:4:5: column 'price': '99' is listed twice on the bid side (line 2)"));
    CHECK_THROWS_WITH(parse(head), Contains("book.csv: the book has no ask level"));
    CHECK_THROWS_WITH(parse("side,price,qty\n"), Contains("book.csv: the book has no bid level"));
    CHECK_THROWS_AS(parse(head + "buy,101,1\n"), InputError);
    // Comments and blank lines keep the line numbers of the file.
    CHECK_THROWS_WITH(parse("side,price,qty\n# a comment\n\nbid,99,1\nask,x,1\n"),
                      Contains("book.csv:5:5: column 'price': 'x' is not"));
    CHECK_THROWS_WITH(BookSnapshot::load("/nonexistent/book.csv"),
                      Contains("/nonexistent/book.csv: cannot read"));
}

TEST_CASE("book snapshot: sides sorted best first, depth within x piecewise linear, d1 the mean at 1%",
          "[book][snapshot]") {
    const BookSnapshot book = parse(kHandMade);
    REQUIRE(book.bids().size() == 2);
    REQUIRE(book.asks().size() == 2);
    CHECK(book.bids()[0].price == 99);
    CHECK(book.asks()[0].price == 101);
    CHECK(book.mid() == 100);
    CHECK(book.depth_within(true, 0.0) == 0);
    CHECK(book.depth_within(true, 0.005) == Approx(495).epsilon(1e-12));
    CHECK(book.depth_within(true, 0.01) == Approx(990).epsilon(1e-12));
    CHECK(book.depth_within(true, 0.015) == Approx(990 + 980).epsilon(1e-12));
    CHECK(book.depth_within(true, 0.02) == Approx(2950).epsilon(1e-12));
    CHECK(book.depth_within(true, 0.5) ==
          Approx(2950).epsilon(1e-12));  // the snapshot's own depth ends there
    CHECK(book.depth_within(false, 0.01) == Approx(1010).epsilon(1e-12));
    CHECK(book.depth_within(false, 0.015) == Approx(1010 + 255).epsilon(1e-12));
    CHECK(book.depth_1pct() == Approx(1000).epsilon(1e-12));
    // The fit over the four levels: log D against log(x / 1%), two distances, each with the sides' depths.
    const auto fit = book.fit_power_law();
    const double slope =
        (0.5 * (std::log(2950.0) + std::log(1520.0)) - 0.5 * (std::log(990.0) + std::log(1010.0))) /
        std::log(2.0);
    CHECK(fit.shape == Approx(slope).epsilon(1e-12));
    CHECK(fit.depth_1pct == Approx(std::sqrt(990.0 * 1010.0)).epsilon(1e-12));
    CHECK(fit.rms_log_error > 0);
}

TEST_CASE("book snapshot: a walk through two levels fills at the exact average of the profile",
          "[book][snapshot][M3]") {
    const BookSnapshot snapshot = parse(kHandMade);
    const BookProfile profile = snapshot.profile();
    OrderBook book(1000, profile);  // the snapshot's own d1: D(x) is the snapshot's depth
    REQUIRE(book.profile() == &profile);

    // Selling 1970 takes the first bid level (990, spread over 0..1%) and half the second (980 of 1960 over
    // 1%..2%): the price ends 1.5% below, and the average displacement is the area under x(C) over C.
    const double avg = book.execute(1970);
    CHECK(book.displacement() == Approx(0.015).epsilon(1e-12));
    const double area = 990 * (0 + 0.01) / 2 + 980 * (0.01 + 0.015) / 2;
    CHECK(avg == Approx(area / 1970).epsilon(1e-12));
    CHECK(book.consumed_at(0.015) == Approx(1970).epsilon(1e-12));
    CHECK(book.consumed_at(0.005) == Approx(495).epsilon(1e-12));

    // Split walks fill like one; preview agrees with execute.
    OrderBook split(1000, profile);
    const double a = split.execute(500), b = split.preview(1470);
    CHECK((a * 500 + b * 1470) / 1970 == Approx(avg).epsilon(1e-12));

    // Buying back 1970 + 1265 walks the bids back to the mid, then the asks (1010 over 0..1%, 255 of 510 over
    // 1%..2%) to 1.5% above; the average displacement is the bids' area less the asks' over the walk.
    const double back = book.execute(-(1970 + 1265));
    CHECK(book.displacement() == Approx(-0.015).epsilon(1e-12));
    const double ask_area = 1010 * 0.01 / 2 + 255 * (0.01 + 0.015) / 2;
    CHECK(back == Approx((area - ask_area) / (1970 + 1265)).epsilon(1e-12));
    CHECK(book.consumed_at(-0.015) == Approx(-1265).epsilon(1e-12));

    // Past the deepest bid (2950 at 2%) the tail continues with the fitted shape, from the deepest level on.
    OrderBook deep(1000, profile);
    deep.execute(2950 * std::pow(1.5, profile.tail_shape()));
    CHECK(deep.displacement() == Approx(0.03).epsilon(1e-12));
    CHECK(deep.consumed_at(0.03) == Approx(2950 * std::pow(1.5, profile.tail_shape())).epsilon(1e-12));
    // And the cap holds as on the power law.
    deep.execute(1e15);
    CHECK(deep.displacement() == Approx(OrderBook::kMaxDisplacement));
}

TEST_CASE("book snapshot: drawn from a power law, it walks like the power-law book and fits its d1 and shape",
          "[book][snapshot][M3]") {
    const double d1 = 5e7, beta = 1.54;
    // A level every 0.01% out to 10%: between levels the profile is linear where the law is curved, within
    // 3e-4 (relative) of the law's displacement and 5e-4 of its fill from 0.1 d1 on; past 10% the tail is the
    // law itself.
    const BookSnapshot snapshot = parse(power_law_csv(60000, d1, beta, 1e-4, 0.10));
    const auto fit = snapshot.fit_power_law();
    CHECK(fit.depth_1pct == Approx(d1).epsilon(1e-9));
    CHECK(fit.shape == Approx(beta).epsilon(1e-9));
    CHECK(fit.rms_log_error < 1e-9);
    CHECK(snapshot.depth_1pct() == Approx(d1).epsilon(1e-9));

    const BookProfile profile = snapshot.profile();
    CHECK(profile.levels(true) == 1000);
    CHECK(profile.tail_shape() == Approx(beta).epsilon(1e-9));
    for (const double multiple : {0.1, 0.5, 1.0, 3.0, 20.0, 34.0, 60.0, 500.0}) {
        for (const double sign : {1.0, -1.0}) {
            OrderBook law(d1, beta), walked(d1, profile);
            const double c = sign * multiple * d1;
            const double law_fill = law.execute(c), walked_fill = walked.execute(c);
            INFO("C = " << c / d1 << " d1");
            CHECK(walked.displacement() == Approx(law.displacement()).epsilon(3e-4));
            CHECK(walked_fill == Approx(law_fill).epsilon(5e-4));  // averages the coarser first levels in
            CHECK(walked.consumed_at(law.displacement()) == Approx(c).epsilon(5e-4));
        }
    }
}

TEST_CASE("book snapshot: evaporation and refill act on the profile as on the power law",
          "[book][snapshot][M4]") {
    const BookProfile profile = parse(kHandMade).profile();
    OrderBook book(1000, profile);
    book.execute(1970);  // 1.5% below
    book.decay(0.5);     // refill: C = 985, u = 0.985 on the first segment
    CHECK(book.displacement() == Approx(0.01 * 0.985 / 0.99).epsilon(1e-12));
    book.set_depth(500);  // evaporation: half the quotes pulled, the same C is u = 1.97 deep
    CHECK(book.displacement() == Approx(0.01 + 0.01 * (1.97 - 0.99) / 1.96).epsilon(1e-12));
    CHECK(book.consumed_at(0.005) == Approx(247.5).epsilon(1e-12));
    book.set_depth_and_decay(1000, 0.5);
    CHECK(book.displacement() == Approx(0.01 * 0.4925 / 0.99).epsilon(1e-12));

    // And on a snapshot of the power law they move it as they move the law.
    const BookProfile drawn = parse(power_law_csv(60000, 5e7, 1.54, 1e-4, 0.10)).profile();
    OrderBook law(5e7, 1.54), walked(5e7, drawn);
    law.execute(2e8);
    walked.execute(2e8);
    for (const double depth : {2e7, 1.2e7, 4e7}) {
        law.set_depth_and_decay(depth, 0.8);
        walked.set_depth_and_decay(depth, 0.8);
        CHECK(walked.displacement() == Approx(law.displacement()).epsilon(3e-4));
    }
}

TEST_CASE("book snapshot: the engine on a thin snapshot falls further than on a thick one",
          "[book][snapshot][engine]") {
    CascadeParams p = quiet_market();
    p.shock_size = 0.03;
    p.shock_duration_s = 60;
    p.liquidation_capacity = 1e6;
    p.horizon_s = 600;
    // The same crowd in both (absolute notional): liquidations packed between 1% and 15% below P0.
    const double d1 = 5e7;
    Population pop;
    for (double y = 0.01; y <= 0.15; y += 0.002) {
        pop.longs.push_back(long_cohort(p.reference_price, p.reference_price * (1 - y), 0.08 * d1));
        pop.long_oi += 0.08 * d1;
    }
    auto drawdown = [&](double depth) {
        MarketInputs inputs{TierTable::btc_default(), std::nullopt, nullptr,
                            parse(power_law_csv(p.reference_price, depth, 1.54, 2e-4, 0.10))};
        CascadeEngine engine(inputs, EngineOptions{true});
        return engine.run(p, pop, 1, 0).max_drawdown;
    };
    // Measured: 4.97% on the thin book (d1 / 4), 3.16% on the thick one (2 d1).
    const double thin = drawdown(0.25 * d1), thick = drawdown(2 * d1);
    CHECK(thin > thick + 0.01);
    // The shock alone moves either book by its size (it is stated in the snapshot's d1): the thick book's
    // cascade adds less on top of it.
    CHECK(thick >= p.shock_size * 0.99);
}

TEST_CASE("book snapshot: a run on it takes the snapshot's d1 and shape, not book.depth_1pct and book.shape",
          "[book][snapshot][engine]") {
    CascadeParams p = quiet_market();
    p.shock_size = 0.04;
    p.shock_duration_s = 60;
    p.horizon_s = 600;
    const double d1 = 4e7, beta = 1.54;
    MarketInputs inputs{TierTable::btc_default(), std::nullopt, nullptr,
                        parse(power_law_csv(p.reference_price, d1, beta, 1e-4, 0.12))};
    CascadeEngine on_book(inputs, EngineOptions{true});
    CascadeParams ignored = p;
    ignored.depth_1pct = 1e10;  // the scenario's d1 and shape give way to the snapshot's
    ignored.book_shape = 3.0;
    CascadeParams law = p;
    law.depth_1pct = d1;
    law.book_shape = beta;
    CascadeEngine plain(TierTable::btc_default(), EngineOptions{true});
    for (std::uint64_t i = 0; i < 3; ++i) {
        const PathOutputs a = on_book.run(ignored, 3, i), b = plain.run(law, 3, i);
        INFO("path " << i);
        CHECK(a.max_drawdown == Approx(b.max_drawdown).epsilon(2e-3));
        // The parametric crowd's open interest is oi_to_depth x the snapshot's d1.
        CHECK(a.liquidated_long_notional == Approx(b.liquidated_long_notional).epsilon(2e-2).margin(1e3));
    }
}
