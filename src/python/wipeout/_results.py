"""wipeout.run, wipeout.open and wipeout.path: Monte Carlo runs and their results as xarray / pandas."""
import dataclasses
import numbers
import os
import shutil
import tempfile

import numpy as np

from . import _core
from ._scenario import Scenario

InputError = _core.InputError

# The CLI's bounds (--threads, --compression; chunk and path counts come from the library).
_MAX_THREADS = 4096
_MAX_UINT64 = 2**64 - 1
# HDF5 bookkeeping attributes (dimension scales, netCDF-4's): not metadata a user wants in attrs.
_SKIP_ATTRS = {"DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME", "_Netcdf4Dimid", "_Netcdf4Coordinates"}


def _whole(name, value, low, high):
    """A whole number in [low, high], else InputError worded as the CLI's for its option."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and low <= int(value) <= high
    if not ok:
        raise InputError(f"{name}={value!r}: expected a whole number in [{low}, {high}]")
    return int(value)


def _attr(value):
    """An HDF5 attribute as a plain Python value (str, int, float, list)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "OSU":
            return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in value.tolist()]
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _attrs(h5obj):
    return {k: _attr(v) for k, v in h5obj.attrs.items() if k not in _SKIP_ATTRS}


def open(path, *, allow_incomplete=False):  # noqa: A001 - wipeout.open, as the issue names it
    """Reads a wipeout results file (`wipeout run -o FILE`, or wipeout.run(output=FILE)) into memory as an
    xarray.Dataset:

    - dimension `path` (coordinate: the path index): one variable per sampled parameter, named by its
      scenario key ("shock.size", "regime.air_pocket"; a choice as its index, names in attrs["choices"]), and
      one per output ("max_drawdown", "fund_payout", ...); attrs: unit, doc, kind (and distribution,
      adverse_tail);
    - dimension `output`: the summary, "summary.<statistic>" ("summary.mean", "summary.p99",
      "summary.es99", "summary.probability", ...), as `wipeout summary` prints it;
    - dimensions `trajectory`, `step` (files with saved trajectories): "trajectory.<column>"
      ("trajectory.trade_price", "trajectory.time_s", ...) and "trajectory.n_rows"; rows past n_rows are NaN;
    - dimension `map_price` (files written since the map was added; older ones have none): the map of path 0's crowd,
      "liquidation_map.long_liquidated", "...short_liquidated", "...long_cumulative", "...short_cumulative",
      "...bid_depth", "...ask_depth"; its cliffs and totals in attrs "liquidation_map_*";
    - attrs: the file's root attributes (seed, n_paths, complete, scenario as TOML, command_line, ...).

    An incomplete file (an interrupted run) is refused unless allow_incomplete=True; it then holds the
    paths on disk and no summary. Files wipeout cannot read raise InputError with `wipeout summary`'s
    message.
    """
    import h5py
    import xarray as xr

    path = os.fspath(path)
    header = _core.results_header(path)  # refuses what the CLI refuses, with its messages
    done = header["n_paths_done"]
    if not header["complete"] and not allow_incomplete:
        raise InputError(
            f"{path}: incomplete results file ({done} of {header['n_paths']} paths, complete = 0): finish "
            f"it with 'wipeout run ... --resume' (or wipeout.run(..., output=..., resume=True)), or pass "
            f"allow_incomplete=True")
    variables, coords = {}, {}
    with h5py.File(path, "r") as f:
        coords["path"] = ("path", f["path"][:done], _attrs(f["path"]))
        for group in ("scenario", "paths"):
            for name, d in f[group].items():
                variables[name] = ("path", d[:done], _attrs(d))
        if "summary" in f and header["complete"]:
            g = f["summary"]
            coords["output"] = ("output", g["output"].asstr()[:], _attrs(g["output"]))
            for name, d in g.items():
                if name == "output":
                    continue
                values = d.asstr()[:] if d.dtype.kind in "OS" else d[:]
                variables[f"summary.{name}"] = ("output", values, _attrs(d))
        if "trajectories" in f:
            g = f["trajectories"]
            coords["trajectory"] = ("trajectory", g["trajectory"][:], _attrs(g["trajectory"]))
            coords["step"] = ("step", g["step"][:], _attrs(g["step"]))
            for name, d in g.items():
                if name in ("trajectory", "step"):
                    continue
                dims = ("trajectory",) if d.ndim == 1 else ("trajectory", "step")
                variables[f"trajectory.{name}"] = (dims, d[:], _attrs(d))
        if "liquidation_map" in f:  # the map of path 0's crowd (docs/results_format.md)
            g = f["liquidation_map"]
            coords["map_price"] = ("map_price", g["price"][:], _attrs(g["price"]))
            for name, d in g.items():
                if name != "price":
                    variables[f"liquidation_map.{name}"] = ("map_price", d[:], _attrs(d))
        attrs = _attrs(f)
        if "summary" in f:
            attrs.update({f"summary_{k}": v for k, v in _attrs(f["summary"]).items()})
        if "liquidation_map" in f:
            attrs.update({f"liquidation_map_{k}": v for k, v in _attrs(f["liquidation_map"]).items()})
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def run(scenario=None, *, paths=None, seed=None, threads=None, set=None, output=None, force=False,
        resume=False, save_trajectories=0, check=False, chunk_paths=8192, compression=1, progress=None,
        progress_interval=0.5):
    """Runs a scenario's Monte Carlo paths, as `wipeout run` does, and returns the results as an
    xarray.Dataset (the layout of wipeout.open). The numbers are the CLI's, bit for bit: path i is a pure
    function of (scenario, seed, i), whatever the number of threads.

    scenario: None (the built-in scenario), a wipeout.Scenario, a dict, a file path, or TOML text.
    paths, seed: override [run] paths and seed. threads: worker threads (default: every core).
    set: overrides, {"shock.size": 0.12, "mark.rule": "last"} or ["shock.size=0.12", ...] (as --set).
    output: also keep the HDF5 results file there (an existing file is not replaced without force=True;
        resume=True continues an interrupted one). Without it the file is a temporary one, removed after
        reading.
    save_trajectories: the full time series of the first K paths (the Dataset's "trajectory.*").
    check: check the engine's invariants on every step (~50x slower); a violation raises PathFailure.
    chunk_paths, compression: as --chunk-paths and --compression.
    progress: called with a RunProgress (paths_done, paths_total, elapsed_s, paths_per_s) about every
        progress_interval seconds and once at the end, on the calling thread.

    The paths run with the GIL released. Ctrl-C (KeyboardInterrupt) stops the run cleanly: the chunk in
    flight finishes, an output file is flushed and marked incomplete (resume=True continues it), and
    KeyboardInterrupt is raised. Bad input raises InputError with the CLI's message.
    """
    s = Scenario.of(scenario, set)
    if paths is not None:
        s._impl.set_paths(_whole("paths", paths, 1, _core.max_paths))
    if seed is not None:
        s._impl.set_seed(_whole("seed", seed, 0, _MAX_UINT64))
    args = _core.RunArgs()
    args.threads = 0 if threads is None else _whole("threads", threads, 1, _MAX_THREADS)
    args.chunk_paths = _whole("chunk_paths", chunk_paths, 1, _core.max_chunk_paths)
    args.compression = _whole("compression", compression, 0, 9)
    args.save_trajectories = _whole("save_trajectories", save_trajectories, 0, _core.max_paths)
    args.resume, args.force, args.check = bool(resume), bool(force), bool(check)
    if not (isinstance(progress_interval, numbers.Real) and 0 < progress_interval <= 86400):
        raise InputError(f"progress_interval={progress_interval!r}: expected a number in (0, 86400]")
    args.progress_interval_s = float(progress_interval)
    if progress is not None and not callable(progress):
        raise InputError(f"progress={progress!r}: expected a callable or None")
    given = {"paths": paths, "seed": seed, "threads": threads, "output": output,
             "save_trajectories": save_trajectories or None}
    args.command_line = "wipeout.run(" + ", ".join(f"{k}={v!r}" for k, v in given.items() if v is not None) + ")"

    if output is not None:
        args.output = os.fspath(output)
        _core.run(s._impl, args, progress)
        return open(args.output)
    folder = tempfile.mkdtemp(prefix="wipeout-run-")
    try:
        args.output = os.path.join(folder, "run.h5")
        args.compression = 0  # read once and removed: no time spent compressing
        _core.run(s._impl, args, progress)
        return open(args.output)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclasses.dataclass(frozen=True)
