# wipeout liq-price: human and JSON output, the documented venue examples, and every refusal (exit 2).
source "$(dirname "$0")/lib.sh"
W=("$WIPEOUT" liq-price)

# Human-readable output: 10x long on the embedded BTCUSDT table (bracket 1, MMR 0.4%).
expect_exit 0 "${W[@]}" --side long --entry 100000 --qty 0.1 --leverage 10
expect_grep '^isolated long position, venue generic' "$tmp/out"
expect_grep 'liquidation price +90361\.44578' "$tmp/out"
expect_grep 'bankruptcy price +90000$' "$tmp/out"
expect_grep 'tier 1: MMR 0\.4%' "$tmp/out"

# JSON: one object with the required keys; 90000 / 0.985 with a flat 0.5% tier and a 1% fee.
expect_exit 0 "${W[@]}" --side long --entry 100000 --qty 0.1 --leverage 10 --mmr 0.005 --fee 0.01 --json
[[ $(wc -l <"$tmp/out") == 1 ]] || fail "--json printed more than one line: $(cat "$tmp/out")"
for key in liquidation_price bankruptcy_price initial_margin maintenance_margin tier; do
  expect_grep "\"$key\":" "$tmp/out"
done
expect_grep '"liquidation_price":91370\.558375634' "$tmp/out"
expect_grep '"bankruptcy_price":90000[,}]' "$tmp/out"
expect_grep '"tier":1[,}]' "$tmp/out"
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert abs(d["liquidation_price"]-90000/0.985)<1e-9' \
    "$tmp/out" || fail "JSON does not parse or round-trip: $(cat "$tmp/out")"
fi

# --margin instead of --leverage, a short, extra margin.
expect_exit 0 "${W[@]}" --side short --entry 100000 --qty 0.1 --margin 1000 --extra-margin 100 --mmr 0.005 --json
expect_grep '"bankruptcy_price":111000[,}]' "$tmp/out"

# 1x long: no liquidation, reported as 0.
expect_exit 0 "${W[@]}" --side long --entry 100000 --qty 1 --leverage 1 --json
expect_grep '"liquidation_price":0[,}]' "$tmp/out"
expect_grep '"liquidates":false' "$tmp/out"

# Venue examples: Bybit 19,700 (Help Center, USDT contract example 1); dYdX 3,174.60 (docs example);
# Binance cross 26,316.89 (FAQ cross-margin example, embedded BTCUSDT brackets).
expect_exit 0 "${W[@]}" --side long --entry 20000 --qty 1 --leverage 50 --mmr 0.005 --venue bybit --json
expect_grep '"liquidation_price":19700[,}]' "$tmp/out"
expect_exit 0 "${W[@]}" --side short --entry 3000 --qty 3 --margin 1000 --mmr 0.05 --max-leverage 10 --venue dydx
expect_grep 'liquidation price +3174\.603175' "$tmp/out"
expect_exit 0 "${W[@]}" --side long --entry 32481.98 --qty 109.488 --leverage 5 --venue binance \
  --wallet-balance 1535443.01 --other-maint-margin 356512.508 --other-upnl -448192.89
expect_grep '^cross long position, venue binance' "$tmp/out"
expect_grep 'liquidation price +26316\.89' "$tmp/out"
# Cross margin needs no leverage setting: the same price, the initial margin unknown (null).
expect_exit 0 "${W[@]}" --side long --entry 32481.98 --qty 109.488 --venue binance \
  --wallet-balance 1535443.01 --other-maint-margin 356512.508 --other-upnl -448192.89 --json
cp "$tmp/out" "$tmp/cross_no_leverage.json"
expect_grep '"leverage":null,' "$tmp/out"
expect_grep '"initial_margin":null,' "$tmp/out"
expect_exit 0 "${W[@]}" --side long --entry 32481.98 --qty 109.488 --leverage 5 --venue binance \
  --wallet-balance 1535443.01 --other-maint-margin 356512.508 --other-upnl -448192.89 --json
