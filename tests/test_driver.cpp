// The Monte Carlo driver: bit-identical results for any thread count, stop + resume equal to an
// uninterrupted run, refusals to overwrite or to resume another run, trajectories and replayable paths.
#include <atomic>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "wipeout/cascade_engine.h"
#include "wipeout/driver.h"
#include "wipeout/error.h"
#include "wipeout/h5.h"
#include "wipeout/results_file.h"
#include "wipeout/tiers.h"

#include "temp_dir.h"

using namespace wipeout;
using wipeout::test::TempDir;
using Catch::Matchers::Contains;

namespace {

Scenario small_scenario(std::uint64_t paths, std::uint64_t seed = 11) {
    Scenario s = Scenario::builtin();
    s.run().paths = paths;
    s.run().seed = seed;
    return s;
}

RunOptions quiet_options(const std::filesystem::path& output, unsigned threads, std::uint64_t chunk = 64) {
    RunOptions o;
    o.output = output;
    o.threads = threads;
    o.chunk_paths = chunk;
    o.command_line = "test";
    return o;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

/// Every per-path column and every summary statistic of a results file, by name.
std::map<std::string, std::vector<double>> contents(const std::filesystem::path& file) {
    std::map<std::string, std::vector<double>> out;
    const ResultsReader r = ResultsReader::open(file);
    for (const auto& spec : parameter_specs())
        out["scenario/" + std::string(spec.key)] = r.read_parameter(spec.key);
    for (const auto& spec : output_specs()) out["paths/" + std::string(spec.name)] = r.read_output(spec.name);
    for (const auto& row : r.read_summary()) {
        const Summary& s = row.stats;
        std::vector<double> v{static_cast<double>(s.n), s.mean,          s.sd, s.se, s.probability,
                              s.probability_lo,         s.probability_hi};
        v.insert(v.end(), s.quantiles.begin(), s.quantiles.end());
        v.insert(v.end(), s.shortfalls.begin(), s.shortfalls.end());
        out["summary/" + row.name] = v;
    }
    return out;
}

void check_identical(const std::filesystem::path& a, const std::filesystem::path& b) {
    const auto ca = contents(a);
    const auto cb = contents(b);
    REQUIRE(ca.size() == cb.size());
    for (const auto& [name, values] : ca) {
        INFO(name);
        CHECK(same_bits(values, cb.at(name)));
    }
}

}  // namespace

TEST_CASE("driver: results are bit-identical for any thread count", "[driver]") {
    TempDir dir("wipeout_test_driver_threads");
    const Scenario s = small_scenario(300);
    const RunResult one = run_scenario(s, quiet_options(dir.path / "t1.h5", 1));
    const RunResult two = run_scenario(s, quiet_options(dir.path / "t2.h5", 2));
    CHECK(one.complete);
    CHECK(two.complete);
    CHECK(one.n_paths_done == 300);
    check_identical(dir.path / "t1.h5", dir.path / "t2.h5");
    // Another chunk size changes nothing either.
    run_scenario(s, quiet_options(dir.path / "t3.h5", 2, 100));
    check_identical(dir.path / "t1.h5", dir.path / "t3.h5");
}

TEST_CASE("driver: each stored path replays alone from (scenario, seed, index)", "[driver]") {
    TempDir dir("wipeout_test_driver_replay");
    const Scenario s = small_scenario(40);
    run_scenario(s, quiet_options(dir.path / "r.h5", 2, 16));
    const ResultsReader r = ResultsReader::open(dir.path / "r.h5");
    CascadeEngine engine(TierTable::btc_default());
    for (std::uint64_t i : {0u, 17u, 39u}) {
        const PathOutputs out = engine.run(s.sample(s.run().seed, i), s.run().seed, i);
        for (const auto& spec : output_specs()) {
            INFO(spec.name << " of path " << i);
            const double stored = r.read_output(spec.name)[i];
            const double replayed = out.*spec.member;
            CHECK(std::memcmp(&stored, &replayed, sizeof(double)) == 0);
        }
        const std::size_t k =
            static_cast<std::size_t>(find_parameter("shock.size") - parameter_specs().data());
        std::vector<double> values(parameter_specs().size());
        s.sample(s.run().seed, i, values);
        CHECK(r.read_parameter("shock.size")[i] == values[k]);
    }
}

TEST_CASE("driver: a stopped run resumes to exactly the uninterrupted result", "[driver]") {
    TempDir dir("wipeout_test_driver_resume");
    const Scenario s = small_scenario(300);
    run_scenario(s, quiet_options(dir.path / "full.h5", 2));

    std::atomic<int> stop{0};
    RunOptions o = quiet_options(dir.path / "part.h5", 2);
    o.stop = &stop;
    o.on_chunk_written = [&](std::uint64_t done) {
        if (done >= 128) stop.store(1);  // as a SIGINT would: the driver finishes this chunk and stops
    };
    const RunResult stopped = run_scenario(s, o);
    CHECK_FALSE(stopped.complete);
    CHECK(stopped.n_paths_done == 128);
    {
        const ResultsReader r = ResultsReader::open(dir.path / "part.h5");
        CHECK_FALSE(r.header().complete);
        CHECK(r.header().n_paths_done == 128);
        CHECK_FALSE(r.has_summary());
        CHECK(r.read_output("max_drawdown").size() == 128);
    }
    // An incomplete file is neither overwritten nor continued without being asked.
    CHECK_THROWS_WITH(run_scenario(s, quiet_options(dir.path / "part.h5", 1)), Contains("--resume"));

    RunOptions resume = quiet_options(dir.path / "part.h5", 1, 999);  // the file's own chunk grid wins
    resume.resume = true;
    const RunResult resumed = run_scenario(s, resume);
    CHECK(resumed.complete);
    CHECK(resumed.paths_this_session == 300 - 128);
    check_identical(dir.path / "full.h5", dir.path / "part.h5");
    // Resuming a complete file is a no-op that succeeds.
    const RunResult again = run_scenario(s, resume);
    CHECK(again.complete);
    CHECK(again.paths_this_session == 0);
}

TEST_CASE("driver: resume refuses a file from another run", "[driver]") {
    TempDir dir("wipeout_test_driver_refuse_resume");
    const Scenario s = small_scenario(200);
    std::atomic<int> stop{1};  // stop before the first chunk: an empty, incomplete file
    RunOptions o = quiet_options(dir.path / "p.h5", 1);
    o.stop = &stop;
    CHECK(run_scenario(s, o).n_paths_done == 0);

    RunOptions resume = quiet_options(dir.path / "p.h5", 1);
    resume.resume = true;
    CHECK_THROWS_WITH(run_scenario(small_scenario(200, 12), resume), Contains("seed"));
    CHECK_THROWS_WITH(run_scenario(small_scenario(201), resume), Contains("paths"));
    Scenario other = s;
    other.set("shock.size=0.2");
    CHECK_THROWS_WITH(run_scenario(other, resume), Contains("shock.size"));
    RunOptions missing = resume;
    missing.output = dir.path / "none.h5";
    CHECK_THROWS_WITH(run_scenario(s, missing), Contains("nothing to resume"));
    RunOptions both = resume;
    both.force = true;
    CHECK_THROWS_AS(run_scenario(s, both), InputError);
    // The refusals left the file as it was; resuming the right run completes it.
    CHECK(run_scenario(s, resume).complete);
}

TEST_CASE("driver: an existing file is never overwritten without force", "[driver]") {
    TempDir dir("wipeout_test_driver_overwrite");
    const Scenario s = small_scenario(50);
    const auto file = dir.path / "sub" / "dir" / "o.h5";  // parent directories are created
    CHECK(run_scenario(s, quiet_options(file, 2)).complete);
    const auto first = contents(file);
    CHECK_THROWS_WITH(run_scenario(small_scenario(50, 99), quiet_options(file, 2)), Contains("--force"));
    CHECK(same_bits(contents(file).at("paths/max_drawdown"), first.at("paths/max_drawdown")));
    RunOptions force = quiet_options(file, 2);
    force.force = true;
    CHECK(run_scenario(small_scenario(50, 99), force).complete);
    CHECK(ResultsReader::open(file).header().seed == 99);
    // Something that is not a results file is not overwritten either.
    const auto text = dir.path / "notes.h5";
    {
        std::FILE* f = std::fopen(text.c_str(), "w");
        std::fputs("my notes", f);
        std::fclose(f);
    }
    CHECK_THROWS_WITH(run_scenario(s, quiet_options(text, 1)), Contains("not a wipeout results file"));
}

TEST_CASE("driver: trajectories, invariant checks and progress", "[driver]") {
    TempDir dir("wipeout_test_driver_traj");
    const Scenario s = small_scenario(70);
    RunOptions o = quiet_options(dir.path / "t.h5", 2, 32);
    o.save_trajectories = 3;
    o.check_invariants = true;
    std::vector<RunProgress> reports;
    o.on_progress = [&](const RunProgress& p) { reports.push_back(p); };
    o.progress_interval = std::chrono::milliseconds(1);
    const RunResult result = run_scenario(s, o);
    CHECK(result.complete);
    REQUIRE_FALSE(reports.empty());
    CHECK(reports.back().paths_done == 70);
    CHECK(reports.back().paths_total == 70);

    const ResultsReader r = ResultsReader::open(dir.path / "t.h5");
    CHECK(r.header().n_trajectories == 3);
    const h5::File f = h5::File::open(dir.path / "t.h5", false);
    const h5::Group g = f.open_group("trajectories");
    CHECK(g.open_dataset("trajectory").read_all<std::int64_t>() == std::vector<std::int64_t>{0, 1, 2});
    const auto rows = g.open_dataset("n_rows").read_all<std::int32_t>();
    REQUIRE(rows.size() == 3);
    for (auto n : rows) CHECK(n > 1);
    // The traced path is the stored path: its lowest trade price is the stored trough (within a step).
    const auto price = g.open_dataset("trade_price").read_all<double>();
    const auto width = g.open_dataset("trade_price").shape()[1];
    double lowest = price[0];
    for (std::int32_t i = 0; i < rows[0]; ++i) lowest = std::min(lowest, price[static_cast<std::size_t>(i)]);
    CHECK(lowest >= r.read_output("trough_price")[0] * (1 - 1e-12));
    CHECK(width >= static_cast<hsize_t>(rows[0]));
}
