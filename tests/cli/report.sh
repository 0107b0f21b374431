# wipeout report end to end: a report of a small run has every file; its CSV tables hold exactly the numbers
# of /summary (read back with h5py), and the ones it computes agree with numpy; refusals (not HDF5, wrong
# filetype, incomplete, existing report) exit 2 with one line and no traceback.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3  # Debian's Python: the one with h5py, numpy and matplotlib
cd "$tmp"

# expect_one_line: the refusal is one line on stderr, nothing on stdout, and never a Python traceback.
expect_one_line() {
  [[ $(wc -l <"$tmp/err") == 1 ]] || fail "expected one line on stderr, got: $(cat "$tmp/err")"
  [[ ! -s "$tmp/out" ]] || fail "expected nothing on stdout, got: $(cat "$tmp/out")"
  if grep -q Traceback "$tmp/err"; then fail "traceback on stderr: $(cat "$tmp/err")"; fi
  expect_grep '^wipeout report: error: ' "$tmp/err"
}

expect_exit 0 "$WIPEOUT" run --paths 1000 --seed 3 --save-trajectories 10 -o small.h5 -q

# ---- the report, in the default directory next to the file ----
expect_exit 0 "$WIPEOUT" report small.h5
expect_grep 'small_report/report.html: report written' "$tmp/out"
files=(report.html scenario.toml
  figures/exceedance.png figures/distributions.png figures/vbounce.png figures/vbounce_horizon.png
  figures/drivers_rank.png figures/drivers_mean.png figures/drivers_tail.png
  tables/headline.csv tables/probabilities.csv tables/summary.csv tables/distributions.csv
  tables/trajectories.csv tables/drivers.csv tables/driver_bins.csv
  tables/exceedance_max_drawdown.csv tables/exceedance_liquidated_notional.csv
  tables/exceedance_fund_payout.csv tables/exceedance_adl_notional.csv
  figures/fund_curve.png tables/fund_sizes.csv tables/fund_curve.csv
  figures/liquidation_map.png tables/liquidation_map.csv figures/response.png tables/response.csv)
for f in "${files[@]}"; do
  [[ -s small_report/$f ]] || fail "missing or empty: small_report/$f"
done

# Numbers: copied ones exactly (CSV floats are repr: they round-trip), computed ones to 1e-12 relative.
$PY - <<'EOF' || fail "report tables do not match the results file"
import csv, math
import h5py, numpy as np
import matplotlib
matplotlib.use("Agg")
import matplotlib.image as mpimg

REL = 1e-12  # computed statistics (fsum vs numpy): agreement to 1e-12 relative

def num(text):
    return float(text)

def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b

def close(a, b, rel=REL):
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)

def rows(name):
    with open(f"small_report/tables/{name}.csv", newline="") as fh:
        return list(csv.DictReader(fh))

f = h5py.File("small.h5", "r")
n = int(f.attrs["n_paths"])
s = f["summary"]
names = list(s["output"].asstr()[:])
summary = {name: i for i, name in enumerate(names)}

# summary.csv: every statistic of every output, exactly /summary.
table = rows("summary")
assert [r["output"] for r in table] == names
for r in table:
    i = summary[r["output"]]
    assert r["source"] == "summary"
    for key in ("unit", "kind", "adverse_tail"):
        assert r[key] == s[key].asstr()[i], (r["output"], key)
    for key in ("n", "n_missing"):
        assert int(r[key]) == int(s[key][i]), (r["output"], key)
    for key in ("mean", "sd", "se", "p01", "p05", "p50", "p95", "p99", "p999", "es95", "es99", "probability",
                "probability_lo", "probability_hi"):
        assert same(num(r[key]), float(s[key][i])), (r["output"], key, r[key], s[key][i])

# headline.csv: the /summary outputs exactly; long + short computed per path; Monte Carlo errors consistent.
head = {r["output"]: r for r in rows("headline")}
assert list(head) == ["max_drawdown", "liquidated_notional", "liquidated_long_notional",
                      "liquidated_short_notional", "fund_payout", "adl_notional", "bad_debt"], list(head)
