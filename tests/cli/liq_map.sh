# wipeout liq-map end to end: the CSV's header and columns against the JSON's bins and totals, the PNG, the
# crowd of another path and of a position snapshot, the map a run stores (/liquidation_map, equal to liq-map's
# of path 0) and the report of a file from before the map; refusals (bad --bins or --range, an existing output
# without --force) exit 2 with one line.
source "$(dirname "$0")/lib.sh"
: "${WIPEOUT_SOURCE_DIR:?WIPEOUT_SOURCE_DIR must point at the source tree}"
PY=/usr/bin/python3
cd "$tmp"

# expect_one_line: a refusal is one line on stderr naming the problem, nothing on stdout.
expect_one_line() {
  [[ $(wc -l <"$tmp/err") == 1 ]] || fail "expected one line on stderr, got: $(cat "$tmp/err")"
  [[ ! -s "$tmp/out" ]] || fail "expected nothing on stdout, got: $(cat "$tmp/out")"
  expect_grep "^wipeout: error: $1" "$tmp/err"
}

# ---- the table, the CSV and the JSON of one map ----
expect_exit 0 "$WIPEOUT" liq-map
expect_grep '^liquidation map of path 0 \(seed 1\) of built-in default scenario$' "$tmp/out"
expect_grep '^  cliff down  ' "$tmp/out"
expect_grep '^  heaviest bins ' "$tmp/out"
expect_exit 0 "$WIPEOUT" liq-map --range 60000:140000 --bins 80 --csv map.csv
expect_grep '^  map: map.csv$' "$tmp/out"
expect_exit 0 "$WIPEOUT" liq-map --range 60000:140000 --bins 80 --json
cp "$tmp/out" map.json
[[ $(head -n 1 map.csv) == "price,long_liquidated,short_liquidated,long_cumulative,short_cumulative" ]] ||
  fail "CSV header: $(head -n 1 map.csv)"
$PY - <<'EOF' || fail "the CSV and the JSON"
import csv, json, math
j = json.load(open("map.json"))
rows = list(csv.DictReader(open("map.csv")))
assert len(rows) == 80 == len(j["bins"]), len(rows)
assert all(len(r) == 5 for r in rows)
assert j["range"] == [60000, 140000] and j["bin_width"] == 1000 and j["path"] == 0 and j["seed"] == 1
assert j["crowd"] == "history" and j["reference_price"] == 100000
p0 = j["reference_price"]
for r, b in zip(rows, j["bins"]):
    for key in ("price", "long_liquidated", "short_liquidated", "long_cumulative", "short_cumulative"):
        assert float(r[key]) == b[key], (key, r, b)  # shortest round-trip numbers in both
    assert b["low"] < b["price"] < b["high"] and math.isclose(b["high"] - b["low"], 1000)
    assert b["long_liquidated"] == 0 or b["low"] < p0  # longs below P0, shorts above
    assert b["short_liquidated"] == 0 or b["high"] > p0
price = [float(r["price"]) for r in rows]
assert price == sorted(price) and price[0] == 60500 and price[-1] == 139500
# Cumulative from P0 outward: longs grow downwards, shorts upwards, each by its bins.
L, S = j["longs"], j["shorts"]
assert math.isclose(sum(b["long_liquidated"] for b in j["bins"]), L["in_range"], rel_tol=1e-12)
assert math.isclose(sum(b["short_liquidated"] for b in j["bins"]), S["in_range"], rel_tol=1e-12)
assert math.isclose(j["bins"][0]["long_cumulative"], L["in_range"] + L["before_range"], rel_tol=1e-12)
assert math.isclose(j["bins"][-1]["short_cumulative"], S["in_range"] + S["before_range"], rel_tol=1e-12)
assert math.isclose(L["in_range"] + L["beyond_range"] + L["before_range"], L["notional"], rel_tol=1e-12)
long_cum = [b["long_cumulative"] for b in j["bins"] if b["low"] < p0]
short_cum = [b["short_cumulative"] for b in j["bins"] if b["high"] > p0]
assert long_cum == sorted(long_cum, reverse=True) and short_cum == sorted(short_cum)
assert L["never_cohorts"] > 0 and L["never_open_interest"] > 0  # 1x longs, left out
for key in ("cliff_down", "cliff_up"):
    c = j[key]
    assert (c["found"] and c["forced"] > c["depth"]) or (not c["found"] and c["move"] is None), c
    # Its reach: beyond the cliff, where the depth has caught up (none without a cliff).
    assert (c["found"] and c["move"] < c["reach"] <= 0.95 and c["reach_forced"] >= c["forced"]) or (
        not c["found"] and c["reach"] is None), c
