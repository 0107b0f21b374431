"""`cmake --install` puts the package where Debian's python3 finds it: an install into a temporary prefix
imports from PREFIX/lib/python3.X/dist-packages, with nothing from the build tree."""
import os
import pathlib
import subprocess
import sys

import pytest


def test_install_to_a_prefix_imports(tmp_path):
    build = os.environ.get("WIPEOUT_BUILD_DIR")
    if not build:
        pytest.skip("WIPEOUT_BUILD_DIR is not set")
    subprocess.run(["cmake", "--install", build, "--prefix", str(tmp_path)], check=True, capture_output=True)
    site = tmp_path / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "dist-packages"
    code = ("import wipeout; print(wipeout.__file__); "
            "print(wipeout.liq_price('long', 100000, 1, leverage=10, mmr=0).liquidation_price)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    r = subprocess.run([sys.executable, "-c", code], env={**env, "PYTHONPATH": str(site)}, cwd=tmp_path,
                       capture_output=True, text=True, check=True)
    where, price = r.stdout.split()
    assert pathlib.Path(where).is_relative_to(site / "wipeout")
    assert float(price) == 90000.0