for name, r in head.items():
    if name == "liquidated_notional":
        continue
    i = summary[name]
    assert r["source"] == "summary", name
    for key in ("mean", "se", "sd", "p95", "p99", "p999", "es95", "es99"):
        assert same(num(r[key]), float(s[key][i])), (name, key)
    assert int(r["n"]) == int(s["n"][i]) == n
total = f["paths/liquidated_long_notional"][:] + f["paths/liquidated_short_notional"][:]
r = head["liquidated_notional"]
assert r["source"] == "computed"
assert close(num(r["mean"]), total.mean()) and close(num(r["sd"]), total.std(ddof=1))
for key, p in (("p95", .95), ("p99", .99), ("p999", .999)):
    assert close(num(r[key]), np.quantile(total, p)), key
for key, k in (("es95", 50), ("es99", 10)):
    assert close(num(r[key]), np.sort(total)[-k:].mean()), key
for name, r in head.items():
    col = np.sort(total if name == "liquidated_notional" else f["paths"][name][:])
    for q in ("p95", "p99", "p999"):
        lo, value, hi = num(r[q + "_lo"]), num(r[q]), num(r[q + "_hi"])
        assert math.isnan(lo) or (lo <= value and lo in col), (name, q, lo, value)
        assert math.isnan(hi) or (hi >= value and hi in col), (name, q, hi, value)
    for e in ("es95", "es99"):
        assert math.isnan(num(r[e + "_se"])) or num(r[e + "_se"]) >= 0, (name, e)
    assert math.isnan(num(r["se"])) or close(num(r["se"]), num(r["sd"]) / math.sqrt(n))
# With 1000 paths the 99.9% quantile cannot be bounded from above by an order statistic.
assert math.isnan(num(head["max_drawdown"]["p999_hi"]))

# probabilities.csv: P(fund depleted) exactly /summary; P(ADL > 0) recounted, Wilson recomputed.
prob = {r["event"]: r for r in rows("probabilities")}
i = summary["fund_depleted"]
for key in ("probability", "probability_lo", "probability_hi"):
    assert same(num(prob["fund_depleted"][key]), float(s[key][i])), key
assert int(prob["fund_depleted"]["successes"]) == int(np.count_nonzero(f["paths/fund_depleted"][:]))
adl = f["paths/adl_notional"][:]
x = int(np.count_nonzero(adl > 0.01))
assert int(prob["adl_positive"]["successes"]) == x and int(prob["adl_positive"]["n"]) == n
z = 1.959963984540054
p = x / n
centre = (p + z * z / (2 * n)) / (1 + z * z / n)
half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
assert close(num(prob["adl_positive"]["probability"]), p)
assert math.isclose(num(prob["adl_positive"]["probability_lo"]), max(0.0, centre - half), rel_tol=REL, abs_tol=1e-15)
assert math.isclose(num(prob["adl_positive"]["probability_hi"]), min(1.0, centre + half), rel_tol=REL, abs_tol=1e-15)

# distributions.csv: /summary rows exactly.
for r in rows("distributions"):
    i = summary[r["output"]]
    for key in ("mean", "se", "p05", "p50", "p95", "p99"):
        assert same(num(r[key]), float(s[key][i])), (r["output"], key)

# Exceedance curves: each point's count is the number of paths above x.
for name in ("max_drawdown", "liquidated_notional", "fund_payout", "adl_notional"):
    col = total if name == "liquidated_notional" else f["paths"][name][:]
    curve = rows(f"exceedance_{name}")
    assert curve, name
    for r in curve:
        k = int(r["count_above"])
        assert k == int(np.count_nonzero(col > num(r["x"]))), (name, r)
        assert int(r["n"]) == n and close(num(r["p_exceed"]), k / n)
        assert num(r["p_lo"]) <= num(r["p_exceed"]) <= num(r["p_hi"])

# Trajectories: the worst / median / mildest picks by max drawdown among the saved paths.
traj = rows("trajectories")
saved = list(f["trajectories/trajectory"][:])
assert [int(r["path"]) for r in traj] == saved
dd = {int(r["path"]): num(r["max_drawdown"]) for r in traj}
for r in traj:
    assert same(dd[int(r["path"])], float(f["paths/max_drawdown"][int(r["path"])]))
