#!/bin/sh
# test_install.sh - make install puts the binary and the man page where
# PREFIX and DESTDIR say, and the installed binary runs.
set -u
cd "$(dirname "$0")/.." || exit 1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
passed=0 failed=0
make -s install PREFIX=/opt/hb DESTDIR="$dest" >/dev/null 2>&1
if [ -x "$dest/opt/hb/bin/handbook" ] && "$dest/opt/hb/bin/handbook" --version | grep -q '^handbook '; then
    passed=$((passed + 1)); echo "ok   make install installs a working binary"
else failed=$((failed + 1)); echo "FAIL make install installs a working binary"; fi
if [ -f "$dest/opt/hb/share/man/man1/handbook.1" ] && grep -q '^\.TH HANDBOOK 1' "$dest/opt/hb/share/man/man1/handbook.1"; then
    passed=$((passed + 1)); echo "ok   make install installs the man page handbook(1)"
else failed=$((failed + 1)); echo "FAIL make install installs the man page handbook(1)"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
