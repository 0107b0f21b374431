#!/usr/bin/python3
"""Golden outputs: the bits of a few hundred paths of every shipped scenario, pinned in tests/golden/pins/.

Each case runs `wipeout run` and hashes every dataset of the results file (per-path outputs, sampled
parameters, trajectories, summary) and every path's row across all per-path datasets. A case passes only when
every hash equals its pin, so a refactor proves it changed no bit; a failure names the case, the datasets and
the first path that differ. Checked runs (--check, on each case's first paths) must give the same bits as unchecked ones.

    tests/golden/golden.py --wipeout build/wipeout            # compare with the pins (exit 1 on any change)
    tests/golden/golden.py --wipeout build/wipeout --update   # rewrite the pins: only for an intended change
"""
import argparse
import hashlib
import pathlib
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
PINS = pathlib.Path(__file__).resolve().parent / "pins"


def cases():
    """(name, scenario file or None, paths, extra arguments): the default scenario (its crowd from a Brownian
    history), every experiment (the history events' crowds from their bars, the grid crowd of
    experiments/grid_crowd.toml, the snapshots'), and the history's opening flow renewed during the path."""
    out = [("default", None, 300, ["--save-trajectories", "3"])]
    experiments = [sorted((ROOT / d).glob("*.toml")) for d in ("experiments", "experiments/history", "experiments/snapshot")]
    for f in sum(experiments, []):
        out.append((f.stem, f, 150, ["--save-trajectories", "2"]))
    out.append(("default_history_renewal", None, 60, ["--set", "history.renewal=true", "--save-trajectories", "2"]))
    return out


def digest(data: np.ndarray) -> str:
    if data.dtype.kind == "O":  # strings
        blob = b"\0".join(x if isinstance(x, bytes) else str(x).encode() for x in data.ravel())
    else:
        blob = np.ascontiguousarray(data).astype(data.dtype.newbyteorder("<"), copy=False).tobytes()
    return hashlib.sha256(blob).hexdigest()[:32]


def fingerprint(h5: pathlib.Path, row_datasets=None) -> dict:
    """{dataset: hash} for every dataset, and {"path#i": hash} for every path's row of /paths and /scenario (of
    those in `row_datasets` when given: the pinned ones, so a dataset appended later leaves the rows' hashes
    as they were and shows as new, never as every path changed)."""
    hashes = {}
    rows = []
    with h5py.File(h5, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                data = obj[()]
                hashes[name] = digest(np.asarray(data))
                if name.startswith(("paths/", "scenario/")) and (row_datasets is None or name in row_datasets):
                    rows.append((name, np.asarray(data)))
        f.visititems(visit)
    rows.sort(key=lambda r: r[0])
    n = len(rows[0][1]) if rows else 0
    for i in range(n):
        h = hashlib.sha256()
        for _, data in rows:
            h.update(np.asarray(data[i]).astype(data.dtype.newbyteorder("<")).tobytes())
        hashes[f"path#{i}"] = h.hexdigest()[:16]
    return hashes


CHECKED_PATHS = 40  # a checked path costs ~50x: the first paths of each case, compared row by row


def run_case(wipeout, name, scenario, paths, extra, workdir, check, row_datasets=None):
    if check:  # the same paths, without the trajectories
        paths = min(paths, CHECKED_PATHS)
        extra = [a for a in extra if a != "--save-trajectories" and not a.isdigit()]
    out = pathlib.Path(workdir) / f"{name}{'_check' if check else ''}.h5"
    cmd = [wipeout, "run"] + ([str(scenario)] if scenario else []) + [
        "--paths", str(paths), "--threads", "2", "-q", "-o", str(out)] + extra + (["--check"] if check else [])
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"golden: {' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()}")
    return fingerprint(out, row_datasets)


def read_pins(name):
    pins = {}
    for line in (PINS / f"{name}.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            key, value = line.split()
            pins[key] = value
    return pins


def write_pins(name, hashes):
    PINS.mkdir(exist_ok=True)
    lines = [f"# wipeout golden outputs of case '{name}': tests/golden/golden.py --update rewrites this"]
    lines += [f"{k} {v}" for k, v in sorted(hashes.items(), key=lambda kv: (kv[0].startswith("path#"),
                                                                          kv[0] if not kv[0].startswith("path#")
                                                                          else int(kv[0][5:])))]
    (PINS / f"{name}.txt").write_text("\n".join(lines) + "\n")


def compare(label, hashes, pins, rows_only=False):
    """One line per difference class; [] when equal. rows_only: compare the paths this run has, row by row."""
    if rows_only:
        pins = {k: v for k, v in pins.items() if k in hashes and k.startswith("path#")}
        hashes = {k: v for k, v in hashes.items() if k.startswith("path#")}
    problems = []
    missing = sorted(set(pins) - set(hashes))
    extra = sorted(set(hashes) - set(pins))
    changed = sorted(k for k in set(pins) & set(hashes) if pins[k] != hashes[k])
    datasets = [k for k in changed if not k.startswith("path#")]
    paths = sorted((int(k[5:]) for k in changed if k.startswith("path#")))
    if missing:
        problems.append(f"{label}: datasets gone: {', '.join(missing[:8])}")
    if extra:
        problems.append(f"{label}: new datasets (pin them with --update if intended): {', '.join(extra[:8])}")
    if datasets:
        problems.append(f"{label}: {len(datasets)} datasets changed: {', '.join(datasets[:8])}"
                        + (" ..." if len(datasets) > 8 else ""))
    if paths:
        problems.append(f"{label}: {len(paths)} paths changed, the first is path {paths[0]}")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wipeout", required=True, help="the wipeout binary")
    ap.add_argument("--update", action="store_true", help="rewrite the pins from this binary's outputs")
    ap.add_argument("--no-check", action="store_true", help="skip the --check runs")
    ap.add_argument("--case", action="append", help="run only these cases (repeatable)")
    args = ap.parse_args()
    selected = [c for c in cases() if not args.case or c[0] in args.case]
    if args.case and len(selected) != len(set(args.case)):
        known = ", ".join(c[0] for c in cases())
        print(f"golden: --case: unknown case among {args.case} (known: {known})", file=sys.stderr)
        return 2
    problems = []
    with tempfile.TemporaryDirectory() as work:
        for name, scenario, paths, extra in selected:
            pinned = PINS / f"{name}.txt"
            rows = None if args.update or not pinned.exists() else {k for k in read_pins(name) if "#" not in k}
            hashes = run_case(args.wipeout, name, scenario, paths, extra, work, check=False, row_datasets=rows)
            if args.update:
                write_pins(name, hashes)
                print(f"golden: pinned {name} ({len(hashes)} hashes)")
                continue
            if not (PINS / f"{name}.txt").exists():
                problems.append(f"{name}: no pins (tests/golden/golden.py --update makes them)")
                continue
            pins = read_pins(name)
            found = compare(name, hashes, pins)
            if not args.no_check:
                # Invariant checks only observe: the checked run must give the same bits.
                checked = run_case(args.wipeout, name, scenario, paths, extra, work, check=True, row_datasets=rows)
                found += compare(f"{name} --check", checked, pins, rows_only=True)
            problems += found
            print(f"golden: {name}: {'ok' if not found else 'CHANGED'}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(f"golden: {len(problems)} differences from the pins", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
