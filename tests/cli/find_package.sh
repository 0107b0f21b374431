# find_package(wipeout) as a user does it: install this build to a prefix, then configure, build and run a
# C++-only consumer (project(app CXX), no C enabled) that links wipeout::core and computes a liquidation
# price, which must equal the CLI's. The consumer uses this build's compiler; in a sanitizer build it links
# through the exported wipeout_sanitizers flags.
source "$(dirname "$0")/lib.sh"
: "${WIPEOUT_BUILD_DIR:?WIPEOUT_BUILD_DIR must point at the build directory}"
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$WIPEOUT_BUILD_DIR/CMakeCache.txt")
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

cmake --install "$WIPEOUT_BUILD_DIR" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 ||
  fail "cmake --install: $(tail -n 5 "$tmp/install.log")"

mkdir "$tmp/app"
cat >"$tmp/app/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(app CXX)
find_package(wipeout REQUIRED)
add_executable(app main.cpp)
target_link_libraries(app PRIVATE wipeout::core)
CMAKE
# Nothing sets the C++ standard here: the headers' C++20 (std::span in scenario.h) must come with the target.
cat >"$tmp/app/main.cpp" <<'CPP'
#include <cstdio>

#include "wipeout/margin.h"
#include "wipeout/scenario.h"
#include "wipeout/tiers.h"

int main() {
    const wipeout::IsolatedPosition p{wipeout::Side::Long, 100000.0, 0.1,
                                      wipeout::margin_for_leverage(100000.0, 0.1, 10.0)};
    const auto q = wipeout::isolated_liquidation(p, wipeout::TierTable::btc_default(), {});
    std::printf("%.17g\n", q.liquidation_price);
    return 0;
}
CPP
cmake -S "$tmp/app" -B "$tmp/app/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$tmp/prefix" >"$tmp/configure.log" 2>&1 ||
  fail "the consumer does not configure: $(grep -A 3 -m 3 'Error' "$tmp/configure.log")"
cmake --build "$tmp/app/build" >"$tmp/build.log" 2>&1 ||
  fail "the consumer does not build: $(tail -n 15 "$tmp/build.log")"
"$tmp/app/build/app" >"$tmp/app.out" || fail "the consumer failed: $(cat "$tmp/app.out")"

# The same position through the CLI (liq_price.sh pins it: 90361.44578...): the same number, to the last digit.
expect_exit 0 "$WIPEOUT" liq-price --side long --entry 100000 --qty 0.1 --leverage 10 --json
want=$(sed -E 's/.*"liquidation_price":([^,]*),.*/\1/' "$tmp/out")
/usr/bin/python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(a != b)' \
  "$(cat "$tmp/app.out")" "$want" || fail "the consumer printed $(cat "$tmp/app.out"), the CLI $want"
[[ $want == 90361.44578313* ]] || fail "the CLI's liquidation price moved: $want"
echo "find_package: ok ($(cat "$tmp/app.out"))"
