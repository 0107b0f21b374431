// wipeout scenario show: the effective scenario (file + overrides, every default filled in) as a valid,
// commented scenario file.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
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
