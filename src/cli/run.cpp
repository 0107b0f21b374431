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
#include "wipeout/driver.h"
#include "wipeout/error.h"
#include "wipeout/scenario.h"

namespace wipeout::cli {
namespace {

// Set by the signal handler (lock-free, so async-signal-safe), polled by the driver between chunks.
std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int signal) {
    g_stop_signal.store(signal);
}

/// Catches SIGINT and SIGTERM for the life of the run. SA_RESETHAND: a second signal kills at once (the
/// file then stays marked incomplete).
class StopSignals {
  public:
    StopSignals() {
        g_stop_signal.store(0);
        struct sigaction action {};
        action.sa_handler = on_stop_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESETHAND | SA_RESTART;
        sigaction(SIGINT, &action, &old_int_);
        sigaction(SIGTERM, &action, &old_term_);
    }
    ~StopSignals() {
        sigaction(SIGINT, &old_int_, nullptr);
        sigaction(SIGTERM, &old_term_, nullptr);
    }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

  private:
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

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
    double log_interval_s = 5.0;
    CLI::Option* paths_opt = nullptr;
    CLI::Option* seed_opt = nullptr;
};

/// The process's own command line (recorded in the results file).
std::string command_line() {
    std::string all;
    if (std::FILE* in = std::fopen("/proc/self/cmdline", "rb")) {
        char buffer[4096];
        std::size_t n;
        while ((n = std::fread(buffer, 1, sizeof buffer, in)) > 0) all.append(buffer, n);
        std::fclose(in);
    }
    std::string out;
    std::size_t start = 0;
    while (start < all.size()) {
        std::size_t end = all.find('\0', start);
        if (end == std::string::npos) end = all.size();
        std::string arg = all.substr(start, end - start);
        if (!out.empty()) out += ' ';
        out += arg.find_first_of(" \t'\"") == std::string::npos ? arg : fmt::format("'{}'", arg);
        start = end + 1;
    }
    return out.empty() ? "wipeout run" : out;
}

std::string format_duration(double seconds) {
    if (!(seconds >= 0) || seconds > 1e8) return "--:--";
    const auto s = static_cast<long long>(seconds + 0.5);
    if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
    return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string format_rate(double per_s) {
    if (per_s >= 1e6) return fmt::format("{:.2f}M", per_s / 1e6);
    if (per_s >= 1e4) return fmt::format("{:.1f}k", per_s / 1e3);
    return fmt::format("{:.0f}", per_s);
}

/// A live bar on a terminal, a log line every few seconds otherwise.
std::function<void(const RunProgress&)> progress_printer(bool terminal) {
    return [terminal](const RunProgress& p) {
        const double fraction =
            p.paths_total ? static_cast<double>(p.paths_done) / static_cast<double>(p.paths_total) : 1.0;
        const double eta =
            p.paths_per_s > 0 ? static_cast<double>(p.paths_total - p.paths_done) / p.paths_per_s : -1.0;
        if (terminal) {
            constexpr int kWidth = 30;
            const int filled = static_cast<int>(fraction * kWidth);
            std::string bar(static_cast<std::size_t>(filled), '#');
            bar.resize(kWidth, '.');
            std::fprintf(stderr, "\r[%s] %5.1f%%  %llu/%llu paths  %s paths/s  ETA %s   ", bar.c_str(),
                         100.0 * fraction, static_cast<unsigned long long>(p.paths_done),
                         static_cast<unsigned long long>(p.paths_total), format_rate(p.paths_per_s).c_str(),
                         format_duration(eta).c_str());
        } else {
            std::fprintf(stderr, "wipeout run: %llu/%llu paths (%.1f%%), %s paths/s, elapsed %s, ETA %s\n",
                         static_cast<unsigned long long>(p.paths_done),
                         static_cast<unsigned long long>(p.paths_total), 100.0 * fraction,
                         format_rate(p.paths_per_s).c_str(), format_duration(p.elapsed_s).c_str(),
                         format_duration(eta).c_str());
        }
        std::fflush(stderr);
    };
}

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
    const bool terminal = isatty(STDERR_FILENO) != 0;
    if (!a.quiet) {
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
    const int signal = g_stop_signal.load();
    std::fprintf(stderr,
                 "wipeout: %s after %llu of %llu paths: %s is marked incomplete\n"
                 "wipeout: continue with: wipeout run%s -o %s --resume\n",
                 signal == SIGTERM ? "terminated" : "interrupted",
                 static_cast<unsigned long long>(result.n_paths_done),
                 static_cast<unsigned long long>(result.n_paths), a.output.c_str(),
                 scenario_arguments(a).c_str(), a.output.c_str());
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