EOF

# A crowd that outruns its book (the weekend experiment): the cliff, exactly where F first exceeds D.
expect_exit 0 "$WIPEOUT" liq-map "$WIPEOUT_SOURCE_DIR/experiments/weekend_air_pocket.toml" --json
cp "$tmp/out" weekend.json
$PY - <<'EOF' || fail "the weekend map's cliff"
import json
j = json.load(open("weekend.json"))
c = j["cliff_down"]
assert c["found"] and 0 < c["move"] < 0.5 and c["forced"] > c["depth"], c
assert abs(c["price"] - j["reference_price"] * (1 - c["move"])) < 1e-6 * c["price"]
# The bins' curves cross the depth no earlier than the cliff's bin (the cliff is exact, the bins coarser; a
# crowd shaped by its history crosses within the first bin below P0, where no bin edge shows it).
p0 = j["reference_price"]
first = next((b for b in reversed(j["bins"]) if b["low"] < p0 and b["long_cumulative"] > b["bid_depth"]), None)
assert first is None or first["low"] <= c["price"], (first, c)
EOF

# Another path's crowd, and a position snapshot's cohorts with the order-book snapshot's depth.
expect_exit 0 "$WIPEOUT" liq-map --path 5 --seed 9 --json
$PY -c "import json, sys; j = json.load(open('$tmp/out')); assert j['path'] == 5 and j['seed'] == 9" ||
  fail "--path 5 --seed 9"
expect_exit 0 "$WIPEOUT" liq-map "$WIPEOUT_SOURCE_DIR/experiments/snapshot/weekend_shock.toml" --json
$PY -c "
import json; j = json.load(open('$tmp/out'))
assert j['crowd'] == 'snapshot' and 'positions.csv' in j['crowd_text'] and 'order-book snapshot' in j['book_text'], j
" || fail "the snapshot's map"
printf 'side,entry,qty,leverage\nlong,100000,1,10\nlong,100000,2,1\nshort,100000,0.5,20\n' >positions.csv
expect_exit 0 "$WIPEOUT" liq-map --set positions.source=positions.csv --json
$PY -c "
import json, math; j = json.load(open('$tmp/out'))
L, S = j['longs'], j['shorts']
assert j['crowd'] == 'snapshot' and L['cohorts'] == 1 and L['never_cohorts'] == 1 and S['cohorts'] == 1, j
assert math.isclose(L['open_interest'], 3e5) and math.isclose(L['never_open_interest'], 2e5), L
assert math.isclose(S['open_interest'], 5e4), S
" || fail "a three-position snapshot's map"

