# [positions] source (a position snapshot) and `wipeout snapshot`: a bad file is refused before any path with exit 2
# and one line naming file:line:column and the value; a run prints what it kept and left out; a drawn snapshot is
# never written over an existing file without --force; the sample scenario runs.
source "$(dirname "$0")/lib.sh"
: "${WIPEOUT_SOURCE_DIR:?WIPEOUT_SOURCE_DIR must point at the source tree}"
cd "$tmp"

# ---- refusals: exit 2, one line on stderr, file:line:column and the value; no results file ----
one_line() { [[ $(wc -l <"$tmp/err") == 1 ]] || fail "more than one line on stderr: $(cat "$tmp/err")"; }
printf 'side,entry,qty,leverage\nlong,100000,0.5,10\nshort,101000,-5,10\n' >negative.csv
expect_exit 2 "$WIPEOUT" run --set positions.source=negative.csv --paths 10 -o bad.h5 -q
one_line
expect_grep "^wipeout: error: [^ ]*/negative\.csv:3:14: column 'qty': '-5' is not a positive quantity \(base units\)$" "$tmp/err"
[[ ! -e bad.h5 ]] || fail "a refused run left a results file"

printf 'side,entry,qty,leverage\nlong,100000,0.5,NaN\n' >nan.csv
expect_exit 2 "$WIPEOUT" run --set positions.source=nan.csv --paths 10 -o bad.h5 -q
one_line
expect_grep "nan\.csv:2:17: column 'leverage': 'NaN' is not a leverage" "$tmp/err"

printf 'side,entry,qty,leverage\nlong,100000,0.5,150\n' >too_high.csv
expect_exit 2 "$WIPEOUT" path --index 0 --set positions.source=too_high.csv
one_line
expect_grep "too_high\.csv:2:17: column 'leverage': '150' is above the maximum 125x" "$tmp/err"

printf 'side,entry,leverage\nlong,100000,10\n' >no_qty.csv
expect_exit 2 "$WIPEOUT" run --set positions.source=no_qty.csv --paths 10 -o bad.h5 -q
expect_grep "no_qty\.csv:1: header: column 'qty' is missing" "$tmp/err"

printf 'side,entry,qty,leverage\nflat,100000,1,10\n' >side.csv
expect_exit 2 "$WIPEOUT" run --set positions.source=side.csv --paths 10 -o bad.h5 -q
expect_grep "side\.csv:2:1: column 'side': 'flat' is not a side: expected long or short" "$tmp/err"

expect_exit 2 "$WIPEOUT" run --set positions.source=missing.csv --paths 10 -o bad.h5 -q
expect_grep "missing\.csv: cannot read the position snapshot" "$tmp/err"

# ---- a run on a hand-made snapshot: what was kept and left out is said ----
printf 'account,side,entry,qty,leverage,mode,wallet_balance\n' >hand.csv
printf 'a,long,100000,1,10,isolated,\nb,long,120000,1,20,isolated,\nc,short,99000,2,5,cross,30000\n' >>hand.csv
expect_exit 0 "$WIPEOUT" run --set positions.source=hand.csv --paths 20 -o hand.h5
expect_grep "hand\.csv: 3 rows, 3 accounts; 2 positions in 2 cohorts, .*1 past their liquidation price at the reference price left out \(1 long, 0 short\)" "$tmp/err"
head -n 1 "$tmp/err" | grep -q "hand\.csv: 3 rows" || fail "the snapshot's summary is not said before the paths run: $(cat "$tmp/err")"

# ---- wipeout snapshot: draws, prints the oi_scale, never overwrites without --force ----
expect_exit 0 "$WIPEOUT" snapshot --positions 2000 --accounts 50 --cross-share 0.2 -o drawn.csv
expect_grep "drawn\.csv: 2000 positions .*positions\.oi_scale = [0-9.]+ gives the crowd's" "$tmp/out"
grep -q '^account,side,entry,qty,leverage,mode,wallet_balance$' drawn.csv || fail "drawn.csv has no header"
[[ $(grep -c ',cross,' drawn.csv) -gt 200 ]] || fail "no cross positions drawn"
cp drawn.csv before.csv
expect_exit 2 "$WIPEOUT" snapshot --positions 10 -o drawn.csv
expect_grep "drawn\.csv: the file exists; pass --force" "$tmp/err"
cmp -s drawn.csv before.csv || fail "a refused snapshot changed the file"
expect_exit 2 "$WIPEOUT" snapshot --positions -5 -o other.csv
expect_grep "^wipeout: error: --positions '-5'" "$tmp/err"
expect_exit 2 "$WIPEOUT" snapshot --cross-share 1.5 -o other.csv
[[ ! -e other.csv ]] || fail "a refused snapshot wrote a file"
expect_exit 0 "$WIPEOUT" snapshot --positions 2000 --accounts 50 --cross-share 0.2 -o drawn.csv --force
cmp -s drawn.csv before.csv || fail "the same draw gave another file"
expect_exit 0 "$WIPEOUT" run --set positions.source=drawn.csv --set positions.oi_scale=500 --paths 50 -o drawn.h5 -q

# ---- the shipped sample scenario: both snapshots, relative to the scenario file ----
expect_exit 0 "$WIPEOUT" scenario show "$WIPEOUT_SOURCE_DIR/experiments/snapshot/weekend_shock.toml"
expect_grep '^source = ".*experiments/snapshot/positions\.csv"' "$tmp/out"
expect_exit 0 "$WIPEOUT" run "$WIPEOUT_SOURCE_DIR/experiments/snapshot/weekend_shock.toml" --paths 100 -o sample.h5
expect_grep "positions\.csv: 100000 rows, 3900 accounts; [0-9]+ positions in [0-9]+ cohorts" "$tmp/err"
