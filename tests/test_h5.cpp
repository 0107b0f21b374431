// The HDF5 layer and the results file: attributes, datasets, dimension scales, chunked streaming through
// pre-compressed chunks, completeness, trimming on reopen, and the reader's refusals.
#include <H5Rpublic.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "wipeout/error.h"
#include "wipeout/h5.h"
#include "wipeout/results_file.h"

#include "temp_dir.h"

using namespace wipeout;
using wipeout::test::TempDir;
using Catch::Matchers::Contains;

namespace {

/// A block of `chunk` rows per column, column-major, where every value encodes (column, path).
std::vector<double> block(std::size_t columns, std::uint64_t chunk, std::uint64_t first, std::uint64_t count,
                          bool integral) {
    std::vector<double> b(columns * chunk, 0.0);
    for (std::size_t c = 0; c < columns; ++c)
        for (std::uint64_t i = 0; i < count; ++i)
            b[c * chunk + i] = integral
                                   ? static_cast<double>((c + first + i) % 2)
                                   : 1000.0 * static_cast<double>(c) + 0.25 * static_cast<double>(first + i);
    return b;
}

}  // namespace

TEST_CASE("h5: attributes of every kind round-trip", "[h5]") {
    TempDir dir("wipeout_test_h5_attr");
    const auto file_path = dir.path / "a.h5";
    {
        const h5::File f = h5::File::create(file_path);
        f.set_attribute("text", "hello");
        f.set_attribute("count", std::uint64_t{12345678901234ULL});
        f.set_attribute("ratio", 0.25);
        const std::vector<int> version{1, 0};
        f.set_attribute<int>("version", std::span<const int>(version));
        const std::vector<std::string> names{"a", "bb", "ccc"};
        f.set_attribute("names", std::span<const std::string>(names));
        f.set_attribute("count", std::uint64_t{7});  // rewritten in place
        f.set_attribute("text", std::string("world"));
        const h5::Group g = f.create_group("g");
        const std::vector<double> data{1, 2, 3};
        const h5::Dataset d = g.write_dataset<double>("d", data);
        d.set_attribute("unit", "s");
        CHECK(d.path() == "/g/d");
    }
    CHECK(h5::is_hdf5(file_path));
    const h5::File f = h5::File::open(file_path, false);
    CHECK(f.string_attribute("text") == "world");
    CHECK(f.attribute<std::uint64_t>("count") == 7);
    CHECK(f.attribute<double>("ratio") == 0.25);
    CHECK(f.array_attribute<int>("version") == std::vector<int>{1, 0});
    CHECK(f.contains("g"));
    CHECK_FALSE(f.contains("nope"));
    const h5::Dataset d = f.open_group("g").open_dataset("d");
    CHECK(d.read_all<double>() == std::vector<double>{1, 2, 3});
    CHECK(d.string_attribute("unit") == "s");
    CHECK_THROWS_AS(f.string_attribute("missing"), h5::Error);
    CHECK_THROWS_AS(f.open_dataset("missing"), h5::Error);
}

TEST_CASE("h5: extendible chunked datasets, raw chunks through shuffle+deflate, dimension scales", "[h5]") {
    TempDir dir("wipeout_test_h5_scale");
    const auto file_path = dir.path / "s.h5";
    {
        const h5::File f = h5::File::create(file_path);
        h5::DatasetLayout layout;
        layout.chunk = {4};
        layout.max_dims = {H5S_UNLIMITED};
        layout.deflate = 4;
        layout.shuffle = true;
        layout.fill_nan = true;
        const hsize_t zero = 0;
        const h5::Dataset x =
            f.create_dataset("x", H5T_IEEE_F64LE, std::span<const hsize_t>(&zero, 1), layout);
        const h5::Dataset y =
            f.create_dataset("y", H5T_IEEE_F64LE, std::span<const hsize_t>(&zero, 1), layout);
        const std::vector<double> values{1.5, 2.5, 3.5, 4.5, 5.5, 6.5};
        x.resize(6);
        const std::array<hsize_t, 1> at{0}, count{6};
        x.write<double>(values, at, count);
        CHECK(x.size() == 6);
        CHECK(x.deflate_level() == 4);
        y.resize(3);  // elements past the written ones read as the NaN fill value
        const std::array<hsize_t, 1> one{1};
        const std::vector<double> single{9.0};
        y.write<double>(single, at, one);
        h5::make_dimension_scale(x, "x");
        h5::ScaleAttachments scales;
        scales.attach(y, 0, x);
        scales.write();
    }
    const h5::File f = h5::File::open(file_path, false);
    const h5::Dataset x = f.open_dataset("x");
    const h5::Dataset y = f.open_dataset("y");
    CHECK(x.read_all<double>() == std::vector<double>{1.5, 2.5, 3.5, 4.5, 5.5, 6.5});
    const auto yv = y.read_all<double>();
    CHECK(yv[0] == 9.0);
    CHECK(std::isnan(yv[2]));
    CHECK(x.string_attribute("CLASS") == "DIMENSION_SCALE");
    CHECK(x.string_attribute("NAME") == "x");
    CHECK(y.has_attribute("DIMENSION_LIST"));
    CHECK(x.has_attribute("REFERENCE_LIST"));
    CHECK(x.attribute_size("REFERENCE_LIST") == 1);
    // The DIMENSION_LIST reference resolves to the scale.
    const h5::Handle vlen(H5Tvlen_create(H5T_STD_REF_OBJ), H5Tclose, "vlen");
    const h5::Handle attr(H5Aopen(y.id(), "DIMENSION_LIST", H5P_DEFAULT), H5Aclose, "open");
    hvl_t entry{};
    REQUIRE(H5Aread(attr.id(), vlen.id(), &entry) >= 0);
    REQUIRE(entry.len == 1);
    const h5::Handle target(H5Rdereference2(y.id(), H5P_DEFAULT, H5R_OBJECT, entry.p), H5Oclose, "deref");
    char name[64] = {};
    H5Iget_name(target.id(), name, sizeof name);
    CHECK(std::string(name) == "/x");
    const h5::Handle space(H5Aget_space(attr.id()), H5Sclose, "space");
    H5Dvlen_reclaim(vlen.id(), space.id(), H5P_DEFAULT, &entry);
}

