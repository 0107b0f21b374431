// Scenario files: parsing, defaults, overrides, round-trips through TOML, sampling, and refusals that name
// the file, line, key and value.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "wipeout/error.h"
#include "wipeout/scenario.h"

using namespace wipeout;
using Catch::Matchers::Contains;

namespace {

std::size_t index_of(std::string_view key) {
    const auto specs = parameter_specs();
    return static_cast<std::size_t>(find_parameter(key) - specs.data());
}

std::string refusal(std::string_view text) {
    try {
        Scenario::parse(text, "test.toml");
    } catch (const InputError& e) {
        return e.what();
    }
    FAIL("expected an InputError for: " << text);
    return "";
}

std::string set_refusal(std::string_view assignment) {
    Scenario s = Scenario::builtin();
    try {
        s.set(assignment);
    } catch (const InputError& e) {
        return e.what();
    }
    FAIL("expected an InputError for --set " << assignment);
    return "";
}

}  // namespace

TEST_CASE("the built-in default scenario is a BTC perpetual with its key uncertainties sampled",
          "[scenario]") {
    const Scenario s = Scenario::builtin();
    CHECK(s.distributions().size() == parameter_specs().size());
    CHECK(s.distribution("shock.size").kind() == DistributionKind::LogNormal);
    CHECK(s.distribution("shock.size").parameters()[0].second == Approx(0.05));
    CHECK(s.distribution("regime.air_pocket").kind() == DistributionKind::Bernoulli);
    CHECK(s.distribution("regime.air_pocket").parameters()[0].second == Approx(2.0 / 7.0).margin(1e-3));
    for (auto key : {"shock.permanent_share", "positions.leverage_median", "positions.long_share",
                     "evaporation.rate", "positions.oi_to_depth"})
        CHECK_FALSE(s.distribution(key).is_fixed());
    // Everything else keeps the engine's defaults.
    const CascadeParams defaults{};
    CHECK(s.distribution("book.depth_1pct") == Distribution::fixed(defaults.depth_1pct));
    CHECK(s.run().paths == 10000);
    CHECK(s.run().tiers.empty());
    CHECK_FALSE(default_scenario_text().empty());
}

TEST_CASE("a file overrides the default scenario key by key", "[scenario]") {
    const Scenario s = Scenario::parse(R"(
[run]
paths = 123
seed = 9
[shock]
size = 0.08
[mark]
rule = "last"
[index]
spot_venues = 5
[liquidation]
partial = false
)",
                                       "t.toml");
    CHECK(s.run().paths == 123);
    CHECK(s.run().seed == 9);
    CHECK(s.distribution("shock.size") == Distribution::fixed(0.08));
    CHECK(s.distribution("mark.rule") == Distribution::fixed(2));
    CHECK(s.distribution("index.spot_venues") == Distribution::fixed(5));
    CHECK(s.distribution("liquidation.partial") == Distribution::fixed(0));
    CHECK(s.distribution("evaporation.rate") == Scenario::builtin().distribution("evaporation.rate"));
    CHECK(s.source() == "t.toml");
}

TEST_CASE("base = \"engine\" starts from the engine's defaults, all fixed", "[scenario]") {
    const Scenario s = Scenario::parse("[run]\nbase = \"engine\"\n[shock]\nsize = 0.1\n", "t.toml");
    for (std::size_t i = 0; i < s.distributions().size(); ++i) CHECK(s.distributions()[i].is_fixed());
    CHECK(s.distribution("shock.size") == Distribution::fixed(0.1));
    CHECK(s.distribution("evaporation.rate") == Scenario::engine_defaults().distribution("evaporation.rate"));
}

