"""The example notebook runs: examples/stress_run.ipynb executed headless (nbclient, the python3 kernel,
matplotlib's Agg backend)."""
import os
import time

import nbclient
import nbformat
import pytest

import wipeout

from conftest import SOURCE_DIR


@pytest.fixture
def agg(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")  # no display; inherited by the notebook's kernel
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # ipykernel's debugger: no frozen-module warning
    # The kernel runs in examples/: it imports the wipeout these tests import, by an absolute path.
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(wipeout.__file__)))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))


def test_notebook_runs(agg):
    notebook = SOURCE_DIR / "examples" / "stress_run.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook.parent)}}).execute()
    print(f"{notebook.name}: executed in {time.perf_counter() - start:.1f} s")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "exceedance" in text and "liquidation_price" in text

