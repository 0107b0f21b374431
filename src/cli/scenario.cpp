// wipeout scenario show: the effective scenario (file + overrides, every default filled in) as a valid,
// commented scenario file.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "wipeout/book_snapshot.h"
#include "wipeout/scenario.h"

namespace wipeout::cli {
namespace {

struct ScenarioArgs {
    std::string file;
    std::vector<std::string> sets;
};

void show_command(const ScenarioArgs& a) {
    Scenario scenario = a.file.empty() ? Scenario::builtin() : Scenario::load(a.file);
    for (const auto& assignment : a.sets) scenario.set(assignment);
    std::fputs(scenario.to_toml().c_str(), stdout);
    if (!scenario.run().book.empty()) {
        // The order-book snapshot, for comparison with the power law of book.depth_1pct and book.shape (which
        // a run on the snapshot does not use: it walks the snapshot's profile, in units of its d1).
        const BookSnapshot book = BookSnapshot::load(scenario.run().book);
        const auto fit = book.fit_power_law();
        fmt::print("\n# [book] source {}: {} bid and {} ask levels around a mid of {:.10g}\n", book.source(),
                   book.bids().size(), book.asks().size(), book.mid());
        fmt::print("#   snapshot d1 (mean depth within 1% of the mid, each side): {:.6g} quote; a run uses it "
                   "in place of book.depth_1pct\n",
                   book.depth_1pct());
        fmt::print("#   best power-law fit D(x) = d1 (x / 1%)^shape: d1 = {:.6g}, shape = {:.4f}, rms log "
                   "error {:.4f}\n",
                   fit.depth_1pct, fit.shape, fit.rms_log_error);
    }
}

}  // namespace

void add_scenario_command(CLI::App& app) {
    auto args = std::make_shared<ScenarioArgs>();
    CLI::App* scenario = app.add_subcommand("scenario", "Inspect scenario files");
    scenario->require_subcommand(1);
    CLI::App* show = scenario->add_subcommand(
        "show", "Print the effective scenario (every parameter, with unit and doc) as a scenario file");
    show->add_option("file", args->file, "Scenario TOML file (default: the built-in default scenario)");
    show->add_option("--set", args->sets, "Override a scenario entry: key=value (TOML value); repeatable")
        ->allow_extra_args(false);
    show->callback([args] { show_command(*args); });
}

}  // namespace wipeout::cli
