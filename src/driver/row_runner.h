#pragma once
// The driver's engine room, shared by `run`, `sweep` and `merge` (private to the library): rows of a
// plan computed chunk by chunk on TBB workers, optionally spread over ranks (RankExchange), written in
// row order by rank 0. Row r is path (r % paths_per_point) of point (r / paths_per_point), run with that
// point's scenario and seed: a pure function, so the file is the same for any thread or rank count.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "wipeout/cascade_engine.h"
#include "wipeout/driver.h"
#include "wipeout/results_file.h"
#include "wipeout/scenario.h"
#include "wipeout/market_inputs.h"

namespace wipeout::detail {

struct RowPlan {
    std::vector<const Scenario*> scenarios;  ///< one per point (a run has one point)
    std::vector<std::uint64_t> seeds;        ///< one per point
    std::uint64_t paths_per_point = 0;
    std::uint64_t first_row = 0;  ///< this file holds rows [first_row, end_row) (a shard: a slice)
    std::uint64_t end_row = 0;
    std::uint64_t trajectories = 0;  ///< time series of rows [0, K), written by an unsharded run
};

struct RowJob {
    RowPlan plan;
    const MarketInputs* inputs = nullptr;
    /// Rank 0 only: creates, replaces or reopens the output (refusals throw InputError before any path).
    std::function<ResultsWriter(bool& already_complete)> open;
    /// Rank 0 only, once every row is on disk: the summary (mark_complete follows).
    std::function<void(ResultsWriter&)> finish;
};

RunResult run_rows(const RowJob& job, const RunOptions& options);

/// The time series of rows [0, k) of a plan (in parallel on `threads` workers; 0: all).
std::vector<PathTrace> compute_traces(const RowPlan& plan, const MarketInputs& inputs, std::uint64_t k,
                                      unsigned threads, bool check_invariants);

/// Refuses bad chunk, compression, resume/force and shard options (InputError).
void check_run_options(const RunOptions& o);

/// Rows [first, end) of shard `index` of `count` over `units` units of `unit_rows` rows each.
std::pair<std::uint64_t, std::uint64_t> shard_slice(std::uint64_t units, std::uint64_t unit_rows,
                                                    std::uint64_t index, std::uint64_t count);

/// Checks that an existing file's shard attributes match this shard (resume), naming the file.
void check_same_shard(const std::filesystem::path& path, const ResultsHeader& stored,
                      const ResultsHeader& wanted);

/// Opens the output for a new run (create, refusing to overwrite without force) or a resume (the
/// caller's `check` refuses another run's file). `filetype` is what an existing file must be to resume.
ResultsWriter open_output(const RunOptions& o, const ResultsHeader& header, const Scenario& scenario,
                          std::string_view filetype, const std::function<void(const ResultsHeader&)>& check,
                          bool& already_complete, const std::function<void(ResultsWriter&)>& on_create = {});

}  // namespace wipeout::detail
