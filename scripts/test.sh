#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through ctest.
#   scripts/test.sh              Release build, all tests
#   scripts/test.sh --sanitize   also the AddressSanitizer + UndefinedBehaviorSanitizer build, all tests but
#                                those labelled slow (the README's examples), and ~20 s of fuzzing the scenario
#                                parser (CI does this)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sanitize=0
[[ "${1:-}" == "--sanitize" ]] && sanitize=1
"$root/scripts/install_deps.sh"
jobs=$(nproc 2>/dev/null || echo 2)

dir=$("$root/scripts/build.sh" release | tail -n 1)
echo "== tests (Release) =="
ctest --test-dir "$dir" --output-on-failure -j "$jobs"

if ((sanitize)); then
  dir=$("$root/scripts/build.sh" sanitize | tail -n 1)
  echo "== tests (AddressSanitizer + UndefinedBehaviorSanitizer) =="
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$dir" --output-on-failure -j "$jobs" -LE slow
  # The scenario parser under libFuzzer (clang, ASan + UBSan): a crash fails CI.
  "$root/scripts/fuzz.sh" "${WIPEOUT_FUZZ_SECONDS:-20}"
fi