class Path:
    """One path replayed by wipeout.path: what `wipeout path --trace` prints and writes.

    index, seed: which path. parameters: a pandas.Series of its sampled parameters (a choice by name).
    outputs: a pandas.Series of every output. trace: a pandas.DataFrame of its time series, one row per
    clock step (time_s, fundamental V, trade_price P, index_price, mark_price, bid_depth_1pct, backlog,
    liquidations, fund balance, ADL, waves). cohorts: the position cohorts the path built. The units of the
    parameters and outputs are in their Series' attrs["units"].
    """

    index: int
    seed: int
    parameters: object
    outputs: object
    trace: object
    cohorts: int

    def __repr__(self):
        return (f"<wipeout.Path {self.index} of seed {self.seed}: {len(self.trace)} steps, max_drawdown "
                f"{self.outputs['max_drawdown']:.6g}>")


def path(index, *, seed=None, scenario=None, set=None, check=False):
    """Replays path `index` of a run exactly, as `wipeout path --index I` does: the same (scenario, seed,
    index) gives the same numbers as that row of a run's results. Returns a wipeout.Path with the
    parameters, outputs (pandas.Series) and the time series (pandas.DataFrame).

    seed: the run's master seed (default: the scenario's [run] seed). scenario and set: as wipeout.run.
    check: verify the engine's invariants at every step (InvariantViolation names the broken one).
    """
    import pandas as pd

    s = Scenario.of(scenario, set)
    index = _whole("index", index, 0, _core.max_paths - 1)
    seed = s.seed if seed is None else _whole("seed", seed, 0, _MAX_UINT64)
    r = _core.path(s._impl, seed, index, bool(check))
    specs = _core.parameter_specs()
    values = [spec["choices"][int(v)] if spec["kind"] == "choice" else v.item()
              for spec, v in zip(specs, r["parameters"])]
    parameters = pd.Series(values, index=[spec["key"] for spec in specs], name="parameters", dtype=object)
    parameters.attrs["units"] = {spec["key"]: spec["unit"] for spec in specs}
    outs = _core.output_specs()
    outputs = pd.Series(r["outputs"], index=[o["name"] for o in outs], name="outputs")
    outputs.attrs["units"] = {o["name"]: o["unit"] for o in outs}
    trace = pd.DataFrame(r["trace"], columns=_core.trace_columns())
    trace.index.name = "step"
    return Path(index=index, seed=seed, parameters=parameters, outputs=outputs, trace=trace,
                cohorts=r["cohorts"])
