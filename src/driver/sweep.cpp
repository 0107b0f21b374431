// Parameter sweeps: axes parsed from the command line, grid and Latin-hypercube points, per-point scenarios
// and seeds, and the wipeout-sweep file's own layout (point coordinates, re-run commands, per-point summary).
#include "wipeout/sweep.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include "row_runner.h"
#include "sweep_file.h"
#include "wipeout/error.h"
#include "wipeout/h5.h"
#include "wipeout/random.h"
#include "wipeout/statistics.h"
#include "wipeout/version.h"

namespace wipeout {
namespace {

constexpr std::uint64_t kMaxRows = std::uint64_t{1} << 48;

std::string strip_spaces(std::string_view s) {
    std::string out;
    for (char c : s)
        if (!std::isspace(static_cast<unsigned char>(c))) out += c;
    return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const auto at = s.find(sep, start);
        parts.emplace_back(
            s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) return parts;
        start = at + 1;
    }
}

double number(const std::string& text, std::string_view axis) {
    char* end = nullptr;
    const double v = text.empty() ? 0.0 : std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
        throw InputError(fmt::format("sweep axis '{}': '{}' is not a finite number", axis, text));
    return v;
}

/// KEY and the rest of KEY=..., with a log: prefix taken off.
SweepAxis split_axis(std::string_view text, std::string_view form) {
    SweepAxis axis;
    axis.text = strip_spaces(text);
    const auto eq = axis.text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == axis.text.size())
        throw InputError(fmt::format("sweep axis '{}': expected {}", text, form));
    axis.key = axis.text.substr(0, eq);
    return axis;
}

std::string axis_rest(const SweepAxis& axis, bool& log) {
    std::string rest = axis.text.substr(axis.key.size() + 1);
    log = rest.rfind("log:", 0) == 0;
    return log ? rest.substr(4) : rest;
}

}  // namespace

std::uint64_t SweepSpec::n_points() const {
    if (design == SweepDesign::LatinHypercube) return points;
    std::uint64_t n = 1;
    for (const auto& a : axes) n *= a.values.size();
    return n;
}

std::uint64_t SweepSpec::point_seed(std::uint64_t p) const {
    return same_seed ? seed : derive_seed(seed, p);
}

std::string SweepSpec::definition() const {
    std::string s = fmt::format("{} seed={} paths={}", design == SweepDesign::Grid ? "grid" : "lhs", seed,
                                paths_per_point);
    if (design == SweepDesign::LatinHypercube) s += fmt::format(" points={}", points);
    if (same_seed) s += " same-seed";
    for (const auto& a : axes) s += " " + a.text;
    return s;
}

SweepAxis parse_grid_axis(std::string_view text) {
    SweepAxis axis = split_axis(text, "KEY=START:STOP:N, KEY=log:START:STOP:N or KEY=v1,v2,...");
    if (const ParameterSpec* spec = find_parameter(axis.key); spec && spec->kind == ParameterKind::Choice) {
        // A choice's values by name, kept as their indices (what /scenario stores).
        for (const auto& name : split(axis.text.substr(axis.key.size() + 1), ',')) {
            const auto it = std::find(spec->choices.begin(), spec->choices.end(), name);
            if (it == spec->choices.end()) {
                std::string names;
                for (auto c : spec->choices) names += (names.empty() ? "" : ", ") + std::string(c);
                throw InputError(fmt::format("sweep axis '{}': '{}' is not one of {}", text, name, names));
            }
            axis.values.push_back(static_cast<double>(it - spec->choices.begin()));
        }
        return axis;
    }
    std::string rest = axis_rest(axis, axis.log);
    if (rest.find(',') != std::string::npos || rest.find(':') == std::string::npos) {
        if (axis.log) throw InputError(fmt::format("sweep axis '{}': log: takes START:STOP:N", text));
        for (const auto& part : split(rest, ',')) axis.values.push_back(number(part, text));
        return axis;
    }
    const auto parts = split(rest, ':');
    if (parts.size() != 3) throw InputError(fmt::format("sweep axis '{}': expected KEY=START:STOP:N", text));
    const double start = number(parts[0], text), stop = number(parts[1], text);
    const double n_value = number(parts[2], text);
    if (n_value < 1 || n_value > 1e6 || n_value != std::floor(n_value))
        throw InputError(
            fmt::format("sweep axis '{}': N = {} is not a whole number in [1, 1000000]", text, parts[2]));
    const auto n = static_cast<std::size_t>(n_value);
    if (axis.log && !(start > 0 && stop > 0))
        throw InputError(fmt::format("sweep axis '{}': a log axis needs START and STOP > 0", text));
    for (std::size_t k = 0; k < n; ++k) {
        const double t = n == 1 ? 0.0 : static_cast<double>(k) / static_cast<double>(n - 1);
        double v = axis.log ? std::exp(std::log(start) + t * (std::log(stop) - std::log(start)))
                            : start + t * (stop - start);
        if (k == 0) v = start;
        if (k + 1 == n && n > 1) v = stop;
        axis.values.push_back(v);
    }
    return axis;
}

