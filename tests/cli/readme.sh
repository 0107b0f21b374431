# The README's usage examples, pasted in order into a shell in a fresh folder, must all work: every `sh` block,
# continuation lines joined. Left out, each covered elsewhere: the two set-up scripts (CI runs one, and the
# other builds what this test already has), the benchmarks and the fuzzer (not tests), calibrate.py
# (cli.calibration) and clock_convergence.py (cli.clock_convergence), and mpirun (cli.mpi, which knows when
# it may run as root). Path counts are cut to keep it short: --paths 1000000 / 100000 -> 3000,
# --paths-per-point 2000 / 1000 -> 200, --points 50 -> 10; every option and file name stays as written.
source "$(dirname "$0")/lib.sh"
: "${WIPEOUT_SOURCE_DIR:?WIPEOUT_SOURCE_DIR must point at the source tree}"
work="$tmp/work"
mkdir -p "$work/build"
ln -s "$WIPEOUT" "$work/build/wipeout"
for d in experiments data scripts; do ln -s "$WIPEOUT_SOURCE_DIR/$d" "$work/$d"; done

# Commands, one per line (a trailing backslash joins the next line), from the sh blocks.
awk '/^```sh/ { inside = 1; next } /^```/ { inside = 0; next }
     inside { if (sub(/\\$/, "")) { held = held $0; next } print held $0; held = "" }' \
  "$WIPEOUT_SOURCE_DIR/README.md" >"$tmp/commands"
skip='^(scripts/(run|test|bench_engine|bench_run|fuzz)\.sh|/usr/bin/python3 scripts/(calibrate|clock_convergence)\.py|mpirun )'
ran=0
while IFS= read -r line; do
  [[ -z ${line// /} || $line =~ ^[[:space:]]*# || $line =~ $skip ]] && continue
  cmd=$(sed -E 's/--paths (1000000|100000)\b/--paths 3000/; s/--paths-per-point (2000|1000)\b/--paths-per-point 200/;
                s/--points 50\b/--points 10/' <<<"$line")
  (cd "$work" && bash -c "set -o pipefail; $cmd" >"$tmp/out" 2>"$tmp/err") ||
    fail "README example failed: $line (ran as: $cmd): $(tail -n 5 "$tmp/err")"
  ran=$((ran + 1))
done <"$tmp/commands"
# Guard against an extraction that silently finds nothing.
((ran >= 30)) || fail "only $ran README commands found and run"
[[ -f "$work/results/merged.h5" && -f "$work/results/run_report/report.html" && -f "$work/my.toml" ]] ||
  fail "the examples ran but left out files they should make"
echo "readme: $ran commands ok"
