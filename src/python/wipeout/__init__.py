"""wipeout: Monte Carlo stress tests of liquidation cascades in leveraged crypto perpetual futures.

The C++ library itself, for notebooks, risk dashboards and backtesters. Every number is the command line's,
bit for bit (the same code computes it):

    import wipeout
    ds = wipeout.run(paths=2000, seed=7, threads=2)        # xarray.Dataset over `path`, plus the summary
    ds["max_drawdown"].quantile(0.99)                      # any output; ds["shock.size"]: any parameter
    ds["summary.es99"].sel(output="max_drawdown")          # `wipeout summary`'s statistics
    p = wipeout.path(7, seed=7)                            # one path again, with its time series
    p.trace.plot(x="time_s", y="trade_price")
    q = wipeout.liq_price("long", entry, qty, leverage=20, venue="binance")   # numpy arrays welcome
    s = wipeout.Scenario.load("experiments/weekend_air_pocket.toml").set("shock.size", 0.12)
    ds = wipeout.run(s, paths=10000, output="results/weekend.h5")           # also keeps the HDF5 file
    ds = wipeout.open("results/weekend.h5")

Functions: run, path, liq_price, open. Classes: Scenario, Path, LiqQuote, RunProgress.
Errors: InputError (a ValueError: bad input, with the CLI's message: key, value, file:line:column),
InvariantViolation and PathFailure (RuntimeErrors: an engine invariant broken, a path that failed in a run).
The model: docs/model.md; the results' layout: docs/results_format.md; margin rules: docs/margin.md.
"""
from . import _core
from ._margin import LiqQuote, liq_price
from ._results import Path, open, path, run
from ._scenario import Scenario

InputError = _core.InputError
InputError.__doc__ = ("Bad input (a scenario key or value, an option, a file): the message is the wipeout "
                      "command line's, naming what is wrong and where (file:line:column).")
InvariantViolation = _core.InvariantViolation
InvariantViolation.__doc__ = ("An engine invariant failed under check=True (money conservation, ADL only "
                              "after the fund, no open position past its liquidation price).")
PathFailure = _core.PathFailure
PathFailure.__doc__ = ("A path of a run failed (an engine error, or an invariant under check=True); "
                       "attributes seed and path_index replay it with wipeout.path(path_index, seed=seed).")
RunProgress = _core.RunProgress
for _public in (InputError, InvariantViolation, PathFailure, RunProgress, LiqQuote, Path, Scenario, run, path,
                liq_price, open):
    _public.__module__ = "wipeout"  # as tracebacks, reprs and help() name them

__version__ = _core.version
git_sha = _core.git_sha


def parameters():
    """Every scenario parameter: a list of dicts with key, kind, default, min, max, unit, doc, choices."""
    return _core.parameter_specs()


def outputs():
    """Every per-path output: a list of dicts with name, kind, adverse_tail, unit, doc."""
    return _core.output_specs()


__all__ = ["run", "path", "liq_price", "open", "Scenario", "Path", "LiqQuote", "RunProgress", "InputError",
           "InvariantViolation", "PathFailure", "parameters", "outputs"]
