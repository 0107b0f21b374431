// wipeout liq-map: the liquidation map of a scenario's crowd (path I's sampled crowd, or its position
// snapshot): the notional liquidated at each price level, longs below P0 and shorts above, the cumulative
// curves and the cliffs where the forced flow first outruns the book's depth. A table, CSV, JSON, and a PNG
// drawn by scripts/report/liq_map_figure.py. The map itself lives in the library (wipeout/liquidation_map.h).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "options.h"
#include "report_scripts.h"
#include "wipeout/error.h"
#include "wipeout/liquidation_map.h"
#include "wipeout/market_inputs.h"
#include "wipeout/quoted.h"
#include "wipeout/scenario.h"

namespace wipeout::cli {
namespace {

namespace fs = std::filesystem;

/// Prices beyond any market: a larger one is a typo (as liq-price's amounts).
constexpr double kMaxPrice = 1e15;

struct LiqMapArgs {
    std::string scenario_file;
    std::vector<std::string> sets;
    std::uint64_t seed = 0;
    std::uint64_t path = 0;
    std::optional<std::pair<double, double>> range;
    std::size_t bins = kDefaultLiquidationMapBins;
    std::string csv, png;
    bool json = false, force = false;
    CLI::Option* seed_opt = nullptr;
};

/// --range LOW:HIGH, absolute prices with 0 <= LOW < HIGH.
std::pair<double, double> parse_range(const std::string& text) {
    const InputError bad(
        fmt::format("--range '{}': expected LOW:HIGH, prices with 0 <= LOW < HIGH <= {:g}", text, kMaxPrice));
    const auto colon = text.find(':');
    if (colon == std::string::npos) throw bad;
    double low = 0, high = 0;
    try {
        low = parse_real("--range", std::string_view(text).substr(0, colon), {0.0, kMaxPrice});
        high = parse_real("--range", std::string_view(text).substr(colon + 1), {0.0, kMaxPrice, true});
    } catch (const InputError&) {
        throw bad;  // the whole LOW:HIGH, not half of it
    }
    if (!(low < high)) throw bad;
    return {low, high};
}

/// JSON numbers: shortest round-trip; null for NaN and infinity (unlimited depth).
std::string num(double v) {
    return std::isfinite(v) ? fmt::format("{}", v) : "null";
}

/// A quote amount for people: 4 significant digits with k / M / bn / tn.
std::string amount(double v) {
    if (std::isinf(v)) return "unlimited";
    if (!std::isfinite(v)) return "?";
    const double a = std::abs(v);
    for (const auto& [scale, suffix] :
         {std::pair{1e12, " tn"}, std::pair{1e9, " bn"}, std::pair{1e6, " M"}, std::pair{1e3, " k"}}) {
        if (a >= scale) return fmt::format("{:.4g}{}", v / scale, suffix);
    }
    return fmt::format("{:.4g}", v);
}

std::string cohorts(std::size_t n) {
    return fmt::format("{} cohort{}", n, n == 1 ? "" : "s");
}

void check_output(const std::string& option, const std::string& path, bool force) {
    if (path.empty()) return;
    if (fs::exists(path) && !force)
        throw InputError(fmt::format("{} {}: the file exists; pass --force to overwrite it", option, path));
}

void write_file(const std::string& path, const std::string& text, const std::string& option) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw InputError(fmt::format("{} {}: cannot write it", option, path));
}

std::string csv_text(const LiquidationMap& map) {
    std::string out = "price,long_liquidated,short_liquidated,long_cumulative,short_cumulative\n";
    for (const LiquidationMapBin& b : map.bins)
        out += fmt::format("{},{},{},{},{}\n", b.price, b.long_liquidated, b.short_liquidated,
                           b.long_cumulative, b.short_cumulative);
    return out;
}

std::string cliff_json(const LiquidationCliff& c) {
    return fmt::format(
        "{{\"found\": {}, \"move\": {}, \"price\": {}, \"forced\": {}, \"depth\": {}, \"reach\": {}, "
        "\"reach_price\": {}, \"reach_forced\": {}}}",
        c.found ? "true" : "false", num(c.move), num(c.price), num(c.forced), num(c.depth), num(c.reach),
        num(c.reach_price), num(c.reach_forced));
}

std::string side_json(const LiquidationMapSide& s) {
    return fmt::format(
        "{{\"open_interest\": {}, \"notional\": {}, \"in_range\": {}, \"before_range\": {}, "
        "\"beyond_range\": {}, "
        "\"cohorts\": {}, \"never_cohorts\": {}, \"never_open_interest\": {}, \"crossed_cohorts\": {}, "
        "\"crossed_open_interest\": {}}}",
        num(s.open_interest), num(s.notional), num(s.in_range), num(s.before_range), num(s.beyond_range),
        s.cohorts, s.never_cohorts, num(s.never_open_interest), s.crossed_cohorts,
        num(s.crossed_open_interest));
}

std::string json_text(const CrowdLiquidationMap& m, const Scenario& scenario) {
    const LiquidationMap& map = m.map;
    std::string out = "{\n";
    out += fmt::format("  \"scenario\": {},\n  \"seed\": {},\n  \"path\": {},\n",
                       quoted_text(scenario.source()), m.seed, m.path);
    out +=
        fmt::format("  \"crowd\": \"{}\",\n  \"crowd_text\": {},\n  \"book_text\": {},\n",
                    crowd_source_name(m.crowd.source), quoted_text(m.crowd_text), quoted_text(m.book_text));
    out += fmt::format("  \"reference_price\": {},\n  \"range\": [{}, {}],\n  \"bin_width\": {},\n",
                       num(map.reference_price), num(map.low), num(map.high),
                       num((map.high - map.low) / static_cast<double>(map.bins.size())));
    out += fmt::format("  \"longs\": {},\n  \"shorts\": {},\n", side_json(map.longs), side_json(map.shorts));
    out += fmt::format("  \"cliff_down\": {},\n  \"cliff_up\": {},\n", cliff_json(map.cliff_down),
                       cliff_json(map.cliff_up));
    out += "  \"bins\": [\n";
    for (std::size_t i = 0; i < map.bins.size(); ++i) {
        const LiquidationMapBin& b = map.bins[i];
        out += fmt::format(
            "    {{\"price\": {}, \"low\": {}, \"high\": {}, \"long_liquidated\": {}, \"short_liquidated\": "
            "{}, "
            "\"long_cumulative\": {}, \"short_cumulative\": {}, \"bid_depth\": {}, \"ask_depth\": {}}}{}\n",
            num(b.price), num(b.low), num(b.high), num(b.long_liquidated), num(b.short_liquidated),
            num(b.long_cumulative), num(b.short_cumulative), num(b.bid_depth), num(b.ask_depth),
            i + 1 < map.bins.size() ? "," : "");
    }
    out += "  ]\n}\n";
    return out;
}

std::string cliff_text(const LiquidationCliff& c, bool down, const LiquidationMap& map) {
    const double p0 = map.reference_price;
    if (!c.found) {
        const double reach = down ? std::max(0.0, 1.0 - map.low / p0) : std::max(0.0, map.high / p0 - 1.0);
        return fmt::format("none within {}{:.4g}% (the range): the forced {} stay below the {} depth",
                           down ? "-" : "+", 100 * reach, down ? "sales of longs" : "buys of shorts",
                           down ? "bid" : "ask");
    }
    return fmt::format(
        "{}{:.4g}% (price {:.8g}): forced {} {} > {} depth {} within the move; it feeds the move to {}{:.4g}% "
        "(price {:.8g}), {} forced",
        down ? "-" : "+", 100 * c.move, c.price, down ? "selling" : "buying", amount(c.forced),
        down ? "bid" : "ask", amount(c.depth), down ? "-" : "+", 100 * c.reach, c.reach_price,
        amount(c.reach_forced));
}

std::string table_text(const CrowdLiquidationMap& m, const Scenario& scenario) {
    const LiquidationMap& map = m.map;
    const double width = (map.high - map.low) / static_cast<double>(map.bins.size());
    std::string out =
        fmt::format("liquidation map of path {} (seed {}) of {}\n", m.path, m.seed, scenario.source());
    out += fmt::format("  crowd             {}\n", m.crowd_text);
    out += fmt::format("  book              {}\n", m.book_text);
    out += fmt::format("  reference price   {:.10g}; range {:.10g} to {:.10g} in {} bins of {:.6g}\n",
                       map.reference_price, map.low, map.high, map.bins.size(), width);
    out += fmt::format("  open interest     long {}, short {} (quote at P0)\n",
                       amount(map.longs.open_interest), amount(map.shorts.open_interest));
    out += fmt::format(
        "  forced notional   long {} ({} in the range), short {} ({} in the range): qty x liquidation "
        "price\n",
        amount(map.longs.notional), amount(map.longs.in_range), amount(map.shorts.notional),
        amount(map.shorts.in_range));
    if (map.longs.never_cohorts > 0 || map.shorts.never_cohorts > 0)
        out += fmt::format("  never liquidated  {} ({} of OI): longs at or below 1x, left out of the map\n",
                           cohorts(map.longs.never_cohorts + map.shorts.never_cohorts),
                           amount(map.longs.never_open_interest + map.shorts.never_open_interest));
    if (map.longs.crossed_cohorts > 0 || map.shorts.crossed_cohorts > 0)
        out += fmt::format("  already crossed   {} ({} of OI): at or past their liquidation price at P0\n",
                           cohorts(map.longs.crossed_cohorts + map.shorts.crossed_cohorts),
                           amount(map.longs.crossed_open_interest + map.shorts.crossed_open_interest));
    out += fmt::format("  cliff down        {}\n", cliff_text(map.cliff_down, true, map));
    out += fmt::format("  cliff up          {}\n", cliff_text(map.cliff_up, false, map));
    // The heaviest bins, in price order.
    std::vector<std::size_t> order(map.bins.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    const auto weight = [&](std::size_t i) {
        return map.bins[i].long_liquidated + map.bins[i].short_liquidated;
    };
    const std::size_t top = std::min<std::size_t>(8, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top), order.end(),
                      [&](std::size_t a, std::size_t b) {
                          return weight(a) > weight(b) || (weight(a) == weight(b) && a < b);
                      });
    order.resize(top);
    while (!order.empty() && !(weight(order.back()) > 0)) order.pop_back();
    std::sort(order.begin(), order.end());
    if (order.empty()) {
        out += "  (no liquidation price in the range)\n";
        return out;
    }
    out += fmt::format("  heaviest bins     {:>14} {:>12} {:>12} {:>12} {:>12}\n", "price", "long", "short",
                       "long cum.", "short cum.");
    for (const std::size_t i : order) {
        const LiquidationMapBin& b = map.bins[i];
        out += fmt::format("                    {:>14.8g} {:>12} {:>12} {:>12} {:>12}\n", b.price,
                           amount(b.long_liquidated), amount(b.short_liquidated), amount(b.long_cumulative),
                           amount(b.short_cumulative));
    }
    return out;
}

void draw(const LiqMapArgs& a, const std::string& json, const std::string& title) {
    std::string pattern = (fs::temp_directory_path() / "wipeout_liq_map_XXXXXX").string();
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) throw std::runtime_error("cannot create a temporary file for the map");
    ::close(fd);
    int status = 0;
    try {
        write_file(pattern, json, "--png");
        status = run_report_script(find_report_script("liq_map_figure.py"),
                                   {"--json", pattern, "--png", a.png, "--title", title});
    } catch (...) {
        fs::remove(pattern);
        throw;
    }
    fs::remove(pattern);
    if (status != 0)
        throw std::runtime_error(fmt::format("--png {}: the figure script exited {}", a.png, status));
}

