#!/bin/sh
# test_incremental.sh - incremental builds give what a full build gives.
#
# Copies this repository's handbook into a fresh git repository and replays
# a sequence of random commits on it: edits of practice examples (body,
# title, front matter), of a school, a region and a glossary term (which
# other pages show), of a model (the comparison page shows them all), of a
# layout, a partial, the CSS and handbook.yaml;
# new practice examples, renames and deletes. After each commit it builds
# incrementally into one output folder (the build record of the last build
# beside it) and fully into a fresh one, and compares every file. It also
# checks that a file whose bytes did not change kept its inode (so its
# modification time), and that editing one practice example re-renders only
# the pages that show it.
#
#   tests/test_incremental.sh [HANDBOOK]   HANDBOOK defaults to build/handbook
#   SEED=123 COMMITS=60 tests/test_incremental.sh    replay a given sequence
#
# Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/shtest.sh" "$@"

private_git

seed=${SEED:-$(( $(date +%s) % 100000 ))}
commits=${COMMITS:-25}
start_seed=$seed
echo "# SEED=$seed COMMITS=$commits"
repo=$tmp/repo
mkdir -p "$repo"
cp -R "$top/handbook.yaml" "$top/content" "$top/practices" "$top/layouts" "$repo/"
git -C "$repo" init -q -b main && git -C "$repo" add -A && git -C "$repo" commit -qm "start"

# random N: sets r to a number from 0 to N-1 (a linear congruential
# generator, so that SEED replays a sequence).
random() {
    seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
    r=$(( (seed / 65536) % $1 ))
}
# pick FOLDER EXT: sets picked to a random file of FOLDER ending in EXT.
pick() {
    set -- $(cd "$repo/$1" && ls -- *"$2")
    random $#
    shift $r
    picked=$1
}
# pick_unlinked: like pick practices .md, but mostly a practice that no
# page links to, so that renaming or deleting it leaves a valid handbook.
pick_unlinked() {
    tries=0
    while pick practices .md && [ $tries -lt 8 ] &&
        grep -rqF "$picked" "$repo/content" "$repo/practices" "$repo/handbook.yaml"; do
        tries=$((tries + 1))
    done
}
# Front matter's and YAML's "title:" line of FILE becomes TEXT.
retitle() {
    sed -i "0,/^title:/s/^title:.*/title: $2/" "$1"
}

changes=0
mutate() {
    random 13
    case $r in
    0) pick practices .md
       printf '\nIn %s kwam er na de evaluatie een vervolg (wijziging %d).\n' "het schooljaar" "$changes" >>"$repo/practices/$picked"
       what="body of practices/$picked" ;;
    1) pick practices .md
       retitle "$repo/practices/$picked" "Praktijkvoorbeeld $changes"
       what="title of practices/$picked" ;;
    2) pick content/schools .yaml
       retitle "$repo/content/schools/$picked" "School $changes"
       what="title of school $picked" ;;
    3) pick content/regions .yaml
       retitle "$repo/content/regions/$picked" "Regio $changes"
       what="title of region $picked" ;;
    4) pick content/terms .yaml
       sed -i "s/^definition: >-\$/definition: >-\n  Aangepast in wijziging $changes./" "$repo/content/terms/$picked"
       what="definition of term $picked" ;;
    5) pick practices .md
       cp "$repo/practices/$picked" "$repo/practices/nieuw-$changes.md"
       retitle "$repo/practices/nieuw-$changes.md" "Nieuw voorbeeld $changes"
       what="new practice nieuw-$changes.md" ;;
    6) pick_unlinked
       git -C "$repo" mv "practices/$picked" "practices/verhuisd-$changes.md"
       what="rename of practices/$picked" ;;
    7) pick_unlinked
       git -C "$repo" rm -q "practices/$picked"
       what="delete of practices/$picked" ;;
    8) pick layouts/partials .mustache
       printf '<!-- wijziging %d -->\n' "$changes" >>"$repo/layouts/partials/$picked"
       what="partial $picked" ;;
    9) pick layouts .mustache
       printf '<!-- wijziging %d -->\n' "$changes" >>"$repo/layouts/$picked"
       what="layout $picked" ;;
    10) pick content/models .md
       retitle "$repo/content/models/$picked" "Model $changes"
       what="title of model $picked (the comparison page shows every model)" ;;
    11) sed -i "s/^description: .*/description: Beschrijving $changes/" "$repo/handbook.yaml"
       what="handbook.yaml" ;;
    *) printf '/* wijziging %d */\n' "$changes" >>"$repo/layouts/assets/style.css"
       what="the CSS" ;;
    esac
    changes=$((changes + 1))
}

