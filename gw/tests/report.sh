#!/bin/sh
# report.sh OUTGATE - `outgate report` (issue 7): a decision log from a
# monitor-mode replay gives one self-contained HTML page with the chart (an
# SVG with bars), the table of refused destinations and the table of what
# enforce would refuse; strings from the log are escaped; the page loads
# nothing from elsewhere; and headless Chromium renders it (its screenshot
# is far from a blank page's).  Chromium missing: those checks are skipped.
set -u
OG=${1:-build/outgate}
TOP=${OUTGATE_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; [ $# -gt 1 ] && sed 's/^/#   /' "$2" | head -n 8; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

"$PY" "$TOP/tools/gen_mixed_pcap.py" 3000 "$T/mixed.pcap" || { echo "# skipped: cannot make a capture"; exit 0; }
"$OG" replay --quiet --mode monitor --policy "$TOP/tools/bench/mixed_policy.lua" \
    --log "$T/mixed.log" "$T/mixed.pcap" 2>/dev/null
# a hostile record, 30 times: markup in the strings
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do
printf '%s\n' '{"ts":"2023-11-14T22:13:20.030000Z","event":"decision","verdict":"accept","would":"drop","reason":"unknown_egress","rule":null,"mode":"monitor","policy_hash":"0123456789abcdef","dir":"out","proto":"tcp","src":"10.1.0.9","sport":1,"dst":"192.0.2.1","dport":443,"exe":"<script>alert(1)</script>"}' >>"$T/mixed.log"
done
if "$OG" report "$T/mixed.log" --html "$T/report.html" 2>"$T/err"; then
	ok "report writes a page"
else
	notok "report writes a page" "$T/err"
	exit 0
fi
bars=$(grep -c '<rect class="\(acc\|ref\)"' "$T/report.html")
if grep -q '<svg id="chart"' "$T/report.html" && [ "$bars" -ge 20 ]; then
	ok "the chart is an SVG with its bars ($bars)"
else
	notok "the chart is an SVG with its bars ($bars)" "$T/report.html"
fi
rows=$(sed -n '/<table id="refused">/,/<\/table>/p' "$T/report.html" | grep -c '<tr><td>')
wrows=$(sed -n '/<table id="would">/,/<\/table>/p' "$T/report.html" | grep -c '<tr><td>')
if [ "$rows" -eq 20 ] && [ "$wrows" -eq 20 ]; then
	ok "both tables list the top 20"
else
	notok "both tables list the top 20 ($rows, $wrows)" "$T/report.html"
fi
if grep -q 'of them only watched (monitor mode' "$T/report.html"; then
	ok "the summary says how much enforce would refuse"
else
	notok "the summary says how much enforce would refuse" "$T/report.html"
fi
if grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/report.html" && ! grep -q '<script' "$T/report.html"; then
	ok "strings from the log are escaped: no markup gets in"
else
	notok "strings from the log are escaped: no markup gets in" "$T/report.html"
fi
if grep -q 'src=\|href=\|@import\|url(' "$T/report.html"; then
	notok "the page loads nothing from elsewhere" "$T/report.html"
else
	ok "the page loads nothing from elsewhere"
fi
"$OG" report "$T/mixed.log" >/dev/null 2>"$T/err"
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ]; then ok "no --html: one error line, exit 2"
else notok "no --html: one error line, exit 2 (exit $rc)" "$T/err"; fi

CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	echo "# chromium not found: the rendering checks are left out"
	exit 0
fi
shot() {	# shot URL PNG
	timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --hide-scrollbars \
	    --user-data-dir="$T/chrome" --window-size=1000,900 --screenshot="$2" "$1" \
	    >"$T/chrome.out" 2>&1
}
printf '<!doctype html><html><body></body></html>\n' >"$T/blank.html"
if shot "file://$T/report.html" "$T/report.png" && shot "file://$T/blank.html" "$T/blank.png" &&
    [ -s "$T/report.png" ] && [ -s "$T/blank.png" ]; then
	r=$(wc -c <"$T/report.png")
	b=$(wc -c <"$T/blank.png")
	if [ "$r" -gt $((b * 5)) ] && [ "$r" -gt 10000 ]; then
		ok "headless Chromium renders the page: its screenshot ($r bytes) is far from a blank page's ($b)"
	else
		notok "headless Chromium renders the page (screenshot $r bytes, blank $b)" "$T/chrome.out"
	fi
else
	notok "headless Chromium takes screenshots" "$T/chrome.out"
fi