TEST_CASE("results file: streamed chunks read back exactly; complete only at the end", "[h5][results]") {
    TempDir dir("wipeout_test_results");
    const auto file_path = dir.path / "r.h5";
    Scenario scenario = Scenario::builtin();
    scenario.run().paths = 10;
    scenario.run().seed = 3;
    const std::uint64_t chunk = 4;
    const std::size_t n_params = parameter_specs().size();
    const std::size_t n_outputs = output_specs().size();
    {
        ResultsWriter w = ResultsWriter::create(
            file_path, make_results_header(scenario, "wipeout run test", chunk, 0), scenario, 6);
        CHECK(w.header().n_paths == 10);
        CHECK_FALSE(w.header().complete);
        for (std::uint64_t first = 0; first < 10; first += chunk) {
            const std::uint64_t count = std::min<std::uint64_t>(chunk, 10 - first);
            w.append(block(n_params, chunk, first, count, true), block(n_outputs, chunk, first, count, false),
                     count);
            CHECK(w.header().n_paths_done == first + count);
            const ResultsReader partial = ResultsReader::open(file_path);
            CHECK(partial.header().n_paths_done == first + count);
            CHECK_FALSE(partial.header().complete);
        }
        CHECK_THROWS(w.append(block(n_params, chunk, 10, 1, true), block(n_outputs, chunk, 10, 1, false), 1));
        w.write_summary();
        CHECK_FALSE(ResultsReader::open(file_path).header().complete);
        w.mark_complete();
    }
    const ResultsReader r = ResultsReader::open(file_path);
    const ResultsHeader& h = r.header();
    CHECK(h.filetype == "wipeout-results");
    CHECK(h.format_version == std::array<int, 2>{1, 0});
    CHECK(h.complete);
    CHECK(h.n_paths_done == 10);
    CHECK(h.seed == 3);
    CHECK(h.command_line == "wipeout run test");
    CHECK(Scenario::parse(h.scenario, "stored") == scenario);
    for (std::size_t o = 0; o < n_outputs; ++o) {
        const auto values = r.read_output(output_specs()[o].name);
        REQUIRE(values.size() == 10);
        for (std::size_t i = 0; i < 10; ++i)
            CHECK(values[i] == 1000.0 * static_cast<double>(o) + 0.25 * static_cast<double>(i));
    }
    const auto flags = r.read_parameter("regime.air_pocket");
    const std::size_t k =
        static_cast<std::size_t>(find_parameter("regime.air_pocket") - parameter_specs().data());
    for (std::size_t i = 0; i < 10; ++i) CHECK(flags[i] == static_cast<double>((k + i) % 2));
    // The stored summary is what the statistics compute from the columns.
    const auto stored = r.read_summary();
    const auto computed = r.compute_summary();
    REQUIRE(stored.size() == n_outputs);
    for (std::size_t o = 0; o < n_outputs; ++o) {
        CHECK(stored[o].name == output_specs()[o].name);
        CHECK(stored[o].stats.n == 10);
        CHECK(stored[o].stats.mean == computed[o].stats.mean);
        CHECK(stored[o].stats.quantiles == computed[o].stats.quantiles);
    }
}

