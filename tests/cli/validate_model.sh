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
