#!/usr/bin/env bash
# Benchmark of `wipeout run` on the default scenario (not a timed test): paths/s with 1 and 2 threads, the
# 1 -> 2 thread speed-up, and the cost per path at 10^4, 10^5 and 10^6 paths; then what the driver itself
# costs per path (bench_driver: parameter sampling, chunk compression and writing, summary).
#   scripts/bench_run.sh           full (the 10^6-path run takes a while)
#   scripts/bench_run.sh --quick   10^3, 10^4, 10^5 paths
#   scripts/bench_run.sh --compare OLD NEW [PATHS [REPS [RUN ARGS...]]]
#                                  two binaries on the default scenario with 2 threads, interleaved (old, new,
#                                  old, ...; REPS each, default 7, of PATHS paths, default 20000): paths/s of each
#                                  run, then the ratio new/old of the medians and of the best runs. Extra run
#                                  arguments after the numbers compare on another scenario or --set.
# WIPEOUT=/path/to/wipeout uses that binary; otherwise scripts/build.sh release builds one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ "${1:-}" == "--compare" ]]; then
  old=${2:?--compare needs two binaries}; new=${3:?--compare needs two binaries}
  paths=${4:-20000}; reps=${5:-7}
  extra=("${@:6}")
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  rate() { "$1" run "${extra[@]}" --paths "$paths" --threads 2 --seed 1 -o "$out/bench.h5" --force -q |
           sed -E 's/.*\(([0-9]+) paths\/s.*/\1/'; }
  echo "paths/s, default scenario${extra[*]:+ ${extra[*]}}, $paths paths, 2 threads, interleaved"
  printf "%-6s %-12s %-12s\n" rep old new
  olds=() news=()
  for ((i = 1; i <= reps; i++)); do
    a=$(rate "$old"); b=$(rate "$new")
    olds+=("$a"); news+=("$b")
    printf "%-6s %-12s %-12s\n" "$i" "$a" "$b"
  done
  python3 - "${olds[*]}" "${news[*]}" <<'EOF'
import statistics, sys
old, new = ([float(x) for x in a.split()] for a in sys.argv[1:3])
print(f"median old {statistics.median(old):.0f}, new {statistics.median(new):.0f}: new/old {statistics.median(new) / statistics.median(old):.3f}")
print(f"best   old {max(old):.0f}, new {max(new):.0f}: new/old {max(new) / max(old):.3f}")
EOF
  exit 0
fi
sizes=(10000 100000 1000000)
thread_paths=20000
if [[ "${1:-}" == "--quick" ]]; then
  sizes=(1000 10000 100000)
  thread_paths=5000
fi
if [[ -z "${WIPEOUT:-}" ]]; then
  WIPEOUT="$("$root/scripts/build.sh" release | tail -n 1)/wipeout"
fi
build_dir=$(dirname "$WIPEOUT")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# run PATHS THREADS: prints "<wall seconds> <paths/s while computing paths>"
run() {
  local start end rate
  start=$(date +%s.%N)
  rate=$("$WIPEOUT" run --paths "$1" --threads "$2" --seed 1 -o "$out/bench.h5" --force -q |
    sed -E 's/.*\(([0-9]+) paths\/s.*/\1/')
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" -v r="$rate" 'BEGIN { printf "%.3f %.0f\n", e - s, r }'
}

echo "wipeout $("$WIPEOUT" --version | cut -d' ' -f2-) on $(nproc) cores, default scenario"
echo
echo "threads  paths      wall s    paths/s (wall)  paths/s (paths phase)"
read -r wall1 rate1 < <(run "$thread_paths" 1)
printf "%-8s %-10s %-9s %-15.0f %.0f\n" 1 "$thread_paths" "$wall1" "$(awk -v n="$thread_paths" -v t="$wall1" 'BEGIN{print n/t}')" "$rate1"
read -r wall2 rate2 < <(run "$thread_paths" 2)
printf "%-8s %-10s %-9s %-15.0f %.0f\n" 2 "$thread_paths" "$wall2" "$(awk -v n="$thread_paths" -v t="$wall2" 'BEGIN{print n/t}')" "$rate2"
awk -v a="$wall1" -v b="$wall2" 'BEGIN { printf "speed-up 1 -> 2 threads: %.2fx (wall)\n\n", a / b }'

echo "cost per path, 2 threads (wall: start-up, paths, summary and all)"
echo "paths      wall s    us/path (wall)  us/path (paths phase)"
for n in "${sizes[@]}"; do
  read -r wall rate < <(run "$n" 2)
  awk -v n="$n" -v t="$wall" -v r="$rate" 'BEGIN { printf "%-10d %-9.3f %-15.1f %.1f\n", n, t, 1e6 * t / n, 1e6 / r }'
done

bench="$build_dir/bench/bench_driver"
if [[ -x "$bench" ]]; then
  echo
  echo "the driver's own costs per path (bench_driver)"
  "$bench" --benchmark_min_time=0.5
fi
