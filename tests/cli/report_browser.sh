# wipeout report's HTML in headless Chromium: the page loads with no console message and no script or resource
# error, every figure decodes (naturalWidth > 0), and a 1280x4000 screenshot is a non-blank PNG. A doctored
# copy with a broken image and a script error must fail the same checks, so the checks can fail.
# The page's own self-check script (scripts/report/report_html.py) leaves its findings as data-selfcheck-*
# attributes of <html>, which --dump-dom prints after the load event.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
PY=/usr/bin/python3
cd "$tmp"

source "$here/lib_browser.sh"  # chromium (installed if missing), chrome, check_page

expect_exit 0 "$WIPEOUT" run --paths 1000 --seed 4 --save-trajectories 10 -o small.h5 -q
expect_exit 0 "$WIPEOUT" report small.h5 -q
page="$tmp/small_report/report.html"

result=$(check_page "$page")
echo "report_browser: report.html: $result"
[[ $result == "images=10 ok=10 errors=0 console=0" ]] ||
  fail "report.html in Chromium: $result; $(grep -o 'data-selfcheck-error-text="[^"]*"' dom.html); console: $(grep ':CONSOLE' console.txt)"

# The same checks catch a broken page: an undecodable image and a failing script.
sed -e 's|</main>|<img src="data:image/png;base64,AAAA" alt="broken"><script>no_such_function();</script></main>|' \
  "$page" >"$tmp/small_report/broken.html"
result=$(check_page "$tmp/small_report/broken.html")
echo "report_browser: broken.html (must fail): $result"
[[ $result =~ ^images=11\ ok=10\ errors=[1-9][0-9]*\ console=[1-9] ]] || fail "the checks did not catch a broken page: $result"

# Screenshot: a 1280x4000 PNG that is not blank (many colours, much non-white area), kept as
# test-artifacts/report_screenshot.png.
result=$(screenshot_page "$page" 1280 4000 report_screenshot) || exit 1
echo "report_browser: $result"
echo "report_browser: OK"