role = {r["selected_as"]: int(r["path"]) for r in traj if r["selected_as"]}
assert dd[role["worst"]] == max(dd.values()) and dd[role["mildest"]] == min(dd.values()), role
assert "median" in role

# Drivers: exactly the scenario parameters that vary, ranked by |rho| with the drawdown.
varying = sorted(k for k, d in f["scenario"].items() if np.ptp(d[:]) > 0)
drivers = rows("drivers")
assert sorted(r["parameter"] for r in drivers) == varying, varying
rho = [abs(num(r["spearman_max_drawdown"])) for r in drivers]
assert rho == sorted(rho, reverse=True)
top = drivers[0]
assert -1 <= num(top["spearman_max_drawdown_lo"]) <= num(top["spearman_max_drawdown"]) <= \
    num(top["spearman_max_drawdown_hi"]) <= 1
bins = rows("driver_bins")
for name in varying:
    b = [r for r in bins if r["parameter"] == name]
    assert sum(int(r["n"]) for r in b) == n, name

# The page: provenance, the scenario, every figure embedded, nothing external.
page = open("small_report/report.html", encoding="utf-8").read()
a = f.attrs
for text in (f"{int(a['seed'])}", a["git_sha"], a["software_version"], "1,000", "complete", "[shock]"):
    assert text in page, text
assert page.count('<img src="data:image/png;base64,') == 10
assert "<details>" in page and "scenario" in page
import re
assert not re.search(r'(src|href)="(https?:)?//', page), "the report must not load anything external"
assert open("small_report/scenario.toml").read() == a["scenario"]

# Every PNG decodes and is not blank.
import glob
pngs = sorted(glob.glob("small_report/figures/*.png"))
assert len(pngs) == 10, pngs
for path in pngs:
    image = mpimg.imread(path)
    assert image.shape[0] > 300 and image.shape[1] > 800, (path, image.shape)
    assert image[..., :3].std() > 0.05, path
EOF

# ---- the fund-sizing section: the same figures as wipeout fund ----
expect_exit 0 "$WIPEOUT" fund small.h5 --p-adl 0.01 --json
cp "$tmp/out" fund.json
$PY - <<'EOF' || fail "the report's fund sizes differ from wipeout fund's"
import csv, json
j = json.load(open("fund.json"))
sizes = {r["p_adl_target"]: r for r in csv.DictReader(open("small_report/tables/fund_sizes.csv"))}
r = sizes["0.01"]
assert float(r["fund_to_oi"]) == j["fund_to_oi"] and float(r["p_adl_at_fund"]) == j["p_adl_at_fund"], (r, j)
assert [float(r["fund_to_oi_lo"]), float(r["fund_to_oi_hi"])] == j["fund_to_oi_ci"], (r, j)
assert float(r["fund_quote"]) == j["fund_quote"]
assert float(sizes["run"]["p_adl_at_fund"]) == j["p_adl_at_run_fund"]
EOF

