// The Monte Carlo driver: chunks of paths computed in parallel (one engine per thread, no locks or
// allocation per path), each chunk compressed in parallel and streamed to the results file.
#include "wipeout/driver.h"

#include <array>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "row_runner.h"
#include "wipeout/cascade_engine.h"
#include "wipeout/error.h"
#include "wipeout/liquidation_map.h"
#include "wipeout/rank_exchange.h"
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
    if (stored.run().history != now.run().history)
        return fmt::format("run.history: '{}' vs '{}'", stored.run().history.string(), now.run().history.string());
    if (stored.run().positions != now.run().positions)
        return fmt::format("positions.source: '{}' vs '{}'", stored.run().positions.string(),
                           now.run().positions.string());
    if (stored.run().book != now.run().book)
        return fmt::format("book.source: '{}' vs '{}'", stored.run().book.string(), now.run().book.string());
    const auto specs = parameter_specs();
    for (std::size_t i = 0; i < specs.size(); ++i) {
        if (!(stored.distributions()[i] == now.distributions()[i]))
            return fmt::format("{}: {} vs {}", specs[i].key, value_toml(specs[i], stored.distributions()[i]),
                               value_toml(specs[i], now.distributions()[i]));
    }
    return "";
}

/// Checks that an existing file belongs to this very run, so continuing it gives the uninterrupted result.
void check_resumable(const std::filesystem::path& path, const ResultsHeader& h, const Scenario& scenario,
                     const ResultsHeader& wanted) {
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
    detail::check_same_shard(path, h, wanted);
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

/// Per-thread state: the engine and the path's scratch, built once per thread.
struct Worker {
    CascadeEngine engine;
    std::vector<double> values;
};

/// Computes rows [first, first + count) into column-major blocks of `stride` rows. Returns the smallest
/// failing row (or UINT64_MAX) with its message.
struct BlockResult {
    std::uint64_t failed_row = std::numeric_limits<std::uint64_t>::max();
    std::string what;
};

// Message words between ranks: [count, failed (0/1), failed row].
constexpr std::size_t kBlockHeader = 3;

}  // namespace

