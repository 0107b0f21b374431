# Calibration regression (issue #7, docs/calibration.md): each historical event of experiments/history/ run
# with the calibrated built-in defaults must reproduce the pinned medians of drawdown, liquidated notional,
# long share of liquidations and recovery (experiments/history/calibrated_medians.json, written by
# `scripts/calibrate.py --pin`). Results are a pure function of (scenario, seed, path), so the same engine
# reproduces the pins exactly; the tolerance, 4 order-statistic standard errors of each median (floored at
# 0.002 of drawdown, 2% of liquidated notional, 0.01 of long share and of recovery), is what a model change
# may move a median by before it counts as breaking the calibration. 800 paths per event, 3,200 in all.
# Negative control: with the liquidation engine switched off the same check must fail.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
: "${WIPEOUT_SOURCE_DIR:?WIPEOUT_SOURCE_DIR must point at the source tree}"
script="$WIPEOUT_SOURCE_DIR/scripts/calibrate.py"

expect_exit 0 $PY "$script" --wipeout "$WIPEOUT" --check --out "$tmp/check"
expect_grep 'calibrated medians reproduced' "$tmp/out"

expect_exit 1 $PY "$script" --wipeout "$WIPEOUT" --check --out "$tmp/off" --set liquidation.enabled=false
expect_grep 'calibration broken: .*liquidated' "$tmp/err"
