// What the Monte Carlo driver adds to the engine's own cost, per path: sampling a path's parameters,
// compressing and writing its chunk, and summarizing at the end. Compare with BM_engine_path.
#include <filesystem>
#include <optional>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>

#include "wipeout/cascade_engine.h"
#include "wipeout/results_file.h"
#include "wipeout/scenario.h"
#include "wipeout/statistics.h"
#include "wipeout/tiers.h"

namespace {

using namespace wipeout;

/// The default scenario's parameter draw for one path (items: paths).
void BM_scenario_sample(benchmark::State& state) {
    const Scenario scenario = Scenario::builtin();
    std::vector<double> values(parameter_specs().size());
    std::uint64_t path = 0;
    for (auto _ : state) benchmark::DoNotOptimize(scenario.sample(1, path++, values));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_scenario_sample);

/// One engine path of the default scenario, for scale (items: paths).
void BM_engine_path(benchmark::State& state) {
    const Scenario scenario = Scenario::builtin();
    CascadeEngine engine(TierTable::btc_default());
    std::uint64_t path = 0;
    for (auto _ : state) {
        const CascadeParams params = scenario.sample(1, path, {});
        benchmark::DoNotOptimize(engine.run(params, 1, path++));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_engine_path)->Unit(benchmark::kMicrosecond);

/// Compressing and writing one 8192-path chunk on one thread (items: paths). The outputs are log-normal
/// noise, harder to compress than real outputs: an upper bound.
void BM_chunk_append(benchmark::State& state) {
    const std::uint64_t chunk = 8192;
    const auto file = std::filesystem::temp_directory_path() / "wipeout_bench_append.h5";
    Scenario scenario = Scenario::builtin();
    std::vector<double> parameters(parameter_specs().size() * chunk);
    std::vector<double> outputs(output_specs().size() * chunk);
    std::vector<double> values(parameter_specs().size());
    for (std::uint64_t i = 0; i < chunk; ++i) {
        scenario.sample(1, i, values);
        for (std::size_t p = 0; p < values.size(); ++p) parameters[p * chunk + i] = values[p];
    }
    std::mt19937_64 rng(1);
    std::lognormal_distribution<double> noise(0.0, 1.0);
    for (double& v : outputs) v = noise(rng);
    tbb::task_arena one(1);
    const std::uint64_t chunks_per_file = 64;
    scenario.run().paths = chunk * chunks_per_file;
    std::uint64_t written = chunks_per_file;
    std::optional<ResultsWriter> writer;
    for (auto _ : state) {
        if (written == chunks_per_file) {  // a fresh file every 64 chunks
            state.PauseTiming();
            writer.reset();
            writer.emplace(
                ResultsWriter::create(file, make_results_header(scenario, "bench", chunk, 0), scenario));
            written = 0;
            state.ResumeTiming();
        }
        one.execute([&] { writer->append(parameters, outputs, chunk); });
        ++written;
    }
    writer.reset();
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(chunk));
    std::filesystem::remove(file);
}
BENCHMARK(BM_chunk_append)->Unit(benchmark::kMillisecond);

/// Every statistic of one output over 10^6 paths (items: values).
void BM_summarize(benchmark::State& state) {
    std::mt19937_64 rng(2);
    std::lognormal_distribution<double> noise(0.0, 1.0);
    std::vector<double> column(1000000);
    for (double& v : column) v = noise(rng);
    std::vector<double> work(column.size());
    for (auto _ : state) {
        state.PauseTiming();
        work = column;
        state.ResumeTiming();
        benchmark::DoNotOptimize(summarize(work, OutputKind::Real, AdverseTail::Upper));
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(column.size()));
}
BENCHMARK(BM_summarize)->Unit(benchmark::kMillisecond);

}  // namespace
