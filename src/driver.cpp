// The Monte Carlo driver: chunks of paths computed in parallel (one engine per thread, no locks or
// allocation per path), each chunk compressed in parallel and streamed to the results file.
#include "wipeout/driver.h"

#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "wipeout/cascade_engine.h"
#include "wipeout/error.h"
#include "wipeout/results_file.h"
#include "wipeout/tiers.h"
#include "wipeout/version.h"

namespace wipeout {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The smallest failing path index of a chunk and its message. Locked only when a path fails.
class FailureRecord {
  public:
    void record(std::uint64_t path_index, std::string what) {
        const std::lock_guard lock(mutex_);
        if (path_index < index_) {
            index_ = path_index;
            what_ = std::move(what);
        }
    }
    bool any() const { return index_ != kNone; }
    std::uint64_t index() const { return index_; }
    const std::string& what() const { return what_; }

  private:
    static constexpr std::uint64_t kNone = std::numeric_limits<std::uint64_t>::max();
    std::mutex mutex_;
    std::uint64_t index_ = kNone;
    std::string what_;
};

/// Calls on_progress from its own thread every interval until stopped, so progress shows even while a
/// long chunk runs.
class ProgressReporter {
  public:
    ProgressReporter(const RunOptions& options, std::uint64_t total, std::uint64_t done_before,
                     const std::atomic<std::uint64_t>& session_paths, Clock::time_point start)
        : options_(options),
          total_(total),
          done_before_(done_before),
          session_paths_(session_paths),
          start_(start) {
        if (options_.on_progress) thread_ = std::thread([this] { loop(); });
    }
    ~ProgressReporter() { stop(); }
    ProgressReporter(const ProgressReporter&) = delete;
    ProgressReporter& operator=(const ProgressReporter&) = delete;

    RunProgress snapshot() const {
        const std::uint64_t session = session_paths_.load(std::memory_order_relaxed);
        const double elapsed = seconds_since(start_);
        return {done_before_ + session, total_, session, elapsed,
                elapsed > 0 ? static_cast<double>(session) / elapsed : 0.0};
    }

    /// Stops the thread and reports once more (the final state).
    void stop() {
        if (!thread_.joinable()) return;
        {
            const std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        thread_.join();
        options_.on_progress(snapshot());
    }

  private:
    void loop() {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, options_.progress_interval, [this] { return stopping_; })) {
            lock.unlock();
            options_.on_progress(snapshot());
            lock.lock();
        }
    }

    const RunOptions& options_;
    std::uint64_t total_;
    std::uint64_t done_before_;
    const std::atomic<std::uint64_t>& session_paths_;
    Clock::time_point start_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
};

/// The first parameter (or run setting) where two scenarios differ, for a resume refusal.
std::string first_difference(const Scenario& stored, const Scenario& now) {
    if (stored.run().paths != now.run().paths)
        return fmt::format("run.paths: {} vs {}", stored.run().paths, now.run().paths);
    if (stored.run().seed != now.run().seed)
        return fmt::format("run.seed: {} vs {}", stored.run().seed, now.run().seed);
    if (stored.run().tiers != now.run().tiers)
        return fmt::format("run.tiers: '{}' vs '{}'", stored.run().tiers.string(), now.run().tiers.string());
    const auto specs = parameter_specs();
    for (std::size_t i = 0; i < specs.size(); ++i) {
        if (!(stored.distributions()[i] == now.distributions()[i]))
            return fmt::format("{}: {} vs {}", specs[i].key, value_toml(specs[i], stored.distributions()[i]),
                               value_toml(specs[i], now.distributions()[i]));
    }
    return "";
}