TEST_CASE("every distribution kind parses, with truncation and choices by name", "[scenario]") {
    const Scenario s = Scenario::parse(R"(
[shock]
size = { dist = "lognormal", median = 0.05, sigma = 0.6, min = 0.005, max = 0.5 }
permanent_share = { dist = "beta", alpha = 2, beta = 5 }
duration_s = { dist = "uniform", low = 30, high = 600 }
start_s = { dist = "loguniform", low = 1, high = 100 }
[market]
jump_stdev = { dist = "normal", mean = 0.02, sd = 0.01, min = 0.0, max = 0.1 }
volatility_annual = { dist = "student-t", df = 4, location = 0.6, scale = 0.1, min = 0.1, max = 3 }
[mark]
rule = { dist = "choice", values = ["median", "last"], weights = [0.8, 0.2] }
[regime]
air_pocket = { dist = "bernoulli", p = 0.2857 }
[index]
spot_venues = { dist = "choice", values = [3, 5, 7] }
[positions]
entry_bins = { dist = "uniform", low = 20, high = 60 }
[book]
shape = { dist = "fixed", value = 1.5 }
)",
                                       "t.toml");
    CHECK(s.distribution("shock.size") == Distribution::log_normal(0.05, 0.6).truncated(0.005, 0.5));
    CHECK(s.distribution("shock.permanent_share") == Distribution::beta(2, 5));
    CHECK(s.distribution("market.volatility_annual") ==
          Distribution::student_t(4, 0.6, 0.1).truncated(0.1, 3));
    CHECK(s.distribution("mark.rule") == Distribution::choice({0, 2}, {0.8, 0.2}));
    CHECK(s.distribution("book.shape") == Distribution::fixed(1.5));
    // Integers drawn from a continuous distribution are rounded.
    for (std::uint64_t i = 0; i < 200; ++i) {
        std::vector<double> values(parameter_specs().size());
        const CascadeParams p = s.sample(1, i, values);
        CHECK(p.entry_bins >= 20);
        CHECK(p.entry_bins <= 60);
        CHECK(values[index_of("positions.entry_bins")] ==
              std::round(values[index_of("positions.entry_bins")]));
        CHECK((p.spot_venues == 3 || p.spot_venues == 5 || p.spot_venues == 7));
        CHECK((p.mark_rule == MarkRule::Median || p.mark_rule == MarkRule::Last));
        CHECK(p.shock_size >= 0.005);
        CHECK(p.shock_size <= 0.5);
    }
}

TEST_CASE("sampling is a pure function of (scenario, seed, path index)", "[scenario]") {
    const Scenario s = Scenario::builtin();
    const std::size_t n = parameter_specs().size();
    std::vector<double> a(n), b(n), c(n);
    s.sample(42, 17, a);
    s.sample(42, 99, c);  // another path in between changes nothing
    s.sample(42, 17, b);
    CHECK(a == b);
    CHECK(a != c);
    std::vector<double> other_seed(n);
    s.sample(43, 17, other_seed);
    CHECK(a[index_of("shock.size")] != other_seed[index_of("shock.size")]);
    // The sampled values are what the parameters receive.
    const CascadeParams p = s.sample(42, 17);
    CHECK(p.shock_size == a[index_of("shock.size")]);
    CHECK(p.long_share == a[index_of("positions.long_share")]);
    CHECK(static_cast<double>(p.air_pocket) == a[index_of("regime.air_pocket")]);
}

TEST_CASE("each parameter keeps its own uniform: randomizing one never shifts another's draws",
          "[scenario]") {
    const Scenario base = Scenario::builtin();
    Scenario changed = base;
    changed.set("book.depth_1pct={ dist = \"lognormal\", median = 1e8, sigma = 0.3, min = 1e7, max = 1e9 }");
    const std::size_t n = parameter_specs().size();
    std::vector<double> a(n), b(n);
    for (std::uint64_t i = 0; i < 50; ++i) {
        base.sample(5, i, a);
        changed.sample(5, i, b);
        for (std::size_t k = 0; k < n; ++k)
            if (k != index_of("book.depth_1pct")) CHECK(a[k] == b[k]);
    }
}

