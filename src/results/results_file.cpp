// The wipeout-results file: layout, chunked streaming of paths, summary and trajectories, and the reader's
// checks. Per-path datasets are written chunk by chunk with H5Dwrite_chunk after compressing the columns in
// parallel, so compression scales with the run's threads instead of serializing in the HDF5 filter pipeline.
#include "wipeout/results_file.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <memory>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include "wipeout/error.h"
#include "wipeout/h5.h"
#include "wipeout/version.h"

namespace wipeout {
namespace {

// Root attribute and group names (docs/results_format.md).
constexpr const char* kPathScale = "path";
constexpr const char* kScenarioGroup = "scenario";
constexpr const char* kPathsGroup = "paths";
constexpr const char* kSummaryGroup = "summary";
constexpr const char* kTrajectoriesGroup = "trajectories";

/// How a parameter column is stored: reals as float64, integers as int32, flags and choices as int8.
hid_t parameter_file_type(ParameterKind kind) {
    switch (kind) {
        case ParameterKind::Real:
            return H5T_IEEE_F64LE;
        case ParameterKind::Integer:
            return H5T_STD_I32LE;
        case ParameterKind::Flag:
        case ParameterKind::Choice:
            return H5T_STD_I8LE;
    }
    return H5T_IEEE_F64LE;
}

std::size_t parameter_element_size(ParameterKind kind) {
    switch (kind) {
        case ParameterKind::Real:
            return 8;
        case ParameterKind::Integer:
            return 4;
        default:
            return 1;
    }
}

std::string utc_now() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

/// One stored chunk of a per-path column: raw little-endian elements, HDF5's shuffle filter, then a zlib
/// stream (what H5Z_FILTER_SHUFFLE followed by H5Z_FILTER_DEFLATE would have written; any reader inflates
/// it). Deflate runs with the Z_RLE strategy: on shuffled numbers (runs of equal exponent and high-order
/// bytes) it compresses as well as the default strategy at level 1, and about a third faster. The zlib
/// state and the buffers are reused from chunk to chunk.
class ChunkEncoder {
  public:
    ChunkEncoder() = default;
    ChunkEncoder(ChunkEncoder&&) noexcept = default;
    ChunkEncoder& operator=(ChunkEncoder&&) noexcept = default;

    /// `raw` holds the chunk's elements (element_size bytes each, a full chunk, padding zeroed).
    std::span<const std::byte> encode(std::span<const std::byte> raw, std::size_t element_size, int level) {
        const std::size_t n = raw.size() / element_size;
        shuffled_.resize(raw.size());
        for (std::size_t b = 0; b < element_size; ++b)
            for (std::size_t i = 0; i < n; ++i) shuffled_[b * n + i] = raw[i * element_size + b];
        if (!stream_) {
            stream_.reset(new z_stream{});
            if (deflateInit2(stream_.get(), level, Z_DEFLATED, 15, 8, Z_RLE) != Z_OK) {
                stream_.reset();
                throw std::runtime_error("zlib deflateInit2 failed");
            }
        } else if (deflateReset(stream_.get()) != Z_OK) {
            throw std::runtime_error("zlib deflateReset failed");
        }
        compressed_.resize(deflateBound(stream_.get(), static_cast<uLong>(raw.size())));
        z_stream& z = *stream_;
        z.next_in = reinterpret_cast<Bytef*>(shuffled_.data());
        z.avail_in = static_cast<uInt>(shuffled_.size());
        z.next_out = reinterpret_cast<Bytef*>(compressed_.data());
        z.avail_out = static_cast<uInt>(compressed_.size());
        if (deflate(&z, Z_FINISH) != Z_STREAM_END)
            throw std::runtime_error("zlib deflate did not finish a chunk");
        return {compressed_.data(), compressed_.size() - z.avail_out};
    }