TEST_CASE("results file: reopening trims paths that were written but not recorded", "[h5][results]") {
    TempDir dir("wipeout_test_results_reopen");
    const auto file_path = dir.path / "r.h5";
    Scenario scenario = Scenario::builtin();
    scenario.run().paths = 12;
    const std::uint64_t chunk = 4;
    const std::size_t n_params = parameter_specs().size();
    const std::size_t n_outputs = output_specs().size();
    {
        ResultsWriter w =
            ResultsWriter::create(file_path, make_results_header(scenario, "", chunk, 0), scenario);
        w.append(block(n_params, chunk, 0, 4, true), block(n_outputs, chunk, 0, 4, false), 4);
        w.append(block(n_params, chunk, 4, 4, true), block(n_outputs, chunk, 4, 4, false), 4);
    }
    {
        // Simulate a crash after the data of the second chunk but before its count was recorded.
        const h5::File f = h5::File::open(file_path, true);
        f.set_attribute("n_paths_done", std::uint64_t{4});
    }
    {
        ResultsWriter w = ResultsWriter::reopen(file_path);
        CHECK(w.header().n_paths_done == 4);
        CHECK(ResultsReader::open(file_path).read_output("max_drawdown").size() == 4);
        w.append(block(n_params, chunk, 4, 4, true), block(n_outputs, chunk, 4, 4, false), 4);
        w.append(block(n_params, chunk, 8, 4, true), block(n_outputs, chunk, 8, 4, false), 4);
        w.write_summary();
        w.mark_complete();
    }
    const ResultsReader r = ResultsReader::open(file_path);
    const auto values = r.read_output("trough_price");
    REQUIRE(values.size() == 12);
    for (std::size_t i = 0; i < 12; ++i) CHECK(values[i] == 1000.0 + 0.25 * static_cast<double>(i));
}

TEST_CASE("results reader refuses other files with a clear message", "[h5][results]") {
    TempDir dir("wipeout_test_results_refuse");
    CHECK_THROWS_WITH(ResultsReader::open(dir.path / "missing.h5"), Contains("no such file"));
    { std::ofstream(dir.path / "text.h5") << "not hdf5"; }
    CHECK_THROWS_WITH(ResultsReader::open(dir.path / "text.h5"), Contains("not an HDF5 file"));
    {
        const h5::File f = h5::File::create(dir.path / "other.h5");
        f.set_attribute("filetype", "statepoint");
    }
    CHECK_THROWS_WITH(ResultsReader::open(dir.path / "other.h5"), Contains("not a wipeout results file"));
    {
        const h5::File f = h5::File::create(dir.path / "future.h5");
        f.set_attribute("filetype", "wipeout-results");
        const std::vector<int> version{2, 0};
        f.set_attribute<int>("format_version", std::span<const int>(version));
    }
    CHECK_THROWS_WITH(ResultsReader::open(dir.path / "future.h5"), Contains("format version 2.0"));
    CHECK_THROWS_AS(ResultsReader::open(dir.path / "future.h5"), InputError);
}

TEST_CASE("results file: trajectories as 2-D datasets with their scales", "[h5][results]") {
    TempDir dir("wipeout_test_results_traj");
    const auto file_path = dir.path / "t.h5";
    Scenario scenario = Scenario::builtin();
    scenario.run().paths = 4;
    {
        ResultsWriter w = ResultsWriter::create(file_path, make_results_header(scenario, "", 4, 2), scenario);
        std::vector<PathTrace> traces(2);
        for (int r = 0; r < 3; ++r) {
            TraceRow row{};
            row.time_s = r;
            row.trade_price = 100.0 - r;
            traces[0].rows.push_back(row);
        }
        traces[1].rows.push_back(TraceRow{});
        const std::vector<std::uint64_t> indices{0, 1};
        w.write_trajectories(indices, traces);
        CHECK(w.has_trajectories());
    }
    const h5::File f = h5::File::open(file_path, false);
    const h5::Group g = f.open_group("trajectories");
    CHECK(g.open_dataset("n_rows").read_all<std::int32_t>() == std::vector<std::int32_t>{3, 1});
    const h5::Dataset price = g.open_dataset("trade_price");
    CHECK(price.shape() == std::vector<hsize_t>{2, 3});
    const auto p = price.read_all<double>();
    CHECK(p[0] == 100.0);
    CHECK(p[2] == 98.0);
    CHECK(p[3] == 0.0);
    CHECK(std::isnan(p[4]));
    CHECK(g.open_dataset("trajectory").string_attribute("CLASS") == "DIMENSION_SCALE");
    CHECK(price.has_attribute("DIMENSION_LIST"));
}