TEST_CASE("scenario show round-trips: its TOML parses to the same scenario", "[scenario]") {
    Scenario s = Scenario::parse(R"(
[run]
paths = 77
seed = 123456789
tiers = "some/tiers.csv"
[shock]
size = { dist = "lognormal", median = 0.05, sigma = 0.6, min = 0.005, max = 0.5 }
duration_s = { dist = "uniform", low = 30.5, high = 600.25 }
[market]
volatility_annual = { dist = "studentt", df = 4, location = 0.6, scale = 0.1, min = 0.1 , max = 3.0 }
jump_stdev = { dist = "normal", mean = 0.02, sd = 0.01, min = 0.0, max = 0.1 }
[mark]
rule = { dist = "choice", values = ["median", "last"], weights = [0.8, 0.2] }
[adl]
ranking = "hyperliquid"
[index]
spot_venues = { dist = "choice", values = [3, 5, 7] }
[regime]
air_pocket = { dist = "bernoulli", p = 0.2857142857142857 }
[book]
depth_1pct = 1.2345678901234567e8
)",
                                 "t.toml", "/data/scenarios");
    CHECK(s.run().tiers == std::filesystem::path("/data/scenarios/some/tiers.csv"));
    const std::string text = s.to_toml();
    const Scenario back = Scenario::parse(text, "shown.toml");
    CHECK(back == s);
    CHECK(back.to_toml().substr(back.to_toml().find("[run]")) == text.substr(text.find("[run]")));
    // Every key is written with its doc.
    for (const auto& spec : parameter_specs()) CHECK_THAT(text, Contains(std::string(spec.doc)));
    const Scenario builtin = Scenario::builtin();
    CHECK(Scenario::parse(builtin.to_toml(), "shown.toml") == builtin);
    const Scenario engine = Scenario::engine_defaults();
    CHECK(Scenario::parse(engine.to_toml(), "shown.toml") == engine);
}

TEST_CASE("a --set override replaces any entry with a TOML value", "[scenario]") {
    Scenario s = Scenario::builtin();
    s.set("shock.size=0.12");
    s.set("mark.rule=last");  // a bare word is a string
    s.set("mark.rule = \"index\"");
    s.set("shock.duration_s={ dist = \"uniform\", low = 60, high = 300 }");
    s.set("regime.air_pocket=true");
    s.set("run.paths=5");
    s.set("run.seed=77");
    CHECK(s.distribution("shock.size") == Distribution::fixed(0.12));
    CHECK(s.distribution("mark.rule") == Distribution::fixed(1));
    CHECK(s.distribution("shock.duration_s") == Distribution::uniform(60, 300));
    CHECK(s.distribution("regime.air_pocket") == Distribution::fixed(1));
    CHECK(s.run().paths == 5);
    CHECK(s.run().seed == 77);
    CHECK_THAT(s.source(), Contains("--set 'shock.size=0.12'"));
}

TEST_CASE("unknown keys are refused with the nearest known key", "[scenario][errors]") {
    auto message = refusal("[shock]\nsise = 0.1\n");
    CHECK_THAT(message, Contains("test.toml:2:"));
    CHECK_THAT(message, Contains("shock.sise"));
    CHECK_THAT(message, Contains("did you mean 'shock.size'"));
    message = refusal("[book]\nleverage_median = 5\n");
    CHECK_THAT(message, Contains("positions.leverage_median"));
    message = refusal("[shok]\nsize = 0.1\n");
    CHECK_THAT(message, Contains("shock.size"));
    message = refusal("[run]\npath = 10\n");
    CHECK_THAT(message, Contains("run.paths"));
    CHECK_THAT(set_refusal("shock.sizee=0.1"), Contains("did you mean 'shock.size'"));
    CHECK_THAT(refusal("[shock]\nsize = { dist = \"lognormal\", mean = 0.1, sigma = 1, max = 0.5 }\n"),
               Contains("did you mean 'median'"));
    CHECK_THAT(refusal("[shock]\nsize = { dist = \"lognormall\", median = 0.1, sigma = 1 }\n"),
               Contains("did you mean \"lognormal\""));
    CHECK_THAT(refusal("[mark]\nrule = \"lastt\"\n"), Contains("did you mean \"last\""));
}

