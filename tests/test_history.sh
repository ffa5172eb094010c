#!/bin/sh
# test_history.sh - every page's last change and contributors are git's.
#
# Generates the benchmark's synthetic handbook (bench/gen_repo.c: 400
# practice examples, 150 commits that add and edit them, by several authors)
# and checks, for every practice page, the date and the contributors the
# page shows against git log for its file. Then commits edits to a few
# files at the start, middle and end of the practices folder, a new file
# and a deletion, builds again (incrementally: only the new commits are
# walked) and checks again; then after commits that add and delete files
# before others that edit later files; and once more, a whole walk, from a
# bare clone with --ref.
#
#   tests/test_history.sh [HANDBOOK]   HANDBOOK defaults to build/handbook
#
# Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/shtest.sh" "$@"

private_git
export LC_ALL=C # byte order, as handbook sorts names

if ! ${CC:-cc} -std=c17 -D_GNU_SOURCE -O1 "$top/bench/gen_repo.c" -o "$tmp/gen_repo" \
    > "$tmp/cc.log" 2>&1 || ! "$tmp/gen_repo" "$tmp/repo" 400 150 > "$tmp/gen.log" 2>&1; then
    not_ok "gen_repo writes a repository" "$(tail -n 5 "$tmp/cc.log" "$tmp/gen.log")"
    summary
    exit
fi
repo=$tmp/repo

# check NAME SITE REPO [REF]: compares every practice page of SITE with git
# log of its file in REPO (at REF, default HEAD): the date of the newest
# commit, in the author's time zone, and the authors, most commits first,
# then by name.
check() {
    name=$1 site=$2 repo_dir=$3 ref=${4:-HEAD}
    # One walk of git log: "file<TAB>date<TAB>author" per commit and file.
    git -C "$repo_dir" log --format='@%ad%x09%aN' --date=format:%Y-%m-%d --name-only \
        "$ref" -- practices/ | awk -F '\t' '
        /^@/ { date = substr($1, 2); author = $2; next }
        /^practices\// { print $0 "\t" date "\t" author }' > "$tmp/changes"
    # The newest date of each file (git log lists the newest first).
    awk -F '\t' '!($1 in d) { d[$1] = $2; print $1 "\t" $2 }' "$tmp/changes" |
        sort > "$tmp/want-dates"
    # The authors of each file, most commits first, then by name.
    cut -f 1,3 "$tmp/changes" | sort | uniq -c |
        awk '{ n = $1; sub(/^ *[0-9]+ /, ""); print n "\t" $0 }' |
        sort -t "$(printf '\t')" -k2,2 -k1,1nr -k3,3 |
        awk -F '\t' '{ if ($2 in a) a[$2] = a[$2] " " $3; else a[$2] = $3 }
            END { for (f in a) print f "\t" a[f] }' |
        sort > "$tmp/want-authors"
    join -t "$(printf '\t')" "$tmp/want-dates" "$tmp/want-authors" > "$tmp/want"
    # Each page's "changed" line, as file, date and authors.
    grep -o '<p class="changed">.*</p>' -r "$site/praktijkvoorbeelden" --include=index.html |
        sed -e "s|^$site/praktijkvoorbeelden/\([^/]*\)/index.html:|practices/\1.md\t|" \
            -e 's|<p class="changed">.*datetime="\([0-9-]*\)".*</time> door \(.*\)</p>$|\1\t\2|' |
        sort > "$tmp/got"
    git -C "$repo_dir" ls-tree --name-only "$ref" practices/ | sort > "$tmp/files"
    # Only the files of the commit are pages (git log knows deleted ones too).
    join -t "$(printf '\t')" "$tmp/files" "$tmp/want" > "$tmp/want-pages"
    seen=$(wc -l < "$tmp/files" | tr -d ' ')
    if cmp -s "$tmp/got" "$tmp/want-pages" && [ "$seen" -gt 0 ]; then
        ok "$name: the date and authors of all $seen practices are git log's"
    else
        not_ok "$name: the date and authors of all $seen practices are git log's" \
            "$(diff "$tmp/want-pages" "$tmp/got" | head -n 6)"
    fi
}

if "$handbook" build --repo "$repo" -o "$tmp/site" > "$tmp/build.log" 2>&1; then
    check "full walk" "$tmp/site" "$repo"
else
    not_ok "the generated repository builds" "$(tail -n 5 "$tmp/build.log")"