# snapshot DIR FILE: "path inode hash" of every file of DIR, sorted.
snapshot() {
    (cd "$1" && find . -type f -printf '%P %i\n') | sort >"$2.inodes"
    (cd "$1" && find . -type f -print0 | xargs -0 md5sum) |
        awk '{ sub(/^\.\//, "", $2); print $2, $1 }' | sort >"$2.sums"
    join "$2.inodes" "$2.sums" >"$2"
}

inc=$tmp/www/inc
full=$tmp/www/full
mkdir -p "$tmp/www"
"$handbook" build --repo "$repo" -o "$inc" >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }

same=0 differ=0 failed_both=0 inode_errors="" relinked=0 kept=0
i=0
while [ $i -lt $commits ]; do
    i=$((i + 1))
    random 3
    n=$((r + 1)) whats=""
    while [ $n -gt 0 ]; do mutate; whats="$whats; $what"; n=$((n - 1)); done
    git -C "$repo" add -A && git -C "$repo" commit -qm "wijziging $i"
    snapshot "$inc" "$tmp/before"
    "$handbook" build --repo "$repo" -o "$inc" >"$tmp/inc.out" 2>&1
    inc_status=$?
    rm -rf "$full" "$tmp/www/.full."*
    "$handbook" build --repo "$repo" -o "$full" >"$tmp/full.out" 2>&1
    full_status=$?
    if [ $inc_status -ne 0 ] || [ $full_status -ne 0 ]; then
        # Content a random edit broke (a deleted page that others link to):
        # both must refuse it, and the next commit puts it back.
        if [ $inc_status -ne 0 ] && [ $full_status -ne 0 ]; then
            failed_both=$((failed_both + 1))
        else
            differ=$((differ + 1))
            echo "# commit $i ($whats): incremental exit $inc_status, full exit $full_status"
            sed 's/^/#   /' "$tmp/inc.out" "$tmp/full.out" | head -10
        fi
        git -C "$repo" reset -q --hard HEAD~1
        continue
    fi
    if diff -r "$full" "$inc" >"$tmp/diff" 2>&1; then
        same=$((same + 1))
    else
        differ=$((differ + 1))
        echo "# commit $i ($whats): the sites differ"
        sed 's/^/#   /' "$tmp/diff" | head -20
    fi
    snapshot "$inc" "$tmp/after"
    # A file with the same path and bytes as before must be the same inode.
    bad=$(join "$tmp/before" "$tmp/after" | awk '$3 == $5 && $2 != $4 { print $1 }' | head -3)
    [ -n "$bad" ] && inode_errors="$inode_errors commit $i: $bad;"
    kept=$((kept + $(join "$tmp/before" "$tmp/after" | awk '$3 == $5 && $2 == $4' | wc -l)))
done

if [ $differ -eq 0 ] && [ $same -gt 0 ]; then
    ok "$same random commits built incrementally gave the same site as full builds ($failed_both broke the content and were refused by both)"
else
    not_ok "incremental builds give the site a full build gives" "$differ of $commits commits differ (SEED=$start_seed)"
fi
if [ -z "$inode_errors" ] && [ $kept -gt 0 ]; then
    ok "unchanged files kept their inode and modification time ($kept file versions kept)"
else
    not_ok "unchanged files kept their inode" "$inode_errors (SEED=$start_seed)"
fi