TEST_CASE("wrong types are refused naming file, line, key and value", "[scenario][errors]") {
    auto message = refusal("[shock]\nsize = \"big\"\n");
    CHECK_THAT(message, Contains("test.toml:2:"));
    CHECK_THAT(message, Contains("shock.size = \"big\""));
    CHECK_THAT(message, Contains("expected a number"));
    CHECK_THAT(refusal("[shock]\nenabled = \"yes\"\n"), Contains("true or false"));
    CHECK_THAT(refusal("[mark]\nrule = 2\n"), Contains("written by name"));
    CHECK_THAT(refusal("[index]\nspot_venues = 2.5\n"), Contains("whole number"));
    CHECK_THAT(refusal("[run]\npaths = 0\n"), Contains("run.paths"));
    CHECK_THAT(refusal("[run]\nseed = -1\n"), Contains("run.seed"));
    CHECK_THAT(refusal("[shock]\nsize = [0.1, 0.2]\n"), Contains("not an array"));
    CHECK_THAT(refusal("shock = 3\n"), Contains("shock"));
    CHECK_THAT(refusal("[shock]\nsize = { median = 0.1 }\n"), Contains("dist = "));
    CHECK_THAT(refusal("[book]\nshape = { dist = \"bernoulli\", p = 0.5 }\n"),
               Contains("bernoulli is for flags"));
}

TEST_CASE("impossible values are refused before any path runs", "[scenario][errors]") {
    // A probability outside [0, 1].
    auto message = refusal("[positions]\nlong_share = 1.5\n");
    CHECK_THAT(message, Contains("positions.long_share = 1.5"));
    CHECK_THAT(message, Contains("[0, 1]"));
    CHECK_THAT(refusal("[regime]\nair_pocket = { dist = \"bernoulli\", p = 1.2 }\n"),
               Contains("0 <= p <= 1"));
    // Negative depth, leverage below 1.
    CHECK_THAT(refusal("[book]\ndepth_1pct = -5.0\n"), Contains("book.depth_1pct"));
    CHECK_THAT(refusal("[positions]\nleverage_median = 0.5\n"), Contains("[1, 1000]"));
    // Lower bound above upper.
    CHECK_THAT(refusal("[shock]\nsize = { dist = \"uniform\", low = 0.2, high = 0.1 }\n"),
               Contains("low < high"));
    CHECK_THAT(
        refusal("[shock]\nsize = { dist = \"lognormal\", median = 0.1, sigma = 1, min = 0.3, max = 0.2 }\n"),
        Contains("min <= max"));
    // Weights that do not sum to a positive number.
    CHECK_THAT(
        refusal("[mark]\nrule = { dist = \"choice\", values = [\"median\", \"last\"], weights = [0, 0] }\n"),
        Contains("positive"));
    // A support that can leave the parameter's range without bounds inside it.
    message = refusal("[shock]\nsize = { dist = \"lognormal\", median = 0.05, sigma = 0.6 }\n");
    CHECK_THAT(message, Contains("test.toml:2:"));
    CHECK_THAT(message, Contains("shock.size"));
    CHECK_THAT(message, Contains("add truncation bounds"));
    CHECK_THAT(
        refusal("[positions]\nleverage_median = { dist = \"normal\", mean = 10, sd = 3, min = 0.5 }\n"),
        Contains("add truncation bounds"));
    CHECK_THAT(refusal("[shock]\nsize = { dist = \"uniform\", low = 0.1, high = 1.5 }\n"),
               Contains("[0, 0.95]"));
    // Bounds inside the range make the same distributions acceptable.
    CHECK_NOTHROW(Scenario::parse(
        "[shock]\nsize = { dist = \"lognormal\", median = 0.05, sigma = 0.6, max = 0.9 }\n", "t"));
    CHECK_NOTHROW(
        Scenario::parse("[shock]\nsize = { dist = \"uniform\", low = 0.1, high = 1.5, max = 0.9 }\n", "t"));
    CHECK_THAT(set_refusal("positions.long_share=-0.1"), Contains("--set 'positions.long_share=-0.1'"));
    CHECK_THAT(set_refusal("run.paths=0"), Contains("run.paths"));
    CHECK_THAT(set_refusal("shock.size"), Contains("key=value"));
    CHECK_THAT(set_refusal("shock.size={ dist = "), Contains("cannot read the value"));
}

