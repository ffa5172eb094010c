#!/bin/sh
# test_content.sh - the handbook's own content keeps the facts of the seed
# documents and the rules for what may be published. A fact that goes
# missing from the data (say one of the 13 municipalities of the Zuid-Limburg
# scheme) fails a test.
#
#   tests/test_content.sh [HANDBOOK]   HANDBOOK defaults to build/handbook
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
handbook=${1:-build/handbook}
case "$handbook" in /*) ;; *) handbook="$top/$handbook" ;; esac
cd "$top" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
check() { # NAME COMMAND...: passes when the command succeeds
    name=$1
    shift
    if "$@" >/dev/null 2>&1; then passed=$((passed + 1)); echo "ok   $name"; else
        failed=$((failed + 1)); echo "FAIL $name"; fi
}
# has FILE LINE: the file has exactly this line
has() { grep -qxF -- "$2" "$1"; }
# field FILE NAME VALUE: a YAML (front matter) line "NAME: VALUE"
field() { grep -qxF -- "$2: $3" "$1"; }
# item FILE VALUE: a YAML list item "  - VALUE"
item() { grep -qxE -- " *- $2" "$1"; }

zl=content/regions/zuid-limburg.yaml
for m in Beek Beekdaelen Brunssum Eijsden-Margraten Gulpen-Wittem Kerkrade Maastricht Meerssen \
    Simpelveld Sittard-Geleen Stein Vaals "Valkenburg a/d Geul"; do
    check "Zuid-Limburg scheme: municipality $m" item "$zl" "$m"
done
check "Zuid-Limburg scheme: exactly 13 municipalities" test "$(grep -c '^  - ' "$zl")" -eq 13
check "Heerlen, Voerendaal and Landgraaf have their own arrangement" sh -c \
    "! grep -qE '^  - (Heerlen|Voerendaal|Landgraaf)$' $zl"
check "Parkstad and Maastricht-Heuvelland lie in Zuid-Limburg" sh -c \
    "grep -qx 'parent: zuid-limburg' content/regions/parkstad.yaml && grep -qx 'parent: zuid-limburg' content/regions/maastricht-heuvelland.yaml"

s=content/schools
check "SBO De Wissel: SBO of MOVARE with JenS" sh -c \
    "grep -qx 'school_type: SBO' $s/sbo-de-wissel.yaml && grep -qx 'board: MOVARE' $s/sbo-de-wissel.yaml && grep -qxE ' *- JenS' $s/sbo-de-wissel.yaml"
check "SO/VSO St. Jan Baptist: MOVARE with Koraal" sh -c \
    "grep -qx 'board: MOVARE' $s/so-vso-st-jan-baptist.yaml && grep -qxE ' *- Koraal' $s/so-vso-st-jan-baptist.yaml"
for school in sbo-de-boemerang sbo-arcadia de-vlieger de-meander; do
    check "MOVARE school $school" field "$s/$school.yaml" board MOVARE
done
for school in adelante-maasgouw adelante-mytyschool-houthem csn-vso-maastricht de-talententuin; do
    check "Maastricht-Heuvelland arrangement at $school" field "$s/$school.yaml" region maastricht-heuvelland
done
for school in de-wingerd w-a-van-lieflandschool; do
    check "Groningen cluster 3 pilot school $school" field "$s/$school.yaml" region gemeente-groningen
done

check "first doelgroeparrangement in 2017, at Adelante" grep -q "2017.*Adelante" practices/doelgroeparrangementen-zuid-limburg.md
check "11 active doelgroeparrangementen in 2021-2022" grep -q "11 actieve doelgroeparrangementen" practices/doelgroeparrangementen-zuid-limburg.md
check "the subsidy runs until 31 December 2024" grep -q "31 december 2024" practices/doelgroeparrangementen-zuid-limburg.md
check "four arrangements in Maastricht-Heuvelland" grep -qiE "vier (doelgroep)?arrangementen" practices/doelgroeparrangementen-maastricht-heuvelland.md
check "startklas: children are looked at from 3 years and 6 months" grep -q "drie jaar en zes maanden" practices/startklassen-parkstad.md
check "Groningen pilot in 2018/2019 and 2019/2020" sh -c "grep -q '2018/2019' practices/collectieve-jeugdhulp-cluster-3-groningen.md && grep -q '2019/2020' practices/collectieve-jeugdhulp-cluster-3-groningen.md"

for model in doelgroeparrangement schoolarrangement startklas collectieve-ondersteuning-cluster-3-4 \
    individueel-en-collectief integrale-toegang; do
    check "model $model" test -f "content/models/$model.md"
done
for practice in startklassen-parkstad doelgroeparrangementen-movare-parkstad doelgroeparrangementen-zuid-limburg \
    collectieve-jeugdhulp-cluster-3-groningen tour-de-werkplaatsen; do
    check "practice example $practice" test -f "practices/$practice.md"
done
check "at least 6 themes in the process guide" test "$(ls content/guides/*.md | wc -l)" -ge 6
for abbreviation in SBO SO VSO OPP "IB'er" lvb; do
    check "glossary explains $abbreviation" grep -qx "abbreviation: $abbreviation" -r content/terms
done
for term in cluster-3 cluster-4 jeugdwet samenwerkingsverband passend-onderwijs voorliggend-veld \
    knooppuntoverleg vindplaats-is-werkplaats gezinsplan; do
    check "glossary explains $term" test -f "content/terms/$term.yaml"
done

check "every practice example names the kind of document it comes from" sh -c \
    'for f in practices/*.md; do grep -qE "^source: .{10,}" "$f" || exit 1; done'
check "no e-mail addresses in the content" sh -c '! grep -rqE "[A-Za-z0-9._-]+@[A-Za-z0-9-]+\.[a-z]" content practices'
check "no phone numbers in the content" sh -c '! grep -rqE "(\+31|\b0[0-9]{2,3})[ -]?[0-9]{3}[ -]?[0-9]{3,4}" content practices'

# The mistake meedoen.md shows a contributor is the one handbook prints.
mkdir "$tmp/repo"
cp -r handbook.yaml content practices layouts "$tmp/repo/"
sed -i 's/^  - de-wingerd$/  - de-wingert/' "$tmp/repo/practices/collectieve-jeugdhulp-cluster-3-groningen.md"
"$handbook" check --repo "$tmp/repo" 2>"$tmp/err" >/dev/null
shown=$(grep -F "collectieve-jeugdhulp-cluster-3-groningen.md:" content/meedoen.md | head -n 1 | sed 's/^ *//')
check "the example error on the contributors' page is what handbook prints" grep -qxF -- "$shown" "$tmp/err"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
