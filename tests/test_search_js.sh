#!/bin/sh
# test_search_js.sh - runs the search page's unit tests with node --test, on
# the fixture, the test sites and the index of this repository's own handbook
# (built here with build/handbook), and ends with the "N passed, N failed"
# line the other tests print.
cd "$(dirname "$0")/.." || exit 1
real=$(mktemp -d) || exit 1
trap 'rm -rf "$real"' EXIT
if ! build/handbook build -o "$real/site" >"$real/log" 2>&1; then
    cat "$real/log"
    echo "not ok - the real handbook builds, for its search index"
    echo "0 passed, 1 failed"
    exit 1
fi
output=$(REAL_INDEX="$real/site/zoekindex" node --test tests/search/ 2>&1)
status=$?
printf '%s\n' "$output"
printf '%s\n' "$output" | tests/tap-summary
[ "$status" -eq 0 ]