fi

# Edits at the start, in the middle and near the end of the folder, by
# another author; then a new file, and a file deleted that no page links to.
files=$(ls "$repo/practices")
count=$(printf '%s\n' "$files" | wc -l)
for n in 1 2 $((count / 2)) $((count - 1)); do
    f=$(printf '%s\n' "$files" | sed -n "${n}p")
    printf '\nNog een zin over dit voorbeeld.\n' >> "$repo/practices/$f"
done
git -C "$repo" commit -qam "Vier voorbeelden aangevuld" \
    --author="Nieuwe Auteur <nieuw@example.org>"
last=""
for f in $(printf '%s\n' "$files" | sort -r); do
    grep -rqF "$f" "$repo/content" "$repo/practices" || { last=$f; break; }
done
middle=$(printf '%s\n' "$files" | sed -n "$((count / 2))p")
sed 's/^title: .*/title: "Een nieuw voorbeeld"/' "$repo/practices/$last" > "$repo/practices/p99999-nieuw.md"
git -C "$repo" rm -q "practices/$last"
git -C "$repo" add practices/p99999-nieuw.md
git -C "$repo" commit -qm "Een nieuw voorbeeld, een weg"
if "$handbook" build --repo "$repo" -o "$tmp/site" > "$tmp/build.log" 2>&1; then
    check "after two commits (the new commits walked)" "$tmp/site" "$repo"
    if grep -q "Nieuwe Auteur" "$tmp/site/praktijkvoorbeelden/$(basename "$middle" .md)/index.html"; then
        ok "the new author is listed on a page edited in the middle of the folder"
    else
        not_ok "the new author is listed on a page edited in the middle of the folder"
    fi
else
    not_ok "the repository builds after two commits" "$(tail -n 5 "$tmp/build.log")"
fi

# Commits that move the folder's later entries (a file added before all
# others, an early file deleted) between edits further on: the walk, which
# skips the entries a commit left alone, must find each edit behind them.
files=$(ls "$repo/practices")
count=$(printf '%s\n' "$files" | wc -l)
edit_nth() {
    f=$(printf '%s\n' "$files" | sed -n "${1}p")
    printf '\nWeer een zin, in commit %s.\n' "$2" >> "$repo/practices/$f"
    git -C "$repo" commit -qam "Aanvulling $2" --author="$3 <${2}@example.org>"
}
edit_nth "$((count - 2))" een "Auteur Een"
sed 's/^title: .*/title: "Een voorbeeld vooraan"/' "$repo/practices/$(printf '%s\n' "$files" | head -n 1)" \
    > "$repo/practices/p00000-vooraan.md"
git -C "$repo" add practices/p00000-vooraan.md
git -C "$repo" commit -qm "Een voorbeeld vooraan"
edit_nth "$((count / 3))" twee "Auteur Twee"
early=""
for f in $files; do
    grep -rqF "$f" "$repo/content" "$repo/practices" || { early=$f; break; }
done
git -C "$repo" rm -q "practices/$early"
git -C "$repo" commit -qm "Een voorbeeld vooraan weg"
files=$(ls "$repo/practices")
edit_nth "$((count * 2 / 3))" drie "Auteur Drie"
edit_nth "$count" vier "Auteur Vier"
if "$handbook" build --repo "$repo" -o "$tmp/site" > "$tmp/build.log" 2>&1; then
    check "after entries added and deleted before edits (incremental)" "$tmp/site" "$repo"
else
    not_ok "the repository builds after entries added and deleted" "$(tail -n 5 "$tmp/build.log")"
fi

git clone -q --bare "$repo" "$tmp/bare.git"
if "$handbook" build --repo "$tmp/bare.git" --ref main -o "$tmp/from-ref" > "$tmp/ref.log" 2>&1; then
    check "--ref main in a bare clone" "$tmp/from-ref" "$tmp/bare.git" main
else
    not_ok "a bare clone builds with --ref main" "$(tail -n 5 "$tmp/ref.log")"
fi
if "$handbook" build --repo "$tmp/bare.git" --ref main~1 -o "$tmp/from-ref-1" > "$tmp/ref.log" 2>&1; then
    check "--ref main~1 in a bare clone" "$tmp/from-ref-1" "$tmp/bare.git" main~1
else
    not_ok "a bare clone builds with --ref main~1" "$(tail -n 5 "$tmp/ref.log")"
fi

summary
