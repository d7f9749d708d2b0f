#!/bin/sh
#
# `make install DESTDIR=...` installs exactly the files in
# tests/regress/install.list (for this platform, under the configured
# prefix), with their paths filled in, and `make uninstall` removes every
# one of them again.  TAP.
#
# It runs make in $top_builddir; by the time the tests run everything is
# built, so install only copies.

: "${top_srcdir:=.}"
: "${top_builddir:=.}"

builddir=$(cd "$top_builddir" && pwd) || exit 99
list="$top_srcdir/tests/regress/install.list"
MAKE=${MAKE:-make}

T=$(mktemp -d "${TMPDIR:-/tmp}/anl-install.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
root=$T/root

n=0
failed=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
# Print a file as TAP diagnostics.
diag() {
	sed 's/^/# /' "$@"
}

mkvar() {
	sed -n "s/^$1 = //p" "$builddir/Makefile" | head -n 1
}
prefix=$(mkvar prefix)
case $(mkvar host_os) in
freebsd*)	platform=freebsd ;;
linux*)		platform=linux ;;
*)		platform=other ;;
esac
if [ -z "$prefix" ] || [ ! -f "$list" ]; then
	echo "Bail out! no prefix in $builddir/Makefile or no $list"
	exit 99
fi

echo "1..9"

# The expected list for this platform, sorted.
sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list" |
while read -r a b; do
	if [ -z "$b" ]; then
		echo "$a"
	elif [ "$a" = "$platform" ]; then
		echo "$b"
	fi
done | LC_ALL=C sort > "$T/want"

"$MAKE" -C "$builddir" install DESTDIR="$root" > "$T/install.out" 2>&1
rc=$?
ok $rc "make install DESTDIR=... succeeds"
[ $rc -eq 0 ] || tail -n 20 "$T/install.out" | diag

# Every installed file, relative to DESTDIR/prefix.
(cd "$root$prefix" 2>/dev/null && find . \( -type f -o -type l \) -print) |
    sed 's|^\./||' | LC_ALL=C sort > "$T/got"
diff "$T/want" "$T/got" > "$T/diff"
ok $? "the installed files are those of install.list ($platform)"
diag "$T/diff"

# Nothing lands outside the prefix.
(cd "$root" && find . \( -type f -o -type l \) -print) | sed 's|^\.||' |
    grep -v "^$prefix/" > "$T/outside"
[ ! -s "$T/outside" ]
ok $? "nothing is installed outside $prefix"
diag "$T/outside"

# The programs run from where they were installed.
"$root$prefix/sbin/anlasser-agent" --version > "$T/version" 2>&1 &&
    "$root$prefix/bin/anlasser-tui" --version >> "$T/version" 2>&1
ok $? "the installed programs run (--version)"
diag "$T/version"

# Paths were filled in at build time: no %%PLACEHOLDER%% is left.
: > "$T/placeholders"
while read -r f; do
	grep -l '%%[A-Z]*%%' "$root$prefix/$f" >> "$T/placeholders" \
	    2>/dev/null
done < "$T/want"
[ ! -s "$T/placeholders" ]
ok $? "no %%...%% placeholder is left in an installed file"
diag "$T/placeholders"

# The service file starts the installed agent on the installed config.
case $platform in
linux)
	svc=$root$prefix/lib/systemd/system/anlasser-agent.service
	want="ExecStart=$prefix/sbin/anlasser-agent -F -c $prefix/etc/anlasser"
	;;
freebsd)
	svc=$root$prefix/etc/rc.d/anlasser_agent
	want="anlasser_agent_bin=\"$prefix/sbin/anlasser-agent\""
	;;
*)
	svc=
	want=
	;;
esac
if [ -n "$svc" ]; then
	grep -qxF "$want" "$svc"
	ok $? "the service file runs $prefix/sbin/anlasser-agent"
else
	ok 1 "the service file: no rc.d script or unit for this platform"
fi

# The installed examples are a valid configuration directory.
mkdir "$T/conf"
cp "$root$prefix/share/examples/anlasser/anlasser.conf.sample" \
    "$T/conf/anlasser.conf" 2>/dev/null &&
    cp "$root$prefix/share/examples/anlasser/vm.ini.sample" \
    "$T/conf/test1.ini" 2>/dev/null &&
    "$root$prefix/sbin/anlasser-agent" --check -c "$T/conf" > "$T/check" 2>&1
ok $? "the installed example configuration passes --check"
diag "$T/check"

"$MAKE" -C "$builddir" uninstall DESTDIR="$root" > "$T/uninstall.out" 2>&1
rc=$?
ok $rc "make uninstall DESTDIR=... succeeds"
[ $rc -eq 0 ] || tail -n 20 "$T/uninstall.out" | diag

(cd "$root" && find . \( -type f -o -type l \) -print) > "$T/left"
[ ! -s "$T/left" ]
ok $? "make uninstall leaves no file behind"
diag "$T/left"

[ $failed -eq 0 ]
