"""wipeout.Scenario: load, set, show and write round-trip `wipeout scenario show`; errors carry the CLI's
messages (bad key, bad value, file:line:column)."""
import pytest

import wipeout

from conftest import SOURCE_DIR, cli_error

FILE = SOURCE_DIR / "experiments" / "retail_leverage_mania.toml"


def test_show_is_the_cli_text(cli):
    assert wipeout.Scenario().show() == cli("scenario", "show").stdout
    s = wipeout.Scenario.load(FILE).set("shock.size", 0.1).set("mark.rule", "last")
    assert s.show() == cli("scenario", "show", FILE, "--set", "shock.size=0.1", "--set", 'mark.rule="last"').stdout
    s = wipeout.Scenario.load(FILE).set("shock.size", {"dist": "lognormal", "median": 0.05, "sigma": 0.5, "max": 0.3})
    assert s.show() == cli("scenario", "show", FILE, "--set",
                           'shock.size={ dist = "lognormal", median = 0.05, sigma = 0.5, max = 0.3 }').stdout
    s = wipeout.Scenario.load(FILE).set("shock.size.median=0.08").set("run.paths", 123)
    assert s.show() == cli("scenario", "show", FILE, "--set", "shock.size.median=0.08",
                           "--set", "run.paths=123").stdout
    assert s.paths == 123


def test_round_trips(tmp_path, cli):
    s = wipeout.Scenario.load(FILE).set("shock.size", 0.07)
    s.write(tmp_path / "s.toml")
    assert wipeout.Scenario.load(tmp_path / "s.toml") == s
    assert cli("scenario", "show", tmp_path / "s.toml").stdout == wipeout.Scenario.load(tmp_path / "s.toml").show()
    assert wipeout.Scenario.from_toml(s.show()) == s
    assert wipeout.Scenario.from_dict(s.to_dict()) == s
    d = {"run": {"paths": 50, "seed": 3}, "shock": {"size": {"dist": "uniform", "low": 0.02, "high": 0.15}}}
    from_dict = wipeout.Scenario.from_dict(d)
    assert from_dict.paths == 50 and from_dict.seed == 3
    assert from_dict == wipeout.Scenario.from_toml(
        '[run]\npaths = 50\nseed = 3\n[shock]\nsize = { dist = "uniform", low = 0.02, high = 0.15 }\n')
    assert wipeout.Scenario.from_dict({"shock.size": 0.12}) == wipeout.Scenario().set("shock.size", 0.12)
    copy = s.copy().set("shock.size", 0.2)
    assert copy != s


def test_errors_are_the_clis(tmp_path, cli):
    def same(call, *cli_args):
        with pytest.raises(wipeout.InputError) as e:
            call()
        assert str(e.value) == cli_error(cli(*cli_args, check=False))
        return str(e.value)

    assert "did you mean 'shock.size'" in same(lambda: wipeout.Scenario().set("shock.sise", 0.1),
                                                "scenario", "show", "--set", "shock.sise=0.1")
    same(lambda: wipeout.Scenario().set("shock.size", -1), "scenario", "show", "--set", "shock.size=-1")
    bad = tmp_path / "bad.toml"
    bad.write_text("[shock]\nsize = -0.5\n")
    assert same(lambda: wipeout.Scenario.load(bad), "scenario", "show", bad).startswith(f"{bad}:2:8: shock.size")
    bad.write_text("[shock]\nsize = \n")
    same(lambda: wipeout.Scenario.load(bad), "scenario", "show", bad)
    same(lambda: wipeout.Scenario.load(tmp_path / "missing.toml"), "scenario", "show", tmp_path / "missing.toml")
    with pytest.raises(wipeout.InputError, match=r"^<toml>:2:8: shock.size = -0.5"):
        wipeout.Scenario.from_toml("[shock]\nsize = -0.5\n")
    assert issubclass(wipeout.InputError, ValueError)
    # run and path refuse the same things, before any path runs.
    with pytest.raises(wipeout.InputError, match="unknown key 'shock.sise'"):
        wipeout.run(paths=10, set={"shock.sise": 0.1})
    with pytest.raises(wipeout.InputError, match=r"^paths=0: expected a whole number in \[1, "):
        wipeout.run(paths=0)
    with pytest.raises(wipeout.InputError, match=r"^threads=-1: expected"):
        wipeout.run(paths=10, threads=-1)
    with pytest.raises(wipeout.InputError, match=r"^index=-1: expected"):
        wipeout.path(-1)
