#!/bin/sh
# test_hook.sh - push to publish with the real git client: `handbook hook
# install` in a bare repository, then pushes that publish, pushes that are
# refused with the errors, and pushes to other branches that change nothing.
#
#   tests/test_hook.sh [HANDBOOK]     HANDBOOK defaults to build/handbook
#
# Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/shtest.sh" "$@"

export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp"
unset GIT_DIR GIT_WORK_TREE NO_COLOR


# run CMD...: runs the command, keeping its stdout and stderr together, and its status.
run() {
    "$@" >"$tmp/out" 2>&1
    status=$?
}

commit_all() { # MESSAGE: commits everything in the clone
    git -C "$tmp/clone" add -A && git -C "$tmp/clone" commit -qm "$1"
}

same_as_build() { # COMMIT: the published site equals a build of that commit
    rm -rf "$tmp/expected"
    "$handbook" build --repo "$tmp/site.git" --ref "$1" -o "$tmp/expected" 2>"$tmp/build-err" &&
        diff -r "$tmp/expected" "$tmp/www" >"$tmp/diff"
}

git -c init.defaultBranch=main init -q --bare "$tmp/site.git"

# --- installing ---
run "$handbook" hook install --repo "$tmp/site.git" -o "$tmp/www"
[ "$status" -eq 0 ] && ok "hook install succeeds in a bare repository" ||
    not_ok "hook install succeeds in a bare repository" "status $status" "$(cat "$tmp/out")"
