#pragma once
// Parameter sweeps: a grid (Cartesian product of axes) or a Latin hypercube over scenario entries, a fixed
// value (`shock.size`) or one parameter of an entry's distribution (`shock.size.median`). Point p runs
// `paths_per_point` paths with the base scenario plus its assignments and the run seed
// derive_seed(seed, p), so `wipeout run SCENARIO --set KEY=VALUE ... --seed <derived> --paths N` re-runs it
// alone and gives the same rows. The file (filetype wipeout-sweep) is laid out in docs/results_format.md.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wipeout/driver.h"
#include "wipeout/scenario.h"

namespace wipeout {

inline constexpr std::string_view kSweepFiletype = "wipeout-sweep";

enum class SweepDesign { Grid, LatinHypercube };

struct SweepAxis {
    std::string key;             ///< a scenario key (shock.size) or key.parameter (shock.size.median)
    std::vector<double> values;  ///< grid: the axis's values; Latin hypercube: {low, high}
    bool log = false;            ///< log-spaced grid, log-uniform hypercube
    std::string text;            ///< as written (KEY=START:STOP:N, KEY=v1,v2, KEY=log:LO:HI)
};

struct SweepSpec {
    SweepDesign design = SweepDesign::Grid;
    std::vector<SweepAxis> axes;
    std::uint64_t points = 0;  ///< Latin hypercube: how many points (a grid: the product of its axes)
    std::uint64_t paths_per_point = 0;
    std::uint64_t seed = 1;
    /// Every point runs with `seed` itself (common random numbers: the same paths at every point, so the
    /// points differ only by their parameters) instead of derive_seed(seed, p).
    bool same_seed = false;

    std::uint64_t n_points() const;
    /// The run seed of point p.
    std::uint64_t point_seed(std::uint64_t p) const;
    /// One line that parse_sweep_definition reads back: "grid seed=1 paths=100 shock.size=0.05:0.2:4 ...".
    std::string definition() const;
};

/// KEY=START:STOP:N (linear), KEY=log:START:STOP:N, or KEY=v1,v2,... (InputError naming the text). A choice
/// parameter's values are its names (adl.design=queue,pro-rata), kept as their indices.
SweepAxis parse_grid_axis(std::string_view text);
/// KEY=LOW:HIGH or KEY=log:LOW:HIGH.
SweepAxis parse_hypercube_axis(std::string_view text);
SweepSpec parse_sweep_definition(std::string_view definition);

/// Point p's run seed: SplitMix64 of (seed, p), 63 bits (a valid [run] seed).
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t point);

/// The value of each axis at each point, point-major: grid points in row-major order (last axis
/// fastest); hypercube points stratified per axis, deterministic from the seed.
std::vector<std::vector<double>> sweep_values(const SweepSpec& spec);

/// `KEY=VALUE` with VALUE in its shortest exact form (what `--set` reads back to the same double); a choice
/// parameter's index as its quoted name.
std::string sweep_assignment(std::string_view key, double value);

/// The base scenario with point `values` applied (checked like --set: InputError naming key and value),
/// the point's seed and paths_per_point paths.
Scenario sweep_point_scenario(const Scenario& base, const SweepSpec& spec, std::span<const double> values,
                              std::uint64_t point);

/// Runs the sweep into options.output (shards: a slice of the points; ranks: as run_scenario).
/// `run_prefix` starts each point's recorded re-run command ("wipeout run scenario.toml --set ...").
RunResult run_sweep(const Scenario& base, const SweepSpec& spec, const RunOptions& options,
                    std::string_view run_prefix);

}  // namespace wipeout
