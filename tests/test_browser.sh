#!/bin/sh
# test_browser.sh - browser tests of the search page: builds the handbook of
# this repository into build/browser-site, serves it on 127.0.0.1 with
# tests/browser/serve.mjs, runs tests/browser/*.test.mjs with node --test in
# Chromium (the Debian package, driven by playwright-core from node_modules)
# and ends with the "N passed, N failed" line the other tests print.
#
#   tests/test_browser.sh [HANDBOOK]   HANDBOOK defaults to build/handbook
#
# CHROMIUM names another Chromium binary; BROWSER_TESTS runs only these test
# files (e.g. tests/browser/relevance.test.mjs); SERVE_LOG=1 prints every
# request the server answers.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
handbook=${1:-build/handbook}
case "$handbook" in /*) ;; *) handbook="$top/$handbook" ;; esac
cd "$top" || exit 1
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM

fail() {
    echo "test_browser: $*"
    echo "0 passed, 1 failed"
    exit 1
}

[ -x "$CHROMIUM" ] || fail "no Chromium at $CHROMIUM; scripts/install-deps test installs the Debian package chromium"
[ -f node_modules/playwright-core/package.json ] ||
    fail "node_modules/playwright-core is missing; run npm ci (scripts/install-deps test does)"
command -v node >/dev/null 2>&1 || fail "node is missing; scripts/install-deps test installs it"
[ -x "$handbook" ] || fail "$handbook is missing; run make"

site=build/browser-site
mkdir -p build
rm -rf "$site"
if ! log=$("$handbook" build -o "$site" 2>&1); then
    printf '%s\n' "$log"
    fail "$handbook could not build the handbook into $site"
fi

server=""
tmp=$(mktemp -d)
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
node tests/browser/serve.mjs "$site" >"$tmp/url" 2>"$tmp/serve.log" &
server=$!
url=""
tries=0
while [ -z "$url" ] && [ "$tries" -lt 100 ]; do
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
    url=$(head -n 1 "$tmp/url")
    tries=$((tries + 1))
done
[ -n "$url" ] || { cat "$tmp/serve.log"; fail "the test server did not start"; }

# Every test has its own time limit; the whole run has one too, so that a
# browser that does not answer ends the run instead of hanging it.
output=$(HANDBOOK_URL="$url" timeout -k 10 900 node --test --test-timeout=300000 ${BROWSER_TESTS:-tests/browser/} 2>&1)
status=$?
printf '%s\n' "$output"
[ "$status" -eq 124 ] && echo "test_browser: the tests took longer than 15 minutes and were stopped"
[ -s "$tmp/serve.log" ] && cat "$tmp/serve.log"
printf '%s\n' "$output" | tests/tap-summary
[ "$status" -eq 0 ]