# --- patch builds: when only Markdown bodies or histories changed, the build
# reads only those pages (render_patch); the site must still be the one a
# full build makes. Steps that swap a word of a body for another the site
# has (so that no length changes) must patch: in one practice, in two, in a
# model, and uncommitted, then committed (then only its history changes). A
# word no page has must not (the build falls back to a whole build). A line
# copied from another page may fall back only because an average length
# moved a step (search-index.md). ---
# swap_word FILE: in FILE's body, the first " de " becomes " het " (or back).
swap_word() {
    awk 'f == 2 && !done && (sub(/ de /, " het ") || sub(/ het /, " de ")) { done = 1 }
         { print } /^---$/ { f++ }' "$1" >"$tmp/swapped" && cat "$tmp/swapped" >"$1"
}
# copy_line FOLDER FILE: appends to FOLDER/FILE a body line of another file there.
copy_line() {
    pick "$1" .md
    line=$(awk 'f > 1 && length($0) > 40 && !/^[#>|-]/ { print; exit } /^---$/ { f++ }' "$repo/$1/$picked")
    printf '\n%s\n' "${line:-Het team evalueerde de aanpak met de school.}" >>"$repo/$1/$2"
}
# build_both KIND: builds incrementally and fully, compares, and checks
# that the incremental build patched (or fell back) as KIND must.
patch_steps=0 patched=0 patch_wrong=0
build_both() {
    patch_steps=$((patch_steps + 1))
    snapshot "$inc" "$tmp/before"
    HANDBOOK_TIMINGS=1 "$handbook" build --repo "$repo" -o "$inc" >"$tmp/inc.out" 2>&1 ||
        { cat "$tmp/inc.out"; patch_wrong=$((patch_wrong + 1)); return; }
    snapshot "$inc" "$tmp/after"
    # As in any build: a file with the same path and bytes keeps its inode.
    relinked=$(join "$tmp/before" "$tmp/after" | awk '$3 == $5 && $2 != $4 { print $1 }' | head -3)
    if [ -n "$relinked" ]; then
        patch_wrong=$((patch_wrong + 1))
        echo "# patch step $patch_steps ($1): unchanged files got a new inode: $relinked"
    fi
    why=$(sed -n 's/^timing: no patch build: //p' "$tmp/inc.out")
    wrong=""
    if grep -q "only the changed pages were read" "$tmp/inc.out"; then
        patched=$((patched + 1))
        [ "$1" = new-word ] && wrong="patched, but a new word needs the whole index"
    else
        case $1 in
        new-word) ;; # must fall back
        added-line) [ "$why" = "an average length that moves a step" ] || wrong=${why:-no patch build} ;;
        *) wrong=${why:-no patch build} ;;
        esac
    fi
    # The bases kept: the new record's and the old copy's, no more.
    bases=$(ls "$tmp/www/".inc.base-* 2>/dev/null | wc -l)
    [ "$bases" -le 2 ] || wrong="${wrong:+$wrong; }$bases base files beside the site"
    if [ -n "$wrong" ]; then
        patch_wrong=$((patch_wrong + 1))
        echo "# patch step $patch_steps ($1): $wrong"
    fi
    rm -rf "$full" "$tmp/www/.full."*
    "$handbook" build --repo "$repo" -o "$full" >/dev/null 2>&1
    if ! diff -r "$full" "$inc" >"$tmp/diff" 2>&1; then
        patch_wrong=$((patch_wrong + 1))
        echo "# patch step $patch_steps ($1): the sites differ"
        sed 's/^/#   /' "$tmp/diff" | head -10
    fi
}
"$handbook" build --repo "$repo" -o "$inc" >/dev/null 2>&1
step=0
while [ $step -lt 12 ]; do
    step=$((step + 1))
    case $((step % 6)) in # each kind of step twice; the pages at random
    0) pick practices .md; swap_word "$repo/practices/$picked"; kind=one-body ;;
    1) pick practices .md; swap_word "$repo/practices/$picked"
       pick practices .md; swap_word "$repo/practices/$picked"; kind=two-bodies ;;
    2) pick content/models .md; swap_word "$repo/content/models/$picked"; kind=model-body ;;
    3) pick practices .md; swap_word "$repo/practices/$picked"
       build_both uncommitted  # the page says it has uncommitted changes
       kind=history-only ;;    # then only its history changes
    4) pick practices .md
       printf '\nHier staat het woord kwispelwoord%d.\n' "$step" >>"$repo/practices/$picked"
       kind=new-word ;;
    *) pick practices .md; target=$picked; copy_line practices "$target"; kind=added-line ;;
    esac
    git -C "$repo" commit -qam "stap $step"
    build_both "$kind"
done
if [ $patch_wrong -eq 0 ] && [ $patched -ge 10 ]; then
    ok "patch builds give the site a full build gives ($patched of $patch_steps builds patched; a new word fell back)"
else
    not_ok "patch builds give the site a full build gives" "$patch_wrong steps wrong, $patched of $patch_steps patched (SEED=$start_seed)"
fi

