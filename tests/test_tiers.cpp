// Maintenance-margin bracket tables: the embedded BTCUSDT table, lookup, and refusal of malformed files.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "wipeout/error.h"
#include "wipeout/tiers.h"

using namespace wipeout;

namespace {

const std::string kHeader = "notional_floor,notional_cap,max_leverage,mmr,maint_amount\n";

// The InputError message parse_csv gives, or "" if it accepts the text.
std::string parse_error(const std::string& text) {
    try {
        TierTable::parse_csv(text, "bad.csv");
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("the embedded BTCUSDT table matches Binance's documented brackets", "[tiers]") {
    const TierTable& t = TierTable::btc_default();
    REQUIRE(t.size() == 10);
    CHECK(t[0].notional_floor == 0.0);
    CHECK(t[0].max_leverage == 125.0);
    CHECK(t[0].mmr == 0.004);
    CHECK(t[9].mmr == 0.5);
    // Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts": a 264,000 USDT BTCUSDT
    // position has MMR 1%; a 500,000 USDT one has maintenance amount 1,300 = 250,000 * (1% - 0.5%) + 50.
    CHECK(t[t.index_for_notional(264000.0)].mmr == 0.01);
    CHECK(t[t.index_for_notional(500000.0)].maint_amount == 1300.0);
    CHECK(TierTable::derived_maint_amount(50.0, 250000.0, 0.01, 0.005) == Approx(1300.0).margin(1e-9));
    // Every maintenance amount follows the recursion, so the maintenance margin is continuous.
    for (int i = 1; i < t.size(); ++i) {
        CAPTURE(i);
        const double at_floor_below = t[i - 1].mmr * t[i].notional_floor - t[i - 1].maint_amount;
        const double at_floor_here = t[i].mmr * t[i].notional_floor - t[i].maint_amount;
        CHECK(at_floor_here == Approx(at_floor_below).margin(1e-6));
    }
}

TEST_CASE("the compiled-in table is the CSV in data/tiers (one source of truth)", "[tiers]") {
    const TierTable disk =
        TierTable::load(std::string(WIPEOUT_SOURCE_DIR) + "/data/tiers/btcusdt_binance.csv");
    const TierTable& embedded = TierTable::btc_default();
    REQUIRE(disk.size() == embedded.size());
    for (int i = 0; i < disk.size(); ++i) {
        CHECK(disk[i].notional_floor == embedded[i].notional_floor);
        CHECK(disk[i].notional_cap == embedded[i].notional_cap);
        CHECK(disk[i].max_leverage == embedded[i].max_leverage);
        CHECK(disk[i].mmr == embedded[i].mmr);
        CHECK(disk[i].maint_amount == embedded[i].maint_amount);
    }
}

TEST_CASE("Hyperliquid's BTC tiers: MMR is half the initial margin at max leverage", "[tiers]") {
    // Hyperliquid Docs, Margin tiers: maintenance_margin_rate = IMR at the tier's max leverage / 2 ("at 20x
    // max leverage, maintenance_margin_rate = 2.5%"); deduction 150M * (2.5% - 1.25%) = 1,875,000.
    const TierTable hl = TierTable::load(std::string(WIPEOUT_SOURCE_DIR) + "/data/tiers/btc_hyperliquid.csv");
    REQUIRE(hl.size() == 2);
    for (int i = 0; i < hl.size(); ++i) CHECK(hl[i].mmr == Approx(0.5 / hl[i].max_leverage).epsilon(1e-15));
    CHECK(hl[1].max_leverage == 20.0);
    CHECK(hl[1].mmr == 0.025);
    CHECK(hl[1].maint_amount == 1875000.0);
}

TEST_CASE("bracket lookup: floor < notional <= cap", "[tiers]") {
    const TierTable& t = TierTable::btc_default();
    CHECK(t.index_for_notional(0.0) == 0);
    CHECK(t.index_for_notional(50000.0) == 0);
    CHECK(t.index_for_notional(50000.01) == 1);
    CHECK(t.index_for_notional(250000.0) == 1);
    CHECK(t.index_for_notional(3.5e6) == 3);
    CHECK(t.index_for_notional(1e12) == 9);  // beyond the last cap: the last bracket
    CHECK(t.max_notional() == 5e8);
    const TierTable one = TierTable::single(0.01);
    CHECK(one.size() == 1);
    CHECK(one.index_for_notional(1e15) == 0);
    CHECK(one[0].max_leverage == 125.0);
}

TEST_CASE("single() refuses values outside their ranges", "[tiers]") {
    CHECK_THROWS_AS(TierTable::single(-0.001), InputError);
    CHECK_THROWS_AS(TierTable::single(1.0), InputError);
    CHECK_THROWS_AS(TierTable::single(NAN), InputError);
    CHECK_THROWS_AS(TierTable::single(0.01, -1.0), InputError);
    CHECK_THROWS_AS(TierTable::single(0.01, 0.0, 0.5), InputError);
    CHECK_THROWS_AS(TierTable::single(0.01, 0.0, INFINITY), InputError);
    CHECK_THROWS_WITH(TierTable::single(1.5), Catch::Contains("mmr 1.5 is outside [0, 1)"));
}

TEST_CASE("single() takes MMR 0, a table does not", "[tiers]") {
    // The flat tier's MMR 0 is the seeds' limit (docs/margin.md); a bracket table keeps a real rate.
    CHECK(TierTable::single(0.0)[0].mmr == 0.0);
    CHECK_THROWS_WITH(
        TierTable::parse_csv("notional_floor,notional_cap,max_leverage,mmr\n0,50000,125,0\n", "zero.csv"),
        Catch::Contains("zero.csv:2: column 'mmr': value '0' is outside (0, 1)"));
}

TEST_CASE("a tier file may omit maint_amount: it is derived", "[tiers][csv]") {
    const TierTable t = TierTable::parse_csv(
        "# comment line\n\nnotional_floor,notional_cap,max_leverage,mmr\n0,50000,125,0.004  # inline "
        "comment\n"
        "50000,250000,100,0.005\r\n250000,1000000,50,0.01\n",
        "derived.csv");
    REQUIRE(t.size() == 3);
    CHECK(t[1].maint_amount == Approx(50.0).margin(1e-9));
    CHECK(t[2].maint_amount == Approx(1300.0).margin(1e-9));
    // Columns may come in any order.
    const TierTable r =
        TierTable::parse_csv("mmr,max_leverage,notional_cap,notional_floor\n0.004,125,50000,0\n", "r.csv");
    CHECK(r[0].notional_cap == 50000.0);
}

TEST_CASE("malformed tier files are refused naming file, line, column and value", "[tiers][csv]") {
    // Each case: the text, then fragments the message must contain.
    struct Case {
        const char* what;
        std::string text;
        std::vector<std::string> fragments;
    };
    const std::vector<Case> cases = {
        {"missing column in the header",
         "notional_floor,notional_cap,mmr\n0,50000,0.004\n",
         {"bad.csv:1:", "column 'max_leverage' is missing"}},
        {"unknown column",
         "notional_floor,notional_cap,max_leverage,mmr,colour\n",
         {"bad.csv:1:", "unknown column 'colour'"}},
        {"missing value in a row",
         kHeader + "0,50000,125,0.004,0\n50000,250000,100\n",
         {"bad.csv:3:", "column 'mmr'", "no value"}},
        {"non-number",
         kHeader + "0,50000,125,abc,0\n",
         {"bad.csv:2:", "column 'mmr'", "'abc'", "not a number"}},
        {"trailing junk",
         kHeader + "0,50000,125x,0.004,0\n",
         {"bad.csv:2:", "column 'max_leverage'", "'125x'"}},
        {"NaN", kHeader + "0,50000,125,nan,0\n", {"bad.csv:2:", "column 'mmr'", "'nan'", "not finite"}},
        {"inf",
         kHeader + "0,inf,125,0.004,0\n",
         {"bad.csv:2:", "column 'notional_cap'", "'inf'", "not finite"}},
        {"out of range",
         kHeader + "0,1e999,125,0.004,0\n",
         {"bad.csv:2:", "column 'notional_cap'", "'1e999'"}},
        {"cap not above floor",
         kHeader + "0,50000,125,0.004,0\n50000,40000,100,0.005,50\n",
         {"bad.csv:3:", "column 'notional_cap'", "'40000'", "not above"}},
        {"decreasing floor",
         kHeader + "0,50000,125,0.004,0\n50000,250000,100,0.005,50\n40000,300000,50,0.01,1300\n",
         {"bad.csv:4:", "column 'notional_floor'", "'40000'", "decreases"}},
        {"gap between brackets",
         kHeader + "0,50000,125,0.004,0\n60000,250000,100,0.005,50\n",
         {"bad.csv:3:", "column 'notional_floor'", "'60000'", "gap"}},
        {"overlap",
         kHeader + "0,50000,125,0.004,0\n50000,250000,100,0.005,50\n200000,300000,50,0.01,1300\n",
         {"bad.csv:4:", "column 'notional_floor'", "'200000'", "overlaps"}},
        {"first floor not 0",
         kHeader + "10,50000,125,0.004,0\n",
         {"bad.csv:2:", "column 'notional_floor'", "'10'"}},
        {"MMR 0", kHeader + "0,50000,125,0,0\n", {"bad.csv:2:", "column 'mmr'", "'0'", "outside (0, 1)"}},
        {"MMR 1.2",
         kHeader + "0,50000,125,1.2,0\n",
         {"bad.csv:2:", "column 'mmr'", "'1.2'", "outside (0, 1)"}},
        {"MMR negative", kHeader + "0,50000,125,-0.01,0\n", {"bad.csv:2:", "column 'mmr'", "'-0.01'"}},
        {"max leverage below 1",
         kHeader + "0,50000,0.5,0.004,0\n",
         {"bad.csv:2:", "column 'max_leverage'", "'0.5'", "below 1"}},
        {"max leverage leaves no room above MMR",
         kHeader + "0,50000,125,0.01,0\n",
         {"bad.csv:2:", "column 'max_leverage'", "'125'", "at or below the bracket's MMR"}},
        {"inconsistent maintenance amount",
         kHeader + "0,50000,125,0.004,0\n50000,250000,100,0.005,60\n",
         {"bad.csv:3:", "column 'maint_amount'", "'60'", "50"}},
        {"extra field", kHeader + "0,50000,125,0.004,0,7\n", {"bad.csv:2:", "'7'", "no column"}},
        {"no header", "# only a comment\n\n", {"bad.csv:", "no header"}},
        {"no brackets", kHeader, {"bad.csv:", "no brackets"}},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        const std::string message = parse_error(c.text);
        REQUIRE_FALSE(message.empty());
        for (const std::string& fragment : c.fragments) {
            CAPTURE(message, fragment);
            CHECK(message.find(fragment) != std::string::npos);
        }
    }
}

TEST_CASE("load() names a file it cannot read, and the file in parse errors", "[tiers][csv]") {
    CHECK_THROWS_WITH(TierTable::load("/nonexistent/tiers.csv"), Catch::Contains("/nonexistent/tiers.csv"));
    const auto path = std::filesystem::temp_directory_path() / "wipeout_test_tiers_bad.csv";
    {
        std::ofstream out(path);
        out << kHeader << "0,50000,125,0.004,0\n50000,250000,100,oops,50\n";
    }
    CHECK_THROWS_WITH(TierTable::load(path),
                      Catch::Contains(path.string() + ":3: column 'mmr': value 'oops'"));
    std::filesystem::remove(path);
}

TEST_CASE("from_tiers checks a table built in code", "[tiers]") {
    CHECK_NOTHROW(TierTable::from_tiers({Tier{0, 100, 10, 0.01, 0}, Tier{100, 200, 5, 0.02, 1}}, "code"));
    CHECK_THROWS_WITH(
        TierTable::from_tiers({Tier{0, 100, 10, 0.01, 0}, Tier{120, 200, 5, 0.02, 1.2}}, "code"),
        Catch::Contains("code: bracket 2: column 'notional_floor'"));
    CHECK_THROWS_AS(TierTable::from_tiers({}, "code"), InputError);
    // An open-ended last bracket is allowed in code.
    CHECK_NOTHROW(TierTable::from_tiers({Tier{0, INFINITY, 10, 0.01, 0}}, "code"));
}
