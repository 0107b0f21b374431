// Shared by run and sweep: the stop signals, the recorded command line, progress output, --shard, the MPI
// ranks this process belongs to, and the options both commands take.
#include "run_support.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>

#include <fmt/format.h>

#include "options.h"
#include "wipeout/error.h"

namespace wipeout::cli {

// Set by the signal handler (lock-free, so async-signal-safe), polled by the driver between chunks.
std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

namespace {
extern "C" void on_stop_signal(int signal) {
    g_stop_signal.store(signal);
}
}  // namespace

StopSignals::StopSignals() {
    g_stop_signal.store(0);
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND | SA_RESTART;
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
}
StopSignals::~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
}

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

void report_stopped(int signal, std::uint64_t done, std::uint64_t total, const char* unit, const std::string& output,
                    const std::string& how_to_continue) {
    std::fprintf(stderr,
                 "wipeout: %s after %llu of %llu %s: %s is marked incomplete\n"
                 "wipeout: continue with %s\n",
                 signal == SIGTERM ? "terminated" : "interrupted", static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total), unit, output.c_str(), how_to_continue.c_str());
}

void parse_shard(const std::string& text, RunOptions& options) {
    const InputError bad(fmt::format(
        "--shard '{}': expected K/N, shard K of N (K from 0) with 0 <= K < N <= {}", text, kMaxShards));
    const auto slash = text.find('/');
    if (slash == std::string::npos) throw bad;
    std::uint64_t k = 0, n = 0;
    try {
        k = parse_whole("--shard", std::string_view(text).substr(0, slash), 0, kMaxShards - 1);
        n = parse_whole("--shard", std::string_view(text).substr(slash + 1), 1, kMaxShards);
    } catch (const InputError&) {
        throw bad;  // the whole K/N, not half of it
    }
    if (k >= n) throw bad;
    options.shard_index = k;
    options.shard_count = n;
}

RankExchange*& ranks() {
    static RankExchange* r = nullptr;
    return r;
}

Scenario DriverArgs::scenario() const {
    Scenario scenario = scenario_file.empty() ? Scenario::builtin() : Scenario::load(scenario_file);
    for (const auto& assignment : sets) scenario.set(assignment);
    return scenario;
}

RunOptions DriverArgs::run_options() const {
    RunOptions options;
    options.output = output;
    options.threads = threads;
    options.chunk_paths = chunk_paths;
    options.compression = compression;
    options.resume = resume;
    options.force = force;
    options.check_invariants = check;
    options.command_line = command_line();
    options.stop = &g_stop_signal;
    if (!shard.empty()) parse_shard(shard, options);
    options.ranks = ranks();
    if (!quiet && root()) {
        const bool terminal = isatty(STDERR_FILENO) != 0;
        options.on_inputs = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
        options.on_progress = progress_printer(terminal);
        options.progress_interval = std::chrono::milliseconds(
            terminal ? 200 : static_cast<long long>(std::max(1.0, log_interval_s * 1000)));
    }
    return options;
}

void add_driver_options(CLI::App& command, DriverArgs& args, const DriverHelp& help) {
    command.add_option("scenario", args.scenario_file, help.scenario);
    args.seed_opt = add_whole_option(command, "--seed", args.seed, help.seed, 0,
                                     std::numeric_limits<std::uint64_t>::max());
    add_whole_option(command, "--threads", args.threads, "Worker threads (default: all cores)", 1,
                     kMaxThreads);
    command.add_option("-o,--output", args.output, "Results file")->capture_default_str();
    command.add_option("--set", args.sets, "Override a scenario entry: key=value (TOML value); repeatable")
        ->allow_extra_args(false);
    command.add_flag("--force", args.force, "Overwrite an existing --output");
    command.add_flag("--resume", args.resume, help.resume);
    command.add_option("--shard", args.shard, help.shard);
    command.add_flag("--check", args.check, "Check the engine's invariants on every step (slower)");
    add_whole_option(command, "--chunk-paths", args.chunk_paths,
                     "Paths per chunk: computed, then written and flushed", 1, kMaxChunkPaths)
        ->default_str(std::to_string(args.chunk_paths));
    add_whole_option(command, "--compression", args.compression, "zlib level of the per-path datasets (0-9)",
                     0, 9)
        ->default_str(std::to_string(args.compression));
    command.add_flag("-q,--quiet", args.quiet, "No progress output");
    // Up to a day: a longer interval is a typo, and the milliseconds it makes must fit the clock's integer.
    add_real_option(command, "--log-interval", args.log_interval_s,
                    "Seconds between progress lines when stderr is not a terminal", {0.0, 86400.0, true})
        ->default_str(fmt::format("{}", args.log_interval_s));
}

}  // namespace wipeout::cli
