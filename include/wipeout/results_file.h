#pragma once
// The wipeout-results HDF5 file (format 1.0, docs/results_format.md): root attributes saying what the file is
// and where it came from, /scenario (sampled parameters), /paths (outputs), /summary, /trajectories. The
// writer streams chunks of paths to disk and marks the file complete only once everything is flushed; the
// reader refuses files of another type or major version.
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wipeout/cascade_engine.h"
#include "wipeout/scenario.h"
#include "wipeout/statistics.h"

namespace wipeout {
namespace h5 {
class File;
}

inline constexpr std::string_view kResultsFiletype = "wipeout-results";
inline constexpr int kResultsFormatMajor = 1;
inline constexpr int kResultsFormatMinor = 0;

/// The root attributes of a results file.
struct ResultsHeader {
    std::string filetype{kResultsFiletype};
    std::array<int, 2> format_version{kResultsFormatMajor, kResultsFormatMinor};
    std::string software_version;
    std::string git_sha;
    std::string created_utc;  ///< ISO 8601, e.g. 2024-05-01T12:00:00Z
    std::uint64_t seed = 0;
    std::uint64_t n_paths = 0;
    std::uint64_t n_paths_done = 0;  ///< paths [0, n_paths_done) are on disk
    bool complete = false;           ///< set only after every dataset and the summary are flushed
    std::string scenario;            ///< the effective scenario as TOML (Scenario::to_toml)
    std::string command_line;
    std::uint64_t chunk_paths = 0;     ///< paths per stored chunk: a resumed run continues on this grid
    std::uint64_t n_trajectories = 0;  ///< how many paths (the first ones) have a full time series
    /// A shard (--shard K/N) holds rows [shard_first, shard_end) of the run; shard_count 0: the whole run.
    /// n_paths stays the whole run's; n_paths_done counts this file's rows.
    std::uint64_t shard_index = 0;
    std::uint64_t shard_count = 0;
    std::uint64_t shard_first = 0;
    std::uint64_t shard_end = 0;
    /// Rows this file holds when complete.
    std::uint64_t rows() const { return shard_count ? shard_end - shard_first : n_paths; }
};

/// A header for a new run of `scenario` (its [run] paths and seed), stamped with this build and the time.
ResultsHeader make_results_header(const Scenario& scenario, std::string command_line,
                                  std::uint64_t chunk_paths, std::uint64_t n_trajectories);

/// One output's row of /summary.
struct OutputSummary {
    std::string name;
    std::string unit;
    std::string kind;          ///< "real", "count" or "flag"
    std::string adverse_tail;  ///< "upper" or "lower"
    Summary stats;
};

/// The floating-point statistics of /summary, in file order: name, doc and value of statistic i.
std::size_t summary_statistic_count();
std::string_view summary_statistic_name(std::size_t i);
std::string_view summary_statistic_doc(std::size_t i);
double summary_statistic(const Summary& s, std::size_t i);
/// Writes /summary's definitions (quantile, shortfall, interval, missing values) as attributes of `g`.
void write_summary_definitions(const h5::File& file, std::string_view group);

/// Names used in the file for enums.
std::string_view kind_name(OutputKind kind);
std::string_view tail_name(AdverseTail tail);
std::string_view kind_name(ParameterKind kind);

class ResultsWriter {
  public:
    /// Creates the file and its whole layout (replacing any file at `path`), with complete = 0 and
    /// n_paths_done = 0. `compression` is the zlib level (0-9) of the per-path datasets.
    static ResultsWriter create(const std::filesystem::path& path, const ResultsHeader& header,
                                const Scenario& scenario, int compression = 1);
    /// Reopens an incomplete file to continue it: trims every per-path dataset to n_paths_done and drops
    /// a summary a crash may have left half-written. Checking that the run matches is the caller's job.
    static ResultsWriter reopen(const std::filesystem::path& path,
                                std::string_view filetype = kResultsFiletype);

    ResultsWriter(ResultsWriter&&) noexcept;
    ResultsWriter& operator=(ResultsWriter&&) noexcept;
    ~ResultsWriter();

    const ResultsHeader& header() const;
    /// The open file, for layers that add their own groups (sweeps).
    const h5::File& file() const;

    /// Appends `count` paths starting at path n_paths_done. Both spans are column-major blocks of
    /// chunk_paths rows: parameter p of the block's path i at [p * chunk_paths + i] (parameter_specs()
    /// order), output o at [o * chunk_paths + i] (output_specs() order). count is chunk_paths except for
    /// the run's last block. Compresses the columns in parallel with TBB (call it inside the run's
    /// task_arena), writes them, then records n_paths_done and flushes: a crash loses at most this block.
    void append(std::span<const double> parameters, std::span<const double> outputs, std::uint64_t count);

    bool has_trajectories() const;
    /// Writes /trajectories: the time series of the given paths (traces[k] belongs to path_indices[k]).
    void write_trajectories(std::span<const std::uint64_t> path_indices, std::span<const PathTrace> traces);

    /// Reads the /paths columns back one at a time (memory: one column), summarizes and writes /summary.
    void write_summary();
    /// Flushes everything, then sets complete = 1 and flushes again.
    void mark_complete();

  private:
    struct Impl;
    explicit ResultsWriter(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

class ResultsReader {
  public:
    /// Opens a results file read-only. Throws InputError for a missing file, a file that is not HDF5, not a
    /// wipeout-results file, or of another major format version.
    static ResultsReader open(const std::filesystem::path& path,
                              std::string_view filetype = kResultsFiletype);

    ResultsReader(ResultsReader&&) noexcept;
    ResultsReader& operator=(ResultsReader&&) noexcept;
    ~ResultsReader();

    const ResultsHeader& header() const;
    /// One output's values for paths [0, n_paths_done).
    std::vector<double> read_output(std::string_view name) const;
    /// One parameter's sampled values (a choice as its index).
    std::vector<double> read_parameter(std::string_view key) const;
    /// Rows [first, first + count) of /paths/<name> or /scenario/<key> (group "paths" or "scenario").
    void read_rows(std::string_view group, std::string_view name, std::uint64_t first,
                   std::span<double> out) const;
    const h5::File& file() const;
    bool has_summary() const;
    /// The stored /summary, one row per output.
    std::vector<OutputSummary> read_summary() const;
    /// Summaries computed now from the paths on disk (what write_summary stores; for incomplete files).
    std::vector<OutputSummary> compute_summary() const;

  private:
    struct Impl;
    explicit ResultsReader(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace wipeout
