// wipeout path: re-runs exactly one path of a run (same scenario, seed and index give the same numbers
// as that row of the results file), prints its parameters and outputs, and optionally writes its full
// time series as CSV.
#include <cmath>
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
#include "wipeout/cascade_engine.h"
#include "wipeout/error.h"
#include "wipeout/parameter.h"
#include "wipeout/replay.h"
#include "wipeout/scenario.h"

namespace wipeout::cli {
namespace {

struct PathArgs {
    std::string scenario_file;
    std::vector<std::string> overrides;
    std::uint64_t seed = 0;
    std::uint64_t index = 0;
    std::string trace_file;
    bool json = false;
    bool check = false;
    bool force = false;
    CLI::Option* seed_opt = nullptr;
};

std::string number(double v) {
    if (!std::isfinite(v)) return "null";
    return fmt::format("{}", v);  // shortest representation that round-trips
}

std::string parameter_value(const ParameterSpec& spec, double v) {
    if (spec.kind == ParameterKind::Choice) {
        const auto i = static_cast<std::size_t>(v);
        return i < spec.choices.size() ? std::string(spec.choices[i]) : number(v);
    }
    return number(v);
}

void write_trace(const std::string& file, const PathTrace& trace, bool force) {
    if (std::filesystem::exists(file) && !force) {
        throw InputError(fmt::format("--trace {}: the file exists; pass --force to overwrite it", file));
    }
    std::ofstream out(file);
    if (!out) throw InputError(fmt::format("--trace {}: cannot open for writing", file));
    const auto columns = trace_columns();
    for (std::size_t c = 0; c < columns.size(); ++c) out << (c ? "," : "") << columns[c];
    out << '\n';
    for (const TraceRow& row : trace.rows) {
        const auto values = trace_values(row);
        for (std::size_t c = 0; c < values.size(); ++c) out << (c ? "," : "") << fmt::format("{}", values[c]);
        out << '\n';
    }
    if (!out) throw std::runtime_error(fmt::format("--trace {}: write failed", file));
}

void run_path(const PathArgs& a) {
    Scenario scenario = a.scenario_file.empty() ? Scenario::builtin() : Scenario::load(a.scenario_file);
    for (const auto& assignment : a.overrides) scenario.set(assignment);
    const std::uint64_t seed = a.seed_opt->count() ? a.seed : scenario.run().seed;
    const ReplayedPath replayed = replay_path(scenario, seed, a.index, a.check, !a.trace_file.empty());
    const auto specs = parameter_specs();
    const std::vector<double>& values = replayed.parameters;
    const PathOutputs& out = replayed.outputs;
    const PathTrace& trace = replayed.trace;
    if (!a.trace_file.empty()) write_trace(a.trace_file, trace, a.force);

    std::string text;
    if (a.json) {
        text += fmt::format("{{\"seed\":{},\"index\":{},\"parameters\":{{", seed, a.index);
        for (std::size_t i = 0; i < specs.size(); ++i) {
            const bool quoted = specs[i].kind == ParameterKind::Choice;
            text += fmt::format("{}\"{}\":{}{}{}", i ? "," : "", specs[i].key, quoted ? "\"" : "",
                                parameter_value(specs[i], values[i]), quoted ? "\"" : "");
        }
        text += "},\"outputs\":{";
        bool first = true;
        for (const auto& spec : output_specs()) {
            text += fmt::format("{}\"{}\":{}", first ? "" : ",", spec.name, number(out.*spec.member));
            first = false;
        }
        text += "}}\n";
    } else {
        text += fmt::format("path {} of seed {} ({}, {} cohorts)\n\nparameters\n", a.index, seed, scenario.source(),
                            replayed.cohorts);
        for (std::size_t i = 0; i < specs.size(); ++i) {
            const std::string shown = specs[i].kind == ParameterKind::Choice ? parameter_value(specs[i], values[i]) : fmt::format("{:.10g}", values[i]);
            text += fmt::format("  {:<36} {:>16} {}\n", specs[i].key, shown, specs[i].unit);
        }
        text += "\noutputs\n";
        for (const auto& spec : output_specs()) {
            text += fmt::format("  {:<36} {:>16.8g} {}\n", spec.name, out.*spec.member, spec.unit);
        }
        if (!a.trace_file.empty()) text += fmt::format("\ntime series ({} steps) written to {}\n", trace.rows.size(), a.trace_file);
    }
    std::fputs(text.c_str(), stdout);
}

}  // namespace

void add_path_command(CLI::App& app) {
    auto args = std::make_shared<PathArgs>();
    CLI::App* cmd = app.add_subcommand("path", "Re-run one path of a run exactly, print its outputs, write its time series");
    cmd->add_option("scenario", args->scenario_file, "Scenario TOML file (default: the embedded default scenario)")
        ->check(CLI::ExistingFile);
    args->seed_opt = add_whole_option(*cmd, "--seed", args->seed,
                                      "Master seed of the run (default: the scenario's run.seed)", 0,
                                      std::numeric_limits<std::uint64_t>::max());
    add_whole_option(*cmd, "--index", args->index, "Path index within the run", 0, kMaxPaths - 1)->required();
    cmd->add_option("--set", args->overrides, "Override a scenario entry, key=value (repeatable)");
    cmd->add_option("--trace", args->trace_file, "Write the path's time series to this CSV file");
    cmd->add_flag("--json", args->json, "Print one JSON object instead of tables");
    cmd->add_flag("--check", args->check, "Check the engine's invariants at every step");
    cmd->add_flag("--force", args->force, "Overwrite an existing --trace file");
    cmd->callback([args] { run_path(*args); });
}

}  // namespace wipeout::cli
