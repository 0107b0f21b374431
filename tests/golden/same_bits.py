#!/usr/bin/python3
"""Two wipeout binaries, the same bits: every dataset the two results files share, on every golden case.

For a change that adds outputs or parameters (which golden.py's pins must then take with --update), this proves
that nothing that existed before moved: each case of golden.py runs with both binaries, and every dataset present
in both files must be bit-identical (/summary row by row, matched by output name). Datasets only one side has are
listed, not compared.

    tests/golden/same_bits.py --reference /tmp/ref/build/wipeout --reference-tree /tmp/ref --wipeout build/wipeout
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import golden  # noqa: E402  (the cases)


def run(wipeout, scenario, paths, extra, out):
    cmd = [wipeout, "run"] + ([str(scenario)] if scenario else []) + [
        "--paths", str(paths), "--threads", "2", "-q", "-o", str(out)] + extra
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"same_bits: {' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()}")


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = np.asarray(obj[()])
        f.visititems(visit)
    return out


def same(a, b):
    if a.dtype.kind == "O" or b.dtype.kind == "O":
        return a.shape == b.shape and all(x == y for x, y in zip(a.ravel(), b.ravel()))
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def compare(ref, new):
    """(compared, problems, only_ref, only_new)."""
    problems, compared = [], 0
    summary_rows = {}
    for side, d in (("ref", ref), ("new", new)):
        names = [x.decode() if isinstance(x, bytes) else str(x) for x in d.get("summary/output", [])]
        summary_rows[side] = {n: i for i, n in enumerate(names)}
    for name in sorted(set(ref) & set(new)):
        a, b = ref[name], new[name]
        if name.startswith("summary/") and a.ndim == 1 and len(a) == len(summary_rows["ref"]):
            for output, i in summary_rows["ref"].items():
                j = summary_rows["new"].get(output)
                if j is None:
                    problems.append(f"{name}: output {output} gone")
                elif not same(a[i:i + 1], b[j:j + 1]):
                    problems.append(f"{name}[{output}]: {a[i]!r} -> {b[j]!r}")
            compared += 1
            continue
        if not same(a, b):
            problems.append(f"{name} differs")
        compared += 1
    return compared, problems, sorted(set(ref) - set(new)), sorted(set(new) - set(ref))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", required=True, help="the wipeout binary before the change")
    ap.add_argument("--wipeout", required=True, help="the wipeout binary after it")
    ap.add_argument("--reference-tree", type=pathlib.Path,
                    help="the reference's source tree: its own scenario files run with it (default: this tree's)")
    args = ap.parse_args()
    failed = False
    with tempfile.TemporaryDirectory() as work:
        for name, scenario, paths, extra in golden.cases():
            r, n = pathlib.Path(work) / f"{name}_ref.h5", pathlib.Path(work) / f"{name}_new.h5"
            ref_scenario = (args.reference_tree / scenario.relative_to(golden.ROOT)
                            if scenario and args.reference_tree else scenario)
            run(args.reference, ref_scenario, paths, extra, r)
            run(args.wipeout, scenario, paths, extra, n)
            compared, problems, only_ref, only_new = compare(datasets(r), datasets(n))
            print(f"same_bits: {name}: {compared} shared datasets {'identical' if not problems else 'DIFFER'}"
                  f"; only in the new file: {', '.join(only_new) or 'none'}"
                  + (f"; only in the reference: {', '.join(only_ref)}" if only_ref else ""))
            for p in problems[:20]:
                print(f"  {p}", file=sys.stderr)
            failed |= bool(problems) or bool(only_ref)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
