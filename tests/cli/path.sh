# wipeout path: replays are exact and repeatable, the trace CSV is complete, bad input exits 2.
source "$(dirname "$0")/lib.sh"

expect_exit 0 "$WIPEOUT" path --index 3 --seed 11 --json
cp "$tmp/out" "$tmp/first.json"
expect_grep '"max_drawdown":' "$tmp/first.json"
expect_grep '"conservation_error":' "$tmp/first.json"
expect_exit 0 "$WIPEOUT" path --index 3 --seed 11 --json
cmp -s "$tmp/out" "$tmp/first.json" || fail "the same path replayed differently"
expect_exit 0 "$WIPEOUT" path --index 4 --seed 11 --json
cmp -s "$tmp/out" "$tmp/first.json" && fail "another index gave the same path"

# Human output names parameters and outputs; --check runs the invariants at every step.
expect_exit 0 "$WIPEOUT" path --index 3 --seed 11 --check --set shock.size=0.12 --set regime.air_pocket=1
expect_grep '^parameters' "$tmp/out"
expect_grep 'shock.size +0.12' "$tmp/out"
expect_grep 'max_drawdown' "$tmp/out"

# The trace: a header with every column, one row per step plus t = 0, and no overwrite without --force.
expect_exit 0 "$WIPEOUT" path --index 3 --seed 11 --trace "$tmp/trace.csv"
head -n 1 "$tmp/trace.csv" | grep -q '^time_s,fundamental,trade_price,index_price,mark_price,bid_depth_1pct,liquidation_backlog,liquidated_long,liquidated_short,fund_balance,adl_notional,waves$' \
  || fail "trace header: $(head -n 1 "$tmp/trace.csv")"
steps=$(grep -o '"n_steps":[0-9]*' "$tmp/first.json" | cut -d: -f2)
rows=$(($(wc -l < "$tmp/trace.csv") - 1))
[[ $rows == $((steps + 1)) ]] || fail "trace has $rows rows for $steps steps"
expect_exit 2 "$WIPEOUT" path --index 3 --seed 11 --trace "$tmp/trace.csv"
expect_grep 'exists.*--force' "$tmp/err"
expect_exit 0 "$WIPEOUT" path --index 3 --seed 11 --trace "$tmp/trace.csv" --force

# Bad input: one line, exit 2.
expect_exit 2 "$WIPEOUT" path
expect_exit 2 "$WIPEOUT" path --index 1 --set no.such_key=1
expect_grep 'no.such_key' "$tmp/err"
expect_exit 2 "$WIPEOUT" path --index 1 --set positions.long_share=1.5
expect_grep 'positions.long_share' "$tmp/err"
expect_exit 2 "$WIPEOUT" path "$tmp/missing.toml" --index 1
echo "path: ok"