  private:
    struct End {
        void operator()(z_stream* z) const {
            deflateEnd(z);
            delete z;
        }
    };
    std::unique_ptr<z_stream, End> stream_;
    std::vector<std::byte> shuffled_;
    std::vector<std::byte> compressed_;
};

h5::DatasetLayout per_path_layout(std::uint64_t chunk_paths, int compression, bool fill_nan) {
    h5::DatasetLayout layout;
    layout.chunk = {chunk_paths};
    layout.max_dims = {H5S_UNLIMITED};
    layout.shuffle = true;
    // The stored chunks are always zlib streams (level 0 included), so the pipeline always lists deflate.
    layout.deflate = std::max(compression, 1);
    layout.fill_nan = fill_nan;
    return layout;
}

void write_header(const h5::Group& root, const ResultsHeader& h) {
    root.set_attribute("filetype", h.filetype);
    root.set_attribute<int>("format_version", std::span<const int>(h.format_version));
    root.set_attribute("software_version", h.software_version);
    root.set_attribute("git_sha", h.git_sha);
    root.set_attribute("created_utc", h.created_utc);
    root.set_attribute("seed", h.seed);
    root.set_attribute("n_paths", h.n_paths);
    root.set_attribute("n_paths_done", h.n_paths_done);
    root.set_attribute("complete", static_cast<std::int32_t>(h.complete ? 1 : 0));
    root.set_attribute("scenario", h.scenario);
    root.set_attribute("command_line", h.command_line);
    root.set_attribute("chunk_paths", h.chunk_paths);
    root.set_attribute("n_trajectories", h.n_trajectories);
    if (h.shard_count > 0) {
        root.set_attribute("shard_index", h.shard_index);
        root.set_attribute("shard_count", h.shard_count);
        root.set_attribute("shard_first", h.shard_first);
        root.set_attribute("shard_end", h.shard_end);
    }
}

ResultsHeader read_header(const h5::Group& root) {
    ResultsHeader h;
    h.filetype = root.string_attribute("filetype");
    const auto version = root.array_attribute<int>("format_version");
    if (version.size() != 2) throw InputError("format_version is not [major, minor]");
    h.format_version = {version[0], version[1]};
    h.software_version = root.string_attribute("software_version");
    h.git_sha = root.string_attribute("git_sha");
    h.created_utc = root.string_attribute("created_utc");
    h.seed = root.attribute<std::uint64_t>("seed");
    h.n_paths = root.attribute<std::uint64_t>("n_paths");
    h.n_paths_done = root.attribute<std::uint64_t>("n_paths_done");
    h.complete = root.attribute<std::int32_t>("complete") != 0;
    h.scenario = root.string_attribute("scenario");
    h.command_line = root.string_attribute("command_line");
    h.chunk_paths = root.attribute<std::uint64_t>("chunk_paths");
    h.n_trajectories = root.attribute<std::uint64_t>("n_trajectories");
    if (root.has_attribute("shard_count")) {
        h.shard_index = root.attribute<std::uint64_t>("shard_index");
        h.shard_count = root.attribute<std::uint64_t>("shard_count");
        h.shard_first = root.attribute<std::uint64_t>("shard_first");
        h.shard_end = root.attribute<std::uint64_t>("shard_end");
    }
    return h;
}

/// Opens any file as a wipeout results file, refusing other files with a message that says why.
h5::File open_results(const std::filesystem::path& path, bool writable, ResultsHeader& header,
                      std::string_view filetype) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw InputError(fmt::format("{}: no such file", path.string()));
    if (!h5::is_hdf5(path))
        throw InputError(
            fmt::format("{}: not an HDF5 file (expected a wipeout results file)", path.string()));
    h5::File file;
    try {
        file = h5::File::open(path, writable);
    } catch (const h5::Error& e) {
        throw InputError(fmt::format("{}: cannot open: {}", path.string(), e.what()));
    }
    if (!file.has_attribute("filetype") || file.string_attribute("filetype") != filetype) {
        const std::string found = file.has_attribute("filetype") ? file.string_attribute("filetype") : "none";
        throw InputError(fmt::format("{}: not a wipeout {} file (filetype '{}', expected '{}')",
                                     path.string(),
                                     filetype == kResultsFiletype ? "results" : filetype.substr(8), found,
                                     filetype));
    }
    const auto version = file.has_attribute("format_version") ? file.array_attribute<int>("format_version")
                                                              : std::vector<int>{};
    if (version.size() != 2 || version[0] != kResultsFormatMajor)
        throw InputError(fmt::format(
            "{}: results format version {} is not readable by this wipeout (it reads {}.x)", path.string(),
            version.size() == 2 ? fmt::format("{}.{}", version[0], version[1]) : "unknown",
            kResultsFormatMajor));
    try {
        header = read_header(file);
    } catch (const h5::Error& e) {
        throw InputError(fmt::format("{}: damaged results file: {}", path.string(), e.what()));
    }
    return file;
}

/// The /paths dataset names in the file's order, with their attributes.
std::vector<OutputSummary> stored_outputs(const h5::File& file) {
    std::vector<OutputSummary> rows;
    const h5::Group paths = file.open_group(kPathsGroup);
    for (const auto& name : paths.member_names()) {
        const h5::Dataset d = paths.open_dataset(name);
        OutputSummary row{};
        row.name = name;
        row.unit = d.has_attribute("unit") ? d.string_attribute("unit") : "";
        row.kind = d.has_attribute("kind") ? d.string_attribute("kind") : "real";
        row.adverse_tail = d.has_attribute("adverse_tail") ? d.string_attribute("adverse_tail") : "upper";
        rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<double> read_column(const h5::File& file, const char* group, std::string_view name,
                                std::uint64_t n) {
    const h5::Group g = file.open_group(group);
    if (!g.contains(name)) throw InputError(fmt::format("no dataset /{}/{}", group, name));
    const h5::Dataset d = g.open_dataset(name);
    std::vector<double> values(std::min<std::uint64_t>(n, d.size()));
    const hsize_t offset = 0, count = values.size();
    if (!values.empty())
        d.read<double>(values, std::span<const hsize_t>(&offset, 1), std::span<const hsize_t>(&count, 1));
    return values;
}

std::vector<OutputSummary> summarize_file(const h5::File& file, std::uint64_t n_paths_done) {
    auto rows = stored_outputs(file);
    for (auto& row : rows) {
        std::vector<double> values = read_column(file, kPathsGroup, row.name, n_paths_done);
        const OutputKind kind = row.kind == "flag"    ? OutputKind::Flag
                                : row.kind == "count" ? OutputKind::Count
                                                      : OutputKind::Real;
        const AdverseTail tail = row.adverse_tail == "lower" ? AdverseTail::Lower : AdverseTail::Upper;
        row.stats = summarize(values, kind, tail);
    }
    return rows;
}

// Each statistic of /summary: its dataset name, doc, and where it lives in Summary.
struct SummaryField {
    std::string_view name;
    std::string_view doc;
    double Summary::*scalar = nullptr;
    std::size_t quantile = SIZE_MAX;
    std::size_t shortfall = SIZE_MAX;

    double& in(Summary& s) const {
        if (scalar) return s.*scalar;
        return quantile != SIZE_MAX ? s.quantiles[quantile] : s.shortfalls[shortfall];
    }
    double get(const Summary& s) const {
        if (scalar) return s.*scalar;
        return quantile != SIZE_MAX ? s.quantiles[quantile] : s.shortfalls[shortfall];
    }
};

std::vector<SummaryField> summary_fields() {
    std::vector<SummaryField> f{
        {"mean", "mean over paths", &Summary::mean},
        {"sd", "sample standard deviation (n - 1)", &Summary::sd},
        {"se", "standard error of the mean, sd / sqrt(n)", &Summary::se},
    };
    static constexpr std::array<std::string_view, kQuantileLevels.size()> kQuantileDocs{
        "1% quantile (type 7)",  "5% quantile (type 7)",  "median (type 7)",
        "95% quantile (type 7)", "99% quantile (type 7)", "99.9% quantile (type 7)"};
    for (std::size_t i = 0; i < kQuantileNames.size(); ++i)
        f.push_back({kQuantileNames[i], kQuantileDocs[i], nullptr, i, SIZE_MAX});
    f.push_back({kShortfallNames[0], "expected shortfall at 95%: mean of the worst 5% (adverse tail)",
                 nullptr, SIZE_MAX, 0});
    f.push_back({kShortfallNames[1], "expected shortfall at 99%: mean of the worst 1% (adverse tail)",
                 nullptr, SIZE_MAX, 1});
    f.push_back({"probability", "flags: share of paths with the flag set (NaN for other outputs)",
                 &Summary::probability});
    f.push_back(
        {"probability_lo", "flags: lower end of the 95% Wilson score interval", &Summary::probability_lo});
    f.push_back(
        {"probability_hi", "flags: upper end of the 95% Wilson score interval", &Summary::probability_hi});
    return f;
}

}  // namespace

std::string_view kind_name(OutputKind kind) {
    switch (kind) {
        case OutputKind::Real:
            return "real";
        case OutputKind::Count:
            return "count";
        case OutputKind::Flag:
            return "flag";
    }
    return "real";
}

std::string_view tail_name(AdverseTail tail) {
    return tail == AdverseTail::Upper ? "upper" : "lower";
}

std::string_view kind_name(ParameterKind kind) {
    switch (kind) {
        case ParameterKind::Real:
            return "real";
        case ParameterKind::Integer:
            return "integer";
        case ParameterKind::Flag:
            return "flag";
        case ParameterKind::Choice:
            return "choice";
    }
    return "real";
}

ResultsHeader make_results_header(const Scenario& scenario, std::string command_line,
                                  std::uint64_t chunk_paths, std::uint64_t n_trajectories) {
    ResultsHeader h;
    h.software_version = kVersion;
    h.git_sha = kGitSha;
    h.created_utc = utc_now();
    h.seed = scenario.run().seed;
    h.n_paths = scenario.run().paths;
    h.scenario = scenario.to_toml();
    h.command_line = std::move(command_line);
    h.chunk_paths = chunk_paths;
    h.n_trajectories = std::min(n_trajectories, h.n_paths);
    return h;
}

// ---- writer ----

struct ResultsWriter::Impl {
    h5::File file;
    ResultsHeader header;
    int compression = 4;
    std::vector<h5::Dataset> parameter_sets;  // parameter_specs() order
    std::vector<h5::Dataset> output_sets;     // output_specs() order
    h5::Dataset path_set;
    // Per column: the raw chunk and its encoder, reused from chunk to chunk.
    std::vector<std::vector<std::byte>> raw;
    std::vector<ChunkEncoder> encoders;
    std::vector<std::span<const std::byte>> encoded;

    void open_datasets() {
        const h5::Group scenario = file.open_group(kScenarioGroup);
        const h5::Group paths = file.open_group(kPathsGroup);
        parameter_sets.clear();
        output_sets.clear();
        for (const auto& spec : parameter_specs()) parameter_sets.push_back(scenario.open_dataset(spec.key));
        for (const auto& spec : output_specs()) output_sets.push_back(paths.open_dataset(spec.name));
        path_set = file.open_dataset(kPathScale);
        const std::size_t columns = parameter_sets.size() + output_sets.size() + 1;
        raw.assign(columns, {});
        encoders.clear();
        encoders.resize(columns);
        encoded.assign(columns, {});
    }

    void resize_all(std::uint64_t n) {
        for (auto& d : parameter_sets) d.resize(n);
        for (auto& d : output_sets) d.resize(n);
        path_set.resize(n);
    }
};

ResultsWriter::ResultsWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ResultsWriter::ResultsWriter(ResultsWriter&&) noexcept = default;
ResultsWriter& ResultsWriter::operator=(ResultsWriter&&) noexcept = default;
ResultsWriter::~ResultsWriter() = default;

const ResultsHeader& ResultsWriter::header() const {
    return impl_->header;
}

const h5::File& ResultsWriter::file() const {
    return impl_->file;
}

ResultsWriter ResultsWriter::create(const std::filesystem::path& path, const ResultsHeader& header,
                                    const Scenario& scenario, int compression) {
    if (header.chunk_paths == 0) throw InputError("chunk_paths must be positive");
    if (compression < 0 || compression > 9)
        throw InputError(fmt::format("compression level {} is not in 0-9", compression));
    auto impl = std::make_unique<Impl>();
    impl->file = h5::File::create(path);
    impl->header = header;
    impl->header.n_paths_done = 0;
    impl->header.complete = false;
    impl->compression = compression;
    const h5::File& f = impl->file;
    write_header(f, impl->header);

    const hsize_t zero = 0;
    const std::span<const hsize_t> empty_dims(&zero, 1);
    h5::Dataset path_set = f.create_dataset(kPathScale, H5T_STD_I64LE, empty_dims,
                                            per_path_layout(header.chunk_paths, compression, false));
    path_set.set_attribute("doc",
                           "path index: path i's parameters and outputs are a pure function of (seed, i)");
    h5::make_dimension_scale(path_set, kPathScale);
    h5::ScaleAttachments scales;

    const h5::Group scenario_group = f.create_group(kScenarioGroup);
    scenario_group.set_attribute("doc", "each parameter's value on each path, sampled from the scenario");
    const auto specs = parameter_specs();
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const auto& spec = specs[i];
        const bool real = spec.kind == ParameterKind::Real;
        h5::Dataset d = scenario_group.create_dataset(spec.key, parameter_file_type(spec.kind), empty_dims,
                                                      per_path_layout(header.chunk_paths, compression, real));
        d.set_attribute("unit", spec.unit);
        d.set_attribute("doc", spec.doc);
        d.set_attribute("kind", kind_name(spec.kind));
        d.set_attribute("distribution", value_toml(spec, scenario.distributions()[i]));
        if (spec.kind == ParameterKind::Choice) {
            // Names, and the CF flag_values / flag_meanings pair netCDF tools understand.
            std::vector<std::string> names(spec.choices.begin(), spec.choices.end());
            std::vector<std::int8_t> values;
            for (std::size_t k = 0; k < names.size(); ++k) values.push_back(static_cast<std::int8_t>(k));
            d.set_attribute("choices", std::span<const std::string>(names));
            d.set_attribute<std::int8_t>("flag_values", std::span<const std::int8_t>(values));
            d.set_attribute("flag_meanings", fmt::format("{}", fmt::join(names, " ")));
        }
        scales.attach(d, 0, path_set);
    }

    const h5::Group paths_group = f.create_group(kPathsGroup);
    paths_group.set_attribute("doc", "each output of each path, in path order");
    for (const auto& spec : output_specs()) {
        h5::Dataset d = paths_group.create_dataset(spec.name, H5T_IEEE_F64LE, empty_dims,
                                                   per_path_layout(header.chunk_paths, compression, true));
        d.set_attribute("unit", spec.unit);
        d.set_attribute("doc", spec.doc);
        d.set_attribute("kind", kind_name(spec.kind));
        d.set_attribute("adverse_tail", tail_name(spec.tail));
        scales.attach(d, 0, path_set);
    }
    scales.write();
    impl->open_datasets();
    f.flush();
    return ResultsWriter(std::move(impl));
}

ResultsWriter ResultsWriter::reopen(const std::filesystem::path& path, std::string_view filetype) {
    auto impl = std::make_unique<Impl>();
    impl->file = open_results(path, true, impl->header, filetype);
    if (impl->header.chunk_paths == 0)
        throw InputError(fmt::format("{}: damaged results file (chunk_paths = 0)", path.string()));
    const h5::File& f = impl->file;
    for (const char* group : {kScenarioGroup, kPathsGroup})
        if (!f.contains(group))
            throw InputError(fmt::format("{}: damaged results file (no /{})", path.string(), group));
    impl->open_datasets();
    // Anything past n_paths_done was written by a run that died before recording it: drop it.
    impl->resize_all(impl->header.n_paths_done);
    if (f.contains(kSummaryGroup)) f.remove(kSummaryGroup);
    // Continue with the level the file was created with (its filter pipeline records it).
    impl->compression = std::clamp(impl->output_sets.front().deflate_level(), 1, 9);
    f.flush();
    return ResultsWriter(std::move(impl));
}

void ResultsWriter::append(std::span<const double> parameters, std::span<const double> outputs,
                           std::uint64_t count) {
    Impl& m = *impl_;
    const std::uint64_t chunk = m.header.chunk_paths;
    const std::uint64_t first = m.header.n_paths_done;
    const std::size_t n_params = m.parameter_sets.size();
    const std::size_t n_outputs = m.output_sets.size();
    if (count == 0 || count > chunk || first + count > m.header.rows() || first % chunk != 0)
        throw std::logic_error(
            fmt::format("ResultsWriter::append: {} paths at {} do not fit the chunk grid", count, first));
    if (parameters.size() != n_params * chunk || outputs.size() != n_outputs * chunk)
        throw std::logic_error("ResultsWriter::append: blocks are not chunk_paths rows of every column");

    const auto specs = parameter_specs();
    const std::size_t columns = n_params + n_outputs + 1;
    // Encode every column's chunk in parallel: convert to the stored type, pad with zeros, shuffle, deflate.
    tbb::parallel_for(std::size_t{0}, columns, [&](std::size_t c) {
        std::size_t element = 8;
        if (c < n_params) element = parameter_element_size(specs[c].kind);
        auto& raw = m.raw[c];
        raw.resize(chunk * element);  // the rows past `count` are zero padding; the others are written below
        std::fill(raw.begin() + static_cast<std::ptrdiff_t>(count * element), raw.end(), std::byte{0});
        if (c < n_params) {
            const double* column = parameters.data() + c * chunk;
            for (std::uint64_t i = 0; i < count; ++i) {
                if (element == 8) {
                    std::memcpy(raw.data() + i * 8, &column[i], 8);
                } else if (element == 4) {
                    const auto v = static_cast<std::int32_t>(column[i]);
                    std::memcpy(raw.data() + i * 4, &v, 4);
                } else {
                    raw[i] = static_cast<std::byte>(static_cast<std::int8_t>(column[i]));
                }
            }
        } else if (c < n_params + n_outputs) {
            std::memcpy(raw.data(), outputs.data() + (c - n_params) * chunk, count * 8);
        } else {
            for (std::uint64_t i = 0; i < count; ++i) {
                const auto index = static_cast<std::int64_t>(m.header.shard_first + first + i);
                std::memcpy(raw.data() + i * 8, &index, 8);
            }
        }
        m.encoded[c] = m.encoders[c].encode(raw, element, m.compression);
    });

    m.resize_all(first + count);
    const hsize_t offset = first;
    const std::span<const hsize_t> at(&offset, 1);
    for (std::size_t p = 0; p < n_params; ++p) m.parameter_sets[p].write_chunk(at, m.encoded[p]);
    for (std::size_t o = 0; o < n_outputs; ++o) m.output_sets[o].write_chunk(at, m.encoded[n_params + o]);
    m.path_set.write_chunk(at, m.encoded[columns - 1]);
    // Record progress only once the data is in: n_paths_done never counts paths that are not on disk.
    m.file.flush();
    m.header.n_paths_done = first + count;
    m.file.set_attribute("n_paths_done", m.header.n_paths_done);
    m.file.flush();
}

bool ResultsWriter::has_trajectories() const {
    return impl_->file.contains(kTrajectoriesGroup);
}

void ResultsWriter::write_trajectories(std::span<const std::uint64_t> path_indices,
                                       std::span<const PathTrace> traces) {
    const auto names = trace_columns();
    const std::size_t n_columns = names.size();
    if (n_columns != trace_values(TraceRow{}).size())
        throw std::logic_error("trace_columns() does not match TraceRow");
    if (path_indices.size() != traces.size())
        throw std::logic_error("write_trajectories: one trace per path");

    const h5::File& f = impl_->file;
    if (f.contains(kTrajectoriesGroup)) f.remove(kTrajectoriesGroup);
    const h5::Group g = f.create_group(kTrajectoriesGroup);
    g.set_attribute("doc",
                    "full time series of the first paths; row r of trajectory k is valid for r < n_rows[k], "
                    "NaN after");
    const hsize_t k_count = traces.size();
    std::size_t max_rows = 0;
    for (const auto& t : traces) max_rows = std::max(max_rows, t.rows.size());

    std::vector<std::int64_t> indices(path_indices.begin(), path_indices.end());
    h5::Dataset trajectory = g.write_dataset<std::int64_t>("trajectory", indices);
    trajectory.set_attribute("doc", "path index of each trajectory");
    h5::make_dimension_scale(trajectory, "trajectory");
    std::vector<std::int32_t> steps(max_rows);
    for (std::size_t r = 0; r < max_rows; ++r) steps[r] = static_cast<std::int32_t>(r);
    h5::Dataset step = g.write_dataset<std::int32_t>("step", steps);
    step.set_attribute("doc", "row number within a trajectory (time is the time_s column)");
    h5::make_dimension_scale(step, "step");
    std::vector<std::int32_t> n_rows;
    for (const auto& t : traces) n_rows.push_back(static_cast<std::int32_t>(t.rows.size()));
    h5::Dataset n_rows_set = g.write_dataset<std::int32_t>("n_rows", n_rows);
    n_rows_set.set_attribute("doc", "rows of each trajectory");

    h5::ScaleAttachments scales;
    scales.attach(n_rows_set, 0, trajectory);
    h5::DatasetLayout layout;
    layout.chunk = {1, std::clamp<hsize_t>(max_rows, 1, 4096)};
    layout.max_dims = {k_count, H5S_UNLIMITED};
    layout.deflate = 4;
    layout.shuffle = true;
    layout.fill_nan = true;
    const std::array<hsize_t, 2> dims{k_count, max_rows};
    std::vector<h5::Dataset> columns;
    for (std::size_t c = 0; c < n_columns; ++c) {
        columns.push_back(g.create_dataset(names[c], H5T_IEEE_F64LE, dims, layout));
        scales.attach(columns.back(), 0, trajectory);
        scales.attach(columns.back(), 1, step);
    }
    // One trajectory at a time: its rows split into columns, each written as one row of its dataset.
    std::vector<std::vector<double>> by_column(n_columns);
    for (std::size_t k = 0; k < traces.size(); ++k) {
        const auto& rows = traces[k].rows;
        if (rows.empty()) continue;
        for (auto& column : by_column) column.resize(rows.size());
        for (std::size_t r = 0; r < rows.size(); ++r) {
            const auto values = trace_values(rows[r]);
            for (std::size_t c = 0; c < n_columns; ++c) by_column[c][r] = values[c];
        }
        const std::array<hsize_t, 2> offset{k, 0}, count{1, rows.size()};
        for (std::size_t c = 0; c < n_columns; ++c) columns[c].write<double>(by_column[c], offset, count);
    }
    scales.write();
    f.flush();
}

std::size_t summary_statistic_count() {
    return summary_fields().size();
}
std::string_view summary_statistic_name(std::size_t i) {
    return summary_fields().at(i).name;
}
std::string_view summary_statistic_doc(std::size_t i) {
    return summary_fields().at(i).doc;
}
double summary_statistic(const Summary& s, std::size_t i) {
    return summary_fields().at(i).get(s);
}

void write_summary_definitions(const h5::File& file, std::string_view group) {
    const h5::Group g = file.open_group(group);
    g.set_attribute("quantile_definition",
                    "type 7 (Hyndman & Fan 1996; R default, numpy 'linear'): h = (n - 1) p, "
                    "Q = x[floor(h)] + (h - floor(h)) (x[floor(h) + 1] - x[floor(h)])");
    g.set_attribute("shortfall_definition",
                    "mean of the k = ceil((1 - alpha) n) worst values of the adverse tail (largest for "
                    "adverse_tail = upper, smallest for lower)");
    g.set_attribute("interval_definition", "Wilson score interval, z = 1.959964 (95%)");
    g.set_attribute("missing_values",
                    "NaN and infinite values are left out of every statistic (see n_missing)");
}

void ResultsWriter::write_summary() {
    // The chunk buffers are done with: give their memory back before a whole column is read in.
    std::vector<std::vector<std::byte>>().swap(impl_->raw);
    std::vector<ChunkEncoder>().swap(impl_->encoders);
    std::vector<std::span<const std::byte>>().swap(impl_->encoded);
    const h5::File& f = impl_->file;
    const auto rows = summarize_file(f, impl_->header.n_paths_done);
    if (f.contains(kSummaryGroup)) f.remove(kSummaryGroup);
    const h5::Group g = f.create_group(kSummaryGroup);
    g.set_attribute("doc",
                    "statistics of each output over all paths; one dataset per statistic over the output "
                    "dimension");
    write_summary_definitions(f, kSummaryGroup);

    std::vector<std::string> names, units, kinds, tails;
    for (const auto& r : rows) {
        names.push_back(r.name);
        units.push_back(r.unit);
        kinds.push_back(r.kind);
        tails.push_back(r.adverse_tail);
    }
    h5::Dataset output = g.write_strings("output", names);
    output.set_attribute("doc", "output name (the /paths dataset)");
    h5::make_dimension_scale(output, "output");
    h5::ScaleAttachments scales;
    auto attach = [&](h5::Dataset d, std::string_view doc) {
        d.set_attribute("doc", doc);
        scales.attach(d, 0, output);
    };
    attach(g.write_strings("unit", units), "unit of the output");
    attach(g.write_strings("kind", kinds), "real, count or flag");
    attach(g.write_strings("adverse_tail", tails), "the tail expected shortfall averages: upper or lower");
    std::vector<std::uint64_t> n, missing;
    for (const auto& r : rows) {
        n.push_back(r.stats.n);
        missing.push_back(r.stats.n_missing);
    }
    attach(g.write_dataset<std::uint64_t>("n", n), "finite values summarized");
    attach(g.write_dataset<std::uint64_t>("n_missing", missing), "NaN or infinite values left out");
    for (const auto& field : summary_fields()) {
        std::vector<double> values;
        for (const auto& r : rows) values.push_back(field.get(r.stats));
        attach(g.write_dataset<double>(field.name, values), field.doc);
    }
    scales.write();
    f.flush();
}

void ResultsWriter::mark_complete() {
    Impl& m = *impl_;
    m.file.flush();
    m.header.complete = true;
    m.file.set_attribute("complete", std::int32_t{1});
    m.file.flush();
}

// ---- reader ----

struct ResultsReader::Impl {
    std::filesystem::path path;
    h5::File file;
    ResultsHeader header;
};

ResultsReader::ResultsReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ResultsReader::ResultsReader(ResultsReader&&) noexcept = default;
ResultsReader& ResultsReader::operator=(ResultsReader&&) noexcept = default;
ResultsReader::~ResultsReader() = default;

ResultsReader ResultsReader::open(const std::filesystem::path& path, std::string_view filetype) {
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    impl->file = open_results(path, false, impl->header, filetype);
    return ResultsReader(std::move(impl));
}

const h5::File& ResultsReader::file() const {
    return impl_->file;
}

void ResultsReader::read_rows(std::string_view group, std::string_view name, std::uint64_t first,
                              std::span<double> out) const {
    const h5::Group g = impl_->file.open_group(group);
    if (!g.contains(name))
        throw InputError(fmt::format("{}: no dataset /{}/{}", impl_->path.string(), group, name));
    const h5::Dataset d = g.open_dataset(name);
    if (first + out.size() > d.size())
        throw InputError(fmt::format("{}: /{}/{} has {} rows, not {}", impl_->path.string(), group, name,
                                     d.size(), first + out.size()));
    const hsize_t offset = first, count = out.size();
    if (!out.empty())
        d.read<double>(out, std::span<const hsize_t>(&offset, 1), std::span<const hsize_t>(&count, 1));
}

const ResultsHeader& ResultsReader::header() const {
    return impl_->header;
}

std::vector<double> ResultsReader::read_output(std::string_view name) const {
    return read_column(impl_->file, kPathsGroup, name, impl_->header.n_paths_done);
}

std::vector<double> ResultsReader::read_parameter(std::string_view key) const {
    return read_column(impl_->file, kScenarioGroup, key, impl_->header.n_paths_done);
}

bool ResultsReader::has_summary() const {
    return impl_->file.contains(kSummaryGroup);
}

std::vector<OutputSummary> ResultsReader::read_summary() const {
    if (!has_summary())
        throw InputError(fmt::format("{}: has no /summary (incomplete run?)", impl_->path.string()));
    const h5::Group g = impl_->file.open_group(kSummaryGroup);
    const auto names = g.open_dataset("output").read_strings();
    const auto units = g.open_dataset("unit").read_strings();
    const auto kinds = g.open_dataset("kind").read_strings();
    const auto tails = g.open_dataset("adverse_tail").read_strings();
    const auto n = g.open_dataset("n").read_all<std::uint64_t>();
    const auto missing = g.open_dataset("n_missing").read_all<std::uint64_t>();
    std::vector<OutputSummary> rows(names.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        rows[i].name = names[i];
        rows[i].unit = units.at(i);
        rows[i].kind = kinds.at(i);
        rows[i].adverse_tail = tails.at(i);
        rows[i].stats.n = n.at(i);
        rows[i].stats.n_missing = missing.at(i);
    }
    for (const auto& field : summary_fields()) {
        const auto values = g.open_dataset(field.name).read_all<double>();
        for (std::size_t i = 0; i < rows.size(); ++i) field.in(rows[i].stats) = values.at(i);
    }
    return rows;
}

std::vector<OutputSummary> ResultsReader::compute_summary() const {
    return summarize_file(impl_->file, impl_->header.n_paths_done);
}

}  // namespace wipeout
