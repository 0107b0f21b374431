"""wipeout.run gives the CLI's numbers bit for bit: the same scenario and seed run both ways, every dataset of
the two files compared byte for byte, for 1 and 2 threads; and the in-memory Dataset holds the same bytes."""
import h5py
import numpy as np
import pytest

import wipeout

from conftest import SOURCE_DIR

SCENARIO = SOURCE_DIR / "experiments" / "weekend_air_pocket.toml"
# Several chunks and a few trajectories, so that the chunked writer and /trajectories are compared too.
N, SEED, CHUNK, TRAJ = 2500, 11, 1000, 4
SET = {"shock.size": {"dist": "uniform", "low": 0.02, "high": 0.15}}
SET_CLI = "shock.size={ dist = \"uniform\", low = 0.02, high = 0.15 }"


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                values = obj.asstr()[...] if obj.dtype.kind in "OS" else obj[...]
                out[name] = (obj.dtype.str if obj.dtype.kind not in "OS" else "str", values)
        f.visititems(visit)
        attrs = {k: v for k, v in f.attrs.items() if k not in ("created_utc", "command_line")}
    return out, attrs


def same_bytes(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "OU":
        return a.shape == b.shape and a.tolist() == b.tolist()
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.fixture(scope="module")
def cli_file(cli, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "cli.h5"
    cli("run", SCENARIO, "--paths", N, "--seed", SEED, "--threads", 1, "--chunk-paths", CHUNK,
        "--save-trajectories", TRAJ, "--set", SET_CLI, "-q", "-o", out)
    return out


@pytest.mark.parametrize("threads", [1, 2])
def test_files_are_identical(cli_file, tmp_path, threads):
    out = tmp_path / "python.h5"
    wipeout.run(str(SCENARIO), paths=N, seed=SEED, threads=threads, chunk_paths=CHUNK,
                save_trajectories=TRAJ, set=SET, output=out)
    want, want_attrs = datasets(cli_file)
    got, got_attrs = datasets(out)
    assert sorted(got) == sorted(want)
    assert len(want) > 100  # /path, every /scenario and /paths column, /summary, /trajectories
    for name in want:
        assert got[name][0] == want[name][0], name
        assert same_bytes(got[name][1], want[name][1]), name
    assert set(got_attrs) == set(want_attrs)
    for k in want_attrs:
        assert same_bytes(got_attrs[k], want_attrs[k]), k


def test_dataset_holds_the_files_bytes(cli_file):
    ds = wipeout.run(SCENARIO, paths=N, seed=SEED, threads=2, save_trajectories=TRAJ, set=SET)
    want, _ = datasets(cli_file)
    names = {"path": "path"}
    for key in want:
        group, _, name = key.partition("/")
        if group in ("scenario", "paths"):
            names[key] = name
        elif group == "summary":
            names[key] = "output" if name == "output" else f"summary.{name}"
        elif group == "trajectories":
            names[key] = name if name in ("trajectory", "step") else f"trajectory.{name}"
        elif group == "liquidation_map":
            names[key] = "map_price" if name == "price" else f"liquidation_map.{name}"
    assert set(names) == set(want)
    for key, var in names.items():
        assert same_bytes(ds[var].values, want[key][1]), key
    assert ds.attrs["complete"] == 1 and ds.attrs["n_paths"] == N and ds.attrs["seed"] == SEED
    assert ds["max_drawdown"].attrs["unit"] and ds["shock.size"].attrs["doc"]
    rule = next(p for p in wipeout.parameters() if p["key"] == "mark.rule")
    assert ds["mark.rule"].attrs["choices"] == rule["choices"] and "last" in rule["choices"]