SweepAxis parse_hypercube_axis(std::string_view text) {
    SweepAxis axis = split_axis(text, "KEY=LOW:HIGH or KEY=log:LOW:HIGH");
    const auto parts = split(axis_rest(axis, axis.log), ':');
    if (parts.size() != 2) throw InputError(fmt::format("sweep axis '{}': expected KEY=LOW:HIGH", text));
    const double lo = number(parts[0], text), hi = number(parts[1], text);
    if (!(lo < hi)) throw InputError(fmt::format("sweep axis '{}': LOW must be below HIGH", text));
    if (axis.log && !(lo > 0))
        throw InputError(fmt::format("sweep axis '{}': a log axis needs LOW > 0", text));
    axis.values = {lo, hi};
    return axis;
}

SweepSpec parse_sweep_definition(std::string_view definition) {
    SweepSpec spec;
    const auto words = split(definition, ' ');
    if (words.empty() || (words[0] != "grid" && words[0] != "lhs"))
        throw InputError(fmt::format("sweep definition '{}': expected grid or lhs first", definition));
    spec.design = words[0] == "grid" ? SweepDesign::Grid : SweepDesign::LatinHypercube;
    for (std::size_t i = 1; i < words.size(); ++i) {
        const std::string& w = words[i];
        const auto value = [&](std::string_view prefix) {
            return static_cast<std::uint64_t>(std::strtoull(w.c_str() + prefix.size(), nullptr, 10));
        };
        if (w.rfind("seed=", 0) == 0) {
            spec.seed = value("seed=");
        } else if (w.rfind("paths=", 0) == 0) {
            spec.paths_per_point = value("paths=");
        } else if (w.rfind("points=", 0) == 0) {
            spec.points = value("points=");
        } else if (w == "same-seed") {
            spec.same_seed = true;
        } else if (!w.empty()) {
            spec.axes.push_back(spec.design == SweepDesign::Grid ? parse_grid_axis(w)
                                                                 : parse_hypercube_axis(w));
        }
    }
    return spec;
}

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t point) {
    return splitmix64(seed ^ splitmix64(point ^ 0x7377656570ULL)) >> 1;
}

