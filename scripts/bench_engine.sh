#!/usr/bin/env bash
# Cost of one path of the cascade engine and its cost model (docs/performance.md). Builds bench/bench_engine
# in Release (build-bench/ unless WIPEOUT_BENCH_BUILD_DIR is set) and prints: us per path at the defaults,
# clock steps per path, ns per step, cohorts and take-overs per path, the split between the population build
# and the steps, the cost at 2x and 4x the cohort count (entry_bins) and at 1/2x and 2x the horizon, and the
# least-squares fit of "cost = a + b * cohorts + c * steps" to those five points.
#   scripts/bench_engine.sh                 7 repetitions interleaved at random, the fastest of each reported
#                                           (on a shared machine the minimum is the steadiest estimate)
#   REPS=9 scripts/bench_engine.sh          more repetitions
#   WIPEOUT_BENCH=/path/bench_engine ...    use that binary, build nothing
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${REPS:-7}
if [[ -z "${WIPEOUT_BENCH:-}" ]]; then
  build_dir=${WIPEOUT_BENCH_BUILD_DIR:-$root/build-bench}
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
    cmake -S "$root" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DWIPEOUT_BUILD_TESTS=OFF \
      -DWIPEOUT_BUILD_BENCHMARKS=ON >&2
  fi
  cmake --build "$build_dir" --target bench_engine -j "$(nproc 2>/dev/null || echo 2)" >&2
  WIPEOUT_BENCH=$build_dir/bench/bench_engine
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "running $WIPEOUT_BENCH ($reps repetitions; one core)" >&2
"$WIPEOUT_BENCH" --benchmark_repetitions="$reps" --benchmark_enable_random_interleaving=true \
  --benchmark_report_aggregates_only=true \
  --benchmark_out="$out" --benchmark_out_format=json >&2

python3 - "$out" "$reps" <<'EOF'
import json, sys

data = json.load(open(sys.argv[1]))
reps = int(sys.argv[2])
stat = "min" if reps > 1 else None
rows = {}
for b in data["benchmarks"]:
    name = b.get("run_name", b["name"]).split("/iterations:")[0]
    if stat and b.get("aggregate_name") not in (stat, "median"):
        continue
    key = (name, b.get("aggregate_name", "single"))
    rows[key] = b

def get(name, agg=None):
    agg = agg or (stat or "single")
    b = rows[(name, agg)]
    assert b["time_unit"] == "us"
    return b

def us(name, agg=None):
    return get(name, agg)["cpu_time"]

default = get("BM_path_defaults")
build = us("BM_population_build")
path = default["cpu_time"]
steps = default["steps"]
print()
print(f"cascade engine, one path at the defaults (CascadeParams{{}}), Release, one core, {reps} repetitions"
      + (" (fastest shown, median in brackets)" if stat else ""))
med = f" [{us('BM_path_defaults', 'median'):.1f}]" if stat else ""
print(f"  us per path              {path:10.1f}{med}")
print(f"  clock steps per path     {steps:10.1f}")
print(f"  ns per step (all in)     {1000 * path / steps:10.1f}")
print(f"  cohorts per path         {default['cohorts']:10.0f}")
print(f"  take-overs per path      {default['take_overs']:10.1f}   (partial cuts {default['partial_cuts']:.1f},"
      f" aggregated grid blocks {default['grid_blocks']:.1f})")
print(f"  cost split               population build {build:.1f} us ({100 * build / path:.0f}%),"
      f" steps and take-overs {path - build:.1f} us ({100 * (path - build) / path:.0f}%)")
scenario = get("BM_path_default_scenario")
med = f" [{us('BM_path_default_scenario', 'median'):.1f}]" if stat else ""
print()
print("  the built-in default scenario (parameters sampled per path, as `wipeout run` does):")
print(f"  us per path              {scenario['cpu_time']:10.1f}{med}")
print(f"  clock steps per path     {scenario['steps']:10.1f}")
print(f"  take-overs per path      {scenario['take_overs']:10.1f}   (partial cuts {scenario['partial_cuts']:.1f})")
print(f"  ADL rounds per path      {scenario['adl_rounds']:10.2f}")
print()
points = [("defaults", default)]
for arg, label in ((2, "entry_bins x2"), (4, "entry_bins x4")):
    points.append((label, get(f"BM_path_entry_bins/{arg}")))
for arg, label in ((1, "horizon x1/2"), (4, "horizon x2")):
    points.append((label, get(f"BM_path_horizon/{arg}")))
print(f"  {'scenario':16s} {'cohorts':>9s} {'steps':>8s} {'take-overs':>11s} {'us/path':>9s}")
for label, b in points:
    print(f"  {label:16s} {b['cohorts']:9.0f} {b['steps']:8.1f} {b['take_overs']:11.1f} {b['cpu_time']:9.1f}")

# Least squares over the five points (normal equations).
def fit(columns):
    X = [tuple(f(b) for f in columns) for _, b in points]
    y = [b["cpu_time"] for _, b in points]
    n = len(columns)
    M = [[sum(r[i] * r[j] for r in X) for j in range(n)] + [sum(r[i] * t for r, t in zip(X, y))] for i in range(n)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(M[r][c]))
        M[c], M[p] = M[p], M[c]
        for r in range(n):
            if r != c:
                f = M[r][c] / M[c][c]
                M[r] = [x - f * z for x, z in zip(M[r], M[c])]
    coef = [M[i][n] / M[i][i] for i in range(n)]
    worst = max(abs(sum(k * v for k, v in zip(coef, r)) - t) / t for r, t in zip(X, y))
    return coef, worst

one = lambda b: 1.0
(a, bc, cs), worst = fit([one, lambda b: b["cohorts"], lambda b: b["steps"]])
print()
print("  cost model: us per path = a + b * cohorts + c * steps")
print(f"    least squares, five points:  a = {a:7.2f} us   b = {1000 * bc:5.2f} ns per cohort"
      f"   c = {1000 * cs:6.1f} ns per step   (largest misfit {100 * worst:.1f}%)")
# One driver at a time: b from the entry_bins series (steps unchanged), c from the horizon series (cohorts
# unchanged), a what the defaults leave.
d, b4, h1, h2 = points[0][1], points[2][1], points[3][1], points[4][1]
b1 = (b4["cpu_time"] - d["cpu_time"]) / (b4["cohorts"] - d["cohorts"])
c1 = (h2["cpu_time"] - h1["cpu_time"]) / (h2["steps"] - h1["steps"])
a1 = d["cpu_time"] - b1 * d["cohorts"] - c1 * d["steps"]
print(f"    one driver at a time:        a = {a1:7.2f} us   b = {1000 * b1:5.2f} ns per cohort"
      f"   c = {1000 * c1:6.1f} ns per step")
print("    (take-overs grow with both drivers: more cohorts are crossed, a longer day brings more")
print("    diffusion-driven cascades; b and c carry them, and the small or negative a is what is left)")
EOF
