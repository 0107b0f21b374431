#!/usr/bin/env bash
# Installs what is missing, builds Release, and runs wipeout's main job on the embedded default scenario:
# its Monte Carlo paths into results/run-<UTC time>.h5 (a new file each time: nothing is overwritten),
# then prints the summary, writes the tail-risk report and says where both are. Extra arguments go to
# `wipeout run`,
# e.g. scripts/run.sh --paths 100000 --threads 2
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install_deps.sh"
dir=$("$root/scripts/build.sh" release | tail -n 1)
mkdir -p "$root/results"
out="$root/results/run-$(date -u +%Y%m%dT%H%M%SZ).h5"
"$dir/wipeout" run -o "$out" --save-trajectories 20 "$@"
"$dir/wipeout" summary "$out"
"$dir/wipeout" report "$out" -o "${out%.h5}_report"
echo
echo "results: $out"
echo "report:  ${out%.h5}_report/report.html"
echo "replay any path:  $dir/wipeout path --index 0 --trace path0.csv"
