#!/bin/sh
# test_cli.sh - tests of the handbook command as a user runs it: the golden
# site, git sources, the check command, exit codes and untrusted content.
#
#   tests/test_cli.sh [HANDBOOK]     HANDBOOK defaults to build/handbook
#   UPDATE_GOLDEN=1 tests/test_cli.sh   rewrites tests/sites/*/expected*
#
# Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/shtest.sh" "$@"

export GIT_AUTHOR_NAME="Test" GIT_AUTHOR_EMAIL="test@example.org"
export GIT_COMMITTER_NAME="Test" GIT_COMMITTER_EMAIL="test@example.org"
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp" NO_COLOR=
unset NO_COLOR


# run NAME CMD...: runs the command, keeping its stdout, stderr and status.
run() {
    "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
}

expect_status() { # NAME WANT
    if [ "$status" -eq "$2" ]; then ok "$1"; else not_ok "$1" "exit status $status, expected $2" "$(cat "$tmp/err")"; fi
}

expect_error() { # NAME EXACT-LINE: the build failed with this diagnostic line
    if [ "$status" -eq 1 ] && grep -qxF -- "$2" "$tmp/err"; then ok "$1"; else
        not_ok "$1" "exit status $status; expected the line: $2" "stderr was:" "$(cat "$tmp/err")"; fi
}

fixture() { # copies the basic fixture repository to $tmp/NAME
    rm -rf "$tmp/$1"
    cp -r "$top/tests/sites/basic/repo" "$tmp/$1"
}

git_init() { # DIR: a repository with the folder's content committed
    git -C "$1" -c init.defaultBranch=main init -q && git -C "$1" add -A &&
        git -C "$1" commit -qm "first" --date=2022-04-26T10:00:00
}

# --- the golden site: every output file compared whole ---
golden() { # NAME EXPECTED-DIR [OPTIONS...]
    name=$1 expected=$2
    shift 2
    rm -rf "$tmp/golden"
    run "$handbook" build --repo "$golden_repo" -o "$tmp/golden" "$@"
    if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
        rm -rf "$expected" && cp -r "$tmp/golden" "$expected"
    fi
    if [ "$status" -eq 0 ] && diff -r "$expected" "$tmp/golden" >"$tmp/diff"; then ok "$name"; else
        not_ok "$name" "status $status" "$(head -40 "$tmp/diff")" "$(cat "$tmp/err")"; fi
}
golden_repo=$top/tests/sites/basic/repo
golden "golden site under a base path" "$top/tests/sites/basic/expected"
golden "golden site at the root" "$top/tests/sites/basic/expected-root" --base-url https://example.org
golden_repo=$top/tests/sites/model/repo
golden "golden site with references, backlinks, facets and a glossary" "$top/tests/sites/model/expected"
golden_repo=$top/tests/sites/basic/repo

