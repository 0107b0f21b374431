#!/usr/bin/env bash
# Builds the scenario-parser fuzzer with clang (libFuzzer + ASan + UBSan) in build-fuzz/ and runs it for a
# while, seeded with experiments/*.toml. Exits non-zero on any crash, leak, UB or broken round-trip.
#   scripts/fuzz.sh [SECONDS]   (default 20)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-20}
dir="$root/build-fuzz"
jobs=$(nproc 2>/dev/null || echo 2)
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f "$dir/CMakeCache.txt" ]]; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DWIPEOUT_BUILD_FUZZERS=ON -DWIPEOUT_BUILD_TESTS=OFF -DWIPEOUT_BUILD_BENCHMARKS=OFF >&2
fi
cmake --build "$dir" --target fuzz_scenario -j "$jobs" >&2

# The corpus grows across runs (it lives in the build directory); the seeds are the experiment files and
# the built-in scenario as `scenario show` prints it.
corpus="$dir/corpus/scenario"
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
mkdir -p "$corpus"
cp "$root"/experiments/*.toml "$seeds"/
printf '!shock.size=0.1\nmark.rule=last\nregime.air_pocket={ dist = "bernoulli", p = 0.3 }\n' >"$seeds/overrides"
echo "== fuzzing the scenario parser for ${seconds} s ==" >&2
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$dir/fuzz/fuzz_scenario" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -dict="$root/fuzz/scenario.dict" -artifact_prefix="$dir/crash-" "$corpus" "$seeds"