price() { sed -E 's/.*"liquidation_price":([^,]*),.*/\1/' "$1"; }
[[ $(price "$tmp/out") == $(price "$tmp/cross_no_leverage.json") && $(price "$tmp/out") == 26316.89* ]] ||
  fail "cross without --leverage: $(price "$tmp/cross_no_leverage.json"), with --leverage 5: $(price "$tmp/out")"
expect_exit 0 "${W[@]}" --side long --entry 100000 --qty 1 --wallet-balance 20000
expect_grep 'leverage +not given \(initial margin unknown' "$tmp/out"

# Hyperliquid: --max-leverage alone sets the flat tier, MMR half the initial margin rate at 40x (1.25%):
# 60,000 - (30 - 60 x 1.25%) / 0.001 / (1 - 1.25%) = 30,379.746835443.
expect_exit 0 "${W[@]}" --venue hyperliquid --side long --entry 60000 --qty 0.001 --margin 30 --max-leverage 40 --json
expect_grep '"liquidation_price":30379\.74683544' "$tmp/out"
expect_grep '"mmr":0\.0125,' "$tmp/out"
cp "$tmp/out" "$tmp/hl.json"
expect_exit 0 "${W[@]}" --venue hyperliquid --side long --entry 60000 --qty 0.001 --margin 30 --max-leverage 40 \
  --mmr 0.0125 --json
[[ $(price "$tmp/out") == $(price "$tmp/hl.json") ]] || fail "--max-leverage 40 alone differs from --mmr 0.0125"

# MMR 0 and no fee: the seeds' E (1 -/+ 1/L) exactly, at the bankruptcy price.
expect_exit 0 "${W[@]}" --side long --entry 100000 --qty 1 --leverage 10 --mmr 0 --fee 0 --json
expect_grep '"liquidation_price":90000,"bankruptcy_price":90000,' "$tmp/out"
expect_exit 0 "${W[@]}" --side short --entry 100000 --qty 1 --leverage 20 --mmr 0 --json
expect_grep '"liquidation_price":105000,"bankruptcy_price":105000,' "$tmp/out"

# A fee does not move Binance's trigger, and the output says so.
expect_exit 0 "${W[@]}" --side long --entry 100000 --qty 0.1 --leverage 10 --venue binance --fee 0.01
expect_grep 'liquidation price +90361\.44578' "$tmp/out"
expect_grep "not part of binance's trigger" "$tmp/out"

# A tier file; bracket taken at the liquidation price (entry 55k in bracket 2, liquidation in bracket 1).
cat >"$tmp/tiers.csv" <<'CSV'
# test brackets
notional_floor,notional_cap,max_leverage,mmr,maint_amount
0,50000,125,0.004,0
50000,250000,100,0.005,50
CSV
expect_exit 0 "${W[@]}" --side long --entry 100000 --qty 0.55 --leverage 5 --tiers "$tmp/tiers.csv" --json
expect_grep '"tier":1[,}]' "$tmp/out"
expect_grep '"liquidation_price":80321\.2851405622' "$tmp/out"

