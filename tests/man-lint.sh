#!/bin/sh
#
# Every manual page in man/ must be clean under `mandoc -Tlint -W warning`.
# TAP, one test per page.  mandoc is required: without it every page fails.

: "${top_srcdir:=.}"

pages=
n=0
for page in "$top_srcdir"/man/*.[1-8]; do
	[ -f "$page" ] || continue
	pages="$pages $page"
	n=$((n + 1))
done
if [ "$n" -eq 0 ]; then
	echo "Bail out! no manual pages in $top_srcdir/man"
	exit 99
fi
echo "1..$n"

have_mandoc=yes
command -v mandoc > /dev/null 2>&1 || have_mandoc=no

i=0
for page in $pages; do
	i=$((i + 1))
	name=${page##*/}
	if [ "$have_mandoc" = no ]; then
		echo "not ok $i - $name # mandoc is not installed"
		continue
	fi
	out=$(mandoc -Tlint -W warning "$page" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
		echo "ok $i - $name"
	else
		echo "not ok $i - $name"
		printf '%s\n' "$out" | sed 's/^/# /'
		echo "# mandoc exit status $rc"
	fi
done
exit 0
