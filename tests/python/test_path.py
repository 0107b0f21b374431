"""wipeout.path replays one path as `wipeout path` does: the same parameters, outputs and time series, and the
same numbers as that row of a run."""
import math

import numpy as np
import pandas as pd
import pytest

import wipeout

from conftest import SOURCE_DIR

SCENARIO = SOURCE_DIR / "experiments" / "weekend_air_pocket.toml"
HISTORY = SOURCE_DIR / "experiments" / "history" / "2021-05-19_china_ban.toml"  # [run] history: price bars


def same(a, b):
    return a == b or (isinstance(a, float) and math.isnan(a) and b is None)


@pytest.mark.parametrize("scenario, overrides", [(SCENARIO, {"shock.size": 0.12}),
                                                 (HISTORY, {"shock.size": 0.12, "history.enabled": True})],
                         ids=["weekend", "history"])
def test_path_is_the_clis(cli, tmp_path, scenario, overrides):
    trace_file = tmp_path / "trace.csv"
    sets = [a for k, v in overrides.items() for a in ("--set", f"{k}={str(v).lower()}")]
    want = cli.json("path", scenario, "--index", 5, "--seed", 42, *sets, "--trace", trace_file)
    p = wipeout.path(5, seed=42, scenario=scenario, set=overrides)
    assert (p.index, p.seed) == (want["index"], want["seed"])
    assert list(p.outputs.index) == list(want["outputs"])
    for name, value in want["outputs"].items():
        assert same(p.outputs[name], value), name
    for key, value in want["parameters"].items():
        assert same(p.parameters[key], value), key
    trace = pd.read_csv(trace_file, float_precision="round_trip")
    assert list(p.trace.columns) == list(trace.columns)
    assert np.array_equal(p.trace.to_numpy(), trace.to_numpy(), equal_nan=True)
    assert p.outputs.attrs["units"]["max_drawdown"] is not None and p.cohorts > 0


def test_path_is_that_row_of_a_run():
    ds = wipeout.run(paths=40, seed=9, threads=2)
    for i in (0, 17, 39):
        p = wipeout.path(i, seed=9)
        row = ds.sel(path=i)
        for name in p.outputs.index:
            assert np.array_equal(p.outputs[name], row[name].values, equal_nan=True), (i, name)


def test_check_and_default_seed():
    p = wipeout.path(3, check=True)  # every invariant at every step
    assert p.seed == wipeout.Scenario().seed
    assert p.trace["time_s"].is_monotonic_increasing
    with pytest.raises(wipeout.InputError, match="cannot read scenario file"):
        wipeout.path(0, scenario="no/such/file.toml")
