// wipeout snapshot: a position snapshot drawn from a scenario's crowd, in the format [positions] source reads.
// For trying a snapshot pipeline before a venue's own positions are at hand, and for checking that a snapshot run
// reproduces the parametric one.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "options.h"
#include "wipeout/crowd_population.h"
#include "wipeout/error.h"
#include "wipeout/market_inputs.h"
#include "wipeout/population.h"
#include "wipeout/position_snapshot.h"
#include "wipeout/scenario.h"

namespace wipeout::cli {
namespace {

struct SnapshotArgs {
    std::string scenario_file;
    std::vector<std::string> sets;
    std::uint64_t path = 0;
    std::string output;
    bool force = false;
    SnapshotDraw draw;
};

void run_snapshot(const SnapshotArgs& a) {
    Scenario scenario = a.scenario_file.empty() ? Scenario::builtin() : Scenario::load(a.scenario_file);
    for (const auto& assignment : a.sets) scenario.set(assignment);
    if (std::filesystem::exists(a.output) && !a.force)
        throw InputError(fmt::format("-o {}: the file exists; pass --force to overwrite it", a.output));
    if (!scenario.run().positions.empty())
        throw InputError("positions.source: the scenario's crowd is already a snapshot; draw from a parametric one");
    const MarketInputs inputs = MarketInputs::load(scenario.run());
    const CascadeParams params = scenario.sample(scenario.run().seed, a.path);
    PopulationScratch scratch;
    Population crowd;
    build_crowd_population(params, inputs, scratch, crowd);
    const DrawnSnapshot drawn = draw_snapshot(crowd, params.reference_price, a.draw);
    {
        std::ofstream out(a.output, std::ios::binary | std::ios::trunc);
        out << "# drawn by `wipeout snapshot` from path " << a.path << " of " << scenario.source() << "\n"
            << "# run it with --set positions.oi_scale=" << fmt::format("{}", drawn.oi_scale)
            << " to carry the crowd's open interest\n"
            << drawn.csv;
        if (!out) throw InputError(fmt::format("-o {}: cannot write the file", a.output));
    }
    std::printf("%s: %zu positions (open interest %.4g long / %.4g short); positions.oi_scale = %s gives the crowd's "
                "%.4g back\n",
                a.output.c_str(), a.draw.positions, drawn.long_oi, drawn.short_oi,
                fmt::format("{}", drawn.oi_scale).c_str(), crowd.long_oi + crowd.short_oi);
}

}  // namespace

void add_snapshot_command(CLI::App& app) {
    auto args = std::make_shared<SnapshotArgs>();
    CLI::App* cmd = app.add_subcommand(
        "snapshot", "Draw a position snapshot (CSV for [positions] source) from a scenario's parametric crowd");
    cmd->add_option("scenario", args->scenario_file, "Scenario TOML file (default: the embedded default scenario)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--set", args->sets, "Override a scenario entry, key=value (repeatable)");
    add_whole_option(*cmd, "--path", args->path, "Draw the crowd of this path of the scenario's sampling", 0,
                     kMaxPaths - 1);
    add_whole_option(*cmd, "--positions", args->draw.positions, "Positions to draw", 1, 100'000'000);
    add_whole_option(*cmd, "--accounts", args->draw.accounts, "Accounts the isolated positions are spread over", 1,
                     100'000'000);
    add_real_option(*cmd, "--cross-share", args->draw.cross_share,
                    "Share of positions margined cross (accounts of their own, one side each)", {0, 1});
    add_whole_option(*cmd, "--seed", args->draw.seed, "Seed of the draw", 0,
                     std::numeric_limits<std::uint64_t>::max());
    cmd->add_option("-o,--output", args->output, "The CSV file to write")->required();
    cmd->add_flag("--force", args->force, "Overwrite an existing output");
    cmd->callback([args] { run_snapshot(*args); });
}

}  // namespace wipeout::cli
