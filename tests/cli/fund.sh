# wipeout fund end to end: the fund for a target P(ADL) from one run, checked by re-running at that fund (the
# same paths: exactly the run's count; other paths: within Monte Carlo error), the curve against brute-force
# re-runs path by path, the CSV and PNG, and every refusal (exit 2, one line naming the option or the file).
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
cd "$tmp"

expect_exit 0 "$WIPEOUT" run --paths 2000 --seed 11 -q -o f.h5

# ---- the sizes, as JSON ----
expect_exit 0 "$WIPEOUT" fund f.h5 --p-adl 0.02 --json
cp "$tmp/out" fund.json
$PY - <<'EOF' || fail "wipeout fund --json"
import json, math
import h5py, numpy as np
j = json.load(open("fund.json"))
need = np.sort(h5py.File("f.h5", "r")["paths/fund_needed_to_oi"][:])
n = len(need)
assert j["n_paths"] == n and j["p_adl_target"] == 0.02 and j["confidence"] == 0.95
k = math.floor(0.02 * n)
assert j["fund_to_oi"] == need[n - k - 1], (j["fund_to_oi"], need[n - k - 1])  # the order statistic
assert j["p_adl_at_fund"] <= 0.02 and j["p_adl_at_fund"] == np.count_nonzero(need > j["fund_to_oi"]) / n
lo, hi = j["fund_to_oi_ci"]
assert lo <= j["fund_to_oi"] <= hi, j["fund_to_oi_ci"]
assert [s["p_adl"] for s in j["sizes"]] == [0.01, 0.001, 0.02]
# The run's own fund: exactly its P(fund depleted), path by path.
depleted = h5py.File("f.h5", "r")["paths/fund_depleted"][:]
assert j["run_fund_to_oi"] == 0.005 and j["p_adl_at_run_fund"] == depleted.mean(), j["p_adl_at_run_fund"]
open("fund_to_oi.txt", "w").write(repr(j["fund_to_oi"] * (1 + 1e-9)))  # just above: no tie at the boundary
open("p.txt", "w").write(repr(j["p_adl_at_fund"]))
EOF

# ---- re-run at that fund: the same paths give exactly the run's P(ADL); other paths, within MC error ----
F=$(cat fund_to_oi.txt)
expect_exit 0 "$WIPEOUT" run --paths 2000 --seed 11 -q -o same.h5 --set "fund.initial_to_oi=$F"
expect_exit 0 "$WIPEOUT" run --paths 2000 --seed 12 -q -o other.h5 --set "fund.initial_to_oi=$F"
$PY - <<'EOF' || fail "re-run at the computed fund"
import h5py, numpy as np
p = float(open("p.txt").read())
same = h5py.File("same.h5", "r")["paths/fund_depleted"][:]
assert same.mean() == p, (same.mean(), p)
other = h5py.File("other.h5", "r")["paths/fund_depleted"][:]
n = len(other)
se = np.sqrt(0.02 * 0.98 / n)
assert abs(other.mean() - 0.02) <= 3.5 * se + 1 / n, (other.mean(), se)  # a fresh sample, 3.5 sigma
EOF

# ---- the curve (CSV) against brute-force re-runs at several funds, path by path ----
expect_exit 0 "$WIPEOUT" fund f.h5 --csv curve.csv
expect_grep 'P\(ADL\) <= 1%' "$tmp/out"
expect_grep "this run's fund \(0.5% of OI\)" "$tmp/out"
$PY - <<'EOF' || fail "the curve"
import csv, subprocess, os
import h5py, numpy as np
rows = [r for r in csv.DictReader(open("curve.csv")) if r["measure"] == "fund_to_oi"]
need = h5py.File("f.h5", "r")["paths/fund_needed_to_oi"][:300]
full = np.sort(h5py.File("f.h5", "r")["paths/fund_needed_to_oi"][:])
for r in rows[::max(1, len(rows) // 40)]:
    assert int(r["paths_above"]) == np.count_nonzero(full > float(r["fund"])), r
    assert float(r["p_lo"]) <= float(r["p_adl"]) <= float(r["p_hi"]), r
ps = [float(r["p_adl"]) for r in rows]
assert ps == sorted(ps, reverse=True) and float(rows[0]["fund"]) == 0
# Funds between the needs of the first 300 paths, clear of ties; each re-run path by path.
inner = np.unique(need[need > 0])
for q in (0.25, 0.6, 0.9):
    i = int(q * (len(inner) - 1))
    F = float(np.sqrt(inner[i] * inner[i + 1]))
    subprocess.run([os.environ["WIPEOUT"], "run", "--paths", "300", "--seed", "11", "-q", "-o", "b.h5", "--force",
                    "--set", f"fund.initial_to_oi={F!r}"], check=True)
    depleted = h5py.File("b.h5", "r")["paths/fund_depleted"][:]
    assert np.array_equal(depleted == 1, need > F), F
EOF

# ---- the figure ----
expect_exit 0 "$WIPEOUT" fund f.h5 --png curve.png
$PY -c "import matplotlib.image as m; a = m.imread('curve.png'); assert a.shape[0] > 300 and a.shape[1] > 600" \
  || fail "curve.png is not a figure"

# ---- refusals: one line, exit 2, naming the option or the file ----
for bad in 0 1 -0.1 1.5 nan abc; do
  expect_exit 2 "$WIPEOUT" fund f.h5 --p-adl "$bad"
  expect_grep "^wipeout: error: --p-adl '$bad': expected a number in \(0, 1\)" "$tmp/err"
  expect_exit 2 "$WIPEOUT" fund f.h5 --confidence "$bad"
  expect_grep "^wipeout: error: --confidence '$bad'" "$tmp/err"
done
expect_exit 2 "$WIPEOUT" fund missing.h5
[[ $(wc -l <"$tmp/err") == 1 ]] || fail "more than one line: $(cat "$tmp/err")"
expect_exit 2 "$WIPEOUT" fund f.h5 --csv curve.csv
expect_grep 'curve.csv: the file exists; pass --force' "$tmp/err"
expect_exit 0 "$WIPEOUT" fund f.h5 --csv curve.csv --force
expect_exit 2 "$WIPEOUT" fund f.h5 --png f.h5 --force
expect_grep 'that is the results file' "$tmp/err"
# A file without fund_needed (written before fund sizing), and an incomplete one.
$PY - <<'EOF'
import h5py, shutil
shutil.copy("f.h5", "old.h5")
with h5py.File("old.h5", "a") as f:
    del f["paths/fund_needed_to_oi"]
shutil.copy("f.h5", "partial.h5")
with h5py.File("partial.h5", "a") as f:
    f.attrs["complete"] = 0
EOF
expect_exit 2 "$WIPEOUT" fund old.h5
expect_grep 'old.h5 has no /paths/fund_needed_to_oi' "$tmp/err"
expect_exit 2 "$WIPEOUT" fund partial.h5
expect_grep 'partial.h5 is incomplete' "$tmp/err"
[[ $(wc -l <"$tmp/err") == 1 ]] || fail "more than one line: $(cat "$tmp/err")"
echo "fund: ok"
