# scripts/clock_convergence.py: the same seed at several active steps, compared path by path.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
: "${WIPEOUT_SOURCE_DIR:?WIPEOUT_SOURCE_DIR must point at the source tree}"
script="$WIPEOUT_SOURCE_DIR/scripts/clock_convergence.py"

# Without M3's permanent impact: with it, forced flow moves the fundamental, and the flow depends on the clock.
expect_exit 0 $PY "$script" --wipeout "$WIPEOUT" --paths 300 --threads 2 --dt 2 0.5 1 --set book.permanent_impact=0
expect_grep '^clock convergence: built-in default scenario, 300 paths per step size, seed 7' "$tmp/out"
expect_grep 'against dt = 0.5 s, paired' "$tmp/out"
# Coarser steps, fewer of them: the steps column falls as dt grows.
awk '$1 ~ /^(0.5|1|2)$/ && NF == 3 { if (n++ && $2 >= last) bad = 1; last = $2 } END { exit !(n == 3 && !bad) }' \
  "$tmp/out" || fail "steps per path do not fall with dt: $(cat "$tmp/out")"
# The runs share their random numbers: the fundamental is a function of time, not of the clock, so its
# final value is the same path by path up to rounding (a zero bias; its "?" is a coin toss when the paired
# differences are a few ulps), while the price's trough is not.
expect_grep '^final_fundamental +[-+]0\.00% \[ +[-+]0\.0\]\?? +[-+]0\.00% \[ +[-+]0\.0\]\??$' "$tmp/out"
if grep -Eq '^max_drawdown +\+0\.00% \[ +\+0\.0\]\? +\+0\.00% \[ +\+0\.0\]\?$' "$tmp/out"; then
  fail "max_drawdown does not move with the step: are the runs really at different steps?"
fi
expect_grep '^n_steps .*\(counts steps\)$' "$tmp/out"
expect_grep '^dt = 2 s: largest resolved bias' "$tmp/out"

# Bad input: one step size; a scenario override the tool refuses (its message is passed on).
expect_exit 1 $PY "$script" --wipeout "$WIPEOUT" --paths 10 --dt 1
expect_grep 'at least two positive step sizes' "$tmp/err"
expect_exit 1 $PY "$script" --wipeout "$WIPEOUT" --paths 10 --dt 1 2 --set shock.size=-1
expect_grep 'exited 2: .*shock.size' "$tmp/err"
echo "ok"
