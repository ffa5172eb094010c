# shtest.sh - the start the shell tests share, sourced after `set -u` with
# the test's arguments: . "$(dirname "$0")/shtest.sh" "$@"
#
# Sets top (the repository), handbook (the binary: the first argument or
# build/handbook, made absolute), tmp (a fresh folder, removed at exit; a
# test that needs more at exit sets its own trap and removes $tmp there),
# passed and failed; defines ok NAME, not_ok NAME [DETAIL...] and summary,
# which prints "N passed, N failed" (the line tests/run-checks adds up) and
# is the test's exit status; and private_git, for tests that commit.
top=$(cd "$(dirname "$0")/.." && pwd)
handbook=${1:-build/handbook}
case "$handbook" in /*) ;; *) handbook="$top/$handbook" ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $1"; }
not_ok() { failed=$((failed + 1)); echo "FAIL $1"; shift; for line in "$@"; do echo "  $line"; done; }

summary() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# private_git: git reads no system or user settings (HOME is $tmp) and
# commits as "Redactie <redactie@example.org>".
private_git() {
    export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp" GIT_AUTHOR_NAME="Redactie" \
        GIT_AUTHOR_EMAIL=redactie@example.org GIT_COMMITTER_NAME="Redactie" \
        GIT_COMMITTER_EMAIL=redactie@example.org
    unset GIT_DIR GIT_WORK_TREE
}
