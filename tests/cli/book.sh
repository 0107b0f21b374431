# [book] source (an order-book snapshot): a bad file is refused before any path with exit 2 and one line naming
# file:line:column and the value; scenario show compares the snapshot with the power law; a run walks it.
source "$(dirname "$0")/lib.sh"
: "${WIPEOUT_SOURCE_DIR:?WIPEOUT_SOURCE_DIR must point at the source tree}"
cd "$tmp"
book="$WIPEOUT_SOURCE_DIR/experiments/snapshot/book.csv"

# ---- refusals: exit 2, one line on stderr, file:line:column and the value; no results file ----
printf 'side,price,qty\nbid,99,1\nask,101,1\nask,abc,2\n' >bad_price.csv
expect_exit 2 "$WIPEOUT" run --set book.source=bad_price.csv --paths 10 -o bad.h5 -q
[[ $(wc -l <"$tmp/err") == 1 ]] || fail "more than one line on stderr: $(cat "$tmp/err")"
expect_grep "^wipeout: error: [^ ]*/bad_price\.csv:4:5: column 'price': 'abc' is not a positive price$" "$tmp/err"
[[ ! -e bad.h5 ]] || fail "a refused run left a results file"

printf 'side,price,qty\nbid,99,1\nask,98,1\n' >crossed.csv
expect_exit 2 "$WIPEOUT" run --set book.source=crossed.csv --paths 10 -o bad.h5 -q
[[ $(wc -l <"$tmp/err") == 1 ]] || fail "more than one line on stderr: $(cat "$tmp/err")"
expect_grep "crossed\.csv:3:5: column 'price': '98' crosses the book" "$tmp/err"

printf 'side,price,qty\nbid,99,1\nmid,100,1\nask,101,1\n' >side.csv
expect_exit 2 "$WIPEOUT" scenario show --set book.source=side.csv
expect_grep "side\.csv:3:1: column 'side': 'mid' is not a side" "$tmp/err"

printf 'side,price\nbid,99\n' >no_qty.csv
expect_exit 2 "$WIPEOUT" path --index 0 --set book.source=no_qty.csv
expect_grep "no_qty\.csv:1: header: column 'qty' is missing" "$tmp/err"

# ---- scenario show: the snapshot's d1 and its best power law, as comments of a valid scenario file ----
expect_exit 0 "$WIPEOUT" scenario show --set "book.source='$book'"
expect_grep '^# \[book\] source .*book\.csv: [0-9]+ bid and [0-9]+ ask levels' "$tmp/out"
expect_grep '^#   snapshot d1 \(mean depth within 1% of the mid, each side\): [0-9.e+]+ quote' "$tmp/out"
expect_grep '^#   best power-law fit D\(x\) = d1 \(x / 1%\)\^shape: d1 = [0-9.e+]+, shape = 1\.[0-9]+' "$tmp/out"
cp "$tmp/out" shown.toml
expect_exit 0 "$WIPEOUT" scenario show shown.toml  # still a scenario file, the source with it

# ---- a run on the snapshot, and the same run on the power law: different results ----
expect_exit 0 "$WIPEOUT" run --set "book.source='$book'" --paths 200 --seed 3 -o on_book.h5 -q
expect_exit 0 "$WIPEOUT" run --paths 200 --seed 3 -o on_law.h5 -q
/usr/bin/python3 - <<'EOF' || fail "the run on the snapshot is the power law's"
import h5py, numpy as np
a = h5py.File('on_book.h5', 'r')['paths/max_drawdown'][:]
b = h5py.File('on_law.h5', 'r')['paths/max_drawdown'][:]
assert a.shape == b.shape and np.all(np.isfinite(a)) and not np.array_equal(a, b), (a[:5], b[:5])
EOF
