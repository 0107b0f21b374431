#pragma once
// The Monte Carlo driver: runs a scenario's paths in parallel and streams them to a results file.
// Path i is a pure function of (scenario, seed, i), so the file's /scenario and /paths are bit-identical
// for any thread count; the summary is computed at the end from the file, in a fixed order. The run
// proceeds in chunks: a stop request finishes the chunk in flight and leaves a resumable file.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

#include "wipeout/rank_exchange.h"
#include "wipeout/scenario.h"

namespace wipeout {

struct RunProgress {
    std::uint64_t paths_done;  ///< paths on disk or finished in the chunk in flight, of the whole run
    std::uint64_t paths_total;
    std::uint64_t paths_this_session;  ///< paths computed since this process started (not resumed ones)
    double elapsed_s;                  ///< since this process started the paths
    double paths_per_s;                ///< paths_this_session / elapsed_s
};

/// Bounds of RunOptions::chunk_paths and shard_count.
inline constexpr std::uint64_t kMaxChunkPaths = std::uint64_t{1} << 24;
inline constexpr std::uint64_t kMaxShards = 65536;

struct RunOptions {
    std::filesystem::path output = "results/run.h5";  ///< parent directories are created
    unsigned threads = 0;                             ///< worker threads; 0: every hardware thread
    std::uint64_t chunk_paths = 8192;                 ///< paths per chunk (computed, then written)
    int compression = 1;                              ///< zlib level of the per-path datasets, 0-9
    std::uint64_t save_trajectories = 0;              ///< full time series of the first K paths
    bool resume = false;                              ///< continue an incomplete file of the same run
    bool force = false;                               ///< replace an existing file
    bool check_invariants = false;                    ///< the engine checks its invariants on every step
    std::string command_line;                         ///< recorded in the file
    /// Polled between chunks: when it holds a non-zero value the run finishes the chunk in flight, flushes
    /// and returns with complete = false. Pass a flag a signal handler sets.
    const std::atomic<int>* stop = nullptr;
    /// Called from a reporter thread every progress_interval while paths run, and once at the end.
    std::function<void(const RunProgress&)> on_progress;
    std::chrono::milliseconds progress_interval{500};
    /// Called on the driver's thread after each chunk is on disk, with n_paths_done (checkpoint hooks,
    /// tests).
    std::function<void(std::uint64_t)> on_chunk_written;
    /// Called once, before any path runs, with a line on what the run read besides the scenario (a position
    /// snapshot: what it kept and left out).
    std::function<void(const std::string&)> on_inputs;
    /// Job arrays: shard_index of shard_count (0: the whole run) computes a deterministic slice of the
    /// paths (of the points, for a sweep) into its own file; `wipeout merge` joins the shards.
    std::uint64_t shard_index = 0;
    std::uint64_t shard_count = 0;
    /// Several processes (MPI ranks) sharing the work: rank 0 writes the file, the others send it their
    /// chunks; null or one rank: this process alone.
    RankExchange* ranks = nullptr;
};

struct RunResult {
    std::uint64_t n_paths = 0;  ///< rows this file holds when complete (a shard's slice)
    std::uint64_t n_paths_done = 0;
    std::uint64_t paths_this_session = 0;
    bool complete = false;
    double elapsed_s = 0;  ///< wall time of this call
    double paths_per_s = 0;
    int stop_signal = 0;  ///< the stop value rank 0 saw when it stopped the run early (0: none)
    bool on_root = true;  ///< false on MPI ranks other than 0 (they print nothing)
};

/// A path that failed (an invariant violation with check_invariants, or any engine error): the run stops
/// after the chunk, keeping the chunks before it on disk. path_index is the smallest failing index of that
/// chunk, whatever the thread count.
class PathFailure : public std::runtime_error {
  public:
    PathFailure(std::uint64_t seed, std::uint64_t path_index, const std::string& what);
    std::uint64_t seed() const { return seed_; }
    std::uint64_t path_index() const { return path_index_; }

  private:
    std::uint64_t seed_;
    std::uint64_t path_index_;
};

/// Runs `scenario` (its [run] paths, seed and tiers) into options.output. Refuses (InputError) to replace an
/// existing file without force, to resume without a matching incomplete file, and bad options. Throws
/// PathFailure when a path fails.
RunResult run_scenario(const Scenario& scenario, const RunOptions& options);

}  // namespace wipeout