/// Checks that an existing file belongs to this very run, so continuing it gives the uninterrupted result.
void check_resumable(const std::filesystem::path& path, const ResultsHeader& h, const Scenario& scenario) {
    const std::string file = path.string();
    if (h.software_version != kVersion || h.git_sha != kGitSha)
        throw InputError(
            fmt::format("cannot resume {}: written by wipeout {} (git {}), this is wipeout {} (git {}); a "
                        "different build "
                        "may compute different paths (use --force to start over)",
                        file, h.software_version, h.git_sha, kVersion, kGitSha));
    if (h.seed != scenario.run().seed || h.n_paths != scenario.run().paths)
        throw InputError(fmt::format(
            "cannot resume {}: it holds a run with seed {} and {} paths, not seed {} and {} paths "
            "(use --force to start over)",
            file, h.seed, h.n_paths, scenario.run().seed, scenario.run().paths));
    Scenario stored = Scenario::engine_defaults();
    try {
        stored = Scenario::parse(h.scenario, file + ":/scenario");
    } catch (const InputError& e) {
        throw InputError(fmt::format("cannot resume {}: its scenario no longer parses ({})", file, e.what()));
    }
    if (!(stored == scenario))
        throw InputError(
            fmt::format("cannot resume {}: it was written for another scenario ({}) (use --force to "
                        "start over)",
                        file, first_difference(stored, scenario)));
}

/// Opens or creates the output as the options say; refuses to touch a file it should not.
ResultsWriter open_output(const Scenario& scenario, const RunOptions& o, bool& already_complete) {
    const std::filesystem::path& path = o.output;
    const std::string file = path.string();
    std::error_code ec;
    const bool exists = std::filesystem::exists(path, ec);
    already_complete = false;
    if (o.resume) {
        if (!exists)
            throw InputError(
                fmt::format("nothing to resume: {} does not exist (run without --resume)", file));
        const ResultsHeader h = ResultsReader::open(path).header();
        check_resumable(path, h, scenario);
        already_complete = h.complete;
        return ResultsWriter::reopen(path);
    }
    if (exists && !o.force) {
        std::string state;
        try {
            const ResultsHeader h = ResultsReader::open(path).header();
            state =
                h.complete
                    ? "holds a complete run"
                    : fmt::format("holds an incomplete run ({} of {} paths); continue it with --resume, or",
                                  h.n_paths_done, h.n_paths);
        } catch (const InputError&) {
            state = "is not a wipeout results file";
        }
        throw InputError(fmt::format("{} already exists and {}; use --force to overwrite it", file, state));
    }
    if (path.has_parent_path()) {
        std::filesystem::create_directories(path.parent_path(), ec);
        if (ec)
            throw InputError(
                fmt::format("cannot create directory {}: {}", path.parent_path().string(), ec.message()));
    }
    if (exists) {
        std::filesystem::remove(path, ec);
        if (ec) throw InputError(fmt::format("cannot replace {}: {}", file, ec.message()));
    }
    return ResultsWriter::create(
        path, make_results_header(scenario, o.command_line, o.chunk_paths, o.save_trajectories), scenario,
        o.compression);
}

/// Per-thread state: the engine and the path's scratch, built once per thread.
struct Worker {
    CascadeEngine engine;
    std::vector<double> values;
};

}  // namespace

PathFailure::PathFailure(std::uint64_t seed, std::uint64_t path_index, const std::string& what)
    : std::runtime_error(fmt::format("path {} (seed {}) failed: {}", path_index, seed, what)),
      seed_(seed),
      path_index_(path_index) {}

