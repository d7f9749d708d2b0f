#!/bin/bash
#
# boot-guest.sh [-i] GUESTDIR RUNDIR [-- QEMU-ARGS...]
#
# Boot the test guest built by build-guest.sh under QEMU the way the
# anlasser QEMU driver runs VMs: q35, OVMF from pflash (fresh VARS copy),
# the disk as NVMe, no default devices, -no-reboot.  With -i, boot
# GUESTDIR/guest.iso from an AHCI CD-ROM instead of the disk.
#
# RUNDIR (created; keep its path short, UNIX socket paths are limited to
# 108 bytes) receives:
#   serial.sock  ttyS0, a UNIX socket server (socat - UNIX-CONNECT:...)
#   serial.log   everything the guest wrote to ttyS0, with or without client
#   qmp.sock     QMP (one client at a time)
#   vnc.sock     VNC display
#   vars.fd      the VM's copy of OVMF_VARS_4M.fd
#
# QEMU runs in the foreground (exec), so "boot-guest.sh ... &" gives QEMU's
# pid in $!.  Extra arguments after -- go to QEMU unchanged.
#
# Environment: QEMU (default qemu-system-x86_64), OVMF_CODE, OVMF_VARS
# (default the 4M pair from Debian's ovmf package), GUEST_MEM (256).

set -eu

prog=${0##*/}

usage()
{
	echo "usage: $prog [-i] GUESTDIR RUNDIR [-- QEMU-ARGS...]" >&2
	exit 2
}

iso=0
while getopts i opt; do
	case $opt in
	i) iso=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || usage
guestdir=$1
rundir=$2
shift 2
if [ $# -gt 0 ]; then
	[ "$1" = -- ] || usage
	shift
fi

qemu=${QEMU:-qemu-system-x86_64}
code=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
vars=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}

if [ $iso = 1 ]; then
	media=$guestdir/guest.iso
	drive=(-drive "if=none,id=cd0,file=$media,format=raw,readonly=on"
	    -device "ide-cd,drive=cd0,bus=ide.0")
else
	media=$guestdir/disk.img
	drive=(-drive "if=none,id=d0,file=$media,format=raw"
	    -device "nvme,drive=d0,serial=d0")
fi
for f in "$media" "$code" "$vars"; do
	[ -f "$f" ] || { echo "$prog: $f: not found" >&2; exit 1; }
done

mkdir -p "$rundir"
rundir=$(cd "$rundir" && pwd)
rm -f "$rundir/serial.sock" "$rundir/qmp.sock" "$rundir/vnc.sock"
: >"$rundir/serial.log"
cp "$vars" "$rundir/vars.fd"
serial="socket,id=ser0,path=$rundir/serial.sock,server=on,wait=off"
serial="$serial,logfile=$rundir/serial.log"

exec "$qemu" -name anlasser-guest \
    -machine q35 -accel tcg -m "${GUEST_MEM:-256}" \
    -nodefaults -vga std -display none -no-reboot \
    -drive "if=pflash,format=raw,readonly=on,file=$code" \
    -drive "if=pflash,format=raw,file=$rundir/vars.fd" \
    "${drive[@]}" \
    -chardev "$serial" \
    -serial chardev:ser0 \
    -qmp "unix:$rundir/qmp.sock,server=on,wait=off" \
    -vnc "unix:$rundir/vnc.sock" \
    "$@"