# --- one practice example edited: only the pages that show it are rendered ---
pick practices .md
printf '\nEen zin erbij.\n' >>"$repo/practices/$picked"
git -C "$repo" commit -qam "body"
"$handbook" build --repo "$repo" -o "$inc" >"$tmp/out" 2>&1
if grep -q "(1 pages rendered, " "$tmp/out"; then
    ok "a new sentence in one practice example renders that page only"
else
    not_ok "a new sentence in one practice example renders that page only" "$(cat "$tmp/out")"
fi
retitle "$repo/practices/$picked" "Een andere titel"
git -C "$repo" commit -qam "title"
"$handbook" build --repo "$repo" -o "$inc" >"$tmp/out" 2>&1
rendered=$(sed -n 's/.*(\([0-9]*\) pages rendered.*/\1/p' "$tmp/out")
total=$(sed -n 's/.*: \([0-9]*\) pages and.*/\1/p' "$tmp/out")
if [ -n "$rendered" ] && [ "$rendered" -gt 1 ] && [ "$rendered" -lt $((total / 2)) ]; then
    ok "a new title re-renders the pages that show it: $rendered of $total"
else
    not_ok "a new title re-renders the pages that show it" "$(cat "$tmp/out")"
fi
# Nothing changed: nothing rendered, nothing written.
"$handbook" build --repo "$repo" -o "$inc" >"$tmp/out" 2>&1
if grep -q "(0 pages rendered, 0 of" "$tmp/out"; then
    ok "a build with nothing changed renders and writes nothing"
else
    not_ok "a build with nothing changed renders and writes nothing" "$(cat "$tmp/out")"
fi

# A build from a commit (--ref, as the push hook builds) patches as well.
# The edit keeps the page's length (a word for another the site has), so
# that no average length can move a step.
refsite=$tmp/www/ref
"$handbook" build --repo "$repo" --ref main -o "$refsite" >/dev/null 2>&1
pick practices .md
awk 'f == 2 && !done && sub(/ de /, " het ") { done = 1 } { print } /^---$/ { f++ }' \
    "$repo/practices/$picked" >"$tmp/swapped" && cat "$tmp/swapped" >"$repo/practices/$picked"
git -C "$repo" commit -qam "stap met --ref"
HANDBOOK_TIMINGS=1 "$handbook" build --repo "$repo" --ref main -o "$refsite" >"$tmp/ref.out" 2>&1
rm -rf "$full" "$tmp/www/.full."*
"$handbook" build --repo "$repo" --ref main -o "$full" >/dev/null 2>&1
if grep -q "only the changed pages were read" "$tmp/ref.out" && diff -r "$full" "$refsite" >/dev/null; then
    ok "a build from a commit (--ref) patches too, and gives the site a full build gives"
else
    not_ok "a build from a commit (--ref) patches too" "$(grep -v "^timing:   " "$tmp/ref.out")"
fi

# --- a damaged record: the same site, no crash (what the damage hides is
# done in full) ---
rm -rf "$full" "$tmp/www/.full."*
"$handbook" build --repo "$repo" -o "$full" >/dev/null 2>&1
record=$tmp/www/.inc.record
damaged_ok=0
for damage in truncate flip base; do
    size=$(wc -c <"$record")
    case $damage in
    truncate) truncate -s $((size / 2)) "$record" ;;
    flip) printf 'XXXXXXXX' | dd of="$record" bs=1 seek=$((size / 3)) conv=notrunc 2>/dev/null ;;
    base) # the large sections, in the base file the record names
        base=$(ls "$tmp/www/".inc.base-* | head -n 1)
        printf 'XXXXXXXX' | dd of="$base" bs=1 seek=$(($(wc -c <"$base") / 2)) conv=notrunc 2>/dev/null ;;
    esac
    printf '\n<!-- %s -->\n' "$damage" >>"$repo/layouts/partials/footer.mustache"
    git -C "$repo" commit -qam "$damage"
    rm -rf "$full" "$tmp/www/.full."*
    "$handbook" build --repo "$repo" -o "$full" >/dev/null 2>&1
    if "$handbook" build --repo "$repo" -o "$inc" >"$tmp/out" 2>&1 &&
        diff -r "$full" "$inc" >/dev/null; then
        damaged_ok=$((damaged_ok + 1))
    else
        echo "# $damage: $(cat "$tmp/out")"
    fi
done
if [ $damaged_ok -eq 3 ]; then
    ok "a truncated or damaged build record or base gives the site a full build gives"
else
    not_ok "a truncated or damaged build record or base gives the site a full build gives"
fi
summary
