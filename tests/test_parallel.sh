#!/bin/sh
# test_parallel.sh - a build on two cores gives what a build on one gives.
#
# A full build renders the Markdown of the pages in two threads when it may
# use two cores (the second half of the pages with a search index part of its
# own, appended after). This builds the benchmark's synthetic handbook
# (bench/gen_repo.c, 1,200 practice examples with Dutch-like text, autolinks,
# tables and links) twice, once limited to one core with taskset, and
# compares every file; then breaks a page in each half and compares the
# error messages, which must come in page order both ways.
#
#   tests/test_parallel.sh [HANDBOOK]   HANDBOOK defaults to build/handbook
#
# Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/shtest.sh" "$@"

private_git

if ! command -v taskset > /dev/null 2>&1; then
    not_ok "taskset is there (util-linux)"
    summary
    exit
fi
if [ "$(nproc)" -lt 2 ]; then
    # One core: every build is the one-thread build; nothing to compare.
    ok "one core only: the two-thread build is not used here (skipped)"
    summary
    exit
fi

if ! ${CC:-cc} -std=c17 -D_GNU_SOURCE -O1 "$top/bench/gen_repo.c" -o "$tmp/gen_repo" \
    > "$tmp/cc.log" 2>&1; then
    not_ok "bench/gen_repo.c compiles" "$(cat "$tmp/cc.log")"
    summary
    exit
fi
if ! "$tmp/gen_repo" "$tmp/repo" 1200 40 > "$tmp/gen.log" 2>&1; then
    not_ok "gen_repo writes a repository" "$(tail -n 5 "$tmp/gen.log")"
    summary
    exit
fi

# build NAME [taskset -c 0]: a full build of the repository into $tmp/NAME.
build() {
    name=$1
    shift
    "$@" "$handbook" build --repo "$tmp/repo" -o "$tmp/$name" > "$tmp/$name.log" 2>&1
}

if build two && build one taskset -c 0; then
    ok "both builds succeed"
    if diff -r "$tmp/one" "$tmp/two" > "$tmp/diff.log" 2>&1; then
        ok "every file of the two-thread build is the one-thread build's"
    else
        not_ok "every file of the two-thread build is the one-thread build's" \
            "$(head -n 12 "$tmp/diff.log")"
    fi
    files=$(find "$tmp/two" -type f | wc -l)
    if [ "$files" -gt 2400 ]; then
        ok "the build wrote every page and search document ($files files)"
    else
        not_ok "the build wrote every page and search document" "only $files files"
    fi
else
    not_ok "both builds succeed" "$(tail -n 5 "$tmp/two.log")" "$(tail -n 5 "$tmp/one.log")"
fi

# A broken link in a page of each half: the same messages, in page order.
early=$(ls "$tmp/repo/practices" | sed -n 3p)
late=$(ls "$tmp/repo/practices" | sed -n 1150p)
printf '\nZie [de gids](ontbreekt-vroeg.md).\n' >> "$tmp/repo/practices/$early"
printf '\nZie [de gids](ontbreekt-laat.md).\n' >> "$tmp/repo/practices/$late"
rm -rf "$tmp/two" "$tmp/one" "$tmp"/.two.* "$tmp"/.one.*
if build two || build one taskset -c 0; then
    not_ok "a build with broken links fails"
else
    ok "a build with broken links fails"
    if cmp -s "$tmp/one.log" "$tmp/two.log"; then
        ok "both builds report the same errors"
    else
        not_ok "both builds report the same errors" "$(diff "$tmp/one.log" "$tmp/two.log" | head)"
    fi
    first=$(grep -n "ontbreekt-vroeg" "$tmp/two.log" | head -n 1 | cut -d: -f1)
    second=$(grep -n "ontbreekt-laat" "$tmp/two.log" | head -n 1 | cut -d: -f1)
    if [ -n "$first" ] && [ -n "$second" ] && [ "$first" -lt "$second" ]; then
        ok "the errors come in page order"
    else
        not_ok "the errors come in page order" "$(cat "$tmp/two.log")"
    fi
fi
if [ ! -e "$tmp/two" ] && [ ! -e "$tmp/one" ]; then
    ok "a failed build publishes nothing"
else
    not_ok "a failed build publishes nothing"
fi

summary
