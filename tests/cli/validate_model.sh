# scripts/validate_model.py (issue #13): every criterion is measured and has teeth. Small runs (the figures
# are Monte Carlo estimates; docs/calibration.md has the full-size ones).
#   - The 125x era's levels and the rise-against-fall ratios are there, for the default scenario and the era.
#   - With the liquidation engine off nothing is liquidated: every level, ratio and share fails (exit 1).
#   - The default scenario liquidates longs at the era's level on 6-12% falls (within a factor 2).
#   - The era's change of open interest on a falling day: with nothing liquidated, open interest only grows
#     (positions opened into the fall) and the 8%-or-more day fails; the default's 4-8% day passes.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
: "${WIPEOUT_SOURCE_DIR:?WIPEOUT_SOURCE_DIR must point at the source tree}"
script="$WIPEOUT_SOURCE_DIR/scripts/validate_model.py"
small=(--paths 3000 --event-paths 150 --profile-paths 30)

expect_exit 1 $PY "$script" --wipeout "$WIPEOUT" "${small[@]}" --set liquidation.enabled=false --json "$tmp/off.json"
expect_grep '^FAIL +era Jan 2020-Apr 2021: 6%-8% median long liquidations / OI' "$tmp/out"
expect_grep '^FAIL +era Jan 2020-Apr 2021 2%-4%: short liq / OI on a rise over long liq / OI on a fall' "$tmp/out"
expect_grep '^FAIL +response 4%-6%: short liq / OI on a rise' "$tmp/out"
expect_grep '^FAIL +era Jan 2020-Apr 2021: 8% or more median change of open interest' "$tmp/out"
$PY - "$tmp/off.json" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
names = [r["criterion"] for r in rows]
assert sum("era Jan 2020-Apr 2021" in n for n in names) == 14, names  # 4 levels, 4 shares, 4 rise ratios, 2 OI
assert sum("on a rise over" in n for n in names) == 8, names
assert not any(r["pass"] for r in rows if "era" in r["criterion"] and "open interest" not in r["criterion"]), rows
oi = {r["criterion"].split(": ")[1].split(" median")[0]: r["value"] for r in rows if "open interest" in r["criterion"]}
assert oi["4%-8%"] > 0 and oi["8% or more"] > 0, oi  # nothing liquidated: it only grows
EOF

expect_exit 0 $PY "$script" --wipeout "$WIPEOUT" "${small[@]}" --report-only
expect_grep '^PASS +era Jan 2020-Apr 2021: 6%-8% median long liquidations / OI' "$tmp/out"
expect_grep '^PASS +era Jan 2020-Apr 2021: 8%-12% median long liquidations / OI' "$tmp/out"
expect_grep '^PASS +era Jan 2020-Apr 2021: 4%-8% median change of open interest' "$tmp/out"
expect_grep '^[0-9]+ passed, [0-9]+ failed$' "$tmp/out"

# --seed reseeds every run (which criteria sit at their edges); a negative one is refused with one line.
expect_exit 2 $PY "$script" --wipeout "$WIPEOUT" --seed -1
expect_grep '^validate_model.py: --seed -1: expected a non-negative integer$' "$tmp/err"

# --data and --days: the default scenario's response held against other days, e.g. a file of days the fit has
# not seen (2025 on). A small file: two days in each bin of the fall, in 2025.
$PY - "$tmp/days.csv" <<'EOF'
import sys
with open(sys.argv[1], "w") as out:
    out.write("date,open,high,low,close,volume_btc,oi_open_btc,oi_close_btc,long_liq_btc,short_liq_btc\n")
    for i, (fall, lq) in enumerate([(0.03, 2), (0.035, 3), (0.05, 5), (0.045, 4), (0.07, 8), (0.075, 9),
                                    (0.1, 12), (0.09, 11)]):
        out.write(f"2025-02-{i + 1:02d},100,101,{100 * (1 - fall):.2f},100,1,1000,1000,{lq},1\n")
EOF
expect_exit 0 $PY "$script" --wipeout "$WIPEOUT" --paths 400 --event-paths 20 --profile-paths 5 --report-only \
  --data "$tmp/days.csv" --days 2025-01-01:2026-01-01
expect_grep "^data: .*days.csv, 8 days in \[2025-01-01, 2026-01-01\)$" "$tmp/out"
expect_grep '^(PASS|FAIL) +response ratio \(4-6%\)/\(2-4%\) of median long liquidations / OI .* target 1\.80 within x2' "$tmp/out"
# Refusals, before any run: one line, exit 2.
expect_exit 2 $PY "$script" --wipeout "$WIPEOUT" --data "$tmp/days.csv" --days 2030-01-01:2031-01-01
expect_grep '^validate_model.py: --days 2030-01-01:2031-01-01: no day of .*days.csv in it$' "$tmp/err"
expect_exit 2 $PY "$script" --wipeout "$WIPEOUT" --days 2025
expect_grep '^validate_model.py: --days 2025: expected FROM:TO, two ISO dates, FROM before TO$' "$tmp/err"
expect_exit 2 $PY "$script" --wipeout "$WIPEOUT" --data "$tmp/none.csv"
expect_grep '^validate_model.py: --data .*none.csv: No such file or directory$' "$tmp/err"
