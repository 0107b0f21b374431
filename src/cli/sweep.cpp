// wipeout sweep: a grid or Latin hypercube over scenario parameters, every point's paths into one
// wipeout-sweep file (per-point summary over the sweep axes, each point re-runnable with wipeout run).
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "options.h"
#include "run_support.h"
#include "wipeout/error.h"
#include "wipeout/sweep.h"

namespace wipeout::cli {
namespace {

struct SweepArgs : DriverArgs {
    std::vector<std::string> grid, lhs;
    std::uint64_t points = 0, paths_per_point = 0;
    bool same_seed = false;
};

void sweep_command(const SweepArgs& a) {
    const Scenario base = a.scenario();
    if (!a.grid.empty() && !a.lhs.empty())
        throw InputError("--grid and --lhs cannot be mixed: choose one design");
    SweepSpec spec;
    spec.design = a.lhs.empty() ? SweepDesign::Grid : SweepDesign::LatinHypercube;
    for (const auto& g : a.grid) spec.axes.push_back(parse_grid_axis(g));
    for (const auto& l : a.lhs) spec.axes.push_back(parse_hypercube_axis(l));
    if (spec.design == SweepDesign::Grid && a.points != 0) throw InputError("--points is for --lhs sweeps");
    spec.points = a.points;
    spec.paths_per_point = a.paths_per_point;
    spec.seed = a.seed_opt->count() > 0 ? a.seed : base.run().seed;
    spec.same_seed = a.same_seed;

    const RunOptions options = a.run_options();
    const bool root = a.root();
    const bool terminal = isatty(STDERR_FILENO) != 0;
    std::string prefix = "wipeout run";
    if (!a.scenario_file.empty()) prefix += " " + a.scenario_file;
    for (const auto& set : a.sets) prefix += fmt::format(" --set '{}'", set);

    RunResult result;
    {
        const StopSignals signals;
        try {
            result = run_sweep(base, spec, options, prefix);
        } catch (const PathFailure& e) {
            exit_status() = kExitFailure;
            if (!root) return;
            if (terminal && !a.quiet) std::fputc('\n', stderr);
            std::fprintf(stderr, "wipeout: error: %s\n", e.what());
            std::fprintf(stderr, "wipeout: %s keeps the chunks before it and is marked incomplete\n",
                         a.output.c_str());
            return;
        }
    }
    const int signal = result.stop_signal != 0 ? result.stop_signal : g_stop_signal.load();
    if (!result.complete) exit_status() = 128 + (signal != 0 ? signal : SIGINT);
    if (!root) return;
    if (terminal && !a.quiet && result.paths_this_session > 0) std::fputc('\n', stderr);
    if (result.complete) {
        std::printf("%s: %llu points x %llu paths, complete\n", a.output.c_str(),
                    static_cast<unsigned long long>(spec.n_points()),
                    static_cast<unsigned long long>(spec.paths_per_point));
        return;
    }
    report_stopped(signal, result.n_paths_done, result.n_paths, "rows", a.output, "the same command plus --resume");
}

}  // namespace

void add_sweep_command(CLI::App& app) {
    auto args = std::make_shared<SweepArgs>();
    args->output = "results/sweep.h5";
    CLI::App* cmd = app.add_subcommand("sweep", "Sweep scenario parameters over a grid or a Latin hypercube");
    cmd->add_option("--grid", args->grid,
                    "Grid axis: KEY=START:STOP:N, KEY=log:START:STOP:N or KEY=v1,v2,...; KEY is a scenario "
                    "key (shock.size) or one parameter of its distribution (shock.size.median); repeatable")
        ->allow_extra_args(false);
    cmd->add_option("--lhs", args->lhs, "Latin-hypercube axis: KEY=LOW:HIGH or KEY=log:LOW:HIGH; repeatable")
        ->allow_extra_args(false);
    // Each at most a run's paths; the sweep's driver checks their product.
    add_whole_option(*cmd, "--points", args->points, "Latin hypercube: number of points", 1, kMaxPaths);
    add_whole_option(*cmd, "--paths-per-point", args->paths_per_point, "Paths at each point", 1, kMaxPaths)
        ->required();
    cmd->add_flag(
        "--same-seed", args->same_seed,
        "Every point runs with the sweep's seed: the same paths at every point (common random numbers)");
    add_driver_options(*cmd, *args,
                       {"Base scenario TOML file (default: the built-in scenario)",
                        "Sweep seed (default: the scenario's [run] seed)",
                        "Continue an interrupted sweep in --output",
                        "Job arrays: compute shard K of N of the points into its own file"});
    cmd->callback([args] { sweep_command(*args); });
}

}  // namespace wipeout::cli
