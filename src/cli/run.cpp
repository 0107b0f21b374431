// wipeout run: the Monte Carlo run of a scenario into an HDF5 results file, with progress, interruption
// (SIGINT/SIGTERM finish the chunk in flight and leave a resumable file) and resume.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "options.h"
#include "run_support.h"
#include "wipeout/driver.h"
#include "wipeout/error.h"
#include "wipeout/scenario.h"

namespace wipeout::cli {
namespace {

struct RunArgs : DriverArgs {
    std::uint64_t paths = 0;
    std::uint64_t save_trajectories = 0;
    CLI::Option* paths_opt = nullptr;
};

/// The scenario arguments again, for the hints printed after an interruption or a failure.
std::string scenario_arguments(const RunArgs& a) {
    std::string s;
    if (!a.scenario_file.empty()) s += " " + a.scenario_file;
    for (const auto& set : a.sets) s += fmt::format(" --set '{}'", set);
    return s;
}

void run_command(const RunArgs& a) {
    Scenario scenario = a.scenario();
    if (a.paths_opt->count() > 0) scenario.run().paths = a.paths;
    if (a.seed_opt->count() > 0) scenario.run().seed = a.seed;
    RunOptions options = a.run_options();
    options.save_trajectories = a.save_trajectories;
    const bool root = a.root();
    const bool terminal = isatty(STDERR_FILENO) != 0;

    RunResult result;
    {
        const StopSignals signals;
        try {
            result = run_scenario(scenario, options);
        } catch (const PathFailure& e) {
            exit_status() = kExitFailure;
            if (!root) return;
            if (terminal && !a.quiet) std::fputc('\n', stderr);
            std::fprintf(stderr, "wipeout: error: %s\n", e.what());
            std::fprintf(
                stderr, "wipeout: replay that path alone with: wipeout path --seed %llu --index %llu%s%s\n",
                static_cast<unsigned long long>(e.seed()), static_cast<unsigned long long>(e.path_index()),
                a.check ? " --check" : "", scenario_arguments(a).c_str());
            std::fprintf(stderr, "wipeout: %s keeps the paths before that chunk and is marked incomplete\n",
                         a.output.c_str());
            exit_status() = kExitFailure;
            return;
        }
    }
    const int signal = result.stop_signal != 0 ? result.stop_signal : g_stop_signal.load();
    if (!root) {
        if (!result.complete) exit_status() = 128 + (signal != 0 ? signal : SIGINT);
        return;
    }
    if (terminal && !a.quiet && result.paths_this_session > 0) std::fputc('\n', stderr);
    if (result.complete) {
        if (result.paths_this_session == 0 && a.resume) {
            std::printf("%s: already complete (%llu paths)\n", a.output.c_str(),
                        static_cast<unsigned long long>(result.n_paths));
        } else {
            std::printf("%s: %llu paths, complete (%.0f paths/s this session)\n", a.output.c_str(),
                        static_cast<unsigned long long>(result.n_paths), result.paths_per_s);
        }
        return;
    }
    report_stopped(signal, result.n_paths_done, result.n_paths, "paths", a.output,
                   "wipeout run" + scenario_arguments(a) + (a.shard.empty() ? "" : " --shard " + a.shard) + " -o " +
                       a.output + " --resume");
    exit_status() = 128 + (signal != 0 ? signal : SIGINT);
}

}  // namespace

void add_run_command(CLI::App& app) {
    auto args = std::make_shared<RunArgs>();
    args->output = "results/run.h5";
    CLI::App* run = app.add_subcommand("run", "Run a scenario's Monte Carlo paths into an HDF5 results file");
    args->paths_opt = add_whole_option(*run, "--paths", args->paths,
                                       "Number of paths (overrides [run] paths)", 1, kMaxPaths);
    add_driver_options(*run, *args,
                       {"Scenario TOML file (default: the built-in default scenario)",
                        "Master seed (overrides [run] seed)",
                        "Continue an interrupted run of the same scenario in --output",
                        "Job arrays: compute shard K of N (K from 0) of the paths into its own file; join the "
                        "shards with wipeout merge"});
    add_whole_option(*run, "--save-trajectories", args->save_trajectories,
                     "Save the full time series of the first K paths", 0, kMaxPaths);
    run->callback([args] { run_command(*args); });
}

}  // namespace wipeout::cli
