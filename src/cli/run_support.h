#pragma once
// Helpers shared by `wipeout run` and `wipeout sweep` (src/cli/run_support.cpp).
#include <atomic>
#include <csignal>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "wipeout/driver.h"
#include "wipeout/rank_exchange.h"
#include "wipeout/scenario.h"

namespace wipeout::cli {

/// Set by the SIGINT/SIGTERM handler (lock-free, so async-signal-safe), polled by the driver between chunks.
extern std::atomic<int> g_stop_signal;

/// Catches SIGINT and SIGTERM for the life of the run. SA_RESETHAND: a second signal kills at once (the
/// file then stays marked incomplete).
class StopSignals {
  public:
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

  private:
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

/// The process's own command line (recorded in the results file).
std::string command_line();
std::string format_duration(double seconds);
std::string format_rate(double per_s);
/// A live bar on a terminal, a log line every few seconds otherwise.
std::function<void(const RunProgress&)> progress_printer(bool terminal);
/// Tells stderr that a run or sweep stopped on `signal` (SIGINT when 0) after `done` of `total` `unit`s, that
/// `output` is marked incomplete, and how to continue it.
void report_stopped(int signal, std::uint64_t done, std::uint64_t total, const char* unit, const std::string& output,
                    const std::string& how_to_continue);
/// --shard K/N into the options (InputError for anything else).
void parse_shard(const std::string& text, RunOptions& options);
/// The MPI ranks of this process (set by main when launched by mpirun with several ranks), or null.
RankExchange*& ranks();

/// What `run` and `sweep` both take: the scenario and its overrides, and how the driver runs and writes.
struct DriverArgs {
    std::string scenario_file;
    std::vector<std::string> sets;
    std::uint64_t seed = 0;
    unsigned threads = 0;
    std::string output;
    std::uint64_t chunk_paths = 8192;
    int compression = 1;
    bool resume = false, force = false, check = false, quiet = false;
    std::string shard;
    double log_interval_s = 5.0;
    CLI::Option* seed_opt = nullptr;  // --seed given?

    bool root() const { return ranks() == nullptr || ranks()->rank() == 0; }  // only rank 0 talks
    /// The scenario file (or the built-in scenario) with the --set overrides applied.
    Scenario scenario() const;
    /// The driver's options: output, threads, chunking, resume/force, --check, --shard, MPI ranks, the stop
    /// signal and progress output (none when quiet or not rank 0).
    RunOptions run_options() const;
};
/// The help texts that differ between the commands.
struct DriverHelp {
    const char* scenario;
    const char* seed;
    const char* resume;
    const char* shard;
};
/// Registers the shared options (the scenario argument, --seed, --threads, -o, --set, --force, --resume,
/// --shard, --check, --chunk-paths, --compression, -q, --log-interval).
void add_driver_options(CLI::App& command, DriverArgs& args, const DriverHelp& help);

}  // namespace wipeout::cli
