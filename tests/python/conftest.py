"""Shared by the Python module's tests: the CLI binary and the trees, as ctest passes them (python.pytest);
run by hand: PYTHONPATH=BUILD/python WIPEOUT=BUILD/wipeout /usr/bin/python3 -m pytest tests/python."""
import json
import os
import pathlib
import subprocess

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("WIPEOUT_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))


@pytest.fixture(scope="session")
def cli():
    """Runs the wipeout binary: cli("run", ...) -> CompletedProcess (text); check=False to expect failure."""
    binary = os.environ.get("WIPEOUT")
    if not binary:
        pytest.skip("WIPEOUT (the CLI binary) is not set")

    def call(*args, check=True, cwd=None):
        r = subprocess.run([binary, *map(str, args)], capture_output=True, text=True, cwd=cwd)
        if check and r.returncode != 0:
            raise AssertionError(f"wipeout {' '.join(map(str, args))} exited {r.returncode}: {r.stderr}")
        return r

    call.binary = binary
    call.json = lambda *args: json.loads(call(*args, "--json").stdout)
    return call


def cli_error(result):
    """The message of a refused command (`wipeout: error: MESSAGE`, exit 2)."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    line = result.stderr.strip()
    assert line.startswith("wipeout: error: "), line
    return line[len("wipeout: error: "):]
