# wipeout report's HTML in headless Chromium: the page loads with no console message and no script or resource
# error, every figure decodes (naturalWidth > 0), and a 1280x4000 screenshot is a non-blank PNG. A doctored
# copy with a broken image and a script error must fail the same checks, so the checks can fail.
# The page's own self-check script (scripts/report/report_html.py) leaves its findings as data-selfcheck-*
# attributes of <html>, which --dump-dom prints after the load event.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
cd "$tmp"

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

expect_exit 0 "$WIPEOUT" run --paths 1000 --seed 4 --save-trajectories 10 -o small.h5 -q
expect_exit 0 "$WIPEOUT" report small.h5 -q
page="$tmp/small_report/report.html"

result=$(check_page "$page")
echo "report_browser: report.html: $result"
[[ $result == "images=7 ok=7 errors=0 console=0" ]] ||
  fail "report.html in Chromium: $result; $(grep -o 'data-selfcheck-error-text="[^"]*"' dom.html); console: $(grep ':CONSOLE' console.txt)"

# The same checks catch a broken page: an undecodable image and a failing script.
sed -e 's|</main>|<img src="data:image/png;base64,AAAA" alt="broken"><script>no_such_function();</script></main>|' \
  "$page" >"$tmp/small_report/broken.html"
result=$(check_page "$tmp/small_report/broken.html")
echo "report_browser: broken.html (must fail): $result"
[[ $result =~ ^images=8\ ok=7\ errors=[1-9][0-9]*\ console=[1-9] ]] || fail "the checks did not catch a broken page: $result"

# Screenshot: a 1280x4000 PNG that is not blank (many colours, much non-white area).
shot="$tmp/report_screenshot.png"
chrome --screenshot="$shot" --window-size=1280,4000 "file://$page" >/dev/null 2>shot.log ||
  fail "chromium --screenshot failed: $(tail -n 5 shot.log)"
$PY - "$shot" <<'EOF' || fail "the screenshot is blank or malformed"
import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.image as mpimg
import numpy as np
image = mpimg.imread(sys.argv[1])
assert image.shape[:2] == (4000, 1280), image.shape
rgb = (image[..., :3] * 255).round().astype(np.int64)
colours = np.unique(rgb.reshape(-1, 3) @ np.array([65536, 256, 1])).size
not_white = float(np.mean(rgb.sum(axis=2) < 3 * 245))
print(f"report_browser: screenshot {image.shape[1]}x{image.shape[0]}, {colours} colours, "
      f"{100 * not_white:.0f}% not white")
assert colours > 200 and not_white > 0.05, (colours, not_white)  # a blank page has one colour
EOF
# Keep the screenshot where a person can look at it.
if [[ -n ${WIPEOUT_BUILD_DIR:-} && -d $WIPEOUT_BUILD_DIR ]]; then
  mkdir -p "$WIPEOUT_BUILD_DIR/test-artifacts"
  cp "$shot" "$WIPEOUT_BUILD_DIR/test-artifacts/report_screenshot.png"
  echo "report_browser: screenshot kept at $WIPEOUT_BUILD_DIR/test-artifacts/report_screenshot.png"
fi
echo "report_browser: OK"
