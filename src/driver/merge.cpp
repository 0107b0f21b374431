// wipeout merge: checks that the shard files are one complete, consistent set, then copies their rows in
// order into a new file on the run's chunk grid and writes what a single run writes at its end.
#include "wipeout/merge.h"

#include <algorithm>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <tbb/task_arena.h>

#include "row_runner.h"
#include "sweep_file.h"
#include "wipeout/error.h"
#include "wipeout/h5.h"
#include "wipeout/liquidation_map.h"
#include "wipeout/results_file.h"
#include "wipeout/sweep.h"

namespace wipeout {
namespace {

struct Shard {
    std::filesystem::path path;
    ResultsReader reader;
    std::string filetype;
    std::string sweep_definition;  // empty for a run
};

Shard open_shard(const std::filesystem::path& path) {
    std::optional<ResultsReader> r;
    std::string filetype(kResultsFiletype);
    try {
        r.emplace(ResultsReader::open(path, kResultsFiletype));
    } catch (const InputError& results_error) {
        try {
            r.emplace(ResultsReader::open(path, kSweepFiletype));
            filetype = kSweepFiletype;
        } catch (const InputError&) {
            throw results_error;
        }
    }
    std::string definition;
    if (filetype == kSweepFiletype) definition = r->file().string_attribute("sweep_definition");
    return Shard{path, std::move(*r), filetype, definition};
}

[[noreturn]] void refuse(const Shard& s, const std::string& problem) {
    throw InputError(fmt::format("cannot merge {}: {}", s.path.string(), problem));
}

}  // namespace

MergeResult merge_shards(const std::filesystem::path& output, std::span<const std::filesystem::path> paths,
                         bool force, const std::string& command_line, unsigned threads) {
    if (paths.empty()) throw InputError("merge needs at least one shard file");
    std::vector<Shard> shards;
    for (const auto& p : paths) {
        if (std::filesystem::exists(output) && std::filesystem::equivalent(p, output))
            throw InputError(fmt::format("cannot merge {} into itself", p.string()));
        shards.push_back(open_shard(p));
    }
    // Every shard must be a complete shard of the same run as the first.
    const Shard& first = shards.front();
    const ResultsHeader& h0 = first.reader.header();
    std::map<std::uint64_t, const Shard*> by_index;
    for (const Shard& s : shards) {
        const ResultsHeader& h = s.reader.header();
        if (h.shard_count == 0)
            refuse(s, "it is not a shard (it holds a whole run; written without --shard)");
        if (s.filetype != first.filetype)
            refuse(s, fmt::format("it is a {} file, {} is a {} file", s.filetype, first.path.string(),
                                  first.filetype));
        if (h.software_version != h0.software_version || h.git_sha != h0.git_sha)
            refuse(s, fmt::format("written by wipeout {} (git {}), {} by wipeout {} (git {})",
                                  h.software_version, h.git_sha, first.path.string(), h0.software_version,
                                  h0.git_sha));
        if (h.seed != h0.seed)
            refuse(s, fmt::format("seed {}, {} has seed {}", h.seed, first.path.string(), h0.seed));
        if (h.n_paths != h0.n_paths)
            refuse(s, fmt::format("{} paths, {} has {}", h.n_paths, first.path.string(), h0.n_paths));
        if (h.scenario != h0.scenario)
            refuse(s, fmt::format("its scenario differs from {}'s", first.path.string()));
        if (s.sweep_definition != first.sweep_definition)
            refuse(s, fmt::format("sweep '{}', {} has '{}'", s.sweep_definition, first.path.string(),
                                  first.sweep_definition));
        if (h.shard_count != h0.shard_count)
            refuse(s, fmt::format("shard {}/{}, {} is shard {}/{}", h.shard_index, h.shard_count,
                                  first.path.string(), h0.shard_index, h0.shard_count));
        if (h.n_trajectories != h0.n_trajectories)
            refuse(s, fmt::format("{} trajectories, {} has {}", h.n_trajectories, first.path.string(),
                                  h0.n_trajectories));
        if (!h.complete || h.n_paths_done != h.rows())
            refuse(s, fmt::format("shard {}/{} is incomplete ({} of {} paths; finish it with --resume)",
                                  h.shard_index, h.shard_count, h.n_paths_done, h.rows()));
        const auto [dup, inserted] = by_index.emplace(h.shard_index, &s);
        if (!inserted)
            refuse(s, fmt::format("shard {}/{} is given twice (also {})", h.shard_index, h.shard_count,
                                  dup->second->path.string()));
    }
    for (std::uint64_t k = 0; k < h0.shard_count; ++k)
        if (!by_index.count(k))
            throw InputError(
                fmt::format("cannot merge: shard {}/{} is missing (have {} of {} shards, e.g. {})", k,
                            h0.shard_count, by_index.size(), h0.shard_count, first.path.string()));
    // The slices must tile the rows in order.
    std::uint64_t next = 0;
    for (const auto& [k, s] : by_index) {
        const ResultsHeader& h = s->reader.header();
        if (h.shard_first != next)
            refuse(*s, fmt::format("its rows start at {}, expected {}", h.shard_first, next));
        next = h.shard_end;
    }
    if (next != h0.n_paths)
        refuse(*by_index.rbegin()->second, fmt::format("the shards hold {} of {} rows", next, h0.n_paths));

    const Scenario scenario = Scenario::parse(h0.scenario, first.path.string() + ":/scenario");
    const bool sweep = first.filetype == kSweepFiletype;
    std::optional<SweepSpec> spec;
    if (sweep) spec = parse_sweep_definition(first.sweep_definition);
    ResultsHeader header = h0;
    header.shard_index = header.shard_count = header.shard_first = header.shard_end = 0;
    header.n_paths_done = 0;
    header.complete = false;
    header.command_line = command_line;
    RunOptions o;
    o.output = output;
    o.force = force;
    o.chunk_paths = h0.chunk_paths;
    o.compression = std::clamp(
        first.reader.file().open_group("paths").open_dataset(output_specs()[0].name).deflate_level(), 1, 9);
    // A run's liquidation map of path 0's crowd, as the single run wrote it (older shards have none).
    std::optional<CrowdLiquidationMap> crowd_map;
    if (!sweep && first.reader.file().contains("liquidation_map"))
        crowd_map =
            crowd_liquidation_map(scenario, MarketInputs::load(scenario.run()), h0.seed, 0, std::nullopt);
    bool ignored = false;
    ResultsWriter writer = detail::open_output(
        o, header, scenario, first.filetype, [](const ResultsHeader&) {}, ignored,
        [&](const ResultsWriter& w) {
            if (sweep) detail::write_sweep_layout(w, *spec, detail::read_sweep_commands(first.reader));
            if (crowd_map) write_liquidation_map(w.file(), *crowd_map);
        });

    // Rows in order, chunk by chunk, each chunk gathered from the shards that hold it.
    const auto specs = parameter_specs();
    const auto outputs = output_specs();
    const std::uint64_t chunk = h0.chunk_paths;
    std::vector<double> parameters(specs.size() * chunk), values(outputs.size() * chunk);
    tbb::task_arena arena(threads == 0 ? tbb::task_arena::automatic : static_cast<int>(threads));
    for (std::uint64_t at = 0; at < h0.n_paths; at += chunk) {
        const std::uint64_t count = std::min(chunk, h0.n_paths - at);
        for (const auto& [k, s] : by_index) {
            const ResultsHeader& h = s->reader.header();
            const std::uint64_t lo = std::max(at, h.shard_first), hi = std::min(at + count, h.shard_end);
            if (lo >= hi) continue;
            for (std::size_t p = 0; p < specs.size(); ++p)
                s->reader.read_rows("scenario", specs[p].key, lo - h.shard_first,
                                    std::span<double>(parameters.data() + p * chunk + (lo - at), hi - lo));
            for (std::size_t m = 0; m < outputs.size(); ++m)
                s->reader.read_rows("paths", outputs[m].name, lo - h.shard_first,
                                    std::span<double>(values.data() + m * chunk + (lo - at), hi - lo));
        }
        arena.execute([&] { writer.append(parameters, values, count); });
    }
    parameters = {};
    values = {};
    if (sweep) {
        detail::write_sweep_summary(writer, *spec);
    } else {
        if (h0.n_trajectories > 0) {
            const MarketInputs inputs = MarketInputs::load(scenario.run());
            detail::RowPlan plan;
            plan.scenarios = {&scenario};
            plan.seeds = {h0.seed};
            plan.paths_per_point = h0.n_paths;
            plan.end_row = h0.n_paths;
            const auto traces = detail::compute_traces(plan, inputs, h0.n_trajectories, threads, false);
            std::vector<std::uint64_t> indices(traces.size());
            for (std::uint64_t k = 0; k < indices.size(); ++k) indices[k] = k;
            writer.write_trajectories(indices, traces);
        }
        writer.write_summary();
    }
    writer.mark_complete();
    return MergeResult{first.filetype, h0.n_paths, h0.shard_count};
}

}  // namespace wipeout