RunResult run_scenario(const Scenario& scenario, const RunOptions& o) {
    const auto start = Clock::now();
    if (o.chunk_paths == 0 || o.chunk_paths > (std::uint64_t{1} << 24))
        throw InputError(fmt::format("chunk size {} is not in [1, 16777216]", o.chunk_paths));
    if (o.compression < 0 || o.compression > 9)
        throw InputError(fmt::format("compression level {} is not in 0-9", o.compression));
    if (o.resume && o.force) throw InputError("--resume and --force contradict each other: choose one");
    const std::uint64_t seed = scenario.run().seed;
    const std::uint64_t n_paths = scenario.run().paths;

    // Everything that can be refused is checked before the output is touched.
    const TierTable tiers =
        scenario.run().tiers.empty() ? TierTable::btc_default() : TierTable::load(scenario.run().tiers);
    bool already_complete = false;
    ResultsWriter writer = open_output(scenario, o, already_complete);
    RunResult result;
    result.n_paths = n_paths;
    if (already_complete) {
        result.n_paths_done = n_paths;
        result.complete = true;
        return result;
    }

    const std::uint64_t chunk = writer.header().chunk_paths;  // a resumed file keeps its own grid
    const auto specs = parameter_specs();
    const auto outputs = output_specs();
    const std::size_t n_params = specs.size();
    std::vector<double PathOutputs::*> members;
    for (const auto& s : outputs) members.push_back(s.member);

    tbb::task_arena arena(o.threads == 0 ? tbb::task_arena::automatic : static_cast<int>(o.threads));
    const EngineOptions engine_options{o.check_invariants};
    tbb::enumerable_thread_specific<Worker> workers([&] {
        return Worker{CascadeEngine(tiers, engine_options), std::vector<double>(n_params)};
    });

    // Trajectories first: the first K paths once more, each with its trace (a pure function, so the same
    // paths as in /paths).
    const std::uint64_t n_trajectories = writer.header().n_trajectories;
    if (n_trajectories > 0 && !writer.has_trajectories()) {
        std::vector<PathTrace> traces(n_trajectories);
        std::vector<std::uint64_t> indices(n_trajectories);
        FailureRecord failure;
        arena.execute([&] {
            tbb::parallel_for(std::uint64_t{0}, n_trajectories, [&](std::uint64_t k) {
                Worker& w = workers.local();
                indices[k] = k;
                try {
                    const CascadeParams params = scenario.sample(seed, k, w.values);
                    w.engine.run(params, seed, k, &traces[k]);
                } catch (const std::exception& e) {
                    failure.record(k, e.what());
                }
            });
        });
        if (failure.any()) throw PathFailure(seed, failure.index(), failure.what());
        writer.write_trajectories(indices, traces);
    }

    std::vector<double> parameter_block(n_params * chunk);
    std::vector<double> output_block(members.size() * chunk);
    std::atomic<std::uint64_t> session_paths{0};
    const std::uint64_t done_before = writer.header().n_paths_done;
    const auto paths_start = Clock::now();
    ProgressReporter reporter(o, n_paths, done_before, session_paths, paths_start);

    std::uint64_t done = done_before;
    while (done < n_paths) {
        if (o.stop && o.stop->load() != 0) break;
        const std::uint64_t first = done;
        const std::uint64_t count = std::min(chunk, n_paths - done);
        FailureRecord failure;
        arena.execute([&] {
            tbb::parallel_for(tbb::blocked_range<std::uint64_t>(0, count, 32),
                              [&](const tbb::blocked_range<std::uint64_t>& r) {
                                  Worker& w = workers.local();
                                  for (std::uint64_t i = r.begin(); i != r.end(); ++i) {
                                      const std::uint64_t path = first + i;
                                      const CascadeParams params = scenario.sample(seed, path, w.values);
                                      for (std::size_t p = 0; p < n_params; ++p)
                                          parameter_block[p * chunk + i] = w.values[p];
                                      try {
                                          const PathOutputs out = w.engine.run(params, seed, path);
                                          for (std::size_t m = 0; m < members.size(); ++m)
                                              output_block[m * chunk + i] = out.*members[m];
                                      } catch (const std::exception& e) {
                                          failure.record(path, e.what());
                                          for (std::size_t m = 0; m < members.size(); ++m)
                                              output_block[m * chunk + i] =
                                                  std::numeric_limits<double>::quiet_NaN();
                                      }
                                  }
                                  session_paths.fetch_add(r.size(), std::memory_order_relaxed);
                              });
        });
        // A failed path stops the run; the chunks before it stay on disk, the file stays incomplete.
        if (failure.any()) throw PathFailure(seed, failure.index(), failure.what());
        arena.execute([&] { writer.append(parameter_block, output_block, count); });
        done += count;
        if (o.on_chunk_written) o.on_chunk_written(done);
    }
    reporter.stop();
    parameter_block = {};  // the summary reads whole columns: free the chunk buffers first
    output_block = {};

    result.n_paths_done = done;
    result.paths_this_session = done - done_before;
    const double path_seconds = seconds_since(paths_start);
    result.paths_per_s =
        path_seconds > 0 ? static_cast<double>(result.paths_this_session) / path_seconds : 0.0;
    if (done == n_paths) {
        writer.write_summary();
        writer.mark_complete();  // last: a crash before this line never leaves a file claiming completeness
        result.complete = true;
    }
    result.elapsed_s = seconds_since(start);
    return result;
}

}  // namespace wipeout
