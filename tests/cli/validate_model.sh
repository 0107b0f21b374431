# scripts/validate_model.py (issue #13): every criterion is measured and has teeth. Small runs (the figures
# are Monte Carlo estimates; docs/calibration.md has the full-size ones).
#   - The 125x era's levels and the rise-against-fall ratios are there, for the default scenario and the era.
#   - With the liquidation engine off nothing is liquidated: every level, ratio and share fails (exit 1).
#   - The default scenario liquidates longs at the era's level on 6-12% falls (within a factor 2).
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
: "${WIPEOUT_SOURCE_DIR:?WIPEOUT_SOURCE_DIR must point at the source tree}"
script="$WIPEOUT_SOURCE_DIR/scripts/validate_model.py"
small=(--paths 3000 --event-paths 150 --profile-paths 30)

expect_exit 1 $PY "$script" --wipeout "$WIPEOUT" "${small[@]}" --set liquidation.enabled=false --json "$tmp/off.json"
expect_grep '^FAIL +era Jan 2020-Apr 2021: 6%-8% median long liquidations / OI' "$tmp/out"
expect_grep '^FAIL +era Jan 2020-Apr 2021 2%-4%: short liq / OI on a rise over long liq / OI on a fall' "$tmp/out"
expect_grep '^FAIL +response 4%-6%: short liq / OI on a rise' "$tmp/out"
$PY - "$tmp/off.json" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
names = [r["criterion"] for r in rows]
assert sum("era Jan 2020-Apr 2021" in n for n in names) == 12, names   # 4 levels, 4 shares, 4 rise ratios
assert sum("on a rise over" in n for n in names) == 8, names
assert not any(r["pass"] for r in rows if "era" in r["criterion"]), rows
EOF

expect_exit 0 $PY "$script" --wipeout "$WIPEOUT" "${small[@]}" --report-only
expect_grep '^PASS +era Jan 2020-Apr 2021: 6%-8% median long liquidations / OI' "$tmp/out"
expect_grep '^PASS +era Jan 2020-Apr 2021: 8%-12% median long liquidations / OI' "$tmp/out"
expect_grep '^[0-9]+ passed, [0-9]+ failed$' "$tmp/out"

# --seed reseeds every run (which criteria sit at their edges); a negative one is refused with one line.
expect_exit 2 $PY "$script" --wipeout "$WIPEOUT" --seed -1
expect_grep '^validate_model.py: --seed -1: expected a non-negative integer$' "$tmp/err"
