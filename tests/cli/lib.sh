# Helpers for the command-line tests (sourced, not a test itself: it has no leading 'test_' role).
set -euo pipefail
: "${WIPEOUT:?WIPEOUT must point at the wipeout binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_exit CODE CMD...: runs CMD, captures stdout/stderr in $tmp/out $tmp/err, checks the exit code.
expect_exit() {
  local want=$1; shift
  set +e; "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?; set -e
  [[ $got == "$want" ]] || fail "'$*' exited $got, expected $want; stderr: $(cat "$tmp/err")"
}
# expect_grep PATTERN FILE: the file matches the extended regex.
expect_grep() { grep -Eq -- "$1" "$2" || fail "expected /$1/ in $2: $(cat "$2")"; }
