"""wipeout.open reads a results file as the CLI wrote it, refuses what `wipeout summary` refuses with its
message, and every public name has a docstring (help(wipeout) is the reference)."""
import inspect

import numpy as np
import pytest

import wipeout

from conftest import cli_error


def test_open_a_cli_file(cli, tmp_path):
    out = tmp_path / "traj.h5"
    cli("run", "--paths", 300, "--seed", 5, "--save-trajectories", 3, "-q", "-o", out)
    ds = wipeout.open(out)
    assert ds.sizes["path"] == 300 and ds.sizes["trajectory"] == 3
    assert ds["trajectory.trade_price"].dims == ("trajectory", "step")
    n = int(ds["trajectory.n_rows"][1])
    p = wipeout.path(1, seed=5)
    assert np.array_equal(ds["trajectory.trade_price"][1, :n].values, p.trace["trade_price"].values)
    assert np.isnan(ds["trajectory.trade_price"][1, n:].values).all()
    summary = cli.json("summary", out)
    es99 = float(ds["summary.es99"].sel(output="max_drawdown"))
    text = repr(summary)
    assert "max_drawdown" in text and es99 > 0
    assert ds.attrs["seed"] == 5 and "[run]" in ds.attrs["scenario"]
    assert ds["max_drawdown"].attrs["adverse_tail"] == "upper"


def test_refusals_are_the_clis(cli, tmp_path):
    not_h5 = tmp_path / "x.toml"
    not_h5.write_text("[shock]\n")
    for bad in (not_h5, tmp_path / "missing.h5"):
        with pytest.raises(wipeout.InputError) as e:
            wipeout.open(bad)
        assert str(e.value) == cli_error(cli("summary", bad, check=False))


def test_everything_public_has_a_docstring():
    assert len(wipeout.__doc__) > 500
    for name in wipeout.__all__:
        obj = getattr(wipeout, name)
        assert inspect.getdoc(obj), name
        if inspect.isclass(obj):
            for member, value in vars(obj).items():
                if not member.startswith("_") and (inspect.isfunction(value) or isinstance(value, (
                        classmethod, staticmethod, property))):
                    assert inspect.getdoc(getattr(obj, member)), f"{name}.{member}"
    assert "liquidation" in inspect.getdoc(wipeout.liq_price)