TEST_CASE("TOML syntax errors name file, line and column", "[scenario][errors]") {
    const auto message = refusal("[shock]\nsize = = 0.1\n");
    CHECK_THAT(message, Contains("test.toml:2:"));
    CHECK_THAT(message, Contains("TOML syntax error"));
    CHECK_THAT(refusal("[shock]\nsize = 0.1\nsize = 0.2\n"), Contains("test.toml:3:"));
}

TEST_CASE("characters beyond ASCII are refused outside strings and comments, kept inside them",
          "[scenario][errors]") {
    // toml++ 3.3 reaches an unreachable branch on U+00A1..U+0499 where a value should start (the fuzzer's
    // find, "\xc5\x84" = U+0144): wipeout refuses them first, with the place.
    const auto message = refusal("[regime]\nair_pocket = \xc5\x84" "A0\n");
    CHECK_THAT(message, Contains("test.toml:2:14:"));
    CHECK_THAT(message, Contains("beyond ASCII"));
    CHECK_THAT(set_refusal("regime.air_pocket=\xc5\x84" "A0disdt_max_s= 0.3 }"), Contains("beyond ASCII"));
    CHECK_THAT(refusal("# caf\xc3\xa9\n[shock]\nsize = \"\"\"\n\xc3\xa9\"\"\"\n  \xd0\x96 = 1\n"),
               Contains("test.toml:5:3:"));
    // Inside comments, basic, literal and multi-line strings they are text.
    const Scenario s = Scenario::parse("# donn\xc3\xa9" "es \xd0\x96\n[shock] # \xc5\x84\nsize = 0.07\n"
                                       "[adl]\nranking = 'pnl-leverage' # \xe2\x80\x94 \"\n",
                                       "ok.toml");
    CHECK(s.distribution("shock.size") == Distribution::fixed(0.07));
}

TEST_CASE("files: tiers relative to the scenario file, unreadable files refused", "[scenario]") {
    const auto dir = std::filesystem::temp_directory_path() / "wipeout_test_scenario";
    std::filesystem::create_directories(dir);
    {
        std::ofstream out(dir / "s.toml");
        out << "[run]\ntiers = \"tiers/x.csv\"\n";
    }
    const Scenario s = Scenario::load(dir / "s.toml");
    CHECK(s.run().tiers == (std::filesystem::absolute(dir) / "tiers/x.csv").lexically_normal());
    CHECK_THROWS_WITH(Scenario::load(dir / "missing.toml"), Contains("cannot read"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("every experiment file parses", "[scenario][experiments]") {
    const auto dir = std::filesystem::path(WIPEOUT_SOURCE_DIR) / "experiments";
    int count = 0;
    // Subfolders too: experiments/history/ holds the calibration events (docs/calibration.md).
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (entry.path().extension() != ".toml") continue;
        INFO(entry.path());
        const Scenario s = Scenario::load(entry.path());
        CHECK(Scenario::parse(s.to_toml(), "shown.toml") == s);
        ++count;
    }
    CHECK(count >= 4);
    for (auto name : {"weekend_air_pocket.toml", "weekday_cme_open.toml", "retail_leverage_mania.toml",
                      "deep_book_control.toml"})
        CHECK(std::filesystem::exists(dir / name));
    for (auto name : {"2020-03-12_black_thursday.toml", "2021-05-19_china_ban.toml", "2022-06-13_celsius.toml",
                      "2023-08-17_spacex.toml"})
        CHECK(std::filesystem::exists(dir / "history" / name));
}
