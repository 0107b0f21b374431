#!/usr/bin/python3
"""Convergence of the adaptive clock: what the active step (`clock.dt_active_s`) costs and what it buys.

Runs one scenario with the same seed at several active steps (the fundamental's path is a function of time,
not of the clock, so the runs share their random numbers and compare path by path), then prints, per step,
the clock steps per path and the throughput, and per output the bias of its mean against the finest step:
in per cent of that mean and in standard errors of a mean over --reference-paths paths (a bias under 1 is
invisible in a run that size; over it, the step, not the sampling, limits the answer). A bias within 2 of its
own paired standard errors at --paths is marked `?`: this run does not resolve it, more paths would.

    /usr/bin/python3 scripts/clock_convergence.py --wipeout build/wipeout
    /usr/bin/python3 scripts/clock_convergence.py --wipeout build/wipeout experiments/weekend_air_pocket.toml \\
        --paths 4000 --dt 0.5 1 2 --set shock.size=0.1

docs/performance.md ("The clock") shows the default scenario's table.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

# Outputs whose definition counts steps or rounds within a step: they move with the clock by construction.
PER_STEP = {"n_steps", "n_waves", "max_waves_in_step", "wave_cap_hits", "conservation_error"}


def run(args, dt, path):
    cmd = [args.wipeout, "run", "--paths", str(args.paths), "--seed", str(args.seed), "-o", path, "--force",
           "-q", "--set", f"clock.dt_active_s={dt}"]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    if args.scenario:
        cmd.insert(2, args.scenario)
    for s in args.set:
        cmd += ["--set", s]
    start = time.monotonic()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"clock_convergence: {' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()}")
    return time.monotonic() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", nargs="?", help="scenario file (default: the built-in scenario)")
    parser.add_argument("--wipeout", default="build/wipeout", help="the wipeout binary")
    parser.add_argument("--paths", type=int, default=8000, help="paths per step size (default 8000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=0, help="worker threads (default: all cores)")
    parser.add_argument("--dt", type=float, nargs="+", default=[0.25, 0.5, 1, 2, 4],
                        help="active steps in s; the finest is the reference (default 0.25 0.5 1 2 4)")
    parser.add_argument("--reference-paths", type=float, default=1e6,
                        help="biases in standard errors of a mean over this many paths (default 1e6)")
    parser.add_argument("--set", action="append", default=[], help="scenario override key=value, repeatable")
    args = parser.parse_args()
    steps = sorted(set(args.dt))
    if len(steps) < 2 or steps[0] <= 0:
        sys.exit("clock_convergence: --dt needs at least two positive step sizes")

    with tempfile.TemporaryDirectory() as tmp:
        walls, data = {}, {}
        for dt in steps:
            path = os.path.join(tmp, f"dt{dt}.h5")
            walls[dt] = run(args, dt, path)
            with h5py.File(path, "r") as f:
                data[dt] = {k: f["paths"][k][:] for k in f["paths"]}

    ref = data[steps[0]]
    name = args.scenario or "built-in default scenario"
    print(f"clock convergence: {name}, {args.paths} paths per step size, seed {args.seed}"
          + "".join(f", --set {s}" for s in args.set))
    print()
    print(f"{'dt_active_s':<12} {'steps/path':>10} {'paths/s':>9}")
    for dt in steps:
        print(f"{dt:<12g} {np.mean(data[dt]['n_steps']):>10.1f} {args.paths / walls[dt]:>9.0f}")
    print()
    others = steps[1:]
    n_ref = args.reference_paths
    print(f"bias of the mean against dt = {steps[0]:g} s, paired: % of the mean [standard errors of a "
          f"{n_ref:.0e}-path mean]; ?: within 2 paired standard errors at {args.paths} paths")
    print(f"{'output':<30}" + "".join(f"{'dt = ' + format(dt, 'g'):>18} " for dt in others))
    worst = {dt: (0.0, "") for dt in others}
    for key in sorted(ref):
        r = ref[key]
        se = r.std() / np.sqrt(n_ref)
        mean = r.mean()
        if se == 0:
            continue
        cells = []
        for dt in others:
            diff = data[dt][key] - r
            bias = diff.mean()
            in_se = bias / se
            pct = 100 * bias / abs(mean) if mean != 0 else float("nan")
            resolved = abs(bias) > 2 * diff.std() / np.sqrt(len(diff))
            cells.append(f"{pct:>+8.2f}% [{in_se:>+6.1f}]{' ' if resolved else '?'}")
            if key not in PER_STEP and resolved and abs(in_se) > abs(worst[dt][0]):
                worst[dt] = (in_se, key)
        mark = "  (counts steps)" if key in PER_STEP else ""
        print(f"{key:<30}" + "".join(f"{c:>19}" for c in cells) + mark)
    print()
    for dt in others:
        in_se, key = worst[dt]
        if key:
            print(f"dt = {dt:g} s: largest resolved bias {in_se:+.1f} standard errors ({key}), outputs that "
                  "count steps aside")
        else:
            print(f"dt = {dt:g} s: no bias resolved at {args.paths} paths, outputs that count steps aside")


if __name__ == "__main__":
    main()