void liq_map_command(const LiqMapArgs& a) {
    check_output("--csv", a.csv, a.force);
    check_output("--png", a.png, a.force);
    if (!a.csv.empty() && a.csv == a.png) throw InputError(fmt::format("--csv and --png are both {}", a.csv));
    Scenario scenario = a.scenario_file.empty() ? Scenario::builtin() : Scenario::load(a.scenario_file);
    for (const auto& assignment : a.sets) scenario.set(assignment);
    const std::uint64_t seed = a.seed_opt->count() > 0 ? a.seed : scenario.run().seed;
    const MarketInputs inputs = MarketInputs::load(scenario.run());
    const CrowdLiquidationMap m = crowd_liquidation_map(scenario, inputs, seed, a.path, a.range, a.bins);
    const std::string json = json_text(m, scenario);
    if (!a.csv.empty()) write_file(a.csv, csv_text(m.map), "--csv");
    if (!a.png.empty())
        draw(a, json,
             fmt::format("{}, path {} (seed {})",
                         a.scenario_file.empty() ? "the built-in scenario"
                                                 : fs::path(a.scenario_file).filename().string(),
                         m.path, m.seed));
    if (a.json) {
        std::fputs(json.c_str(), stdout);
        return;
    }
    std::string out = table_text(m, scenario);
    if (!a.csv.empty()) out += fmt::format("  map: {}\n", a.csv);
    if (!a.png.empty()) out += fmt::format("  figure: {}\n", a.png);
    std::fputs(out.c_str(), stdout);
}

}  // namespace

