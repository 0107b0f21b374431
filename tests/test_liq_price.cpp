// The liquidation-price request shared by `wipeout liq-price` and the Python module: the option checks and the
// tier table a plan picks, and a plan's quote against the margin functions it calls.
#include <catch2/catch.hpp>

#include <cmath>

#include "wipeout/error.h"
#include "wipeout/liq_price.h"

using namespace wipeout;

TEST_CASE("liq-price plan: refused combinations name the CLI's options", "[liq_price]") {
    LiqPriceOptions o;
    CHECK_THROWS_WITH(plan_liq_price(o), "give the position's --leverage or its posted --margin");
    o.leverage = o.margin = true;
    CHECK_THROWS_WITH(plan_liq_price(o), "give either --leverage or --margin, not both");
    o = {};
    o.leverage = true;
    o.max_leverage = 40.0;
    CHECK_THROWS_WITH(plan_liq_price(o), Catch::Contains("they need --mmr"));
    o.venue = Venue::Hyperliquid;
    o.tiers_file = "x.csv";
    CHECK_THROWS_WITH(plan_liq_price(o), "give either --max-leverage or --tiers, not both");
    o = {};
    o.wallet_balance = o.margin = true;
    CHECK_THROWS_AS(plan_liq_price(o), InputError);
    CHECK_THROWS_WITH(side_named("up"), "unknown side 'up' (expected long or short)");
    CHECK_THROWS_WITH(venue_named("okx"), Catch::StartsWith("unknown venue 'okx'"));
    CHECK(venue_named("dydx") == Venue::Dydx);
}

TEST_CASE("liq-price plan: tier tables and quotes as the margin functions give them", "[liq_price]") {
    LiqPriceOptions o;
    o.leverage = true;
    const LiqPricePlan embedded = plan_liq_price(o);
    CHECK(embedded.tiers_source == "embedded data/tiers/btcusdt_binance.csv");
    CHECK(embedded.tiers.size() == TierTable::btc_default().size());

    // Hyperliquid: --max-leverage alone is a flat tier with MMR 1 / (2 x 40).
    o.venue = Venue::Hyperliquid;
    o.leverage = false;
    o.margin = true;
    o.max_leverage = 40.0;
    const LiqPricePlan hl = plan_liq_price(o);
    REQUIRE(hl.tiers.size() == 1);
    CHECK(hl.tiers[0].mmr == 0.0125);
    const LiqPriceResult r = quote_liq_price(hl, PositionNumbers{Side::Long, 60000.0, 0.001, 0.0, 30.0});
    const LiquidationQuote direct = isolated_liquidation(IsolatedPosition{Side::Long, 60000.0, 0.001, 30.0},
                                                         TierTable::single(0.0125, 0.0, 40.0),
                                                         MarginParams{0.0, Venue::Hyperliquid});
    CHECK(r.quote.liquidation_price == direct.liquidation_price);
    CHECK(r.leverage == 60000.0 * 0.001 / 30.0);

    // Cross without a leverage setting: the leverage and initial margin are unknown (NaN).
    LiqPriceOptions c;
    c.venue = Venue::Binance;
    c.wallet_balance = true;
    const LiqPricePlan cross = plan_liq_price(c);
    PositionNumbers p{Side::Long, 100000.0, 1.0};
    p.wallet_balance = 20000.0;
    const LiqPriceResult rc = quote_liq_price(cross, p);
    CHECK(std::isnan(rc.leverage));
    CHECK(std::isnan(rc.quote.initial_margin));
    CHECK(rc.quote.liquidation_price > 0.0);
}
