# --help and --version work and say what they should; a bad flag is refused with exit 2.
source "$(dirname "$0")/lib.sh"
expect_exit 0 "$WIPEOUT" --help
expect_grep 'liquidation cascades' "$tmp/out"
expect_exit 0 "$WIPEOUT" --version
expect_grep '^wipeout [0-9]+\.[0-9]+\.[0-9]+ \(git [0-9a-f]{7,}|^wipeout [0-9]+\.[0-9]+\.[0-9]+ \(git unknown' "$tmp/out"
expect_exit 2 "$WIPEOUT" --no-such-flag
expect_grep 'error' "$tmp/err"
echo "basics: ok"