void add_liq_map_command(CLI::App& app) {
    auto args = std::make_shared<LiqMapArgs>();
    CLI::App* cmd = app.add_subcommand("liq-map",
                                       "Liquidation map of a scenario's crowd: notional liquidated at each "
                                       "price, cumulative curves, the cliff");
    cmd->add_option("scenario", args->scenario_file,
                    "Scenario TOML file (default: the built-in default scenario)");
    cmd->add_option("--set", args->sets, "Override a scenario entry: key=value (TOML value); repeatable")
        ->allow_extra_args(false);
    args->seed_opt = add_whole_option(*cmd, "--seed", args->seed,
                                      "Master seed of the sampling (default: the scenario's run.seed)", 0,
                                      std::numeric_limits<std::uint64_t>::max());
    add_whole_option(*cmd, "--path", args->path,
                     "The path whose sampled crowd is mapped (default 0; a position snapshot: its cohorts)",
                     0, kMaxPaths - 1);
    cmd->add_option_function<std::string>(
           "--range", [args](const std::string& text) { args->range = parse_range(text); },
           "Prices LOW:HIGH the bins divide (default: P0 x 0.5 to P0 x 1.5)")
        ->type_name("LOW:HIGH");
    add_whole_option(*cmd, "--bins", args->bins,
                     fmt::format("Price bins (default {})", kDefaultLiquidationMapBins), 1,
                     kMaxLiquidationMapBins);
    cmd->add_option("--csv", args->csv,
                    "Write the map as CSV: price, long_liquidated, short_liquidated, long_cumulative, "
                    "short_cumulative (quote notional)");
    cmd->add_option("--png", args->png, "Draw the map into this PNG file (Debian's python3-matplotlib)");
    cmd->add_flag("--json", args->json,
                  "Print the map as JSON (totals, cliffs, every bin) instead of the table");
    cmd->add_flag("--force", args->force, "Overwrite existing --csv and --png files");
    cmd->callback([args] { liq_map_command(*args); });
}

}  // namespace wipeout::cli
