# The usage examples of README.md and experiments/README.md, pasted block by block into a shell in a fresh
# folder, must all work (`set -e`: any command failing fails the test). Left out, each covered elsewhere: the
# two set-up scripts (CI runs one, the other builds what this test already has), the benchmarks and the fuzzer
# (not tests), calibrate.py and throttle_factor.py (cli.calibration), clock_convergence.py
# (cli.clock_convergence), the lines that read the daily data beside the source tree (cli.report and
# cli.validate_model run them on a file of their own), and mpirun (cli.mpi, which knows when it may run as root). Path counts are cut to keep
# it short: --paths 1000000 / 100000 -> 3000, --paths-per-point 2000 / 1000 -> 200, --points 50 -> 10; every
# option and file name stays.
source "$(dirname "$0")/lib.sh"
: "${WIPEOUT_SOURCE_DIR:?WIPEOUT_SOURCE_DIR must point at the source tree}"
skip='^(scripts/(run|test|bench_engine|bench_run|fuzz)\.sh|/usr/bin/python3 scripts/(calibrate|clock_convergence|throttle_factor)\.py|mpirun |.* --(daily-)?data \.\./shared/)'

# run_examples FILE: runs FILE's sh blocks in order in a folder of its own; prints the number of commands.
run_examples() {
  local file=$1 work="$tmp/work_${1//\//_}" commands=0
  mkdir -p "$work/build"
  ln -s "$WIPEOUT" "$work/build/wipeout"  # as `build/wipeout` and, on the PATH, as `wipeout`
  # The Python module as `build/python`; without it (WIPEOUT_PYTHON off) its one-line example is left out.
  local no_python='/^PYTHONPATH=build\/python /d'
  if [[ -d "${WIPEOUT_BUILD_DIR:-}/python" ]]; then ln -s "$WIPEOUT_BUILD_DIR/python" "$work/build/python"; no_python=; fi
  for d in experiments data scripts; do ln -s "$WIPEOUT_SOURCE_DIR/$d" "$work/$d"; done
  awk -v dir="$tmp/blocks" 'BEGIN { system("mkdir -p " dir) } /^```sh/ { n++; inside = 1; next } /^```/ { inside = 0; next }
       inside { print > (dir "/" n) }' "$WIPEOUT_SOURCE_DIR/$file"
  for script in $(ls "$tmp/blocks" | sort -n); do
    grep -Ev "$skip" "$tmp/blocks/$script" | sed -E "$no_python" |
      sed -E 's/--paths (1000000|100000)\b/--paths 3000/; s/--paths-per-point (2000|1000)\b/--paths-per-point 200/;
              s/--points 50\b/--points 10/' >"$tmp/block.sh"
    commands=$((commands + $(grep -Ec '^(build/)?wipeout |^h5dump |^/usr/bin/python3 |^for ' "$tmp/block.sh" || true)))
    (cd "$work" && PATH="$work/build:$PATH" bash -e -o pipefail "$tmp/block.sh" >"$tmp/out" 2>"$tmp/err") ||
      fail "$file, example block $script failed: $(tail -n 5 "$tmp/err")
--- the block as run:
$(cat "$tmp/block.sh")"
  done
  rm -rf "$tmp/blocks"
  echo "$commands"
}

n=$(run_examples README.md)
# Guard against an extraction that silently finds nothing.
((n >= 30)) || fail "only $n commands found in README.md"
[[ -f "$tmp/work_README.md/results/merged.h5" && -f "$tmp/work_README.md/results/run_report/report.html" &&
   -f "$tmp/work_README.md/my.toml" ]] || fail "README.md's examples ran but left out files they should make"
m=$(run_examples experiments/README.md)
((m >= 8)) || fail "only $m commands found in experiments/README.md"
[[ -f "$tmp/work_experiments_README.md/results/history_2021.h5" ]] ||
  fail "experiments/README.md's examples ran but left out files they should make"
echo "readme: README.md $n commands, experiments/README.md $m commands: ok"