# Refusals: one clear line on stderr, exit 2, no stack trace.
refuse() {
  local pattern=$1; shift
  expect_exit 2 "${W[@]}" "$@"
  expect_grep "^wipeout: error: .*$pattern" "$tmp/err"
  [[ $(wc -l <"$tmp/err") == 1 ]] || fail "expected one error line for '$*': $(cat "$tmp/err")"
  [[ ! -s "$tmp/out" ]] || fail "expected no stdout for '$*': $(cat "$tmp/out")"
}
# (Every numeric option's -1, 0, 1e30, nan and abc: numeric_options.sh.)
refuse "--qty '0': expected a number in \(0, 1e\+15\]" --side long --entry 100000 --qty 0 --leverage 10
refuse "--entry '-100': expected a number in \(0, 1e\+15\]" --side short --entry -100 --qty 1 --margin 10
refuse "--margin '-5': expected" --side long --entry 100000 --qty 1 --margin -5
refuse "--qty 'inf': expected" --side long --entry 100000 --qty inf --leverage 10
refuse "--entry '1e400': expected" --side long --entry 1e400 --qty 1 --leverage 10
refuse "--entry '0x10': expected" --side long --entry 0x10 --qty 1 --leverage 10
refuse "--leverage '0.5': expected a number in \[1, 1e\+15\]" --side long --entry 100000 --qty 1 --leverage 0.5
refuse 'leverage 126x is above the maximum 125x of tier 1' --side long --entry 100000 --qty 0.1 --leverage 126
refuse 'leverage 101x is above the maximum 100x of tier 2' --side long --entry 100000 --qty 1 --leverage 101
refuse 'already at or past its liquidation price' --side long --entry 100000 --qty 0.1 --leverage 125 --fee 0.01
refuse 'already at or past its liquidation price' --side short --entry 100000 --qty 0.1 --leverage 10 --mmr 0.2
refuse "unknown venue 'okx'" --side long --entry 100000 --qty 1 --leverage 10 --venue okx
refuse "unknown side 'up'" --side up --entry 100000 --qty 1 --leverage 10
refuse 'either --leverage or --margin, not both' --side long --entry 100000 --qty 1 --leverage 10 --margin 100
refuse 'give the position.s --leverage or its posted --margin' --side long --entry 100000 --qty 1
refuse "--fee '1': expected a number in \[0, 1\)" --side long --entry 100000 --qty 1 --leverage 10 --fee 1
refuse "--mmr '1': expected a number in \[0, 1\)" --side long --entry 100000 --qty 1 --leverage 10 --mmr 1
refuse 'fee 0.2 plus the MMR 0.9 of tier 1 must be below 1' --side long --entry 100000 --qty 1 --leverage 10 --mmr 0.9 --fee 0.2
refuse 'need --mmr' --side long --entry 100000 --qty 1 --leverage 10 --maint-amount 5
refuse 'need --mmr \(on hyperliquid --max-leverage alone' --side long --entry 100000 --qty 1 --leverage 10 --max-leverage 40 --venue binance
refuse 'either --max-leverage or --tiers' --side long --entry 100000 --qty 1 --leverage 10 --max-leverage 40 \
  --venue hyperliquid --tiers "$WIPEOUT_SOURCE_DIR/data/tiers/btc_hyperliquid.csv"
refuse 'either --mmr or --tiers' --side long --entry 100000 --qty 1 --leverage 10 --mmr 0.01 --tiers "$tmp/tiers.csv"
refuse 'need --wallet-balance' --side long --entry 100000 --qty 1 --leverage 10 --other-upnl 5
refuse 'leverage 126x is above the maximum 125x of tier 1' --side long --entry 1000 --qty 1 --leverage 126 --wallet-balance 1000
refuse 'not modelled for venue bybit' --side long --entry 100000 --qty 1 --leverage 10 --wallet-balance 50000 --venue bybit
refuse 'position notional 1000000000 is above the largest bracket.s cap 500000000' --side long --entry 100000 --qty 10000 --leverage 1
refuse "cannot read tier file '$tmp/missing.csv'" --side long --entry 100000 --qty 1 --leverage 10 --tiers "$tmp/missing.csv"
printf 'notional_floor,notional_cap,max_leverage,mmr\n0,50000,125,0.004\n60000,250000,100,0.005\n' >"$tmp/gap.csv"
refuse "gap.csv:3: column 'notional_floor': value '60000' leaves a gap" \
  --side long --entry 100000 --qty 1 --leverage 10 --tiers "$tmp/gap.csv"
printf 'notional_floor,notional_cap,max_leverage,mmr\n0,50000,125,zero\n' >"$tmp/nan.csv"
refuse "nan.csv:2: column 'mmr': value 'zero' is not a number" \
  --side long --entry 100000 --qty 1 --leverage 10 --tiers "$tmp/nan.csv"
refuse '--side is required' --entry 100000 --qty 1 --leverage 10
refuse 'The following argument was not expected: --bogus' --side long --entry 1 --qty 1 --leverage 1 --bogus
echo "liq_price: ok"
