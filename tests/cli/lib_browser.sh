# Helpers for the headless-Chromium checks of report pages (sourced after lib.sh, from inside $tmp; not a test).
# Sourcing it skips the calling test (exit 0, "SKIPPED") when Chromium is missing and cannot be installed.
# Chromium is a dependency (scripts/install_deps.sh); install it here if missing, skip only if that is impossible.
if ! command -v chromium >/dev/null 2>&1; then
  echo "report_browser: chromium is missing; installing it with apt-get" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo -n); fi
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium \
    >apt.log 2>&1 || true
  if ! command -v chromium >/dev/null 2>&1; then
    echo "SKIPPED: chromium is not installed and cannot be installed here (apt-get: $(tail -n 1 apt.log));" \
      "run scripts/install_deps.sh"
    exit 0
  fi
fi

# chrome ARGS...: headless Chromium with a throwaway profile, no network services, console to stderr.
chrome() {
  local profile
  profile=$(mktemp -d "$tmp/profile.XXXXXX")
  timeout 180 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage \
    --user-data-dir="$profile" --enable-logging=stderr --v=0 --hide-scrollbars --virtual-time-budget=15000 "$@"
}

# check_page HTML: loads HTML, leaves the DOM in dom.html and Chromium's log in console.txt; prints
# "images=N ok=M errors=E console=C" for the caller to judge.
check_page() {
  local page=$1
  chrome --dump-dom "file://$page" >dom.html 2>console.txt || fail "chromium --dump-dom failed: $(tail -n 5 console.txt)"
  grep -q 'data-selfcheck="done"' dom.html || fail "the page's load event never ran: $(head -c 400 dom.html)"
  local images ok errors console
  images=$(grep -o 'data-selfcheck-images="[0-9]*"' dom.html | grep -o '[0-9]\+')
  ok=$(grep -o 'data-selfcheck-images-ok="[0-9]*"' dom.html | grep -o '[0-9]\+')
  errors=$(grep -o 'data-selfcheck-errors="[0-9]*"' dom.html | grep -o '[0-9]\+')
  # Chromium logs every console message of a page (any level) as INFO:CONSOLE; the report logs none.
  console=$(grep -c ':CONSOLE' console.txt || true)
  echo "images=$images ok=$ok errors=$errors console=$console"
}


# check_screenshot PNG WIDTH HEIGHT: the screenshot has that size and is not blank (many colours, much non-white
# area); prints its size, colours and share of non-white pixels.
check_screenshot() {
  /usr/bin/python3 - "$1" "$2" "$3" <<'EOF'
import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.image as mpimg
import numpy as np
image = mpimg.imread(sys.argv[1])
width, height = int(sys.argv[2]), int(sys.argv[3])
assert image.shape[:2] == (height, width), image.shape
rgb = (image[..., :3] * 255).round().astype(np.int64)
colours = np.unique(rgb.reshape(-1, 3) @ np.array([65536, 256, 1])).size
not_white = float(np.mean(rgb.sum(axis=2) < 3 * 245))
print(f"screenshot {image.shape[1]}x{image.shape[0]}, {colours} colours, {100 * not_white:.0f}% not white")
assert colours > 200 and not_white > 0.05, (colours, not_white)  # a blank page has one colour
EOF
}

# screenshot_page PAGE WIDTH HEIGHT NAME: a WIDTHxHEIGHT screenshot of the page, checked by check_screenshot
# (fails the test when blank or malformed) and kept as test-artifacts/NAME.png in the build folder, where a
# person can look at it; prints check_screenshot's line.
screenshot_page() {
  local page=$1 width=$2 height=$3 name=$4 shot="$tmp/$4.png" result
  chrome --screenshot="$shot" --window-size="$width,$height" "file://$page" >/dev/null 2>"$tmp/shot.log" ||
    fail "chromium --screenshot of $page failed: $(tail -n 5 "$tmp/shot.log")"
  result=$(check_screenshot "$shot" "$width" "$height") || fail "the $name screenshot is blank or malformed: $result"
  if [[ -n ${WIPEOUT_BUILD_DIR:-} && -d $WIPEOUT_BUILD_DIR ]]; then
    mkdir -p "$WIPEOUT_BUILD_DIR/test-artifacts"
    cp "$shot" "$WIPEOUT_BUILD_DIR/test-artifacts/$name.png"
  fi
  echo "$result"
}
