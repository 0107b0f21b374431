#!/usr/bin/python3
"""How coarse the history crowd's grid may be: a scenario run at several entry steps (`history.bin_width`) and
leverage levels (`positions.leverage_bins`) on the same paths (same seed), each statistic's bias paired against
the finest grid (the first of each list), and the paths/s of each (docs/calibration.md, "The previous
default (issue #13)", its grid).

    /usr/bin/python3 scripts/grid_convergence.py --wipeout build/wipeout [SCENARIO] \
        [--paths 20000] [--widths 0.002,0.004,0.008,0.012,0.016] [--leverage-bins 50,25,16]

A step is converged when its paired biases are small against the Monte Carlo standard error of the run sizes
one uses (printed for the mean drawdown) and against the calibration pins' floors.
"""
import argparse
import pathlib
import re
import subprocess
import tempfile

import h5py
import numpy as np

BINS = ((0.02, 0.04), (0.04, 0.06), (0.06, 0.08), (0.08, 0.12))


def run(wipeout, scenario, width, levels, paths, out):
    cmd = [wipeout, "run", *([scenario] if scenario else []), "--paths", str(paths), "--seed", "1",
           "--threads", "2", "--set", f"history.enabled=true", "--set", f"history.bin_width={width}", "--force",
           *(["--set", f"positions.leverage_bins={levels}"] if levels else []), "-o", str(out)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    rate = re.search(r"\((\d+) paths/s", done.stdout + done.stderr)
    p = h5py.File(out, "r")["paths"]
    L, S = p["liquidated_long_notional"][:], p["liquidated_short_notional"][:]
    tot = L + S
    frac = p["liquidated_oi_fraction"][:]
    long_oi = np.where(tot > 0, frac * L / np.where(tot > 0, tot, 1), 0.0)
    return {"drawdown": p["max_drawdown"][:], "oi_fraction": frac, "fund": p["fund_depleted"][:].astype(float),
            "long_oi": long_oi, "rate": int(rate.group(1)) if rate else None}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", help="scenario file (default: the built-in default scenario)")
    ap.add_argument("--wipeout", default="build/wipeout")
    ap.add_argument("--paths", type=int, default=20000)
    ap.add_argument("--widths", default="0.002,0.004,0.008,0.012,0.016")
    ap.add_argument("--leverage-bins", default="", help="leverage levels to try (default: the scenario's)")
    a = ap.parse_args()
    widths = [float(w) for w in a.widths.split(",")]
    levels = [int(n) for n in a.leverage_bins.split(",")] if a.leverage_bins else [None]
    grids = [(levels[0], widths[0])] + [(n, w) for n in levels for w in widths if (n, w) != (levels[0], widths[0])]
    with tempfile.TemporaryDirectory() as work:
        runs = {g: run(a.wipeout, a.scenario, g[1], g[0], a.paths, pathlib.Path(work) / f"g{g[0]}_{g[1]}.h5")
                for g in grids}
    base = runs[grids[0]]
    se = base["drawdown"].std() / np.sqrt(10000)
    print(f"{a.paths} paths per grid, biases paired against the first; a 10,000-path run's standard error of "
          f"the mean drawdown: {se:.5f}")
    print(f"{'levels':>6} {'step':>7} {'mean drawdown':>14} {'bias':>9} {'mean OI share':>14} {'bias':>8} "
          f"{'P(fund)':>8}  {'median long liq / OI per fall bin':34} {'paths/s':>8}")
    for g in grids:
        n, w = g
        r = runs[g]
        bias_dd = float(np.mean(r["drawdown"] - base["drawdown"]))
        bias_oi = float(np.mean(r["oi_fraction"] - base["oi_fraction"]))
        dd = r["drawdown"]
        curve = " / ".join(f"{np.median(r['long_oi'][(dd >= lo) & (dd < hi)]) * 100:.2f}" for lo, hi in BINS)
        print(f"{n or 'as is':>6} {w:7.3f} {dd.mean():14.5f} {bias_dd:+9.5f} {r['oi_fraction'].mean():14.5f} "
              f"{bias_oi / base['oi_fraction'].mean():+8.2%} {r['fund'].mean():8.4f}  {curve + ' %':34} "
              f"{r['rate'] or '':>8}")


if __name__ == "__main__":
    main()
