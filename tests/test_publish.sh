#!/bin/sh
# test_publish.sh - tests of atomic publishing on a generated handbook big
# enough that a build takes a noticeable time: builds killed with SIGKILL at
# random moments, a reader that must never see half of one site and half of
# another, two builds at once, and a build that fails while rendering.
#
#   tests/test_publish.sh [HANDBOOK]     HANDBOOK defaults to build/handbook
#   ROUNDS=40 tests/test_publish.sh      more kill rounds (default 15)
#
# Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/shtest.sh" "$@"
rounds=${ROUNDS:-15}
reader_pid=
trap '[ -n "$reader_pid" ] && kill "$reader_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
random() { od -An -N4 -tu4 /dev/urandom | tr -d ' '; } # a random 32-bit number

# --- two versions of a handbook with 400 practices of about 10 KB ---
# A and B differ in content/index.md: in index.html, one of the first files a
# build writes, and in zoekindex/terms/ve.json, one of the last.
cp -r "$top/tests/sites/basic/repo" "$tmp/A"
para="De school, de jeugdhulp en de gemeente maken samen een arrangement voor leerlingen die extra steun nodig hebben. Zij spreken af wie wat betaalt en wie de regie houdt."
i=1
while [ $i -le 400 ]; do
    {
        printf -- '---\ntitle: Praktijk %d\nsummary: Een voorbeeld van samenwerking nummer %d.\nregion: Parkstad\n---\n' $i $i
        j=1
        while [ $j -le 25 ]; do
            printf '## Stap %d\n\n%s Voorbeeld %d, stap %d.\n\n%s\n\n' $j "$para" $i $j "$para"
            j=$((j + 1))
        done
    } >"$tmp/A/practices/praktijk-$i.md"
    i=$((i + 1))
done
cp -r "$tmp/A" "$tmp/B"
sed -i 's/^Dit handboek/Editie alfa. Dit handboek/' "$tmp/A/content/index.md"
sed -i 's/^Dit handboek/Versie bravo. Dit handboek/' "$tmp/B/content/index.md"

# Clean builds of each, to compare with.
mkdir "$tmp/ref"
"$handbook" build --repo "$tmp/A" -o "$tmp/ref/A" >/dev/null 2>"$tmp/err"
"$handbook" build --repo "$tmp/B" -o "$tmp/ref/B" >/dev/null 2>>"$tmp/err"
early=index.html late=zoekindex/terms/ve.json
if [ -f "$tmp/ref/A/$late" ] && [ -f "$tmp/ref/B/$late" ] && grep -q "Editie alfa" "$tmp/ref/A/$early" &&
    grep -q "Versie bravo" "$tmp/ref/B/$early" && ! cmp -s "$tmp/ref/A/$late" "$tmp/ref/B/$late"; then
    ok "versions A and B build and differ in $early and $late"
else
    not_ok "versions A and B build and differ in $early and $late" "$(cat "$tmp/err")"
    echo "$passed passed, $failed failed"
    exit 1
fi

out=$tmp/www/site
mkdir -p "$tmp/www"
build() { # VERSION: builds it into $out; sets status
    "$handbook" build --repo "$tmp/$1" -o "$out" >"$tmp/out" 2>"$tmp/err"
    status=$?
}

# --- SIGKILL at random moments leaves the old site or the new one, whole ---
# Each round kills a build of the other version at a random moment in its own
# slice of 0 .. 1.2 times the build time, so that the rounds together cover the
# whole build, from before the staging folder exists to after the swap. The
# next build must then recover by itself. Each round starts from a site
# compared equal to the clean build of its version. The longest time a build that
# replaces a site has taken so far sets the range.
build A
start=$(now_ms)
build B
build_ms=$(($(now_ms) - start))
have=B
r=1
killed_before=0 killed_after=0 finished=0 bad=0
diff -r "$tmp/ref/B" "$out" >/dev/null ||
    { bad=1; not_ok "a build into an existing site gives the clean build" "$(cat "$tmp/err")"; }
while [ $r -le "$rounds" ]; do
    if [ $have = A ]; then want=B; else want=A; fi
    delay=$(awk -v seed="$(random)" -v r=$r -v n="$rounds" -v ms="$build_ms" \
        'BEGIN { srand(seed); printf "%.3f", (r - 1 + rand()) / n * ms * 1.2 / 1000 }')
    "$handbook" build --repo "$tmp/$want" -o "$out" >/dev/null 2>"$tmp/err" &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null # without the shell's "Killed"
    status=$?
    if [ $status -eq 0 ] && diff -r "$tmp/ref/$want" "$out" >"$tmp/diff"; then
        finished=$((finished + 1))
    elif [ $status -eq 137 ] && diff -r "$tmp/ref/$have" "$out" >"$tmp/diff"; then
        killed_before=$((killed_before + 1))
    elif [ $status -eq 137 ] && diff -r "$tmp/ref/$want" "$out" >"$tmp/diff"; then
        killed_after=$((killed_after + 1))
    else
        bad=$((bad + 1))
        not_ok "round $r: killed after $delay s, the output is neither site $have nor site $want" \
            "status $status" "$(head -20 "$tmp/diff")" "$(cat "$tmp/err")"
    fi
    start=$(now_ms)
    build "$want"
    took=$(($(now_ms) - start))
    [ $took -gt "$build_ms" ] && build_ms=$took
    if [ $status -ne 0 ] || ! diff -r "$tmp/ref/$want" "$out" >"$tmp/diff" || [ -e "$tmp/www/.site.new" ]; then
        bad=$((bad + 1))
        not_ok "round $r: the build after a kill at $delay s recovers" "status $status" \
            "$(head -20 "$tmp/diff")" "$(ls -a "$tmp/www")" "$(cat "$tmp/err")"
    fi
    have=$want
    r=$((r + 1))