# ---- the liquidation response: the paths' curve recomputed from /paths; a daily file set beside it ----
# A small daily file (the data's columns): one day in each bin of the fall, two days in 2-4%, one day without an
# opening open interest (skipped, as the real file's first rows), in two eras.
cat > days.csv <<'EOF'
date,open,high,low,close,volume_btc,oi_open_btc,oi_close_btc,long_liq_btc,short_liq_btc,funding_8h_pct_close,long_short_ratio
2021-12-31,100,101,99,100,1,,,1,1,0.01,
2022-01-01,100,101,99,100,1,1000,1000,1,3,0.01,
2022-01-02,100,101,97,100,1,1000,1000,2,2,0.01,
2022-01-03,100,103,97,100,1,1000,1000,4,1,0.01,
2022-01-04,100,101,95,100,1,1000,1000,6,2,0.01,
2022-01-05,100,101,93,100,1,1000,1000,9,1,0.01,
2022-01-06,100,101,90,100,1,1000,1000,12,3,0.01,
2022-01-07,100,101,80,100,1,1000,1000,30,5,0.01,
2020-03-12,100,101,60,100,1,1000,800,300,10,0.01,
EOF
expect_exit 0 "$WIPEOUT" report small.h5 -o resp --daily-data days.csv -q
$PY - <<'EOF' || fail "the response table differs from /paths or the daily file"
import csv
import h5py, numpy as np
rows = list(csv.DictReader(open("resp/tables/response.csv")))
p = h5py.File("small.h5", "r")["paths"]
dd = p["max_drawdown"][:]
L, S = p["liquidated_long_notional"][:], p["liquidated_short_notional"][:]
tot = L + S
long_oi = np.where(tot > 0, p["liquidated_oi_fraction"][:] * L / np.where(tot > 0, tot, 1), 0.0)
bins = ((0, .02), (.02, .04), (.04, .06), (.06, .08), (.08, .12), (.12, 1.0))
model = [r for r in rows if r["source"] == "paths"]
assert [(float(r["fall_lo"]), float(r["fall_hi"])) for r in model] == list(bins), model
for r, (lo, hi) in zip(model, bins):
    m = (dd >= lo) & (dd < hi)
    assert int(r["n"]) == m.sum(), (r, m.sum())
    if m.any():
        assert float(r["median"]) == np.median(long_oi[m]), r
        assert float(r["any_long"]) == np.mean(long_oi[m] > 0), r
        assert abs(float(r["long_share"]) - L[m].sum() / tot[m].sum()) < 1e-12, r
assert sum(int(r["n"]) for r in model) == len(dd)
days = {r["fall_lo"]: r for r in rows if r["source"] == "days 2022-01-01 2025-01-01"}
assert [int(days[k]["n"]) for k in ("0.0", "0.02", "0.04", "0.06", "0.08", "0.12")] == [1, 2, 1, 1, 1, 1], days
assert float(days["0.02"]["median"]) == 0.003 and float(days["0.02"]["long_share"]) == 6 / 9, days["0.02"]
assert float(days["0.12"]["median"]) == 0.03, days["0.12"]
era = [r for r in rows if r["source"] == "days 2020-01-01 2021-05-01"]
assert [int(r["n"]) for r in era] == [0, 0, 0, 0, 0, 1] and float(era[-1]["median"]) == 0.3, era
html = open("resp/report.html").read()
assert 'id="response"' in html and "days.csv" in html and "lower bounds" in html
EOF
# A daily file that is missing, or lacks a column, is one line and exit 2.
expect_exit 2 "$WIPEOUT" report small.h5 -o resp2 --daily-data none.csv
expect_one_line
expect_grep '^wipeout report: error: --daily-data none.csv: No such file or directory$' "$tmp/err"
cut -d, -f1-8 days.csv | sed 's/long_liq_btc/long/' > bad_days.csv
expect_exit 2 "$WIPEOUT" report small.h5 -o resp2 --daily-data bad_days.csv
expect_one_line
expect_grep '^wipeout report: error: --daily-data bad_days.csv: no column long_liq_btc ' "$tmp/err"
[[ ! -e resp2 ]] || fail "a refused report left a directory behind"

# ---- an existing report is not overwritten without --force; -o names the directory ----
expect_exit 2 "$WIPEOUT" report small.h5
expect_one_line
expect_grep 'already holds a report .*--force' "$tmp/err"
touch -d '2000-01-01' small_report/report.html
expect_exit 0 "$WIPEOUT" report small.h5 --force -q
[[ ! -s "$tmp/out" ]] || fail "-q printed: $(cat "$tmp/out")"
[[ small_report/report.html -nt small.h5 ]] || fail "--force did not rewrite report.html"
expect_exit 0 "$WIPEOUT" report small.h5 -o reports/custom -q
[[ -s reports/custom/report.html && -s reports/custom/tables/headline.csv ]] || fail "-o reports/custom not written"
mkdir mine && echo "my notes" >mine/notes.txt
expect_exit 0 "$WIPEOUT" report small.h5 -o mine -q
[[ $(cat mine/notes.txt) == "my notes" ]] || fail "a user's file in the report directory was touched"