namespace detail {

void check_run_options(const RunOptions& o) {
    if (o.chunk_paths == 0 || o.chunk_paths > kMaxChunkPaths)
        throw InputError(fmt::format("chunk size {} is not in [1, {}]", o.chunk_paths, kMaxChunkPaths));
    if (o.compression < 0 || o.compression > 9)
        throw InputError(fmt::format("compression level {} is not in 0-9", o.compression));
    if (o.resume && o.force) throw InputError("--resume and --force contradict each other: choose one");
    if (o.shard_count > kMaxShards)
        throw InputError(fmt::format("shard count {} is above {}", o.shard_count, kMaxShards));
    if (o.shard_count > 0 && o.shard_index >= o.shard_count)
        throw InputError(fmt::format("shard {}/{}: the index must be in [0, {}]", o.shard_index,
                                     o.shard_count, o.shard_count - 1));
}

std::pair<std::uint64_t, std::uint64_t> shard_slice(std::uint64_t units, std::uint64_t unit_rows,
                                                    std::uint64_t index, std::uint64_t count) {
    // Balanced, deterministic: unit k goes to shard floor(k * count / units).
    const auto at = [&](std::uint64_t i) {
        return units * i / count * unit_rows;  // no overflow: units <= 2^48, count <= 2^16
    };
    return {at(index), at(index + 1)};
}

void check_same_shard(const std::filesystem::path& path, const ResultsHeader& stored,
                      const ResultsHeader& wanted) {
    if (stored.shard_count != wanted.shard_count || stored.shard_index != wanted.shard_index ||
        stored.shard_first != wanted.shard_first || stored.shard_end != wanted.shard_end) {
        const auto name = [](const ResultsHeader& h) {
            return h.shard_count ? fmt::format("shard {}/{}", h.shard_index, h.shard_count)
                                 : std::string("the whole run");
        };
        throw InputError(fmt::format("cannot resume {}: it holds {}, not {} (use --force to start over)",
                                     path.string(), name(stored), name(wanted)));
    }
}

ResultsWriter open_output(const RunOptions& o, const ResultsHeader& header, const Scenario& scenario,
                          std::string_view filetype, const std::function<void(const ResultsHeader&)>& check,
                          bool& already_complete, const std::function<void(ResultsWriter&)>& on_create) {
    const std::filesystem::path& path = o.output;
    const std::string file = path.string();
    std::error_code ec;
    const bool exists = std::filesystem::exists(path, ec);
    already_complete = false;
    if (o.resume) {
        if (!exists)
            throw InputError(
                fmt::format("nothing to resume: {} does not exist (run without --resume)", file));
        const ResultsHeader h = ResultsReader::open(path, filetype).header();
        check(h);
        already_complete = h.complete;
        return ResultsWriter::reopen(path, filetype);
    }
    if (exists && !o.force) {
        std::string state;
        try {
            const ResultsHeader h = ResultsReader::open(path, filetype).header();
            state =
                h.complete
                    ? "holds a complete run"
                    : fmt::format("holds an incomplete run ({} of {} paths); continue it with --resume, or",
                                  h.n_paths_done, h.rows());
        } catch (const InputError&) {
            state = fmt::format("is not a wipeout {} file",
                                filetype == kResultsFiletype ? "results" : filetype.substr(8));
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
    ResultsWriter writer = ResultsWriter::create(path, header, scenario, o.compression);
    if (on_create) on_create(writer);
    return writer;
}

std::vector<PathTrace> compute_traces(const RowPlan& plan, const MarketInputs& inputs, std::uint64_t k,
                                      unsigned threads, bool check_invariants) {
    std::vector<PathTrace> traces(k);
    tbb::task_arena arena(threads == 0 ? tbb::task_arena::automatic : static_cast<int>(threads));
    const std::size_t n_params = parameter_specs().size();
    tbb::enumerable_thread_specific<Worker> workers([&] {
        return Worker{CascadeEngine(inputs, EngineOptions{check_invariants}),
                      std::vector<double>(n_params)};
    });
    FailureRecord failure;
    arena.execute([&] {
        tbb::parallel_for(std::uint64_t{0}, k, [&](std::uint64_t r) {
            Worker& w = workers.local();
            const std::uint64_t point = r / plan.paths_per_point, path = r % plan.paths_per_point;
            try {
                const CascadeParams params = plan.scenarios[point]->sample(plan.seeds[point], path, w.values);
                w.engine.run(params, plan.seeds[point], path, &traces[r]);
            } catch (const std::exception& e) {
                failure.record(r, e.what());
            }
        });
    });
    if (failure.any()) {
        const std::uint64_t point = failure.index() / plan.paths_per_point;
        throw PathFailure(plan.seeds[point], failure.index() % plan.paths_per_point, failure.what());
    }
    return traces;
}

RunResult run_rows(const RowJob& job, const RunOptions& o) {
    const auto start = Clock::now();
    const RowPlan& plan = job.plan;
    RankExchange* ranks = o.ranks != nullptr && o.ranks->size() > 1 ? o.ranks : nullptr;
    const bool root = ranks == nullptr || ranks->rank() == 0;
    const std::uint64_t rows = plan.end_row - plan.first_row;

    // Rank 0 opens the file; every rank learns the outcome, where to start and the chunk grid.
    std::optional<ResultsWriter> writer;
    std::array<std::uint64_t, 4> state{0, 0, 0, 0};  // [error, done, already complete, chunk]
    std::string error;
    if (root) {
        try {
            bool already_complete = false;
            writer.emplace(job.open(already_complete));
            state = {0, writer->header().n_paths_done, already_complete ? 1u : 0u,
                     writer->header().chunk_paths};
        } catch (const InputError& e) {
            if (ranks == nullptr) throw;
            state[0] = 1;
            error = e.what();
        }
    }
    if (ranks) {
        ranks->broadcast(state);
        if (state[0] != 0) {
            ranks->broadcast(error);
            throw InputError(error);
        }
    }
    RunResult result;
    result.n_paths = rows;
    result.on_root = root;
    if (state[2] != 0) {
        result.n_paths_done = rows;
        result.complete = true;
        return result;
    }

    const std::uint64_t chunk = state[3];  // a resumed file keeps its own grid
    const auto specs = parameter_specs();
    const auto outputs = output_specs();
    const std::size_t n_params = specs.size();
    std::vector<double PathOutputs::*> members;
    for (const auto& s : outputs) members.push_back(s.member);

    tbb::task_arena arena(o.threads == 0 ? tbb::task_arena::automatic : static_cast<int>(o.threads));
    const EngineOptions engine_options{o.check_invariants};
    tbb::enumerable_thread_specific<Worker> workers([&] {
        return Worker{CascadeEngine(*job.inputs, engine_options),
                      std::vector<double>(n_params)};
    });

    // Trajectories first: the first K rows once more, each with its trace (a pure function, so the same
    // paths as in /paths).
    if (root && plan.trajectories > 0 && !writer->has_trajectories()) {
        const auto traces =
            compute_traces(plan, *job.inputs, plan.trajectories, o.threads, o.check_invariants);
        std::vector<std::uint64_t> indices(plan.trajectories);
        for (std::uint64_t k = 0; k < indices.size(); ++k) indices[k] = k;
        writer->write_trajectories(indices, traces);
    }

    // One message: a header, then the parameter and output blocks (column-major, `chunk` rows each).
    std::vector<double> message(kBlockHeader + (n_params + members.size()) * chunk);
    const std::span<double> parameter_block(message.data() + kBlockHeader, n_params * chunk);
    const std::span<double> output_block(parameter_block.data() + parameter_block.size(),
                                         members.size() * chunk);
    std::atomic<std::uint64_t> session_paths{0};
    const std::uint64_t done_before = state[1];
    const auto paths_start = Clock::now();
    std::optional<ProgressReporter> reporter;
    if (root) reporter.emplace(o, rows, done_before, session_paths, paths_start);

    // Rows [first, first + count) of this file into the message blocks.
    const auto compute = [&](std::uint64_t first, std::uint64_t count) {
        FailureRecord failure;
        arena.execute([&] {
            tbb::parallel_for(
                tbb::blocked_range<std::uint64_t>(0, count, 32),
                [&](const tbb::blocked_range<std::uint64_t>& r) {
                    Worker& w = workers.local();
                    for (std::uint64_t i = r.begin(); i != r.end(); ++i) {
                        const std::uint64_t row = plan.first_row + first + i;
                        const std::uint64_t point = row / plan.paths_per_point;
                        const std::uint64_t path = row % plan.paths_per_point;
                        const std::uint64_t seed = plan.seeds[point];
                        const CascadeParams params = plan.scenarios[point]->sample(seed, path, w.values);
                        for (std::size_t p = 0; p < n_params; ++p)
                            parameter_block[p * chunk + i] = w.values[p];
                        try {
                            const PathOutputs out = w.engine.run(params, seed, path);
                            for (std::size_t m = 0; m < members.size(); ++m)
                                output_block[m * chunk + i] = out.*members[m];
                        } catch (const std::exception& e) {
                            failure.record(row, e.what());
                            for (std::size_t m = 0; m < members.size(); ++m)
                                output_block[m * chunk + i] = std::numeric_limits<double>::quiet_NaN();
                        }
                    }
                    session_paths.fetch_add(r.size(), std::memory_order_relaxed);
                });
        });
        message[0] = static_cast<double>(count);
        message[1] = failure.any() ? 1.0 : 0.0;
        message[2] = failure.any() ? static_cast<double>(failure.index()) : 0.0;
        return BlockResult{failure.any() ? failure.index() : std::numeric_limits<std::uint64_t>::max(),
                           failure.any() ? failure.what() : std::string()};
    };
    const auto throw_failure = [&](std::uint64_t row, const std::string& what) {
        const std::uint64_t point = row / plan.paths_per_point;
        throw PathFailure(plan.seeds[point], row % plan.paths_per_point, what);
    };

    // Rounds: rank j computes chunk j of the round; rank 0 appends the chunks in order. Rank 0 decides
    // at the start of each round whether to go on (a stop request, a failure) and tells the others.
    const std::uint64_t n_ranks = ranks ? static_cast<std::uint64_t>(ranks->size()) : 1;
    const std::uint64_t my_rank = ranks ? static_cast<std::uint64_t>(ranks->rank()) : 0;
    std::uint64_t done = done_before;
    enum Command : std::uint64_t { kGo = 0, kStop = 1, kFailed = 2 };
    BlockResult failed;
    while (true) {
        std::array<std::uint64_t, 3> round{kGo, done, 0};  // [command, done, signal]
        if (root) {
            if (failed.failed_row != std::numeric_limits<std::uint64_t>::max()) {
                round = {kFailed, failed.failed_row, 0};
            } else if (done >= rows) {
                round[0] = kStop;
            } else if (o.stop && o.stop->load() != 0) {
                round = {kStop, done, static_cast<std::uint64_t>(o.stop->load())};
            }
        }
        if (ranks) ranks->broadcast(round);
        if (round[0] == kFailed) {
            std::string what = failed.what;
            if (ranks) ranks->broadcast(what);
            throw_failure(round[1], what);
        }
        done = round[1];
        if (round[0] == kStop) {
            result.stop_signal = static_cast<int>(round[2]);
            break;
        }
        const std::uint64_t mine = done + my_rank * chunk;
        BlockResult own;
        if (mine < rows) own = compute(mine, std::min(chunk, rows - mine));
        if (!root) {
            if (mine < rows) {
                ranks->send(0, message);
                if (message[1] != 0) ranks->send(0, own.what);
            }
            continue;
        }
        // Rank 0: its own chunk, then each other rank's, in row order.
        const std::uint64_t round_start = done;
        for (std::uint64_t j = 0; j < n_ranks; ++j) {
            const std::uint64_t first = round_start + j * chunk;
            if (first >= rows) break;
            BlockResult block = own;
            if (j > 0) {
                ranks->receive(static_cast<int>(j), message);
                if (message[1] != 0)
                    block = {static_cast<std::uint64_t>(message[2]),
                             ranks->receive_text(static_cast<int>(j))};
                session_paths.fetch_add(static_cast<std::uint64_t>(message[0]), std::memory_order_relaxed);
            }
            if (failed.failed_row != std::numeric_limits<std::uint64_t>::max()) continue;  // drain the rest
            // A failed path stops the run; the chunks before it stay on disk, the file stays incomplete.
            if (block.failed_row != std::numeric_limits<std::uint64_t>::max()) {
                failed = block;
                continue;
            }
            const std::uint64_t count = std::min(chunk, rows - first);
            arena.execute([&] { writer->append(parameter_block, output_block, count); });
            done = first + count;
            if (o.on_chunk_written) o.on_chunk_written(done);
        }
        if (ranks == nullptr && failed.failed_row != std::numeric_limits<std::uint64_t>::max())
            throw_failure(failed.failed_row, failed.what);
    }
    if (reporter) reporter->stop();
    message = {};  // the summary reads whole columns: free the chunk buffers first

    result.n_paths_done = done;
    result.paths_this_session = done - done_before;
    const double path_seconds = seconds_since(paths_start);
    result.paths_per_s =
        path_seconds > 0 ? static_cast<double>(result.paths_this_session) / path_seconds : 0.0;
    if (done == rows) {
        if (root) {
            if (job.finish) job.finish(*writer);
            writer->mark_complete();  // last: a crash before this never leaves a file claiming completeness
        }
        result.complete = true;
    }
    result.elapsed_s = seconds_since(start);
    return result;
}

}  // namespace detail

PathFailure::PathFailure(std::uint64_t seed, std::uint64_t path_index, const std::string& what)
    : std::runtime_error(fmt::format("path {} (seed {}) failed: {}", path_index, seed, what)),
      seed_(seed),
      path_index_(path_index) {}

RunResult run_scenario(const Scenario& scenario, const RunOptions& o) {
    detail::check_run_options(o);
    const std::uint64_t n_paths = scenario.run().paths;
    // Everything that can be refused is checked before the output is touched.
    const MarketInputs inputs = MarketInputs::load(scenario.run());

    detail::RowJob job;
    job.inputs = &inputs;
    job.plan.scenarios = {&scenario};
    job.plan.seeds = {scenario.run().seed};
    job.plan.paths_per_point = n_paths;
    job.plan.end_row = n_paths;
    ResultsHeader header = make_results_header(scenario, o.command_line, o.chunk_paths, o.save_trajectories);
    if (o.shard_count > 0) {
        std::tie(job.plan.first_row, job.plan.end_row) =
            detail::shard_slice(n_paths, 1, o.shard_index, o.shard_count);
        header.shard_index = o.shard_index;
        header.shard_count = o.shard_count;
        header.shard_first = job.plan.first_row;
        header.shard_end = job.plan.end_row;
    } else {
        job.plan.trajectories = header.n_trajectories;  // a shard leaves them to merge
    }
    // The liquidation map of path 0's crowd, written with the layout (computed first: no refusal after). It
    // quotes every position of a snapshot, so a bad one is refused before any path.
    const CrowdLiquidationMap crowd_map =
        crowd_liquidation_map(scenario, inputs, scenario.run().seed, 0, std::nullopt);
    if (inputs.positions && o.on_inputs) o.on_inputs(inputs.positions->describe(crowd_map.crowd.snapshot));
    job.open = [&](bool& already_complete) {
        return detail::open_output(
            o, header, scenario, kResultsFiletype,
            [&](const ResultsHeader& h) { check_resumable(o.output, h, scenario, header); },
            already_complete, [&](ResultsWriter& w) { write_liquidation_map(w.file(), crowd_map); });
    };
    if (o.shard_count == 0) job.finish = [](ResultsWriter& w) { w.write_summary(); };
    return detail::run_rows(job, o);
}

}  // namespace wipeout