done
[ $bad -eq 0 ] && ok "$rounds builds killed at random moments left the old site or the new one whole, and the next build recovered (builds took up to $build_ms ms; $killed_before killed before the swap, $killed_after after it, $finished finished)"

# --- a reader never sees half of one site and half of another ---
# Like a web server, the reader resolves the output folder anew for each pair
# of reads, then reads the first and the last file a build writes from that
# folder. A pair that started just before a swap reads the retired site, which
# the next build reuses: only pairs from the folder that is still published
# count.
read_pair() (
    cd "$out" 2>/dev/null || { echo nodir; exit; }
    e=- l=-
    if grep -q "Editie alfa" $early 2>/dev/null; then e=A; elif grep -q "Versie bravo" $early 2>/dev/null; then e=B; fi
    if cmp -s $late "$tmp/ref/A/$late" 2>/dev/null; then l=A; elif cmp -s $late "$tmp/ref/B/$late" 2>/dev/null; then l=B; fi
    # Is . still the folder at $out? Compare their inode numbers.
    # shellcheck disable=SC2046 # split on purpose: inode, name
    set -- $(ls -di .) $(ls -di "$out" 2>/dev/null)
    if [ "$1" = "${3:-}" ]; then echo "$e$l"; else echo "retired:$e$l"; fi
)
reader() {
    while [ ! -e "$tmp/stop" ]; do read_pair; done >"$tmp/reads"
}
reader &
reader_pid=$!
builds_ok=0
builds=0
# Incremental builds are quick: build on until the reader has read enough.
while [ $builds -lt 10 ] || { [ "$(wc -l <"$tmp/reads")" -lt 100 ] && [ $builds -lt 200 ]; }; do
    if [ $((builds % 2)) -eq 0 ]; then build B; else build A; fi
    builds=$((builds + 1))
    [ $status -eq 0 ] && builds_ok=$((builds_ok + 1))
done
touch "$tmp/stop"
wait "$reader_pid"
reader_pid=
pairs=$(wc -l <"$tmp/reads")
retired=$(grep -c '^retired:' "$tmp/reads")
# Allowed: AA and BB anywhere; anything in a retired folder, which the next
# build reuses as its staging folder (a reader that stays inside it across a
# whole build sees it change; a web server resolves the path anew each time).
wrong=$(grep -Ev '^(AA|BB)$|^retired:' "$tmp/reads" | sort | uniq -c | tr '\n' ' ')
if [ $builds_ok -eq $builds ] && [ -z "$wrong" ] && [ "$pairs" -gt 50 ] && grep -q '^AA$' "$tmp/reads" && grep -q '^BB$' "$tmp/reads"; then
    ok "a reader never saw a half site in $pairs pairs of reads during $builds builds ($retired pairs in a site just swapped out)"
else
    not_ok "a reader never saw a half site" "$builds_ok of $builds builds succeeded; $pairs pairs read" \
        "wrong reads: $wrong" "$(cat "$tmp/err")"
fi

# --- two builds at once: the second waits on the lock ---
lock_out=$tmp/www/twice
"$handbook" build --repo "$tmp/B" -o "$lock_out" >/dev/null 2>"$tmp/err1" &
pid1=$!
"$handbook" build --repo "$tmp/B" -o "$lock_out" >/dev/null 2>"$tmp/err2" &
pid2=$!
wait $pid1
status1=$?
wait $pid2
status2=$?
line="handbook: another build is publishing to $lock_out (lock $tmp/www/.twice.lock); waiting for it to finish"
waited=$(cat "$tmp/err1" "$tmp/err2" | grep -cxF "$line")
if [ $status1 -eq 0 ] && [ $status2 -eq 0 ] && [ "$waited" -eq 1 ] && diff -r "$tmp/ref/B" "$lock_out" >/dev/null &&
    [ ! -e "$tmp/www/.twice.new" ] && [ -f "$tmp/www/.twice.lock" ]; then
    ok "of two builds started at once, one waits for the other, saying so, and both succeed"
else
    not_ok "of two builds started at once, one waits for the other, saying so, and both succeed" \
        "statuses $status1 $status2; $waited waiting lines" "$(cat "$tmp/err1")" "$(cat "$tmp/err2")"
fi

# --- a build that fails while rendering leaves the published site as it was ---
# (tests/test_cli.sh has a mistake found while parsing, before anything is
# written; a broken link is found while rendering, after the staging folder
# was made.)
rm -rf "$tmp/before" && cp -a "$out" "$tmp/before"
printf -- '---\ntitle: Kapotte link\n---\nZie [dit](bestaat-niet.md).\n' >"$tmp/A/practices/kapot.md"
build A
if [ $status -eq 1 ] && grep -q "kapot.md:4:5: error: link to" "$tmp/err" && diff -r "$tmp/before" "$out" >/dev/null &&
    [ ! -e "$tmp/www/.site.new" ]; then
    ok "a build that fails while rendering leaves the published site as it was"
else not_ok "a build that fails while rendering leaves the published site as it was" "status $status" "$(cat "$tmp/err")"; fi

summary