std::vector<std::vector<double>> sweep_values(const SweepSpec& spec) {
    const std::uint64_t n = spec.n_points();
    const std::size_t d = spec.axes.size();
    std::vector<std::vector<double>> points(n, std::vector<double>(d));
    if (spec.design == SweepDesign::Grid) {
        for (std::uint64_t p = 0; p < n; ++p) {
            std::uint64_t rest = p;
            for (std::size_t k = d; k-- > 0;) {
                const auto& values = spec.axes[k].values;
                points[p][k] = values[rest % values.size()];
                rest /= values.size();
            }
        }
        return points;
    }
    // Latin hypercube: per axis, a random permutation of the n strata and a uniform jitter inside each.
    for (std::size_t k = 0; k < d; ++k) {
        RandomStream stream(spec.seed, k, StreamId::Scenario, 0x4C4853);  // "LHS": apart from path streams
        std::vector<std::uint64_t> stratum(n);
        for (std::uint64_t i = 0; i < n; ++i) stratum[i] = i;
        for (std::uint64_t i = n; i > 1; --i) {
            const auto j = static_cast<std::uint64_t>(stream.uniform() * static_cast<double>(i));
            std::swap(stratum[i - 1], stratum[std::min(j, i - 1)]);
        }
        const auto& axis = spec.axes[k];
        const double lo = axis.log ? std::log(axis.values[0]) : axis.values[0];
        const double hi = axis.log ? std::log(axis.values[1]) : axis.values[1];
        for (std::uint64_t p = 0; p < n; ++p) {
            const double u = (static_cast<double>(stratum[p]) + stream.uniform()) / static_cast<double>(n);
            const double v = lo + u * (hi - lo);
            points[p][k] = std::clamp(axis.log ? std::exp(v) : v, axis.values[0], axis.values[1]);
        }
    }
    return points;
}

std::string sweep_assignment(std::string_view key, double value) {
    if (const ParameterSpec* spec = find_parameter(key); spec && spec->kind == ParameterKind::Choice)
        return fmt::format("{}=\"{}\"", key, spec->choices[static_cast<std::size_t>(value)]);
    std::string v = fmt::format("{}", value);  // shortest text that reads back to the same double
    if (v.find_first_of(".eEn") == std::string::npos) v += ".0";
    return fmt::format("{}={}", key, v);
}

Scenario sweep_point_scenario(const Scenario& base, const SweepSpec& spec, std::span<const double> values,
                              std::uint64_t point) {
    Scenario s = base;
    for (std::size_t k = 0; k < spec.axes.size(); ++k) s.set(sweep_assignment(spec.axes[k].key, values[k]));
    s.run().seed = spec.point_seed(point);
    s.run().paths = spec.paths_per_point;
    return s;
}

