// wipeout._core: the library bound for Python, thin on purpose. The package around it (wipeout/*.py) builds
// the xarray and pandas objects and carries the docstrings users see; this file only calls wipeout::core.
#include <pybind11/numpy.h>
#include <pybind11/operators.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "wipeout/cascade_engine.h"
#include "wipeout/driver.h"
#include "wipeout/error.h"
#include "wipeout/liq_price.h"
#include "wipeout/parameter.h"
#include "wipeout/path_outputs.h"
#include "wipeout/replay.h"
#include "wipeout/results_file.h"
#include "wipeout/scenario.h"
#include "wipeout/tiers.h"
#include "wipeout/version.h"

namespace py = pybind11;
using namespace wipeout;

namespace {

std::string kind_text(ParameterKind kind) {
    return std::string(kind_name(kind));
}

py::list parameter_list() {
    py::list out;
    for (const ParameterSpec& s : parameter_specs()) {
        py::list choices;
        for (auto c : s.choices) choices.append(std::string(c));
        out.append(py::dict(py::arg("key") = std::string(s.key), py::arg("kind") = kind_text(s.kind),
                            py::arg("default") = s.default_value, py::arg("min") = s.min, py::arg("max") = s.max,
                            py::arg("unit") = std::string(s.unit), py::arg("doc") = std::string(s.doc),
                            py::arg("choices") = choices));
    }
    return out;
}

py::list output_list() {
    py::list out;
    for (const OutputSpec& s : output_specs()) {
        out.append(py::dict(py::arg("name") = std::string(s.name), py::arg("kind") = std::string(kind_name(s.kind)),
                            py::arg("adverse_tail") = std::string(tail_name(s.tail)),
                            py::arg("unit") = std::string(s.unit), py::arg("doc") = std::string(s.doc)));
    }
    return out;
}

py::dict header_dict(const ResultsHeader& h) {
    return py::dict(py::arg("filetype") = h.filetype, py::arg("format_version") = h.format_version,
                    py::arg("software_version") = h.software_version, py::arg("git_sha") = h.git_sha,
                    py::arg("created_utc") = h.created_utc, py::arg("seed") = h.seed,
                    py::arg("n_paths") = h.n_paths, py::arg("n_paths_done") = h.n_paths_done,
                    py::arg("complete") = h.complete, py::arg("scenario") = h.scenario,
                    py::arg("command_line") = h.command_line, py::arg("chunk_paths") = h.chunk_paths,
                    py::arg("n_trajectories") = h.n_trajectories, py::arg("shard_index") = h.shard_index,
                    py::arg("shard_count") = h.shard_count);
}

struct RunArgs {
    std::string output;
    unsigned threads = 0;
    std::uint64_t chunk_paths = 8192;
    int compression = 1;
    std::uint64_t save_trajectories = 0;
    bool resume = false;
    bool force = false;
    bool check = false;
    std::string command_line;
    double progress_interval_s = 0.5;
};

// run_scenario on a thread of its own, the GIL released. The calling thread wakes every few milliseconds,
// takes the GIL to let Python run its signal handlers (Ctrl-C raises KeyboardInterrupt there) and to call the
// progress callback; an exception from either asks the driver to stop, which finishes the chunk in flight
// and leaves the file marked incomplete, as SIGINT does to `wipeout run`. Then the exception is raised.
py::dict run(const Scenario& scenario_in, const RunArgs& a, const py::object& progress) {
    const Scenario scenario = scenario_in;  // the worker's own: Python may change the original meanwhile
    std::atomic<int> stop{0};
    RunOptions o;
    o.output = a.output;
    o.threads = a.threads;
    o.chunk_paths = a.chunk_paths;
    o.compression = a.compression;
    o.save_trajectories = a.save_trajectories;
    o.resume = a.resume;
    o.force = a.force;
    o.check_invariants = a.check;
    o.command_line = a.command_line;
    o.stop = &stop;

    std::mutex mutex;
    std::condition_variable wake;
    bool finished = false;
    std::optional<RunProgress> latest;  // the reporter thread's newest report, not yet passed on
    if (!progress.is_none()) {
        o.progress_interval = std::chrono::milliseconds(static_cast<long long>(a.progress_interval_s * 1000));
        o.on_progress = [&](const RunProgress& p) {
            const std::lock_guard lock(mutex);
            latest = p;
        };
    }

    RunResult result;
    std::exception_ptr run_error;     // from the driver
    std::exception_ptr python_error;  // KeyboardInterrupt, or the progress callback's
    {
        const py::gil_scoped_release release;
        std::thread worker([&] {
            try {
                result = run_scenario(scenario, o);
            } catch (...) {
                run_error = std::current_exception();
            }
            {
                const std::lock_guard lock(mutex);
                finished = true;
            }
            wake.notify_all();
        });
        std::unique_lock lock(mutex);
        while (true) {
            wake.wait_for(lock, std::chrono::milliseconds(50), [&] { return finished; });
            const bool done = finished;
            std::optional<RunProgress> report;
            report.swap(latest);
            lock.unlock();
            if (!python_error) {
                const py::gil_scoped_acquire acquire;
                try {
                    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
                    if (report) progress(*report);
                } catch (...) {
                    python_error = std::current_exception();
                    stop.store(SIGINT);
                }
            }
            if (done) break;
            lock.lock();
        }
        worker.join();
    }
    if (python_error) std::rethrow_exception(python_error);
    if (run_error) std::rethrow_exception(run_error);
    return py::dict(py::arg("n_paths") = result.n_paths, py::arg("n_paths_done") = result.n_paths_done,
                    py::arg("paths_this_session") = result.paths_this_session,
                    py::arg("complete") = result.complete, py::arg("elapsed_s") = result.elapsed_s,
                    py::arg("paths_per_s") = result.paths_per_s, py::arg("stop_signal") = result.stop_signal);
}

// One path replayed with its trace, as `wipeout path` computes it.
py::dict path(const Scenario& scenario, std::uint64_t seed, std::uint64_t index, bool check) {
    ReplayedPath r;
    {
        const py::gil_scoped_release release;
        r = replay_path(scenario, seed, index, check, true);
    }
    const auto outputs = output_specs();
    py::array_t<double> output_values(static_cast<py::ssize_t>(outputs.size()));
    for (std::size_t i = 0; i < outputs.size(); ++i) output_values.mutable_at(i) = r.outputs.*outputs[i].member;
    const auto columns = trace_columns();
    py::array_t<double> rows(
        {static_cast<py::ssize_t>(r.trace.rows.size()), static_cast<py::ssize_t>(columns.size())});
    auto cells = rows.mutable_unchecked<2>();
    for (std::size_t i = 0; i < r.trace.rows.size(); ++i) {
        const auto v = trace_values(r.trace.rows[i]);
        for (std::size_t c = 0; c < v.size(); ++c) cells(i, c) = v[c];
    }
    return py::dict(py::arg("parameters") = py::array_t<double>(r.parameters.size(), r.parameters.data()),
                    py::arg("outputs") = output_values, py::arg("trace") = rows, py::arg("cohorts") = r.cohorts);
}

LiqPricePlan liq_price_plan(const std::string& venue, double fee, const std::vector<std::string>& given,
                            std::optional<double> mmr, std::optional<double> maint_amount,
                            std::optional<double> max_leverage, std::optional<std::string> tiers) {
    LiqPriceOptions o;
    o.venue = venue_named(venue);
    o.fee = fee;
    for (const std::string& g : given) {
        bool* flag = g == "leverage"             ? &o.leverage
                     : g == "margin"             ? &o.margin
                     : g == "extra_margin"       ? &o.extra_margin
                     : g == "wallet_balance"     ? &o.wallet_balance
                     : g == "other_maint_margin" ? &o.other_maint_margin
                     : g == "other_upnl"         ? &o.other_upnl
                                                 : nullptr;
        if (flag == nullptr) throw std::invalid_argument("liq_price_plan: unknown option " + g);
        *flag = true;
    }
    o.mmr = mmr;
    o.maint_amount = maint_amount;
    o.max_leverage = max_leverage;
    if (tiers) o.tiers_file = *tiers;
    return plan_liq_price(o);
}

// Each column holds one value (the same for every position) or n.
struct Column {
    const double* data;
    bool varies;
    double operator[](std::size_t i) const { return data[varies ? i : 0]; }
};

Column column(const py::array_t<double, py::array::c_style | py::array::forcecast>& a, std::size_t n,
              const char* name) {
    const auto size = static_cast<std::size_t>(a.size());
    if (size != 1 && size != n) throw std::invalid_argument(fmt::format("liq_price_quote: {} has {} values", name, size));
    return Column{a.data(), size != 1};
}

using Doubles = py::array_t<double, py::array::c_style | py::array::forcecast>;

// The plan's quote of n positions. raise_errors: the first refused position raises its InputError (prefixed
// with its index when n > 1); else it gets NaN prices, tier 0 and liquidates False.
py::dict liq_price_quote(const LiqPricePlan& plan, const py::array_t<std::int8_t, py::array::c_style | py::array::forcecast>& is_short,
                         const Doubles& entry, const Doubles& qty, const Doubles& leverage, const Doubles& margin,
                         const Doubles& extra_margin, const Doubles& wallet_balance,
                         const Doubles& other_maint_margin, const Doubles& other_upnl, std::size_t n,
                         bool raise_errors) {
    if (static_cast<std::size_t>(is_short.size()) != 1 && static_cast<std::size_t>(is_short.size()) != n)
        throw std::invalid_argument("liq_price_quote: side has the wrong size");
    const std::int8_t* shorts = is_short.data();
    const bool side_varies = static_cast<std::size_t>(is_short.size()) != 1;
    const Column e = column(entry, n, "entry"), q = column(qty, n, "qty"), l = column(leverage, n, "leverage"),
                 m = column(margin, n, "margin"), x = column(extra_margin, n, "extra_margin"),
                 w = column(wallet_balance, n, "wallet_balance"), omm = column(other_maint_margin, n, "other_maint_margin"),
                 ou = column(other_upnl, n, "other_upnl");
    const auto sz = static_cast<py::ssize_t>(n);
    py::array_t<double> liquidation(sz), bankruptcy(sz), initial(sz), maintenance(sz), fee(sz), mmr(sz),
        maint_amount(sz), lev(sz), notional(sz);
    py::array_t<std::int32_t> tier(sz);
    py::array_t<bool> liquidates(sz);
    double *pl = liquidation.mutable_data(), *pb = bankruptcy.mutable_data(), *pi = initial.mutable_data(),
           *pm = maintenance.mutable_data(), *pf = fee.mutable_data(), *pr = mmr.mutable_data(),
           *pa = maint_amount.mutable_data(), *pv = lev.mutable_data(), *pn = notional.mutable_data();
    std::int32_t* pt = tier.mutable_data();
    bool* pq = liquidates.mutable_data();
    std::optional<std::string> error;
    {
        const py::gil_scoped_release release;
        constexpr double nan = std::numeric_limits<double>::quiet_NaN();
        for (std::size_t i = 0; i < n; ++i) {
            const PositionNumbers position{shorts[side_varies ? i : 0] != 0 ? Side::Short : Side::Long,
                                           e[i], q[i], l[i], m[i], x[i], w[i], omm[i], ou[i]};
            try {
                const LiqPriceResult r = quote_liq_price(plan, position);
                pl[i] = r.quote.liquidation_price;
                pb[i] = r.quote.bankruptcy_price;
                pi[i] = r.quote.initial_margin;
                pm[i] = r.quote.maintenance_margin;
                pf[i] = r.quote.liquidation_fee;
                pr[i] = r.quote.mmr;
                pa[i] = r.quote.maint_amount;
                pt[i] = r.quote.tier + 1;  // numbered from 1, as liq-price and the venues do
                pq[i] = r.quote.liquidates;
                pv[i] = r.leverage;
                pn[i] = r.notional;
            } catch (const InputError& err) {
                if (raise_errors) {
                    error = n == 1 ? std::string(err.what()) : fmt::format("position {}: {}", i, err.what());
                    break;
                }
                pl[i] = pb[i] = pi[i] = pm[i] = pf[i] = pr[i] = pa[i] = pv[i] = nan;
                pn[i] = e[i] * q[i];
                pt[i] = 0;
                pq[i] = false;
            }
        }
    }
    if (error) throw InputError(*error);
    return py::dict(py::arg("liquidation_price") = liquidation, py::arg("bankruptcy_price") = bankruptcy,
                    py::arg("initial_margin") = initial, py::arg("maintenance_margin") = maintenance,
                    py::arg("liquidation_fee") = fee, py::arg("tier") = tier, py::arg("mmr") = mmr,
                    py::arg("maint_amount") = maint_amount, py::arg("liquidates") = liquidates,
                    py::arg("leverage") = lev, py::arg("notional") = notional);
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "wipeout's C++ library (wipeout::core), bound for the wipeout package: use wipeout, not this.";

    // Errors: InputError is bad input (the CLI's exit 2), with the CLI's message.
    static py::exception<InputError> input_error(m, "InputError", PyExc_ValueError);
    static py::exception<InvariantViolation> invariant_violation(m, "InvariantViolation", PyExc_RuntimeError);
    static py::exception<PathFailure> path_failure(m, "PathFailure", PyExc_RuntimeError);
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const InputError& e) {
            PyErr_SetString(input_error.ptr(), e.what());
        } catch (const InvariantViolation& e) {
            PyErr_SetString(invariant_violation.ptr(), e.what());
        } catch (const PathFailure& e) {
            // Which path failed, so that it can be replayed alone with wipeout.path.
            py::object error = py::handle(path_failure.ptr())(e.what());
            error.attr("seed") = e.seed();
            error.attr("path_index") = e.path_index();
            PyErr_SetObject(path_failure.ptr(), error.ptr());
        }
    });

    m.attr("version") = kVersion;
    m.attr("git_sha") = kGitSha;
    m.attr("max_paths") = kMaxPaths;
    m.attr("max_chunk_paths") = kMaxChunkPaths;
    m.def("parameter_specs", &parameter_list);
    m.def("output_specs", &output_list);
    m.def("trace_columns", [] {
        std::vector<std::string> out;
        for (auto c : trace_columns()) out.emplace_back(c);
        return out;
    });
    m.def("summary_statistics", [] {
        std::vector<std::pair<std::string, std::string>> out;
        for (std::size_t i = 0; i < summary_statistic_count(); ++i)
            out.emplace_back(summary_statistic_name(i), summary_statistic_doc(i));
        return out;
    });
    m.def("default_scenario_text", [] { return std::string(default_scenario_text()); });

    py::class_<Scenario>(m, "Scenario")
        .def_static("builtin", &Scenario::builtin)
        .def_static("engine_defaults", &Scenario::engine_defaults)
        .def_static("load", &Scenario::load, py::arg("file"))
        .def_static("parse", &Scenario::parse, py::arg("text"), py::arg("source_name"),
                    py::arg("base_dir") = std::filesystem::path())
        .def("copy", [](const Scenario& s) { return s; })
        .def("set", py::overload_cast<std::string_view>(&Scenario::set), py::arg("assignment"))
        .def("to_toml", &Scenario::to_toml)
        .def_property_readonly("source", &Scenario::source)
        .def_property_readonly("paths", [](const Scenario& s) { return s.run().paths; })
        .def_property_readonly("seed", [](const Scenario& s) { return s.run().seed; })
        .def_property_readonly("tiers", [](const Scenario& s) { return s.run().tiers.string(); })
        .def_property_readonly("history", [](const Scenario& s) { return s.run().history.string(); })
        // Range-checked by the package (as the CLI's --paths and --seed are); a seed above 2^63 has no TOML form.
        .def("set_paths", [](Scenario& s, std::uint64_t n) { s.run().paths = n; })
        .def("set_seed", [](Scenario& s, std::uint64_t seed) { s.run().seed = seed; })
        .def(py::self == py::self);  // NOLINT(misc-redundant-expression)

    py::class_<RunProgress>(m, "RunProgress",
                            "What wipeout.run's progress callback gets: paths_done (of the whole run, resumed "
                            "ones included), paths_total, paths_this_session, elapsed_s, paths_per_s.")
        .def_readonly("paths_done", &RunProgress::paths_done, "paths on disk or in the chunk in flight")
        .def_readonly("paths_total", &RunProgress::paths_total, "paths of the whole run")
        .def_readonly("paths_this_session", &RunProgress::paths_this_session, "paths computed by this call")
        .def_readonly("elapsed_s", &RunProgress::elapsed_s, "seconds since the paths started")
        .def_readonly("paths_per_s", &RunProgress::paths_per_s, "paths_this_session / elapsed_s")
        .def("__repr__", [](const RunProgress& p) {
            return fmt::format("RunProgress(paths_done={}, paths_total={}, elapsed_s={:.3f}, paths_per_s={:.1f})",
                               p.paths_done, p.paths_total, p.elapsed_s, p.paths_per_s);
        });

    py::class_<RunArgs>(m, "RunArgs")
        .def(py::init<>())
        .def_readwrite("output", &RunArgs::output)
        .def_readwrite("threads", &RunArgs::threads)
        .def_readwrite("chunk_paths", &RunArgs::chunk_paths)
        .def_readwrite("compression", &RunArgs::compression)
        .def_readwrite("save_trajectories", &RunArgs::save_trajectories)
        .def_readwrite("resume", &RunArgs::resume)
        .def_readwrite("force", &RunArgs::force)
        .def_readwrite("check", &RunArgs::check)
        .def_readwrite("command_line", &RunArgs::command_line)
        .def_readwrite("progress_interval_s", &RunArgs::progress_interval_s);
    m.def("run", &run, py::arg("scenario"), py::arg("args"), py::arg("progress"));
    m.def("path", &path, py::arg("scenario"), py::arg("seed"), py::arg("index"), py::arg("check"));

    m.def("results_header", [](const std::filesystem::path& file) {
        return header_dict(ResultsReader::open(file).header());  // refuses what `wipeout summary` refuses
    });

    m.def("side_is_short", [](const std::string& name) { return side_named(name) == Side::Short; });
    py::class_<LiqPricePlan>(m, "LiqPricePlan")
        .def_readonly("cross", &LiqPricePlan::cross)
        .def_readonly("tiers_source", &LiqPricePlan::tiers_source)
        .def_property_readonly("venue", [](const LiqPricePlan& p) { return std::string(venue_name(p.params.venue)); })
        .def_property_readonly("fee_in_trigger",
                               [](const LiqPricePlan& p) { return venue_fee_in_trigger(p.params.venue); });
    m.def("liq_price_plan", &liq_price_plan, py::arg("venue"), py::arg("fee"), py::arg("given"), py::arg("mmr"),
          py::arg("maint_amount"), py::arg("max_leverage"), py::arg("tiers"));
    m.def("liq_price_quote", &liq_price_quote, py::arg("plan"), py::arg("is_short"), py::arg("entry"),
          py::arg("qty"), py::arg("leverage"), py::arg("margin"), py::arg("extra_margin"),
          py::arg("wallet_balance"), py::arg("other_maint_margin"), py::arg("other_upnl"), py::arg("n"),
          py::arg("raise_errors"));
}
