#!/bin/sh
# Build the libFuzzer targets with clang (whatever compiler the tree was
# configured with) and run each for a bounded time over a copy of its seed
# corpus.  Any crash, leak, sanitizer report or a failed build fails the
# test; a missing clang fails too (the test command installs clang and
# libclang-rt-14-dev).  Nothing is written into the source tree.
#
#   FUZZ_TIME=SECONDS   per target (default 20)
#   FUZZ_KEEP=1         keep the work directory (printed)
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${FUZZ_TIME:=20}"
: "${CLANG:=clang}"

n=0
fail=0
tap() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=$((fail + 1))
	fi
}

W=$(mktemp -d "${TMPDIR:-/tmp}/anl-fuzz.XXXXXX") || exit 1
pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	if [ -n "${FUZZ_KEEP-}" ]; then
		echo "# work directory: $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

targets="proto conf font"
if ! command -v "$CLANG" >/dev/null 2>&1; then
	for t in $targets; do
		tap 1 "fuzz-$t: build (no $CLANG: apt-get install clang libclang-rt-14-dev)"
	done
	echo "1..$n"
	exit 1
fi
if [ ! -f "$top_builddir/config.h" ]; then
	echo "# no config.h in $top_builddir: run configure first"
	tap 1 "config.h found"
	echo "1..$n"
	exit 1
fi

# Flags: the same headers the Makefile uses.
CFLAGS_FUZZ="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
-fno-sanitize-recover=undefined"
inc="-I$top_builddir -I$top_srcdir/common"
for pc in jansson iniparser; do
	if pkg-config --exists "$pc" 2>/dev/null; then
		inc="$inc $(pkg-config --cflags "$pc")"
		libs="${libs-} $(pkg-config --libs "$pc")"
	elif [ "$pc" = iniparser ]; then
		libs="${libs-} -liniparser"
	fi
done
libs="$libs -lz"

# The library part: common/*.c (plus compat/ where config.h says so).
srcs=$(ls "$top_srcdir"/common/*.c)
grep -q '^#define HAVE_STRLCPY 1' "$top_builddir/config.h" ||
    srcs="$srcs $top_srcdir/common/compat/strlcpy.c"
grep -q '^#define HAVE_STRLCAT 1' "$top_builddir/config.h" ||
    srcs="$srcs $top_srcdir/common/compat/strlcat.c"
mkdir -p "$W/obj"
objs=
build_ok=0
for s in $srcs; do
	o="$W/obj/$(basename "$s" .c).o"
	# shellcheck disable=SC2086
	if ! $CLANG $CFLAGS_FUZZ -fsanitize=fuzzer-no-link $inc -c "$s" \
	    -o "$o" >>"$W/build.log" 2>&1; then
		build_ok=1
	fi
	objs="$objs $o"
done

for t in $targets; do
	# fuzz-font: the font parsers and the recogniser from tui/.
	extra=
	[ "$t" = font ] && extra="-I$top_srcdir/tui $top_srcdir/tui/glyph.c \
$top_srcdir/tui/glyph-psf.c $top_srcdir/tui/glyph-vtfont.c \
$(ls "$top_srcdir"/tui/fonts/font-*.c)"
	# shellcheck disable=SC2086
	if [ "$build_ok" -eq 0 ] && $CLANG $CFLAGS_FUZZ -fsanitize=fuzzer \
	    $inc "$top_srcdir/tests/fuzz/fuzz-$t.c" $extra $objs $libs \
	    -o "$W/fuzz-$t" >>"$W/build.log" 2>&1; then
		tap 0 "fuzz-$t: builds with $CLANG and libFuzzer"
	else
		tap 1 "fuzz-$t: builds with $CLANG and libFuzzer"
		sed 's/^/#   /' "$W/build.log" | tail -20
	fi
done

# Run the targets side by side (one per core), each over its own copy of
# the seeds; libFuzzer adds what it finds to the first directory.
for t in $targets; do
	[ -x "$W/fuzz-$t" ] || continue
	mkdir -p "$W/corpus-$t" "$W/art-$t"
	cp "$top_srcdir/tests/fuzz/corpus-$t"/* "$W/corpus-$t/"
	(
		cd "$W" && TMPDIR="$W" ASAN_OPTIONS=detect_leaks=1 \
		    UBSAN_OPTIONS=print_stacktrace=1 \
		    "./fuzz-$t" -max_total_time="$FUZZ_TIME" -timeout=10 \
		    -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
		    -artifact_prefix="$W/art-$t/" "$W/corpus-$t" \
		    >"$W/fuzz-$t.log" 2>&1
		echo $? >"$W/fuzz-$t.rc"
	) &
	pids="$pids $!"
done
wait
pids=

for t in $targets; do
	if [ ! -x "$W/fuzz-$t" ]; then
		tap 1 "fuzz-$t: ran"
		continue
	fi
	rc=$(cat "$W/fuzz-$t.rc" 2>/dev/null || echo 99)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "$W/fuzz-$t.log")
	seeds=$(ls "$top_srcdir/tests/fuzz/corpus-$t" | wc -l)
	echo "# fuzz-$t: ${execs:-0} runs in ${FUZZ_TIME} s from $seeds seeds"
	# libFuzzer exits 0 when the time ran out without a finding.
	arts=$(ls "$W/art-$t" | wc -l)
	if [ "$rc" -eq 0 ] && [ "$arts" -eq 0 ] && [ "${execs:-0}" -gt 0 ]; then
		tap 0 "fuzz-$t: no crash, leak or sanitizer report"
	else
		tap 1 "fuzz-$t: no crash, leak or sanitizer report (exit $rc)"
		grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==|#[0-9]+ 0x' \
		    "$W/fuzz-$t.log" | head -40 | sed 's/^/#   /'
		for a in "$W/art-$t"/*; do
			[ -f "$a" ] || continue
			echo "#   input ($(basename "$a")), hex:"
			od -An -tx1 "$a" | head -8 | sed 's/^/#     /'
		done
	fi
done

echo "1..$n"
[ "$fail" -eq 0 ]
