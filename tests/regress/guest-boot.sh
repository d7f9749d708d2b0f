#!/bin/bash
#
# guest-boot.sh -- TAP test: the QEMU end-to-end test guest builds, boots
# through OVMF from an NVMe disk, gives a working shell on ttyS0 and tty1,
# and powers off on the ACPI power button (QMP system_powerdown).
#
# The guest is cached in ${ANLASSER_GUEST_DIR:-$top_builddir/tests/guest/out}.
# Timeouts (seconds) can be raised with GUEST_BOOT_TIMEOUT (120),
# GUEST_CMD_TIMEOUT (30) and GUEST_OFF_TIMEOUT (60).

set -u

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/../..}
top_builddir=${top_builddir:-.}
guestdir=${ANLASSER_GUEST_DIR:-$top_builddir/tests/guest/out}
boot_timeout=${GUEST_BOOT_TIMEOUT:-120}
cmd_timeout=${GUEST_CMD_TIMEOUT:-30}
off_timeout=${GUEST_OFF_TIMEOUT:-60}

for t in qemu-system-x86_64 socat apt-get dpkg-deb; do
	if ! command -v $t >/dev/null; then
		echo "1..0 # SKIP $t not installed"
		exit 0
	fi
done

echo "1..9"
n=0
failed=0
ok()
{
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok()
{
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
}
check()
{
	local desc=$1

	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
# bail: fail the remaining tests and exit.
bail()
{
	while [ $n -lt 9 ]; do
		not_ok "$1"
	done
	exit 1
}

qemu_pid=
ser_pid=
qmp_pid=
run=$(mktemp -d /tmp/anlasser-guest.XXXXXX)
# comment: copy stdin as TAP comment lines, without CRs and escapes.
comment()
{
	tr -d '\r\033' | awk '{ print "#   " $0 }'
}
cleanup()
{
	local p

	exec 5>&- 6>&-
	for p in $qemu_pid $ser_pid $qmp_pid; do
		kill "$p" 2>/dev/null
	done
	for p in $qemu_pid $ser_pid $qmp_pid; do
		wait "$p" 2>/dev/null
	done
	if [ $failed -ne 0 ] && [ -f "$run/serial.log" ]; then
		echo "# serial log (last 30 lines):"
		tail -n 30 "$run/serial.log" | comment
		echo "# qmp log:"
		comment <"$run/qmp.log"
		echo "# qemu stderr:"
		comment <"$run/qemu.err"
	fi
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# waitfor SECONDS CMD...: run CMD every 0.2 s until it succeeds.
waitfor()
{
	local end=$((SECONDS + $1))

	shift
	while ! "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}
# serial_has LINE: LINE appeared alone on a line of ttyS0 output.
serial_has()
{
	tr -d '\r' <"$run/serial.log" | grep -qxF -- "$1"
}
serial_grep()
{
	tr -d '\r' <"$run/serial.log" | grep -qE -- "$1"
}
alive()
{
	kill -0 "$qemu_pid" 2>/dev/null
}
gone()
{
	! alive
}
# type_line TEXT: type TEXT and Enter on ttyS0.
type_line()
{
	printf "%s\r" "$*" >&5
}

# 1: build (cached).
if "$top_srcdir/tests/guest/build-guest.sh" "$guestdir" >&2 &&
    [ -s "$guestdir/disk.img" ]; then
	ok "guest image built in $guestdir"
else
	not_ok "guest image built in $guestdir"
	bail "no guest image"
fi

# 2: boot to the ready marker.
start=$SECONDS
"$top_srcdir/tests/guest/boot-guest.sh" "$guestdir" "$run" \
    2>"$run/qemu.err" &
qemu_pid=$!
if ! waitfor 10 test -S "$run/qmp.sock" -a -S "$run/serial.sock"; then
	not_ok "qemu started"
	bail "qemu did not start"
fi
mkfifo "$run/ser.in" "$run/qmp.in"
socat - "UNIX-CONNECT:$run/serial.sock" <"$run/ser.in" >/dev/null &
ser_pid=$!
exec 5>"$run/ser.in"
socat -t 5 - "UNIX-CONNECT:$run/qmp.sock" <"$run/qmp.in" \
    >"$run/qmp.log" &
qmp_pid=$!
exec 6>"$run/qmp.in"
echo '{"execute":"qmp_capabilities"}' >&6

if waitfor "$boot_timeout" serial_grep '^anlasser-guest: ready'; then
	ok "ready marker on ttyS0 after $((SECONDS - start)) s"
else
	not_ok "ready marker on ttyS0 within $boot_timeout s"
	bail "guest did not boot"
fi

# 3: the shell prompt.
if waitfor "$cmd_timeout" serial_grep 'guest# '; then
	ok "shell prompt on ttyS0 after $((SECONDS - start)) s"
else
	not_ok "shell prompt on ttyS0"
fi

# 4: a command typed on the serial console runs.  The expected output is
# computed by the guest, so the echo of the typed line cannot match.
type_line "echo hello-\$(($$ + 1))"
check "serial command output hello-$(($$ + 1))" \
    waitfor "$cmd_timeout" serial_has "hello-$(($$ + 1))"

# 5: uname -r gives the kernel release that the marker announced.
type_line "uname -r"
kver=$(tr -d '\r' <"$run/serial.log" |
    sed -n 's/^anlasser-guest: ready (\(.*\))$/\1/p' | head -n 1)
check "uname -r prints ${kver:-?}" \
    waitfor "$cmd_timeout" serial_has "${kver:-no-version-in-marker}"

# 6: tty1 (the framebuffer console seen over VNC) shows the marker and a
# prompt; /dev/vcs1 is its screen text.
type_line "grep -q 'anlasser-guest: ready' /dev/vcs1 &&" \
    "grep -q 'guest# ' /dev/vcs1 && echo vcs-\$((6 * 7))"
check "tty1 shows the marker and a shell prompt" \
    waitfor "$cmd_timeout" serial_has "vcs-42"

# 7-9: ACPI power button.  QEMU must exit by itself, status 0, and report
# the guest's own shutdown.
echo '{"execute":"system_powerdown"}' >&6
off=$SECONDS
if waitfor "$off_timeout" gone; then
	ok "qemu exits $((SECONDS - off)) s after system_powerdown"
	wait "$qemu_pid"
	status=$?
	qemu_pid=
	check "qemu exit status 0 (got $status)" test $status -eq 0
else
	not_ok "qemu exits within $off_timeout s after system_powerdown"
	not_ok "qemu exit status 0 (qemu still running)"
fi
waitfor 10 grep -q '"SHUTDOWN"' "$run/qmp.log"
reason=$(grep -o '"event": *"SHUTDOWN".*' "$run/qmp.log" | tail -n 1 |
    sed -n 's/.*"reason": *"\([^"]*\)".*/\1/p')
check "last SHUTDOWN reason guest-shutdown (got ${reason:-none})" \
    test "$reason" = guest-shutdown

[ $failed -eq 0 ]
