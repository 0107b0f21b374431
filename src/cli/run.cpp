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
#include "run_support.h"
#include "wipeout/driver.h"
#include "wipeout/error.h"
#include "wipeout/scenario.h"

namespace wipeout::cli {
namespace {

struct RunArgs {
    std::string scenario_file;
    std::vector<std::string> sets;
    std::uint64_t paths = 0;
    std::uint64_t seed = 0;
    unsigned threads = 0;
    std::string output = "results/run.h5";
    std::uint64_t save_trajectories = 0;
    std::uint64_t chunk_paths = 8192;
    int compression = 1;
    bool resume = false;
    bool force = false;
    bool check = false;
    bool quiet = false;
    std::string shard;
    double log_interval_s = 5.0;
    CLI::Option* paths_opt = nullptr;
    CLI::Option* seed_opt = nullptr;
};

/// The scenario arguments again, for the hints printed after an interruption or a failure.
std::string scenario_arguments(const RunArgs& a) {
    std::string s;
    if (!a.scenario_file.empty()) s += " " + a.scenario_file;
    for (const auto& set : a.sets) s += fmt::format(" --set '{}'", set);
    return s;
}

void run_command(const RunArgs& a) {
    Scenario scenario = a.scenario_file.empty() ? Scenario::builtin() : Scenario::load(a.scenario_file);
    for (const auto& assignment : a.sets) scenario.set(assignment);
    if (a.paths_opt->count() > 0) {
        if (a.paths == 0) throw InputError("--paths must be at least 1");
        scenario.run().paths = a.paths;
    }
    if (a.seed_opt->count() > 0) scenario.run().seed = a.seed;

    RunOptions options;
    options.output = a.output;
    options.threads = a.threads;
    options.chunk_paths = a.chunk_paths;
    options.compression = a.compression;
    options.save_trajectories = a.save_trajectories;
    options.resume = a.resume;
    options.force = a.force;
    options.check_invariants = a.check;
    options.command_line = command_line();
    options.stop = &g_stop_signal;
    if (!a.shard.empty()) parse_shard(a.shard, options);
    options.ranks = ranks();
    const bool root = ranks() == nullptr || ranks()->rank() == 0;  // only rank 0 talks
    const bool terminal = isatty(STDERR_FILENO) != 0;
    const bool quiet = a.quiet || !root;
    if (!quiet) {
        options.on_progress = progress_printer(terminal);
        if (!(a.log_interval_s > 0)) throw InputError("--log-interval must be positive");
        options.progress_interval = std::chrono::milliseconds(
            terminal ? 200 : static_cast<long long>(std::max(1.0, a.log_interval_s * 1000)));
    }

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
    std::fprintf(stderr,
                 "wipeout: %s after %llu of %llu paths: %s is marked incomplete\n"
                 "wipeout: continue with: wipeout run%s%s -o %s --resume\n",
                 signal == SIGTERM ? "terminated" : "interrupted",
                 static_cast<unsigned long long>(result.n_paths_done),
                 static_cast<unsigned long long>(result.n_paths), a.output.c_str(),
                 scenario_arguments(a).c_str(), a.shard.empty() ? "" : (" --shard " + a.shard).c_str(),
                 a.output.c_str());
    exit_status() = 128 + (signal != 0 ? signal : SIGINT);
}

}  // namespace

void add_run_command(CLI::App& app) {
    auto args = std::make_shared<RunArgs>();
    CLI::App* run = app.add_subcommand("run", "Run a scenario's Monte Carlo paths into an HDF5 results file");
    run->add_option("scenario", args->scenario_file,
                    "Scenario TOML file (default: the built-in default scenario)");
    args->paths_opt = run->add_option("--paths", args->paths, "Number of paths (overrides [run] paths)");
    args->seed_opt = run->add_option("--seed", args->seed, "Master seed (overrides [run] seed)");
    run->add_option("--threads", args->threads, "Worker threads (default: all cores)");
    run->add_option("-o,--output", args->output, "Results file")->capture_default_str();
    run->add_option("--save-trajectories", args->save_trajectories,
                    "Save the full time series of the first K paths");
    run->add_flag("--resume", args->resume, "Continue an interrupted run of the same scenario in --output");
    run->add_flag("--force", args->force, "Overwrite an existing --output");
    run->add_option("--set", args->sets, "Override a scenario entry: key=value (TOML value); repeatable")
        ->allow_extra_args(false);
    run->add_option("--shard", args->shard,
                    "Job arrays: compute shard K of N (K from 0) of the paths into its own file; join the "
                    "shards with wipeout merge");
    run->add_flag("--check", args->check, "Check the engine's invariants on every step (slower)");
    run->add_option("--chunk-paths", args->chunk_paths, "Paths per chunk: computed, then written and flushed")
        ->capture_default_str();
    run->add_option("--compression", args->compression, "zlib level of the per-path datasets (0-9)")
        ->capture_default_str();
    run->add_flag("-q,--quiet", args->quiet, "No progress output");
    run->add_option("--log-interval", args->log_interval_s,
                    "Seconds between progress lines when stderr is not a terminal")
        ->capture_default_str();
    run->callback([args] { run_command(*args); });
}

}  // namespace wipeout::cli
