#!/bin/sh
#
# Golden files for `anlasser-agent --check`: tests/golden/conf/CASE/ is a
# configuration directory and CASE.ok is exactly what --check prints for
# it.  The exit status must be 0 when CASE.ok is the one line
# "CASE: N VMs, no problems" (or "1 VM"), else 1.  TAP, one test per case.
#
# The checks run inside tests/golden/conf so that the file names in the
# messages are the short relative ones of the .ok files.
#
# To (re)write a .ok file after an intended change of a message:
#   cd tests/golden/conf && anlasser-agent --check -c CASE > CASE.ok
# and read the diff before committing it.

: "${top_srcdir:=.}"
: "${top_builddir:=.}"

builddir=$(cd "$top_builddir" && pwd) || exit 99
agent="$builddir/agent/anlasser-agent"
conf="$top_srcdir/tests/golden/conf"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/golden.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

[ -d "$conf" ] || { echo "Bail out! no directory $conf"; exit 99; }
# Work on a copy: the source tree may be read-only (make distcheck), and a
# dangling symlink (files/gone.ini) cannot be shipped in the tarball.
mkdir "$tmp/conf" && cp -R "$conf/." "$tmp/conf/" || exit 99
ln -s /nonexistent/anlasser/gone.img "$tmp/conf/files/gone.ini"
cd "$tmp/conf" || exit 99

n=0
for ok in *.ok; do
	[ -f "$ok" ] && n=$((n + 1))
done
if [ "$n" -eq 0 ]; then
	echo "Bail out! no *.ok files in $conf"
	exit 99
fi
echo "1..$n"

i=0
for ok in *.ok; do
	i=$((i + 1))
	case=${ok%.ok}
	if [ ! -x "$agent" ]; then
		echo "not ok $i - $case # $agent is missing"
		continue
	fi
	if [ ! -d "$case" ]; then
		echo "not ok $i - $case # no directory $case"
		continue
	fi
	# Clean exactly when the .ok file is the one summary line.
	want=1
	if [ "$(wc -l < "$ok")" -eq 1 ] &&
	    grep -q "^$case: [0-9]* VMs*, no problems\$" "$ok"; then
		want=0
	fi
	"$agent" --check -c "$case" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	if cmp -s "$ok" "$tmp/out" && [ "$rc" -eq "$want" ]; then
		echo "ok $i - $case"
		continue
	fi
	echo "not ok $i - $case"
	[ "$rc" -eq "$want" ] || echo "# exit status $rc, want $want"
	diff -u "$ok" "$tmp/out" | sed 's/^/# /'
	[ -s "$tmp/err" ] && sed 's/^/# stderr: /' "$tmp/err"
done
exit 0
