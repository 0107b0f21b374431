// Cost of one path of the cascade engine (docs/performance.md): the engine's defaults, their population build
// alone, the built-in default scenario (parameters sampled per path, as `wipeout run` does) and the same on a
// position snapshot drawn from its crowd, loading a snapshot, and the two drivers of the cost model "cost = a + b * cohorts + c * steps" varied one at a time (the
// cohort grid's entry bins, the horizon). scripts/bench_engine.sh runs it and reads the model off.
//
// Every benchmark cycles through the same paths (seed 42, indices 0..kPaths-1), one path per iteration, so
// two runs, or two builds, average over the same paths. Counters are per path.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "wipeout/cascade_engine.h"
#include "wipeout/market_inputs.h"
#include "wipeout/population.h"
#include "wipeout/position_snapshot.h"
#include "wipeout/scenario.h"
#include "wipeout/tiers.h"

namespace {

using namespace wipeout;

constexpr std::uint64_t kSeed = 42;
constexpr std::uint64_t kPaths = 256;  // iterations are a multiple of this: every path weighs the same

// Runs path i of the run with parameters params_of(i), one path per iteration.
template <class Params>
void run_paths_with(benchmark::State& state, Params&& params_of, std::uint64_t paths = kPaths,
                    CascadeEngine engine = CascadeEngine(TierTable::btc_default())) {
    double steps = 0, take_overs = 0, partial_cuts = 0, blocks = 0, cohorts = 0, adl_rounds = 0;
    std::uint64_t path = 0;
    for (auto _ : state) {
        const PathOutputs out = engine.run(params_of(path), kSeed, path);
        benchmark::DoNotOptimize(out.max_drawdown);
        const EngineCounters& c = engine.last_counters();
        steps += static_cast<double>(c.steps);
        take_overs += static_cast<double>(c.take_overs);
        partial_cuts += static_cast<double>(c.partial_cuts);
        blocks += static_cast<double>(c.grid_blocks);
        cohorts += static_cast<double>(c.cohorts);
        adl_rounds += static_cast<double>(c.adl_rounds);
        path = (path + 1) % paths;
    }
    const auto per_path = benchmark::Counter::kAvgIterations;
    state.counters["steps"] = benchmark::Counter(steps, per_path);
    state.counters["cohorts"] = benchmark::Counter(cohorts, per_path);
    state.counters["take_overs"] = benchmark::Counter(take_overs, per_path);
    state.counters["partial_cuts"] = benchmark::Counter(partial_cuts, per_path);
    state.counters["grid_blocks"] = benchmark::Counter(blocks, per_path);
    state.counters["adl_rounds"] = benchmark::Counter(adl_rounds, per_path);
}

void run_paths(benchmark::State& state, const CascadeParams& params) {
    run_paths_with(state, [&](std::uint64_t) -> const CascadeParams& { return params; });
}

// One path at the defaults (CascadeParams{}): population build, clock steps, take-overs, outputs.
void BM_path_defaults(benchmark::State& state) {
    run_paths(state, CascadeParams{});
}

// The built-in default scenario, each path's parameters sampled as `wipeout run` samples them (sampling
// included, about 1.5 us): what a user's run costs per path. Its cascades are far heavier than the engine
// defaults' (shocks up to 30%, ADL on a few paths in a hundred), so it cycles through 4x as many paths.
constexpr std::uint64_t kScenarioPaths = 4 * kPaths;
void BM_path_default_scenario(benchmark::State& state) {
    const Scenario scenario = Scenario::builtin();
    CascadeParams params;
    run_paths_with(
        state,
        [&](std::uint64_t path) -> const CascadeParams& { return params = scenario.sample(kSeed, path); },
        kScenarioPaths);
}

// The default scenario before issue #13 (experiments/grid_crowd.toml): the grid crowd with a hard clearance,
// which liquidates nothing on most paths, so it costs less per path than the default's crowd shaped by the
// market's history; compare the two on the same paths.
void BM_path_grid_scenario(benchmark::State& state) {
    const Scenario scenario = Scenario::load(WIPEOUT_SOURCE_DIR "/experiments/grid_crowd.toml");
    CascadeParams params;
    run_paths_with(
        state,
        [&](std::uint64_t path) -> const CascadeParams& { return params = scenario.sample(kSeed, path); },
        kScenarioPaths);
}

// The population build alone (the per-path fixed cost), at the defaults.
void BM_population_build(benchmark::State& state) {
    const CascadeParams params;
    PopulationScratch scratch;
    Population population;
    for (auto _ : state) {
        build_population(params, TierTable::btc_default(), scratch, population);
        benchmark::DoNotOptimize(population.long_qty_per_weight);
    }
    state.counters["cohorts"] = static_cast<double>(population.cohort_count());
}

// More cohorts, the same steps: entry_bins x arg / 1.
void BM_path_entry_bins(benchmark::State& state) {
    CascadeParams params;
    params.entry_bins *= static_cast<int>(state.range(0));
    run_paths(state, params);
}

// More or fewer steps, the same cohorts: horizon x arg / 2 (arg 1: half the day, 4: two days).
void BM_path_horizon(benchmark::State& state) {
    CascadeParams params;
    params.horizon_s *= static_cast<double>(state.range(0)) / 2.0;
    run_paths(state, params);
}

// A position snapshot of `positions` drawn from the default scenario's path-0 crowd (`wipeout snapshot`), and the
// oi_scale that carries the crowd's open interest.
DrawnSnapshot default_snapshot(std::size_t positions) {
    const CascadeParams params = Scenario::builtin().sample(1, 0);
    PopulationScratch scratch;
    Population crowd;
    build_population(params, TierTable::btc_default(), scratch, crowd);
    SnapshotDraw draw;
    draw.positions = positions;
    draw.accounts = positions / 30;
    draw.cross_share = 0.15;
    return draw_snapshot(crowd, params.reference_price, draw);
}

// Reading a snapshot of arg positions and building its cohorts: once per run (a million positions must load in
// seconds).
void BM_snapshot_load(benchmark::State& state) {
    const DrawnSnapshot drawn = default_snapshot(static_cast<std::size_t>(state.range(0)));
    const CascadeParams params = Scenario::builtin().sample(1, 0);
    Population population;
    PositionSnapshot::Summary summary;
    for (auto _ : state) {
        const PositionSnapshot snapshot = PositionSnapshot::parse_csv(drawn.csv, "bench.csv", TierTable::btc_default());
        summary = snapshot.build(TierTable::btc_default(), params.liquidation_fee, params.reference_price,
                                 drawn.oi_scale, population);
        benchmark::DoNotOptimize(population.long_oi);
    }
    state.counters["cohorts"] = static_cast<double>(summary.cohorts);
    state.counters["positions_per_s"] =
        benchmark::Counter(static_cast<double>(state.range(0)), benchmark::Counter::kIsIterationInvariantRate);
}

// The default scenario with its crowd replaced by a 100,000-position snapshot drawn from it: compare with
// BM_path_default_scenario (same paths, same sampled parameters but the crowd's).
void BM_path_snapshot_scenario(benchmark::State& state) {
    const Scenario scenario = Scenario::builtin();
    const DrawnSnapshot drawn = default_snapshot(100000);
    MarketInputs inputs{TierTable::btc_default(), std::nullopt,
                        std::make_shared<const PositionSnapshot>(
                            PositionSnapshot::parse_csv(drawn.csv, "bench.csv", TierTable::btc_default())),
                        std::nullopt};
    CascadeParams params;
    run_paths_with(
        state,
        [&](std::uint64_t path) -> const CascadeParams& {
            params = scenario.sample(kSeed, path);
            params.oi_scale = drawn.oi_scale;
            return params;
        },
        kScenarioPaths, CascadeEngine(inputs));
}

constexpr auto kIterations = static_cast<benchmark::IterationCount>(4 * kPaths);

// With --benchmark_repetitions, the fastest repetition too: on a shared machine the minimum is the steadiest
// estimate of the uncontended cost.
double fastest(const std::vector<double>& v) {
    return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end());
}

BENCHMARK(BM_path_defaults)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kIterations)
    ->ComputeStatistics("min", fastest);
BENCHMARK(BM_path_default_scenario)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(static_cast<benchmark::IterationCount>(kScenarioPaths))
    ->ComputeStatistics("min", fastest);
BENCHMARK(BM_path_grid_scenario)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(static_cast<benchmark::IterationCount>(kScenarioPaths))
    ->ComputeStatistics("min", fastest);
BENCHMARK(BM_population_build)->Unit(benchmark::kMicrosecond)->ComputeStatistics("min", fastest);
BENCHMARK(BM_path_snapshot_scenario)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(static_cast<benchmark::IterationCount>(kScenarioPaths))
    ->ComputeStatistics("min", fastest);
BENCHMARK(BM_snapshot_load)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->ComputeStatistics("min", fastest);
BENCHMARK(BM_path_entry_bins)
    ->Arg(2)
    ->Arg(4)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kIterations)
    ->ComputeStatistics("min", fastest);
BENCHMARK(BM_path_horizon)
    ->Arg(1)
    ->Arg(4)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kIterations)
    ->ComputeStatistics("min", fastest);

}  // namespace

BENCHMARK_MAIN();
