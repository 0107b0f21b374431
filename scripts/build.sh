#!/usr/bin/env bash
# Configures and builds one flavour of wipeout. Usage: scripts/build.sh [release|sanitize] (default release).
# Prints the build directory on its last line.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
flavour=${1:-release}
jobs=$(nproc 2>/dev/null || echo 2)
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
case "$flavour" in
  release)  dir="$root/build"; flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  sanitize) dir="$root/build-sanitize"; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DWIPEOUT_SANITIZE=ON
                                               -DWIPEOUT_BUILD_BENCHMARKS=OFF
                                               -DWIPEOUT_PYTHON=OFF) ;;  # no ASan module in a plain python3
  *) echo "build.sh: unknown flavour '$flavour' (release|sanitize)" >&2; exit 2 ;;
esac
if [[ "${CI:-}" == "true" ]]; then flags+=(-DWIPEOUT_WARNINGS_AS_ERRORS=ON); fi
if [[ ! -f "$dir/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$dir" "${generator[@]}" "${flags[@]}" >&2
else
  cmake "$dir" "${flags[@]}" >/dev/null
fi
cmake --build "$dir" -j "$jobs" >&2
echo "$dir"