namespace {

void check_spec(const SweepSpec& spec) {
    if (spec.axes.empty()) throw InputError("a sweep needs at least one --grid or --lhs axis");
    if (spec.paths_per_point == 0) throw InputError("--paths-per-point must be at least 1");
    if (spec.design == SweepDesign::LatinHypercube && spec.points == 0)
        throw InputError("a Latin hypercube needs --points P (at least 1)");
    for (std::size_t i = 0; i < spec.axes.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (spec.axes[i].key == spec.axes[j].key)
                throw InputError(fmt::format("sweep axis '{}' is given twice", spec.axes[i].key));
    const std::uint64_t n = spec.n_points();
    if (n == 0 || n > kMaxRows / spec.paths_per_point)
        throw InputError(fmt::format("{} points of {} paths is too many rows", n, spec.paths_per_point));
}

/// For a resume: the file must hold this very sweep.
void check_resumable_sweep(const std::filesystem::path& path, const ResultsHeader& h,
                           const ResultsHeader& want, const Scenario& base, const SweepSpec& spec) {
    const std::string file = path.string();
    if (h.software_version != kVersion || h.git_sha != kGitSha)
        throw InputError(
            fmt::format("cannot resume {}: written by wipeout {} (git {}), this is wipeout {} "
                        "(git {}) (use --force to start over)",
                        file, h.software_version, h.git_sha, kVersion, kGitSha));
    detail::check_same_shard(path, h, want);
    const ResultsReader r = ResultsReader::open(path, kSweepFiletype);
    const std::string stored = r.file().string_attribute("sweep_definition");
    if (stored != spec.definition())
        throw InputError(
            fmt::format("cannot resume {}: it holds the sweep '{}', not '{}' (use --force to "
                        "start over)",
                        file, stored, spec.definition()));
    bool same = false;
    try {
        same = Scenario::parse(h.scenario, file + ":/scenario") == base;
    } catch (const InputError&) {
    }
    if (!same)
        throw InputError(fmt::format(
            "cannot resume {}: it was written for another scenario (use --force to start over)", file));
}

}  // namespace

RunResult run_sweep(const Scenario& base, const SweepSpec& spec, const RunOptions& o,
                    std::string_view run_prefix) {
    detail::check_run_options(o);
    check_spec(spec);
    if (o.save_trajectories > 0)
        throw InputError("a sweep saves no trajectories (replay a point with wipeout run)");
    const std::uint64_t n_points = spec.n_points();
    const auto values = sweep_values(spec);
    // Every point's scenario first: a bad key or value is refused before the output is touched.
    std::vector<Scenario> scenarios;
    scenarios.reserve(n_points);
    std::vector<std::string> commands;
    for (std::uint64_t p = 0; p < n_points; ++p) {
        scenarios.push_back(sweep_point_scenario(base, spec, values[p], p));
        std::string command(run_prefix);
        for (std::size_t k = 0; k < spec.axes.size(); ++k)
            command += fmt::format(" --set '{}'", sweep_assignment(spec.axes[k].key, values[p][k]));
        command += fmt::format(" --seed {} --paths {}", scenarios.back().run().seed, spec.paths_per_point);
        commands.push_back(std::move(command));
    }
    const MarketInputs inputs = MarketInputs::load(base.run());

    detail::RowJob job;
    job.inputs = &inputs;
    for (const auto& s : scenarios) {
        job.plan.scenarios.push_back(&s);
        job.plan.seeds.push_back(s.run().seed);
    }
    job.plan.paths_per_point = spec.paths_per_point;
    job.plan.end_row = n_points * spec.paths_per_point;
    ResultsHeader header = make_results_header(base, o.command_line, o.chunk_paths, 0);
    header.filetype = kSweepFiletype;
    header.seed = spec.seed;
    header.n_paths = job.plan.end_row;
    if (o.shard_count > 0) {
        std::tie(job.plan.first_row, job.plan.end_row) =
            detail::shard_slice(n_points, spec.paths_per_point, o.shard_index, o.shard_count);
        header.shard_index = o.shard_index;
        header.shard_count = o.shard_count;
        header.shard_first = job.plan.first_row;
        header.shard_end = job.plan.end_row;
    }
    job.open = [&](bool& already_complete) {
        return detail::open_output(
            o, header, base, kSweepFiletype,
            [&](const ResultsHeader& h) { check_resumable_sweep(o.output, h, header, base, spec); },
            already_complete, [&](const ResultsWriter& w) { detail::write_sweep_layout(w, spec, commands); });
    };
    if (o.shard_count == 0) job.finish = [&](ResultsWriter& w) { detail::write_sweep_summary(w, spec); };
    return detail::run_rows(job, o);
}

// ---- the file's sweep layout ----

namespace detail {

void write_sweep_layout(const ResultsWriter& writer, const SweepSpec& spec,
                        const std::vector<std::string>& commands) {
    const h5::File& f = writer.file();
    const std::uint64_t n = spec.n_points();
    const auto values = sweep_values(spec);
    std::vector<std::string> keys;
    for (const auto& a : spec.axes) keys.push_back(a.key);
    // A choice axis holds indices: its names go with it, as /scenario's choices do.
    const auto name_choices = [](const h5::Dataset& d, const std::string& key) {
        if (const ParameterSpec* p = find_parameter(key); p && p->kind == ParameterKind::Choice) {
            const std::vector<std::string> names(p->choices.begin(), p->choices.end());
            d.set_attribute("choices", std::span<const std::string>(names));
        }
    };
    f.set_attribute("sweep_design", spec.design == SweepDesign::Grid ? "grid" : "latin_hypercube");
    f.set_attribute("sweep_definition", spec.definition());
    f.set_attribute("sweep_keys", std::span<const std::string>(keys));
    f.set_attribute("n_points", n);
    f.set_attribute("paths_per_point", spec.paths_per_point);

    std::vector<std::int64_t> index(n);
    for (std::uint64_t p = 0; p < n; ++p) index[p] = static_cast<std::int64_t>(p);
    h5::Dataset point = f.write_dataset<std::int64_t>("point", index);
    point.set_attribute("doc", "sweep point index: rows [p * paths_per_point, (p + 1) * paths_per_point)");
    h5::make_dimension_scale(point, "point");
    h5::ScaleAttachments scales;
    const h5::Group g = f.create_group("sweep");
    g.set_attribute("doc",
                    "each point's coordinates, run seed and the wipeout run command that re-runs it alone");
    for (std::size_t k = 0; k < spec.axes.size(); ++k) {
        std::vector<double> column(n);
        for (std::uint64_t p = 0; p < n; ++p) column[p] = values[p][k];
        h5::Dataset d = g.write_dataset<double>(spec.axes[k].key, column);
        d.set_attribute("doc", fmt::format("value of {} at each point", spec.axes[k].key));
        d.set_attribute("axis", spec.axes[k].text);
        name_choices(d, spec.axes[k].key);
        scales.attach(d, 0, point);
    }
    std::vector<std::uint64_t> seeds(n);
    for (std::uint64_t p = 0; p < n; ++p) seeds[p] = spec.point_seed(p);
    h5::Dataset seed = g.write_dataset<std::uint64_t>("seed", seeds);
    seed.set_attribute("doc", spec.same_seed
                                  ? "the point's run seed: the sweep's own at every point (same-seed)"
                                  : "the point's run seed, derive_seed(seed, point) (SplitMix64, 63 bits)");
    scales.attach(seed, 0, point);
    h5::Dataset command = g.write_strings("command", commands);
    command.set_attribute("doc", "wipeout run command that reproduces the point's rows bit for bit");
    scales.attach(command, 0, point);
    if (spec.design == SweepDesign::Grid) {
        const h5::Group axes = f.create_group("grid");
        axes.set_attribute("doc", "the grid's axes: dimension scales of /summary, named after the keys");
        for (const auto& a : spec.axes) {
            h5::Dataset d = axes.write_dataset<double>(a.key, a.values);
            d.set_attribute("axis", a.text);
            name_choices(d, a.key);
            h5::make_dimension_scale(d, a.key);
        }
    }
    scales.write();
    f.flush();
}

std::vector<std::string> read_sweep_commands(const ResultsReader& reader) {
    return reader.file().open_group("sweep").open_dataset("command").read_strings();
}

void write_sweep_summary(const ResultsWriter& writer, const SweepSpec& spec) {
    const h5::File& f = writer.file();
    const std::uint64_t n_points = spec.n_points();
    const std::uint64_t per = spec.paths_per_point;
    const std::uint64_t rows = n_points * per;
    h5::ScaleAttachments scales;
    const h5::Dataset path_scale = f.open_dataset("path");

    // /path_point and /path_index: which point each row belongs to and its path index in that point's run.
    for (const char* name : {"path_point", "path_index"}) {
        if (f.contains(name)) f.remove(name);
        const hsize_t dims = rows;
        h5::DatasetLayout layout;
        layout.chunk = {std::clamp<hsize_t>(rows, 1, 1 << 16)};
        layout.deflate = 1;
        layout.shuffle = true;
        h5::Dataset d = f.create_dataset(name, H5T_STD_I64LE, std::span<const hsize_t>(&dims, 1), layout);
        const bool is_point = std::string_view(name) == "path_point";
        d.set_attribute(
            "doc", is_point ? "the sweep point of each row" : "each row's path index within its point's run");
        constexpr std::uint64_t kBlock = 1 << 20;
        std::vector<std::int64_t> block;
        for (std::uint64_t first = 0; first < rows; first += kBlock) {
            const std::uint64_t count = std::min(kBlock, rows - first);
            block.resize(count);
            for (std::uint64_t i = 0; i < count; ++i)
                block[i] = static_cast<std::int64_t>(is_point ? (first + i) / per : (first + i) % per);
            const hsize_t offset = first, c = count;
            d.write<std::int64_t>(block, std::span<const hsize_t>(&offset, 1),
                                  std::span<const hsize_t>(&c, 1));
        }
        scales.attach(d, 0, path_scale);
    }

    // Per point and output, the statistics of run's /summary over that point's rows.
    const auto outputs = output_specs();
    const std::size_t n_out = outputs.size();
    std::vector<Summary> stats(n_points * n_out);
    const h5::Group paths = f.open_group("paths");
    for (std::size_t o = 0; o < n_out; ++o) {
        const auto column = paths.open_dataset(outputs[o].name).read_all<double>();
        tbb::parallel_for(std::uint64_t{0}, n_points, [&](std::uint64_t p) {
            std::vector<double> values(column.begin() + static_cast<std::ptrdiff_t>(p * per),
                                       column.begin() + static_cast<std::ptrdiff_t>((p + 1) * per));
            stats[p * n_out + o] = summarize(values, outputs[o].kind, outputs[o].tail);
        });
    }

    if (f.contains("summary")) f.remove("summary");
    const h5::Group g = f.create_group("summary");
    g.set_attribute("doc",
                    spec.design == SweepDesign::Grid
                        ? "statistics of each output at each grid point: [<axis 1>, ..., <axis k>, output]"
                        : "statistics of each output at each point: [point, output]");
    write_summary_definitions(f, "summary");
    std::vector<std::string> names, units, kinds, tails;
    for (const auto& s : outputs) {
        names.emplace_back(s.name);
        units.emplace_back(s.unit);
        kinds.emplace_back(kind_name(s.kind));
        tails.emplace_back(tail_name(s.tail));
    }
    h5::Dataset output = g.write_strings("output", names);
    output.set_attribute("doc", "output name (the /paths dataset)");
    h5::make_dimension_scale(output, "output");
    for (const auto& [name, column] :
         {std::pair{"unit", &units}, {"kind", &kinds}, {"adverse_tail", &tails}}) {
        h5::Dataset d = g.write_strings(name, *column);
        scales.attach(d, 0, output);
    }
    std::vector<hsize_t> dims;
    std::vector<h5::Dataset> axis_scales;
    if (spec.design == SweepDesign::Grid) {
        const h5::Group grid = f.open_group("grid");
        for (const auto& a : spec.axes) {
            dims.push_back(a.values.size());
            axis_scales.push_back(grid.open_dataset(a.key));
        }
    } else {
        dims.push_back(n_points);
        axis_scales.push_back(f.open_dataset("point"));
    }
    dims.push_back(n_out);
    const auto attach_all = [&](const h5::Dataset& d, std::string_view doc) {
        d.set_attribute("doc", doc);
        for (std::size_t k = 0; k < axis_scales.size(); ++k)
            scales.attach(d, static_cast<unsigned>(k), axis_scales[k]);
        scales.attach(d, static_cast<unsigned>(axis_scales.size()), output);
    };
    std::vector<std::uint64_t> counts(stats.size());
    for (const bool missing : {false, true}) {
        for (std::size_t i = 0; i < stats.size(); ++i) counts[i] = missing ? stats[i].n_missing : stats[i].n;
        h5::Dataset d = g.create_dataset(missing ? "n_missing" : "n", H5T_STD_U64LE, dims);
        d.write<std::uint64_t>(counts);
        attach_all(d, missing ? "NaN or infinite values left out" : "finite values summarized");
    }
    std::vector<double> column(stats.size());
    for (std::size_t s = 0; s < summary_statistic_count(); ++s) {
        for (std::size_t i = 0; i < stats.size(); ++i) column[i] = summary_statistic(stats[i], s);
        h5::Dataset d = g.create_dataset(summary_statistic_name(s), H5T_IEEE_F64LE, dims);
        d.write<double>(column);
        attach_all(d, summary_statistic_doc(s));
    }
    scales.write();
    f.flush();
}

}  // namespace detail
}  // namespace wipeout