if [ -f "$tmp/site.git/hooks/pre-receive" ] && [ -x "$tmp/site.git/hooks/pre-receive" ] &&
    [ -f "$tmp/site.git/hooks/post-receive" ] && [ -x "$tmp/site.git/hooks/post-receive" ] &&
    [ "$(stat -c %a "$tmp/site.git/hooks/pre-receive" "$tmp/site.git/hooks/post-receive")" = "755
755" ]; then ok "the installed hooks are executable (0755)"; else
    not_ok "the installed hooks are executable (0755)" "$(ls -l "$tmp/site.git/hooks")"; fi
run "$handbook" hook install --repo "$tmp/site.git" -o "$tmp/www"
[ "$status" -eq 0 ] && ok "installing again replaces handbook's own hooks without --force" ||
    not_ok "installing again replaces handbook's own hooks without --force" "$(cat "$tmp/out")"

# --- a good push publishes ---
git clone -q "$tmp/site.git" "$tmp/clone" 2>/dev/null
git -C "$tmp/clone" config user.name "Test"
git -C "$tmp/clone" config user.email "test@example.org"
cp -r "$top/tests/sites/basic/repo/." "$tmp/clone/"
commit_all "first"
good=$(git -C "$tmp/clone" rev-parse HEAD)
run git -C "$tmp/clone" push origin HEAD:main
if [ "$status" -eq 0 ] && [ -f "$tmp/www/index.html" ] && same_as_build "$good"; then
    ok "a good push publishes the site, the same as handbook build --ref"; else
    not_ok "a good push publishes the site, the same as handbook build --ref" "push status $status" \
        "$(cat "$tmp/out")" "$(head -20 "$tmp/diff" 2>/dev/null)"; fi
grep -q "^remote: handbook: .* published to $tmp/www" "$tmp/out" && ok "the push reports where the site was written" ||
    not_ok "the push reports where the site was written" "$(cat "$tmp/out")"

# --- a broken push is refused and changes nothing ---
cp -r "$tmp/www" "$tmp/before"
printf -- '---\ntitle: Zonder link\n---\nZie [dit](bestaat-niet.md).\n' >"$tmp/clone/practices/zonder-link.md"
commit_all "broken"
run git -C "$tmp/clone" push origin HEAD:main
[ "$status" -ne 0 ] && ok "a push with an error is rejected" || not_ok "a push with an error is rejected" "$(cat "$tmp/out")"
grep -qF "remote: practices/zonder-link.md:4:5: error: link to 'practices/bestaat-niet.md', which is not a page of the handbook; check the path" "$tmp/out" &&
    ok "the pusher sees the error as file:line:col after remote:" ||
    not_ok "the pusher sees the error as file:line:col after remote:" "$(cat "$tmp/out")"
grep -q "^remote: handbook: push refused: .*errors above" "$tmp/out" && ok "the pusher is told why the push was refused" ||
    not_ok "the pusher is told why the push was refused" "$(cat "$tmp/out")"
if diff -r "$tmp/before" "$tmp/www" >"$tmp/diff" && [ "$(git -C "$tmp/site.git" rev-parse main)" = "$good" ]; then
    ok "after a refused push the site and the branch are unchanged"; else
    not_ok "after a refused push the site and the branch are unchanged" "$(head -20 "$tmp/diff")"; fi

# --- another branch is not published ---
run git -C "$tmp/clone" push origin HEAD:refs/heads/concept
if [ "$status" -eq 0 ] && diff -r "$tmp/before" "$tmp/www" >"$tmp/diff"; then
    ok "a push to another branch is accepted and does not touch the site"; else
    not_ok "a push to another branch is accepted and does not touch the site" "status $status" "$(cat "$tmp/out")"; fi

# --- a later good push updates the site ---
printf -- '---\ntitle: Met link\n---\nZie [de startklas](../content/models/startklas.md).\n' >"$tmp/clone/practices/zonder-link.md"
commit_all "fixed"
fixed=$(git -C "$tmp/clone" rev-parse HEAD)
run git -C "$tmp/clone" push origin HEAD:main
if [ "$status" -eq 0 ] && same_as_build "$fixed" && ! diff -r "$tmp/before" "$tmp/www" >/dev/null &&
    grep -rq "Met link" "$tmp/www"; then ok "a later good push updates the site"; else
    not_ok "a later good push updates the site" "push status $status" "$(cat "$tmp/out")" "$(head -20 "$tmp/diff" 2>/dev/null)"; fi

# --- the published branch cannot be deleted ---
run git -C "$tmp/clone" push origin :main
if [ "$status" -ne 0 ] && grep -q "^remote: handbook: push refused: branch 'main' .*cannot be deleted" "$tmp/out" &&
    [ "$(git -C "$tmp/site.git" rev-parse main)" = "$fixed" ]; then ok "deleting the published branch is refused"; else
    not_ok "deleting the published branch is refused" "status $status" "$(cat "$tmp/out")"; fi

# --- someone else's hook; odd folder names ---
git -c init.defaultBranch=main init -q --bare "$tmp/other.git"
printf '#!/bin/sh\necho mine\n' >"$tmp/other.git/hooks/post-receive"
chmod 755 "$tmp/other.git/hooks/post-receive"
www2="$tmp/it's a \$site \`x\`"
run "$handbook" hook install --repo "$tmp/other.git" -o "$www2"
if [ "$status" -eq 1 ] && grep -qF "error: '$tmp/other.git/hooks/post-receive' is a hook that handbook did not write; move it away, or pass --force to replace it" "$tmp/out" &&
    [ "$(cat "$tmp/other.git/hooks/post-receive")" = "#!/bin/sh
echo mine" ] && [ ! -e "$tmp/other.git/hooks/pre-receive" ]; then
    ok "hook install refuses to replace someone else's hook and changes nothing"; else
    not_ok "hook install refuses to replace someone else's hook and changes nothing" "status $status" "$(cat "$tmp/out")"; fi
run "$handbook" hook install --repo "$tmp/other.git" -o "$www2" --branch live --force
[ "$status" -eq 0 ] && grep -q "^# handbook-hook:" "$tmp/other.git/hooks/post-receive" &&
    ok "hook install --force replaces it" || not_ok "hook install --force replaces it" "$(cat "$tmp/out")"
run git -C "$tmp/clone" push "$tmp/other.git" HEAD:live
[ "$status" -eq 0 ] && [ -f "$www2/index.html" ] &&
    ok "--branch and an output folder with quotes, spaces and \$ in its name work" ||
    not_ok "--branch and an output folder with quotes, spaces and \$ in its name work" "$(cat "$tmp/out")"

# --- mistakes of the admin ---
git -c init.defaultBranch=main init -q "$tmp/not-bare"
run "$handbook" hook install --repo "$tmp/not-bare" -o "$tmp/www3"
[ "$status" -eq 1 ] && grep -q "is not a bare repository" "$tmp/out" && ok "a repository with a working tree is refused" ||
    not_ok "a repository with a working tree is refused" "status $status" "$(cat "$tmp/out")"
run "$handbook" hook install --repo "$tmp/site.git" -o "$tmp/site.git/www"
[ "$status" -eq 1 ] && grep -q "is inside the repository" "$tmp/out" && ok "an output folder inside the repository is refused" ||
    not_ok "an output folder inside the repository is refused" "status $status" "$(cat "$tmp/out")"
run "$handbook" hook install --repo "$tmp/site.git" -o "$tmp/missing/www"
[ "$status" -eq 1 ] && grep -q "create it first" "$tmp/out" && ok "an output folder in a missing folder is refused" ||
    not_ok "an output folder in a missing folder is refused" "status $status" "$(cat "$tmp/out")"
run "$handbook" hook install --repo "$tmp/site.git"
[ "$status" -eq 64 ] && grep -q "usage:" "$tmp/out" && ok "hook install without -o is a usage error (64)" ||
    not_ok "hook install without -o is a usage error (64)" "status $status"
run "$handbook" hook remove --repo "$tmp/site.git" -o "$tmp/www"
[ "$status" -eq 64 ] && ok "an unknown hook command is a usage error (64)" || not_ok "an unknown hook command is a usage error (64)" "status $status"
run "$handbook" build --repo "$top/tests/sites/basic/repo" -o "$tmp/x" --force
[ "$status" -eq 64 ] && ok "--force outside hook install is a usage error (64)" || not_ok "--force outside hook install is a usage error (64)" "status $status"

summary
