#!/bin/sh
# test_search_js.sh - runs the search page's unit tests with node --test and
# ends with the "N passed, N failed" line the other tests print.
cd "$(dirname "$0")/.." || exit 1
output=$(node --test tests/search/ 2>&1)
status=$?
printf '%s\n' "$output"
passed=$(printf '%s\n' "$output" | sed -n 's/^# pass \([0-9]*\)$/\1/p' | tail -n 1)
failed=$(printf '%s\n' "$output" | sed -n 's/^# fail \([0-9]*\)$/\1/p' | tail -n 1)
if [ -z "$passed" ]; then
    passed=0
    failed=1
fi
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ]