# ---- refusals: exit 2, one line ----
echo "not hdf5" >notes.txt
expect_exit 2 "$WIPEOUT" report small.h5 -o notes.txt/report
expect_one_line
expect_grep 'cannot create the report directory' "$tmp/err"

expect_exit 2 "$WIPEOUT" report missing.h5
expect_one_line
expect_grep 'missing.h5: no such file' "$tmp/err"

expect_exit 2 "$WIPEOUT" report notes.txt
expect_one_line
expect_grep 'notes.txt: not an HDF5 file' "$tmp/err"

$PY - <<'EOF' || fail "making the odd files"
import shutil
import h5py, numpy as np
with h5py.File("sweep.h5", "w") as f:  # a sweep file with nothing in it (real ones: tests/cli/report_sweep.sh)
    f.attrs["filetype"] = "wipeout-sweep"
with h5py.File("other.h5", "w") as f:
    f.attrs["filetype"] = "wipeout-something-else"
with h5py.File("plain.h5", "w") as f:
    f["x"] = np.arange(3)
shutil.copy("small.h5", "future.h5")
with h5py.File("future.h5", "r+") as f:
    f.attrs["format_version"] = np.array([2, 0], dtype=np.int32)
# An interrupted run as the driver leaves it: complete = 0, n_paths_done short of n_paths, no /summary.
shutil.copy("small.h5", "partial.h5")
with h5py.File("partial.h5", "r+") as f:
    f.attrs["complete"] = np.int32(0)
    f.attrs["n_paths_done"] = np.uint64(500)
    del f["summary"]
EOF
expect_exit 2 "$WIPEOUT" report sweep.h5
expect_one_line
expect_grep "sweep.h5: not a valid wipeout sweep file" "$tmp/err"
expect_exit 2 "$WIPEOUT" report other.h5
expect_one_line
expect_grep "filetype 'wipeout-something-else' cannot be reported \\(wipeout report reads: wipeout-results, wipeout-sweep\\)" "$tmp/err"
expect_exit 2 "$WIPEOUT" report plain.h5
expect_one_line
expect_grep 'not a wipeout file' "$tmp/err"
expect_exit 2 "$WIPEOUT" report future.h5
expect_one_line
expect_grep 'format 2.0 is not supported' "$tmp/err"
expect_exit 2 "$WIPEOUT" report partial.h5
expect_one_line
expect_grep 'incomplete results file \(500 of 1000 paths.*--allow-incomplete' "$tmp/err"
[[ ! -e partial_report ]] || fail "a refused report left a directory behind"
expect_exit 2 "$WIPEOUT" report small.h5 --no-such-option
expect_one_line
expect_exit 2 "$WIPEOUT" report
expect_one_line

# ---- --allow-incomplete: a loudly provisional report from the paths on disk ----
expect_exit 0 "$WIPEOUT" report partial.h5 --allow-incomplete -q
expect_grep 'warning: INCOMPLETE results file: 500 of 1,000 paths' "$tmp/err"
grep -q 'class="banner"' partial_report/report.html || fail "no warning banner in the provisional report"
grep -q 'PROVISIONAL' partial_report/report.html || fail "the provisional report's title does not say so"
$PY - <<'EOF' || fail "provisional report numbers"
import csv, math
import h5py, numpy as np
f = h5py.File("partial.h5", "r")
dd = f["paths/max_drawdown"][:500]
with open("partial_report/tables/headline.csv", newline="") as fh:
    r = {row["output"]: row for row in csv.DictReader(fh)}["max_drawdown"]
assert r["source"] == "computed" and int(r["n"]) == 500
assert math.isclose(float(r["mean"]), dd.mean(), rel_tol=1e-12)
assert math.isclose(float(r["p99"]), np.quantile(dd, 0.99), rel_tol=1e-12)
EOF

# ---- the --help of the script comes through the C++ front end ----
expect_exit 0 "$WIPEOUT" report --help
expect_grep 'allow-incomplete' "$tmp/out"
echo "report: OK"