# ---- the figure ----
expect_exit 0 "$WIPEOUT" liq-map --png map.png
expect_grep '^  figure: map.png$' "$tmp/out"
[[ $(head -c 8 map.png | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "map.png is not a PNG"

# ---- refusals: exit 2, one line, naming the option and the value ----
for bad in 0 -5 abc 1.5 100001 1e3 ""; do
  expect_exit 2 "$WIPEOUT" liq-map --bins "$bad"
  expect_one_line "--bins '$bad': expected a whole number in \[1, 100000\]"
done
for bad in 5:3 100:100 abc 1: :2 -1:5 1:2:3 nan:1 0:inf 1:2e15 100000; do
  expect_exit 2 "$WIPEOUT" liq-map --range "$bad"
  expect_one_line "--range '$bad': expected LOW:HIGH, prices with 0 <= LOW < HIGH"
done
expect_exit 2 "$WIPEOUT" liq-map no_such.toml
expect_one_line 'no_such.toml'
expect_exit 2 "$WIPEOUT" liq-map --csv same.out --png same.out
expect_one_line '--csv and --png are both same.out'

# ---- an existing file is not overwritten without --force ----
echo "mine" >mine.csv
cp map.png mine.png
expect_exit 2 "$WIPEOUT" liq-map --csv mine.csv
expect_one_line '--csv mine.csv: the file exists; pass --force to overwrite it'
[[ $(cat mine.csv) == mine ]] || fail "mine.csv was touched"
echo "mine" >mine.png
expect_exit 2 "$WIPEOUT" liq-map --png mine.png
expect_one_line '--png mine.png: the file exists; pass --force to overwrite it'
[[ $(cat mine.png) == mine ]] || fail "mine.png was touched"
expect_exit 0 "$WIPEOUT" liq-map --csv mine.csv --png mine.png --force
[[ $(head -n 1 mine.csv) == price,* && $(head -c 4 mine.png | tail -c 3) == PNG ]] || fail "--force did not overwrite"

# ---- the map a run stores is liq-map's of path 0, and the report draws it ----
expect_exit 0 "$WIPEOUT" run --paths 40 --seed 3 -q -o r.h5
expect_exit 0 "$WIPEOUT" liq-map --seed 3 --json
cp "$tmp/out" run_map.json
$PY - <<'EOF' || fail "/liquidation_map differs from wipeout liq-map"
import json, math
import h5py, numpy as np
j = json.load(open("run_map.json"))
g = h5py.File("r.h5", "r")["liquidation_map"]
for key in ("price", "long_liquidated", "short_liquidated", "long_cumulative", "short_cumulative", "bid_depth",
            "ask_depth"):
    assert np.array_equal(g[key][:], [math.inf if b[key] is None else b[key] for b in j["bins"]]), key
    assert g[key].attrs["unit"] == "quote" and g[key].attrs["doc"], key
assert g["long_liquidated"].dims[0][0].name == "/liquidation_map/price"
a = g.attrs
assert a["reference_price"] == j["reference_price"] and [a["range_low"], a["range_high"]] == j["range"]
assert a["bins"] == 200 and a["path"] == 0 and a["seed"] == 3 and a["crowd"] == "history"
for side, key in (("long", "longs"), ("short", "shorts")):
    for total in ("open_interest", "notional", "in_range", "never_cohorts"):
        assert a[f"{side}_{total}"] == j[key][total], (side, total)
for key in ("cliff_down", "cliff_up"):
    c = j[key]
    assert (np.isnan(a[f"{key}_move"]) and not c["found"]) or a[f"{key}_move"] == c["move"], key
    assert (np.isnan(a[f"{key}_reach"]) and not c["found"]) or a[f"{key}_reach"] == c["reach"], key
EOF
expect_exit 0 "$WIPEOUT" report r.h5 -q
[[ -s r_report/figures/liquidation_map.png && -s r_report/tables/liquidation_map.csv ]] || fail "no map in the report"
cmp <(tr -d '\r' <r_report/tables/liquidation_map.csv | head -n 1) <(head -n 1 map.csv) || fail "report CSV header"
grep -q 'id="liquidation-map"' r_report/report.html || fail "no map section in the report"

# A results file from before the map (no /liquidation_map) still reports, saying why there is no map.
cp r.h5 old.h5
$PY -c "import h5py; f = h5py.File('old.h5', 'r+'); del f['liquidation_map']"
expect_exit 0 "$WIPEOUT" report old.h5 -q
[[ ! -e old_report/figures/liquidation_map.png ]] || fail "a map drawn for a file without one"
grep -q 'has no <code>/liquidation_map</code>' old_report/report.html || fail "no note for a file without a map"
echo "liq_map: OK"
