"""Opening and validating wipeout HDF5 files (docs/results_format.md), and reading a results file."""
import os

import h5py
import numpy as np

import report_stats as stats
from report_common import ReportError

FILETYPE_RESULTS = "wipeout-results"
FILETYPE_SWEEP = "wipeout-sweep"
SUPPORTED_MAJOR = 1


def _text(value):
    """An attribute as str (h5py returns str for variable-length UTF-8, bytes for fixed-length)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value[()])
    return str(value)


def open_hdf5(path):
    """The file opened read-only; bad input raises ReportError with one line naming it."""
    if not os.path.exists(path):
        raise ReportError(f"{path}: no such file")
    if os.path.isdir(path):
        raise ReportError(f"{path}: is a directory, not a results file")
    try:
        is_hdf5 = h5py.is_hdf5(path)
    except OSError as e:
        raise ReportError(f"{path}: cannot read it: {e.strerror or e}") from None
    if not is_hdf5:
        raise ReportError(f"{path}: not an HDF5 file (expected a wipeout results file from 'wipeout run')")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise ReportError(f"{path}: cannot open it as HDF5: {e}") from None


def filetype(f, path):
    """The root `filetype` attribute; a file without one is not a wipeout file."""
    if "filetype" not in f.attrs:
        raise ReportError(f"{path}: not a wipeout file (no root 'filetype' attribute)")
    return _text(f.attrs["filetype"])


class ResultsFile:
    """A `wipeout-results` file: header, per-path columns (only the first n_paths_done rows), /summary."""

    COMMAND = "wipeout run"  # the command that wrote (and --resume finishes) this kind of file
    KIND = "results"

    def __init__(self, f, path, allow_incomplete=False):
        self.f = f
        self.path = path
        a = f.attrs
        version = a.get("format_version")
        try:
            major, minor = int(version[0]), int(version[1])
        except (TypeError, IndexError, ValueError):
            raise ReportError(f"{path}: not a valid wipeout {self.KIND} file (no format_version)") from None
        if major != SUPPORTED_MAJOR:
            raise ReportError(f"{path}: results format {major}.{minor} is not supported (this report reads "
                              f"{SUPPORTED_MAJOR}.x); use the wipeout version that wrote it")
        self.format_version = f"{major}.{minor}"
        for group in ("scenario", "paths"):
            if group not in f or not isinstance(f[group], h5py.Group):
                raise ReportError(f"{path}: not a valid wipeout {self.KIND} file (no /{group} group)")
        self.software_version = _text(a.get("software_version", "unknown"))
        self.git_sha = _text(a.get("git_sha", "unknown"))
        self.created_utc = _text(a.get("created_utc", ""))
        self.command_line = _text(a.get("command_line", ""))
        self.scenario_toml = _text(a.get("scenario", ""))
        self.seed = int(a.get("seed", 0))
        self.n_paths = int(a.get("n_paths", 0))
        self.n_done = int(a.get("n_paths_done", 0))
        self.complete = int(a.get("complete", 0)) == 1
        self.n_trajectories = int(a.get("n_trajectories", 0))
        if not self.complete and not allow_incomplete:
            raise ReportError(f"{path}: incomplete results file ({self.n_done} of {self.n_paths} paths, "
                              f"complete = 0): finish it with '{self.COMMAND} ... --resume', or pass "
                              f"--allow-incomplete for a provisional report")
        if self.n_done == 0:
            raise ReportError(f"{path}: holds no finished path yet (n_paths_done = 0)")
        if "max_drawdown" not in f["paths"]:
            raise ReportError(f"{path}: not a valid wipeout {self.KIND} file (no /paths/max_drawdown)")
        self.outputs = list(f["paths"].keys())
        self.parameters = list(f["scenario"].keys())
        self.summary = self._read_summary() if self.complete else None
        self._computed = {}

    # ---- per-path columns ----
    def has_output(self, name):
        return name in self.f["paths"]

    def output(self, name):
        """One output's values, float64, paths [0, n_paths_done)."""
        if name not in self.f["paths"]:
            raise ReportError(f"{self.path}: no output /paths/{name}")
        return self.f["paths"][name][: self.n_done].astype(np.float64)

    def output_attr(self, name, key, default=""):
        return _text(self.f["paths"][name].attrs.get(key, default))

    def parameter(self, name):
        return self.f["scenario"][name][: self.n_done].astype(np.float64)

    def parameter_attr(self, name, key, default=""):
        d = self.f["scenario"][name]
        if key not in d.attrs:
            return default
        value = d.attrs[key]
        if key == "choices":
            return [_text(c) for c in value]
        return _text(value)

    def varying_parameters(self):
        """Scenario parameters that take more than one value over the paths (the sampled ones)."""
        names = []
        for name in self.parameters:
            v = self.parameter(name)
            v = v[np.isfinite(v)]
            if v.size and v.min() != v.max():
                names.append(name)
        return names

    # ---- summary: the file's own when complete, computed by the same definitions otherwise ----
    def _read_summary(self):
        if "summary" not in self.f or "output" not in self.f["summary"]:
            raise ReportError(f"{self.path}: marked complete but has no /summary")
        s = self.f["summary"]
        names = [_text(x) for x in s["output"][:]]
        table = {}
        for key in s:
            if key == "output":
                continue
            column = s[key][:]
            for i, name in enumerate(names):
                value = column[i]
                value = _text(value) if column.dtype.kind in "SOU" else (
                    int(value) if column.dtype.kind in "iu" else float(value))
                table.setdefault(name, {"output": name})[key] = value
        return table

    def stats(self, name):
        """The /summary row of an output: read from the file when it is complete, else computed from the
        paths on disk with the same definitions. The key 'source' says which."""
        if self.summary is not None and name in self.summary:
            row = dict(self.summary[name])
            row["source"] = "summary"
            return row
        if name not in self._computed:
            kind = self.output_attr(name, "kind", "real")
            tail = self.output_attr(name, "adverse_tail", "upper")
            row = stats.summarize(self.output(name), kind, tail)
            row.update(output=name, unit=self.output_attr(name, "unit"), kind=kind, adverse_tail=tail,
                       source="computed")
            self._computed[name] = row
        return dict(self._computed[name])

    # ---- trajectories ----
    def trajectories(self):
        """[(path index, {column: values over its rows})] for the saved trajectories."""
        if self.n_trajectories == 0 or "trajectories" not in self.f:
            return []
        t = self.f["trajectories"]
        if "trajectory" not in t or "n_rows" not in t:
            return []
        index = t["trajectory"][:]
        rows = t["n_rows"][:]
        columns = [k for k in t if k not in ("trajectory", "step", "n_rows")]
        out = []
        for k, path_index in enumerate(index):
            if int(path_index) >= self.n_done:
                continue  # replayed trace of a path not on disk yet (incomplete file)
            n = int(rows[k])
            out.append((int(path_index), {c: t[c][k, :n].astype(np.float64) for c in columns}))
        return out

    # ---- the liquidation map of path 0's crowd (written by wipeout run since the map; older files have none) ----
    def liquidation_map(self):
        """/liquidation_map as a dict (columns as float64 arrays, attributes by name), or None when absent."""
        if "liquidation_map" not in self.f or not isinstance(self.f["liquidation_map"], h5py.Group):
            return None
        g = self.f["liquidation_map"]
        out = {key: g[key][:].astype(np.float64) for key in g if isinstance(g[key], h5py.Dataset)}
        for key, value in g.attrs.items():
            out[key] = _text(value) if isinstance(value, (str, bytes)) else (
                value.item() if isinstance(value, np.generic) else value)
        return out


