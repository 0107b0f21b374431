# wipeout report of sweep files: a 3 x 2 grid and a 10-point Latin hypercube give every file; the points table
# (CSV) holds exactly /summary's numbers at each point (h5py), the key values and seeds of /sweep; --stat and
# --outputs choose what is shown; an incomplete sweep is refused without --allow-incomplete; both pages open in
# headless Chromium with every image decoded and no error.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
PY=/usr/bin/python3
cd "$tmp"

expect_exit 0 "$WIPEOUT" sweep --grid shock.size=0.02:0.12:3 --grid regime.air_pocket=0,1 --paths-per-point 100 \
  --seed 5 -o grid.h5 -q
expect_exit 0 "$WIPEOUT" sweep --lhs shock.size=0.02:0.15 --lhs book.depth_1pct=log:1e6:1e8 --points 10 \
  --paths-per-point 50 --seed 6 -o lhs.h5 -q

expect_exit 0 "$WIPEOUT" report grid.h5
expect_grep 'grid_report/report.html: report written \(2 figures, 1 tables' "$tmp/out"
for f in report.html scenario.toml figures/sweep_heatmaps.png figures/sweep_lines.png tables/sweep_points.csv; do
  [[ -s grid_report/$f ]] || fail "missing or empty: grid_report/$f"
done
expect_exit 0 "$WIPEOUT" report lhs.h5 --stat p99 -o lhs_p99
for f in report.html figures/sweep_scatter.png tables/sweep_points.csv tables/sweep_rank_correlations.csv; do
  [[ -s lhs_p99/$f ]] || fail "missing or empty: lhs_p99/$f"
done
expect_grep 'no interval' lhs_p99/report.html
expect_exit 0 "$WIPEOUT" report lhs.h5 -q

# CSV == /summary exactly (floats are repr in the CSV: they round-trip), keys and seeds == /sweep.
check_points() {  # FILE.h5 CSV STAT
  $PY - "$@" <<'EOF' || fail "$2 does not match $1"
import csv, math, sys
import h5py, numpy as np
path, table, stat = sys.argv[1:]
f = h5py.File(path, "r")
names = list(f["summary/output"].asstr()[:])
keys = list(f.attrs["sweep_keys"].astype(str)) if f.attrs["sweep_keys"].dtype.kind != "O" else [
    k.decode() if isinstance(k, bytes) else k for k in f.attrs["sweep_keys"]]
n_points = int(f.attrs["n_points"])
rows = list(csv.DictReader(open(table, newline="")))
assert len(rows) == n_points, (len(rows), n_points)
def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b
checked = 0
for p, row in enumerate(rows):
    assert int(row["point"]) == p
    assert int(row["seed"]) == int(f["sweep/seed"][p])
    assert row["command"] == f["sweep/command"][p].decode()
    for k in keys:
        assert float(row[k]) == float(f[f"sweep/{k}"][p]), (p, k)
    for column, text in row.items():
        if ":" not in column:
            continue
        output, s = column.split(":")
        table2d = f[f"summary/{s}"][...].reshape(-1, len(names))  # grid: row-major = point order
        want = float(table2d[p, names.index(output)])
        assert same(float(text), want), (p, column, text, want)
        checked += 1
shown = {c.split(":")[1] for c in rows[0] if ":" in c}
assert stat in shown and "probability" in shown, shown
print(f"{table}: {checked} values equal /summary")
EOF
}
check_points grid.h5 grid_report/tables/sweep_points.csv mean
check_points lhs.h5 lhs_p99/tables/sweep_points.csv p99
check_points lhs.h5 lhs_report/tables/sweep_points.csv mean
grep -q '^point,shock.size,regime.air_pocket,seed,max_drawdown:mean,max_drawdown:se,' grid_report/tables/sweep_points.csv ||
  fail "unexpected header: $(head -n 1 grid_report/tables/sweep_points.csv)"

# Choices and refusals: --outputs, an unknown statistic or output, --stat on a run file.
expect_exit 0 "$WIPEOUT" report grid.h5 --stat es99 --outputs max_drawdown,fund_depleted -o grid_es -q
[[ $(head -n 1 grid_es/tables/sweep_points.csv) == point,shock.size,regime.air_pocket,seed,max_drawdown:es99,fund_depleted:probability,fund_depleted:probability_lo,fund_depleted:probability_hi,command ]] ||
  fail "--outputs/--stat not applied: $(head -n 1 grid_es/tables/sweep_points.csv)"
expect_exit 2 "$WIPEOUT" report grid.h5 --stat p42 -o x1
expect_grep "^wipeout report: error: --stat p42: not a /summary statistic" "$tmp/err"
expect_exit 2 "$WIPEOUT" report grid.h5 --outputs no_such_output -o x2
expect_grep "has no output 'no_such_output'" "$tmp/err"
if grep -q Traceback "$tmp/err"; then fail "traceback: $(cat "$tmp/err")"; fi

# An incomplete sweep (complete = 0, no /summary) is refused, and reported provisionally when allowed.
cp grid.h5 partial.h5
$PY - <<'EOF'
import h5py
with h5py.File("partial.h5", "r+") as f:
    f.attrs["complete"] = 0
    f.attrs["n_paths_done"] = 350  # points 0..2 finished, point 3 half
    del f["summary"]
EOF
expect_exit 2 "$WIPEOUT" report partial.h5
expect_grep "incomplete results file .* 'wipeout sweep \.\.\. --resume', or pass --allow-incomplete" "$tmp/err"
expect_exit 0 "$WIPEOUT" report partial.h5 --allow-incomplete -q
expect_grep 'INCOMPLETE sweep file: 3 of 6 points' partial_report/report.html
$PY - <<'EOF' || fail "the provisional statistics are not the finished points' ones"
import csv, math
import h5py
f = h5py.File("grid.h5", "r")
names = list(f["summary/output"].asstr()[:])
mean = f["summary/mean"][...].reshape(-1, len(names))[:, names.index("max_drawdown")]
rows = list(csv.DictReader(open("partial_report/tables/sweep_points.csv")))
for p, row in enumerate(rows):
    got = float(row["max_drawdown:mean"])
    if p < 3:
        assert math.isclose(got, mean[p], rel_tol=1e-12), (p, got, mean[p])
    else:
        assert math.isnan(got), (p, got)
EOF

# Both pages in headless Chromium: every image decodes, no script or console error, non-blank screenshot.
source "$here/lib_browser.sh"
for report in grid_report lhs_report; do
  result=$(check_page "$tmp/$report/report.html")
  n_png=$(ls "$tmp/$report/figures" | wc -l)
  echo "report_sweep: $report/report.html: $result"
  [[ $result == "images=$n_png ok=$n_png errors=0 console=0" ]] ||
    fail "$report in Chromium: $result; $(grep -o 'data-selfcheck-error-text="[^"]*"' dom.html)"
  result=$(screenshot_page "$tmp/$report/report.html" 1280 3000 "sweep_${report}_screenshot") || exit 1
  echo "report_sweep: $report $result"
done
echo "report_sweep: OK"