# The search index is valid JSON however strange the content: the model site
# has </script>, U+2028 and a control character in a page.
rm -rf "$tmp/index-site"
run "$handbook" build --repo "$top/tests/sites/model/repo" -o "$tmp/index-site"
# Every .json and .json.gz file parses; none has "</script" or U+2028 in it.
bad_json=$(node -e '
const fs = require("fs"), path = require("path"), zlib = require("zlib");
const walk = d => fs.readdirSync(d, { withFileTypes: true })
  .flatMap(e => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
for (const f of walk(process.argv[1]).filter(f => /\.json(\.gz)?$/.test(f))) {
  try {
    const raw = fs.readFileSync(f);
    const text = (f.endsWith(".gz") ? zlib.gunzipSync(raw) : raw).toString("utf8");
    JSON.parse(text);
    if (text.includes("</script") || text.includes("\u2028")) console.log(f);
  } catch (err) { console.log(f); }
}' "$tmp/index-site/zoekindex" 2>&1)
if [ -z "$bad_json" ] && [ -n "$(find "$tmp/index-site/zoekindex" -name '*.json.gz')" ]; then
    ok "the search index is valid JSON, safe to embed, with strange content"
else not_ok "the search index is valid JSON, safe to embed, with strange content" "$bad_json"; fi

# --- sources: working tree, --ref and a bare clone give the same site ---
fixture git && git_init "$tmp/git"
run "$handbook" build --repo "$tmp/git" -o "$tmp/from-tree"
run "$handbook" build --repo "$tmp/git" --ref HEAD -o "$tmp/from-head"
git clone -q --bare "$tmp/git" "$tmp/bare.git"
run "$handbook" build --repo "$tmp/bare.git" --ref main -o "$tmp/from-bare"
if diff -r "$tmp/from-tree" "$tmp/from-head" >/dev/null && diff -r "$tmp/from-tree" "$tmp/from-bare" >/dev/null &&
    diff -r "$top/tests/sites/basic/expected" "$tmp/from-tree" >/dev/null; then
    ok "working tree, --ref HEAD and a bare clone build byte-identical sites"
else not_ok "working tree, --ref HEAD and a bare clone build byte-identical sites" "$(cat "$tmp/err")"; fi

# --- history: the last change and the contributors of each page, in one walk ---
fixture hist
cat >"$tmp/hist/layouts/practice.mustache" <<'LAYOUT'
{{<base}}{{$content}}<p id="meta">changed={{#page.last_changed}}{{text}}/{{iso}}{{/page.last_changed}} by={{#page.contributors}}[{{.}}]{{/page.contributors}} count={{page.contributors_count}} uncommitted={{#page.uncommitted}}yes{{/page.uncommitted}} edit={{#page.edit_url}}{{.}}{{/page.edit_url}} history={{#page.history_url}}{{.}}{{/page.history_url}}</p>{{/content}}{{/base}}
LAYOUT
printf 'edit_url: https://git.example.org/h/-/edit/main/{path}\nhistory_url: https://git.example.org/h/-/commits/main/{path}\n' \
    >>"$tmp/hist/handbook.yaml"
meta_of() { # SITE: the meta line of the practice page
    grep -o 'changed=[^<]*' "$1/voorbeelden/startklassen-parkstad/index.html"
}
run "$handbook" build --repo "$tmp/hist" -o "$tmp/hist-plain"
links="edit=https://git.example.org/h/-/edit/main/practices/startklassen-parkstad.md history=https://git.example.org/h/-/commits/main/practices/startklassen-parkstad.md"
if [ "$status" -eq 0 ] && [ "$(meta_of "$tmp/hist-plain")" = "changed= by= count=0 uncommitted= $links" ]; then
    ok "a folder that is not a git repository builds, without history, with edit links"
else not_ok "a folder that is not a git repository builds, without history, with edit links" \
    "$(meta_of "$tmp/hist-plain")" "$(cat "$tmp/err")"; fi
# Four commits: the practice by Ada (under two names and addresses, joined by
# .mailmap) and Bram; then only the home page, by Bram.
commit_as() { # NAME EMAIL DATE MESSAGE
    git -C "$tmp/hist" add -A &&
        GIT_AUTHOR_NAME="$1" GIT_AUTHOR_EMAIL="$2" GIT_AUTHOR_DATE="$3" GIT_COMMITTER_DATE="$3" \
            git -C "$tmp/hist" commit -qm "$4"
}
printf 'Ada Bakker <ada@new.example> <ada@old.example>\n' >"$tmp/hist/.mailmap"
git -C "$tmp/hist" -c init.defaultBranch=main init -q
commit_as "A. Bakker" ada@old.example 2021-03-01T09:00:00+01:00 "first"
printf '\nMeer tekst.\n' >>"$tmp/hist/practices/startklassen-parkstad.md"
commit_as "Bram de Vries" bram@example.org 2022-01-05T12:00:00+01:00 "more"
printf '\nNog meer.\n' >>"$tmp/hist/practices/startklassen-parkstad.md"
commit_as "Ada Bakker" ada@new.example 2022-04-26T00:30:00+02:00 "again" # 25 April in UTC
printf '\nWelkom.\n' >>"$tmp/hist/content/index.md"
commit_as "Bram de Vries" bram@example.org 2022-05-01T08:00:00+02:00 "home"
want="changed=26 april 2022/2022-04-26 by=[Ada Bakker][Bram de Vries] count=2 uncommitted= $links"
run "$handbook" build --repo "$tmp/hist" -o "$tmp/hist-tree"
if [ "$status" -eq 0 ] && [ "$(meta_of "$tmp/hist-tree")" = "$want" ]; then
    ok "a page shows its last change in Dutch and its contributors, once each (.mailmap)"
else not_ok "a page shows its last change in Dutch and its contributors, once each (.mailmap)" \
    "got:  $(meta_of "$tmp/hist-tree")" "want: $want" "$(cat "$tmp/err")"; fi
git clone -q --bare "$tmp/hist" "$tmp/hist.git"
run "$handbook" build --repo "$tmp/hist.git" --ref HEAD~2 -o "$tmp/hist-old"
old="changed=5 januari 2022/2022-01-05 by=[Ada Bakker][Bram de Vries] count=2 uncommitted= $links"
if [ "$status" -eq 0 ] && [ "$(meta_of "$tmp/hist-old")" = "$old" ]; then
    ok "--ref in a bare repository reads the history up to that commit"
else not_ok "--ref in a bare repository reads the history up to that commit" \
    "got:  $(meta_of "$tmp/hist-old")" "want: $old" "$(cat "$tmp/err")"; fi
printf '\nNog niet vastgelegd.\n' >>"$tmp/hist/practices/startklassen-parkstad.md"
run "$handbook" build --repo "$tmp/hist" -o "$tmp/hist-dirty"
dirty=$(meta_of "$tmp/hist-dirty")
run "$handbook" build --repo "$tmp/hist" --ref HEAD -o "$tmp/hist-head"
if [ "$dirty" = "${want%%uncommitted=*}uncommitted=yes $links" ] && [ "$(meta_of "$tmp/hist-head")" = "$want" ]; then
    ok "a working-tree build marks a page with uncommitted changes; --ref HEAD does not"
else not_ok "a working-tree build marks a page with uncommitted changes; --ref HEAD does not" \
    "$dirty" "$(meta_of "$tmp/hist-head")"; fi
fixture badedit
printf 'edit_url: https://git.example.org/edit\n' >>"$tmp/badedit/handbook.yaml"
run "$handbook" check --repo "$tmp/badedit"
expect_error "an edit_url without {path} is an error" \
    "handbook.yaml:24:11: error: edit_url 'https://git.example.org/edit' must be an address with {path} in it, like https://git.example.org/handboek/-/edit/main/{path}"

# A later commit and an uncommitted change: --ref reads the commit, not the files.
sed -i 's/^title: Startklas$/title: Startklas (nieuw)/' "$tmp/git/content/models/startklas.md"
git -C "$tmp/git" commit -qam "second"
git -C "$tmp/git" tag v1 HEAD~1
sed -i 's/^title: Startklas (nieuw)$/title: Startklas (werkmap)/' "$tmp/git/content/models/startklas.md"
for ref in v1 HEAD~1 "$(git -C "$tmp/git" rev-parse HEAD~1)"; do
    run "$handbook" build --repo "$tmp/git" --ref "$ref" -o "$tmp/old"
    if grep -q "<title>Startklas · " "$tmp/old/modellen/startklas/index.html"; then ok "--ref $ref reads that commit"; else
        not_ok "--ref $ref reads that commit" "$(cat "$tmp/err")"; fi
done
run "$handbook" build --repo "$tmp/git" --ref main -o "$tmp/new"
grep -q "<title>Startklas (nieuw)" "$tmp/new/modellen/startklas/index.html" && ok "--ref main reads the newest commit" ||
    not_ok "--ref main reads the newest commit"
run "$handbook" build --repo "$tmp/git" -o "$tmp/work"
grep -q "<title>Startklas (werkmap)" "$tmp/work/modellen/startklas/index.html" && ok "the working tree is the default source" ||
    not_ok "the working tree is the default source"
run "$handbook" build --repo "$tmp/git" --ref mian -o "$tmp/x"
if [ "$status" -eq 1 ] && grep -q "unknown ref 'mian'; did you mean 'main'?" "$tmp/err"; then ok "an unknown ref is an error with a hint"; else
    not_ok "an unknown ref is an error with a hint" "$(cat "$tmp/err")"; fi

# --- the command line ---
run "$handbook" --help
[ "$status" -eq 0 ] && grep -q "usage: handbook build" "$tmp/out" && [ ! -s "$tmp/err" ] && ok "--help prints usage to stdout" || not_ok "--help prints usage to stdout"
run "$handbook" --version
[ "$status" -eq 0 ] && grep -qE "^handbook [0-9]+\.[0-9]+\.[0-9]+$" "$tmp/out" && ok "--version prints the version" || not_ok "--version prints the version"
run "$handbook" build --frobnicate
[ "$status" -eq 64 ] && grep -q "unknown or incomplete option '--frobnicate'" "$tmp/err" && grep -q "usage:" "$tmp/err" && [ ! -s "$tmp/out" ] &&
    ok "an unknown option prints usage to stderr and exits 64" || not_ok "an unknown option prints usage to stderr and exits 64" "status $status"
run "$handbook" publish
expect_status "an unknown command exits 64" 64
(cd "$tmp/git" && "$handbook" build -o . >"$tmp/out" 2>"$tmp/err"); status=$?
[ "$status" -eq 64 ] && [ -f "$tmp/git/handbook.yaml" ] && ok "the repository itself is refused as output folder" || not_ok "the repository itself is refused as output folder"

# --- check: every error at once, nothing written ---
fixture broken
printf -- '---\ntitle: Zonder link\n---\nZie [dit](bestaat-niet.md).\n' >"$tmp/broken/practices/zonder-link.md"
printf -- '---\nsummary: geen titel\n---\nTekst.\n' >"$tmp/broken/practices/geen-titel.md"
(cd "$tmp/broken" && "$handbook" check >"$tmp/out" 2>"$tmp/err"); status=$?
if [ "$status" -eq 1 ] && grep -qxF "practices/zonder-link.md:4:5: error: link to 'practices/bestaat-niet.md', which is not a page of the handbook; check the path" "$tmp/err" &&
    grep -qxF "practices/geen-titel.md:2:1: error: the page has no title; add a line 'title: ...' to its front matter" "$tmp/err" &&
    [ ! -e "$tmp/broken/site" ]; then ok "check lists every error and writes nothing"; else
    not_ok "check lists every error and writes nothing" "status $status" "$(cat "$tmp/err")"; fi
run "$handbook" check --repo "$top/tests/sites/basic/repo"
[ "$status" -eq 0 ] && grep -q "7 pages checked, no errors" "$tmp/err" && ok "check exits 0 on clean content" || not_ok "check exits 0 on clean content" "$(cat "$tmp/err")"

if command -v script >/dev/null 2>&1; then
    script -qec "$handbook check --repo $tmp/broken" /dev/null >"$tmp/tty" 2>&1
    NO_COLOR=1 script -qec "$handbook check --repo $tmp/broken" /dev/null >"$tmp/tty-plain" 2>&1
    esc=$(printf '\033')
    if grep -q "$esc\[" "$tmp/tty" && ! grep -q "$esc\[" "$tmp/tty-plain" && grep -q "error:" "$tmp/tty-plain"; then
        ok "colors on a terminal, none with NO_COLOR"; else not_ok "colors on a terminal, none with NO_COLOR"; fi
fi

# --- a failed build leaves the published site as it was ---
fixture keep
run "$handbook" build --repo "$tmp/keep" -o "$tmp/published"
cp -r "$tmp/published" "$tmp/published-before"
printf -- '---\ntitle: [kapot\n---\n' >"$tmp/keep/practices/kapot.md"
run "$handbook" build --repo "$tmp/keep" -o "$tmp/published"
if [ "$status" -eq 1 ] && diff -r "$tmp/published-before" "$tmp/published" >/dev/null && [ ! -e "$tmp/.published.new" ]; then
    ok "bad content leaves the previous site untouched"; else not_ok "bad content leaves the previous site untouched" "$(cat "$tmp/err")"; fi
rm "$tmp/keep/practices/kapot.md"
sed -i 's/Startklas$/Startklas 2/' "$tmp/keep/content/models/startklas.md"
run "$handbook" build --repo "$tmp/keep" -o "$tmp/published"
grep -q "Startklas 2" "$tmp/published/modellen/startklas/index.html" && [ ! -e "$tmp/.published.new" ] &&
    ok "a good build replaces the site" || not_ok "a good build replaces the site"

# --- mistakes a contributor can make, each with its message ---
fixture same-url
printf -- '---\ntitle: Dubbel\n---\n' >"$tmp/same-url/content/modellen.md"
run "$handbook" check --repo "$tmp/same-url"
expect_error "two sources with the same URL name both" \
    "content/modellen.md: error: content/modellen.md and the overview of collection 'models' (handbook.yaml:14:3) both want the address /modellen/; rename one of them"

fixture bad-name
printf -- '---\ntitle: Naam\n---\n' >"$tmp/bad-name/practices/Startklas Heerlen.md"
run "$handbook" check --repo "$tmp/bad-name"
expect_error "a file name that is no slug gets a rename hint" \
    "practices/Startklas Heerlen.md: error: the file name 'Startklas Heerlen.md' cannot be part of a web address; rename the file to 'startklas-heerlen.md' (lowercase letters, digits and dashes)"

fixture layout
sed -i 's/layout: practice$/layout: practise/' "$tmp/layout/handbook.yaml"
run "$handbook" check --repo "$tmp/layout"
expect_error "an unknown layout is an error in handbook.yaml" \
    "handbook.yaml:22:13: error: layout 'practise' does not exist; add layouts/practise.mustache"

rm -rf "$tmp/page-layout" && cp -r "$top/tests/sites/model/repo" "$tmp/page-layout"
printf -- '---\ntitle: X\nlayout: comprae\n---\n' >"$tmp/page-layout/content/x.md"
run "$handbook" check --repo "$tmp/page-layout"
expect_error "an unknown layout in front matter is an error at the page" \
    "content/x.md:3:9: error: layout 'comprae' does not exist; add layouts/comprae.mustache"

printf -- '---\ntitle: X\nsearch: nee\n---\n' >"$tmp/page-layout/content/x.md"
run "$handbook" check --repo "$tmp/page-layout"
expect_error "search: in front matter must be true or false" \
    "content/x.md:3:9: error: 'search' is true or false (false keeps the page out of the search index)"
printf -- '---\ntitle: Verborgen pagina\nsearch: false\n---\nNiet te vinden.\n' >"$tmp/page-layout/content/x.md"
printf -- '---\ntitle: Zichtbare pagina\nsearch: true\n---\nWel te vinden.\n' >"$tmp/page-layout/content/y.md"
run "$handbook" build --repo "$tmp/page-layout" -o "$tmp/page-layout-site"
if [ "$status" -eq 0 ] && [ -f "$tmp/page-layout-site/x/index.html" ] &&
    ! zcat "$tmp/page-layout-site/zoekindex/docs/"*.json.gz | grep -q "Verborgen pagina" &&
    zcat "$tmp/page-layout-site/zoekindex/docs/"*.json.gz | grep -q "Zichtbare pagina"; then
    ok "a page with search: false is published but left out of the search index"
else not_ok "a page with search: false is published but left out of the search index" "$(cat "$tmp/err")"; fi

fixture setting
sed -i 's/^    folder: practices$/    foldr: practices/' "$tmp/setting/handbook.yaml"
run "$handbook" check --repo "$tmp/setting"
expect_error "a misspelt setting gets a did-you-mean" \
    "handbook.yaml:20:5: error: unknown setting 'foldr' in collection 'practices'; did you mean 'folder'?"

fixture partial
sed -i 's/partials\/nav/partials\/navi/' "$tmp/partial/layouts/base.mustache"
run "$handbook" check --repo "$tmp/partial"
expect_error "an unknown partial names the layout's line and column" \
    "layouts/base.mustache:11:3: error: unknown partial 'partials/navi'; did you mean 'partials/nav'?"

# --- schema mistakes: each gets its own exact message, all in one run ---
rm -rf "$tmp/schema" && cp -r "$top/tests/sites/model/repo" "$tmp/schema"
cat >"$tmp/schema/practices/fouten.md" <<'PAGE'
---
title: Vol fouten
regoin: parkstad
schools: [sbo-de-wisel, so-de-berg]
models: startklas
school_types: [SBO, PO]
start: 2022-02-30
website: www.example.org
published: ja
---
Tekst.
PAGE
printf -- '---\ntitle: Nog meer fouten\nregion: parkstd\nmodels: [startklas]\nstart: 30 augustus 2021\n---\n' \
    >"$tmp/schema/practices/nog-meer-fouten.md"
printf 'title: SBO Fout\nschool_type: SBO\nregion: parkstad\nstart_year: twintig\n' >"$tmp/schema/content/schools/sbo-fout.yaml"
run "$handbook" check --repo "$tmp/schema"
while IFS= read -r line; do
    case "$line" in "#"*) name=${line#"# "}; continue ;; esac
    if grep -qxF -- "$line" "$tmp/err"; then ok "$name"; else not_ok "$name" "expected: $line" "stderr was:" "$(cat "$tmp/err")"; fi
done <<'EXPECTED'
# schema: a missing required field
practices/fouten.md:2:1: error: missing required field 'region'; add a line 'region: ...' (the id of a page)
# schema: a misspelt field gets a did-you-mean
practices/fouten.md:3:1: error: unknown field 'regoin'; did you mean 'region'?
# schema: a reference to a page that does not exist gets a did-you-mean
practices/fouten.md:4:11: error: unknown schools 'sbo-de-wisel' in 'schools'; did you mean 'sbo-de-wissel'?
practices/nog-meer-fouten.md:3:9: error: unknown regions 'parkstd' in 'region'; did you mean 'parkstad'?
# schema: a single value where a list belongs
practices/fouten.md:5:9: error: 'models' must be a list, written [a, b] or as lines starting with '- '
# schema: an enum value that is not allowed lists the allowed ones
practices/fouten.md:6:21: error: 'PO' is not an allowed value of 'school_types'; allowed are: SO, SBO, VSO
# schema: a date that does not exist
practices/fouten.md:7:8: error: 'start' is not a date that exists; check the day and month of '2022-02-30'
# schema: a date in the wrong format
practices/nog-meer-fouten.md:5:8: error: 'start' must be a date written as YYYY-MM-DD, like 2022-04-26, not 30 augustus 2021
# schema: a web address without https://
practices/fouten.md:8:10: error: 'website' must be a web address starting with https://, not 'www.example.org'
# schema: a wrong type (bool)
practices/fouten.md:9:12: error: 'published' must be true or false, not a string
# schema: a wrong type in a data file (year)
content/schools/sbo-fout.yaml:4:13: error: 'start_year' must be a year like 2022, not twintig
EXPECTED
[ "$status" -eq 1 ] && grep -qx "handbook: 11 errors" "$tmp/err" && ok "schema: every mistake reported, and only those" ||
    not_ok "schema: every mistake reported, and only those" "$(tail -1 "$tmp/err")"

rm -rf "$tmp/nul" && cp -r "$top/tests/sites/model/repo" "$tmp/nul"
printf -- '---\ntitle: "Startklas\\0 extra"\nregion: parkstad\nmodels: [startklas]\n---\n' >"$tmp/nul/practices/nul.md"
printf -- '---\ntitle: Nan\nform: beide\nweight: .nan\n---\n' >"$tmp/nul/content/models/nan.md"
run "$handbook" check --repo "$tmp/nul"
expect_error "a NUL character in YAML text is refused" \
    "practices/nul.md:2:8: error: this text contains a NUL character (\\0); remove it"
expect_error "a number that is not finite is refused" \
    "content/models/nan.md:4:9: error: 'weight' must be an ordinary number, not NaN"

# YAML mistakes in plain words, where they start
rm -rf "$tmp/yamlerr" && cp -r "$top/tests/sites/model/repo" "$tmp/yamlerr"
printf -- '---\ntitle: Lijst\nregion: parkstad\nmodels: [startklas\n---\n' >"$tmp/yamlerr/practices/lijst.md"
printf -- '---\ntitle: "Niet dicht\nregion: parkstad\n---\n' >"$tmp/yamlerr/practices/quote.md"
printf -- '---\ntitle: Let op: dit\n---\n' >"$tmp/yamlerr/practices/dubbelepunt.md"
printf 'school_type: SO\nregion: parkstad\n' >"$tmp/yamlerr/content/schools/naamloos.yaml"
run "$handbook" check --repo "$tmp/yamlerr"
expect_error "an unclosed list is reported at its '['" \
    "practices/lijst.md:4:9: error: this list, opened with '[', is not closed with ']'; close it, or put text that contains commas or brackets in quotes"
expect_error "an unclosed quote is reported at the quote" \
    "practices/quote.md:2:8: error: this quoted text is never closed; add the closing quote"
expect_error "a colon inside a value gets advice" \
    "practices/dubbelepunt.md:2:14: error: a ': ' inside a value starts a new 'name: value'; put the whole value in quotes"
expect_error "a data file without a title says to add it to the file" \
    "content/schools/naamloos.yaml:1:1: error: the page has no title; add a line 'title: ...' to the file"

# --- untrusted content: each limit gives a clear error naming the file ---
fixture big
awk 'BEGIN { print "---\ntitle: Groot\n---"; for (i = 0; i < 3000; i++) print "Een regel tekst die de pagina groter maakt dan de grens toestaat." }' >"$tmp/big/practices/groot.md"
run "$handbook" check --repo "$tmp/big"
if [ "$status" -eq 1 ] && grep -q "^practices/groot.md: error: .*131072" "$tmp/err"; then ok "a Markdown file over the size limit is refused"; else
    not_ok "a Markdown file over the size limit is refused" "$(cat "$tmp/err")"; fi

fixture deep
{ printf -- '---\ntitle: Diep\nx: '; i=0; while [ $i -lt 70 ]; do printf '['; i=$((i + 1)); done; printf '\n---\n'; } >"$tmp/deep/practices/diep.md"
run "$handbook" check --repo "$tmp/deep"
expect_error "YAML nested deeper than the limit is refused" \
    "practices/diep.md:3:67: error: nesting deeper than 64 levels; flatten this data"

fixture dup
printf -- '---\ntitle: Een\nregion: Parkstad\ntitle: Twee\n---\n' >"$tmp/dup/practices/dubbel.md"
run "$handbook" check --repo "$tmp/dup"
expect_error "duplicate YAML keys are refused" \
    "practices/dubbel.md:4:1: error: duplicate key 'title' (first given on line 2); remove one of them"

fixture utf8
printf -- '---\ntitle: Caf\351\n---\n' >"$tmp/utf8/practices/latin1.md"
run "$handbook" check --repo "$tmp/utf8"
expect_error "invalid UTF-8 is refused with its position" \
    "practices/latin1.md:2:11: error: invalid UTF-8 (byte 0xE9); save the file as UTF-8"

fixture yaml
printf 'title: Caf\351\n' >"$tmp/yaml/handbook.yaml"
run "$handbook" check --repo "$tmp/yaml"
expect_error "invalid UTF-8 in handbook.yaml is refused with its position" \
    "handbook.yaml:1:11: error: incomplete UTF-8 octet sequence; save the file as UTF-8"
awk 'BEGIN { print "title: Groot"; for (i = 0; i < 40000; i++) printf "setting%d: een waarde van een zekere lengte\n", i }' >"$tmp/yaml/handbook.yaml"
run "$handbook" check --repo "$tmp/yaml"
if [ "$status" -eq 1 ] && grep -q "^handbook.yaml: error: the YAML here is [0-9]* bytes, more than the limit of 1048576 bytes; split it up$" "$tmp/err"; then
    ok "a YAML file over the size limit is refused"; else not_ok "a YAML file over the size limit is refused" "$(cat "$tmp/err")"; fi

fixture link
ln -s /etc/passwd "$tmp/link/practices/passwd.md"
run "$handbook" check --repo "$tmp/link"
if [ "$status" -eq 1 ] && grep -q "^practices/passwd.md: error: .*must stay inside the repository" "$tmp/err"; then ok "a symlink out of the repository is refused"; else
    not_ok "a symlink out of the repository is refused" "$(cat "$tmp/err")"; fi

fixture escape
sed -i 's#url: /voorbeelden/:slug/#url: /../../:slug/#' "$tmp/escape/handbook.yaml"
run "$handbook" build --repo "$tmp/escape" -o "$tmp/escape-out"
if [ "$status" -eq 1 ] && grep -q "^handbook.yaml:21:10: error: '/../../:slug/' must be a path on the site" "$tmp/err" &&
    [ ! -e "$tmp/escape-out" ] && [ ! -e "$tmp/startklassen-parkstad" ]; then ok "a URL pattern that climbs out of the site is refused"; else
    not_ok "a URL pattern that climbs out of the site is refused" "$(cat "$tmp/err")"; fi

# A tree entry called '..' in a commit (git itself would refuse to make one).
fixture evil && git_init "$tmp/evil"
blob=$(printf 'x' | git -C "$tmp/evil" hash-object -w --stdin)
base=$(git -C "$tmp/evil" rev-parse 'HEAD^{tree}')
evil_tree=$(printf '100644 blob %s\t..\n' "$blob" | git -C "$tmp/evil" mktree 2>/dev/null ||
    { printf '100644 ..\0'; perl -e 'print pack("H*", $ARGV[0])' "$blob"; } |
    git -C "$tmp/evil" hash-object -t tree -w --literally --stdin)
practices=$( { git -C "$tmp/evil" ls-tree "$base" | grep -v "	practices$"; printf '040000 tree %s\tpractices\n' "$evil_tree"; } | git -C "$tmp/evil" mktree --missing)
commit=$(git -C "$tmp/evil" commit-tree "$practices" -p HEAD -m evil)
run "$handbook" check --repo "$tmp/evil" --ref "$commit"
if [ "$status" -eq 1 ] && grep -q "^practices/\.\.: error:" "$tmp/err"; then ok "a '..' tree entry in a commit is refused"; else
    not_ok "a '..' tree entry in a commit is refused" "$(cat "$tmp/err")"; fi

# --- the handbook of this repository itself ---
run "$handbook" check --repo "$top"
if [ "$status" -eq 0 ] && ! grep -q "warning:" "$tmp/err"; then ok "this repository's handbook checks with no errors or warnings"; else
    not_ok "this repository's handbook checks with no errors or warnings" "$(cat "$tmp/err")"; fi

summary