class SweepFile(ResultsFile):
    """A `wipeout-sweep` file (docs/results_format.md, "Sweep files"): the run-file layout over every point's
    rows, plus the design, each point's key values and seed, and /summary per point.

    `point_stat(stat)` is the [point, output] table of one /summary statistic (a grid's [<key 1>, ...,
    <key k>, output] reshaped row-major, its documented point order), read from the file when complete and
    computed from the rows on disk with the run summary's definitions otherwise (NaN for unfinished points).
    """

    COMMAND = "wipeout sweep"
    KIND = "sweep"

    def __init__(self, f, path, allow_incomplete=False):
        super().__init__(f, path, allow_incomplete)
        a = f.attrs
        if "sweep" not in f or "sweep_design" not in a:
            raise ReportError(f"{path}: not a valid wipeout sweep file (no /sweep group or sweep_design)")
        self.design = _text(a["sweep_design"])
        self.definition = _text(a.get("sweep_definition", ""))
        self.keys = [_text(k) for k in np.atleast_1d(a["sweep_keys"])]
        self.n_points = int(a["n_points"])
        self.per_point = int(a["paths_per_point"])
        self.points_done = min(self.n_done // self.per_point, self.n_points) if self.per_point else 0
        sweep = f["sweep"]
        self.values = {k: sweep[k][:].astype(np.float64) for k in self.keys}
        self.seeds = [int(x) for x in sweep["seed"][:]] if "seed" in sweep else [0] * self.n_points
        self.commands = [_text(c) for c in sweep["command"][:]] if "command" in sweep else []
        self.grid = {}
        if self.design == "grid":
            if "grid" not in f:
                raise ReportError(f"{path}: grid sweep file without a /grid group")
            self.grid = {k: f["grid"][k][:].astype(np.float64) for k in self.keys}
            if int(np.prod([len(v) for v in self.grid.values()])) != self.n_points:
                raise ReportError(f"{path}: the /grid axes do not multiply to n_points = {self.n_points}")
        self.output_names = (list(self.summary["names"]) if self.summary is not None else self.outputs)
        self._point_computed = {}

    def choices(self, key):
        """A choice axis's names (its values are their indices), or None."""
        names = self.f["sweep"][key].attrs.get("choices")
        return None if names is None else [_text(x) for x in np.atleast_1d(names)]

    @property
    def same_seed(self):
        """Every point ran with the sweep's own seed (common random numbers)."""
        return "same-seed" in self.definition.split()

    def rows_of(self, points):
        """Row indices of the given points' paths."""
        per = self.per_point
        return np.concatenate([np.arange(p * per, (p + 1) * per) for p in points]) if len(points) else np.array([], int)

    def axis_text(self, key):
        """The key's axis as given to wipeout sweep (e.g. 'shock.size=log:0.01:0.1:5')."""
        d = self.f["sweep"][key]
        return _text(d.attrs.get("axis", ""))

    def is_log(self, key):
        text = self.axis_text(key)
        return "=log:" in text or text.startswith("log:")

    def _read_summary(self):
        if "summary" not in self.f or "output" not in self.f["summary"]:
            raise ReportError(f"{self.path}: marked complete but has no /summary")
        s = self.f["summary"]
        names = [_text(x) for x in s["output"][:]]
        tables = {"names": names}
        for key in s:
            d = s[key]
            if key == "output" or not isinstance(d, h5py.Dataset) or d.ndim < 2:
                continue
            tables[key] = d[...].reshape(-1, len(names))  # row-major: the point order of /sweep
        return tables

    def statistics(self):
        """The /summary statistics a point has (mean, se, p99, es99, probability, ...)."""
        if self.summary is not None:
            return [k for k in self.summary if k != "names"]
        return list(stats.summarize(np.zeros(2)).keys())

    def point_stat(self, stat, output):
        """One statistic of one output at every point, float64 [point]; its source is self.complete."""
        if self.summary is not None:
            if stat not in self.summary:
                raise ReportError(f"{self.path}: /summary has no statistic '{stat}' (it has: "
                                  f"{', '.join(self.statistics())})")
            if output not in self.summary["names"]:
                raise ReportError(f"{self.path}: /summary has no output '{output}'")
            return self.summary[stat][:, self.summary["names"].index(output)].astype(np.float64)
        if output not in self._point_computed:
            kind = self.output_attr(output, "kind", "real")
            tail = self.output_attr(output, "adverse_tail", "upper")
            column = self.output(output)
            rows = [stats.summarize(column[p * self.per_point:(p + 1) * self.per_point], kind, tail)
                    for p in range(self.points_done)]
            self._point_computed[output] = rows
        rows = self._point_computed[output]
        if rows and stat not in rows[0]:
            raise ReportError(f"no statistic '{stat}' (known: {', '.join(rows[0])})")
        out = np.full(self.n_points, np.nan)
        out[:len(rows)] = [float(r[stat]) for r in rows]
        return out
