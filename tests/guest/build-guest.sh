#!/bin/bash
#
# build-guest.sh OUTDIR -- build the small Linux test guest for the QEMU
# end-to-end tests.
#
# The guest boots the way bhyve boots guests: UEFI firmware (OVMF) loads
# \EFI\BOOT\BOOTX64.EFI from the EFI system partition of a GPT disk.  That
# file is a unified kernel image: systemd's EFI stub with the Debian kernel,
# its command line and a busybox initramfs in PE sections, so the firmware
# starts Linux directly (no UEFI shell, no startup.nsh countdown).
#
# Output:
#   OUTDIR/disk.img    64 MiB raw GPT disk, one EFI system partition (FAT)
#   OUTDIR/guest.iso   a hybrid CD (only if xorriso is installed): El
#                      Torito EFI boots the same file; El Torito BIOS boots
#                      isolinux, which loads the same kernel and initramfs
#                      with the same command line (firmware = bios, SeaBIOS;
#                      only if isolinux and syslinux-common are installed)
#   OUTDIR/bootx64.efi, OUTDIR/vmlinuz, OUTDIR/initrd.gz, OUTDIR/cmdline
#                      the parts
#   OUTDIR/features    what was built: "disk", "iso-efi", "iso-bios"
#
# The guest prints "anlasser-guest: ready" on ttyS0 and tty1, then runs a
# root shell with the prompt "guest# " on both.  busybox acpid turns the
# ACPI power button (QMP system_powerdown) into a clean poweroff.  Booted
# by UEFI, tty1 is the framebuffer console (fbcon); booted by a BIOS, it
# is the VGA text console (vgacon, 80x25).
#
# Cached: if OUTDIR/disk.img is newer than this script and the installed
# tools would build the same features, nothing is done.
# Downloaded packages are kept in $ANLASSER_DEB_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/anlasser-guest), so the kernel package
# (~70 MB) is fetched once per machine.  Root is not needed.
#
# Debian 12 packages used:
#   installed: apt dpkg busybox-static cpio gzip binutils (objcopy, objdump)
#              dosfstools (mkfs.vfat) mtools (mmd, mcopy) fdisk (sfdisk)
#              util-linux (flock); optional: xorriso (guest.iso),
#              isolinux and syslinux-common (BIOS boot of guest.iso)
#   downloaded with apt-get download, never installed:
#              linux-image-6.1.*-amd64 (resolved from linux-image-amd64)
#              systemd-boot-efi (for linuxx64.efi.stub, unless installed)
#
# Environment:
#   ANLASSER_GUEST_KERNEL_PKG  kernel package to use instead of resolving
#   ANLASSER_DEB_CACHE         where downloaded .deb files are kept

set -eu -o pipefail

PATH=$PATH:/usr/sbin:/sbin
prog=${0##*/}

# Kernel command line.  The last console= is /dev/console.
CMDLINE="console=tty0 console=ttyS0 quiet"
# Modules loaded by /init, in order (dependencies are added automatically).
MODULES="evdev button pvpanic-pci"
DISK_MIB=64
# BIOS boot of guest.iso (Debian packages isolinux, syslinux-common).
ISOLINUX_DIR=/usr/lib/ISOLINUX
SYSLINUX_BIOS=/usr/lib/syslinux/modules/bios

die()
{
	echo "$prog: $*" >&2
	exit 1
}

note()
{
	echo "$prog: $*" >&2
}

[ $# -eq 1 ] || die "usage: $prog OUTDIR"
outdir=$1
self=$(readlink -f "$0")

# The features the installed tools give (OUTDIR/features).
features=disk
if command -v xorriso >/dev/null; then
	features="$features iso-efi"
	[ ! -f "$ISOLINUX_DIR/isolinux.bin" ] ||
	    [ ! -f "$ISOLINUX_DIR/isohdpfx.bin" ] ||
	    [ ! -f "$SYSLINUX_BIOS/ldlinux.c32" ] ||
	    features="$features iso-bios"
fi

# cached: is OUTDIR complete, newer than this script, with these features?
cached()
{
	[ -f "$outdir/disk.img" ] && [ "$outdir/disk.img" -nt "$self" ] &&
	    [ "$(cat "$outdir/features" 2>/dev/null)" = "$features" ]
}

if cached; then
	exit 0
fi

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

# One builder at a time per OUTDIR; the others wait, then find the cache.
exec 9>"$outdir/.lock"
flock 9
if cached; then
	exit 0
fi

for t in apt-get apt-cache dpkg-deb cpio gzip objcopy objdump strings \
    mkfs.vfat mmd mcopy sfdisk flock; do
	command -v "$t" >/dev/null || die "$t not found (see the list of" \
	    "packages at the top of $self)"
done
[ -x /bin/busybox ] || die "/bin/busybox not found (apt-get install" \
    "busybox-static)"
needed=$(LC_ALL=C objdump -p /bin/busybox 2>/dev/null |
    grep -c 'NEEDED' || true)
[ "$needed" = 0 ] || die "/bin/busybox is not static" \
    "(apt-get install busybox-static)"

debcache=${ANLASSER_DEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anlasser-guest}
# As root, apt would warn that its _apt user cannot write the cache.
aptopt=()
[ "$(id -u)" != 0 ] || aptopt=(-o APT::Sandbox::User=root)
mkdir -p "$debcache"

tmp=$(mktemp -d "$outdir/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# fetch PKG: print the path of PKG's .deb, downloading it if needed.
fetch()
{
	local pkg=$1 deb

	deb=$(ls -t "$debcache/${pkg}"_*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ]; then
		note "downloading $pkg"
		(cd "$debcache" &&
		    apt-get -q "${aptopt[@]}" download "$pkg" >&2) ||
		    die "apt-get download $pkg failed (run apt-get update?)"
		deb=$(ls -t "$debcache/${pkg}"_*.deb | head -n 1)
	fi
	echo "$deb"
}

# The versioned kernel package behind linux-image-amd64, or else the newest
# linux-image-6.1.*-amd64 that apt or the cache knows.
kernel_pkg()
{
	local p

	if [ -n "${ANLASSER_GUEST_KERNEL_PKG:-}" ]; then
		echo "$ANLASSER_GUEST_KERNEL_PKG"
		return
	fi
	p=$(apt-cache depends linux-image-amd64 2>/dev/null |
	    sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' |
	    head -n 1)
	[ -n "$p" ] || p=$(apt-cache pkgnames linux-image-6.1 2>/dev/null |
	    grep -E '^linux-image-6\.1\.[0-9.-]+-amd64$' | sort -V |
	    tail -n 1)
	[ -n "$p" ] || p=$(ls "$debcache" 2>/dev/null |
	    sed -n 's/^\(linux-image-6\.1\.[0-9.-]*-amd64\)_.*\.deb$/\1/p' |
	    sort -V | tail -n 1)
	[ -n "$p" ] || die "no linux-image-6.1.*-amd64 known to apt" \
	    "(run apt-get update)"
	echo "$p"
}

kpkg=$(kernel_pkg)
kdeb=$(fetch "$kpkg")
note "kernel: ${kdeb##*/}"
# Keep one kernel package in the cache.
for f in "$debcache"/linux-image-*.deb; do
	[ ! -f "$f" ] || [ "$f" = "$kdeb" ] || rm -f "$f"
done
mkdir "$tmp/k"
dpkg-deb -x "$kdeb" "$tmp/k"
vmlinuz=$(ls "$tmp"/k/boot/vmlinuz-* | head -n 1)
kver=${vmlinuz##*/vmlinuz-}
kmod=$tmp/k/lib/modules/$kver/kernel

stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
if [ ! -f "$stub" ]; then
	sdeb=$(fetch systemd-boot-efi)
	mkdir "$tmp/s"
	dpkg-deb -x "$sdeb" "$tmp/s"
	stub=$tmp/s$stub
	[ -f "$stub" ] || die "${sdeb##*/} has no linuxx64.efi.stub"
fi

# ------------------------------------------------------------ initramfs
root=$tmp/root
mkdir -p "$root"/bin "$root"/dev "$root"/etc/acpi/PWRF "$root"/lib/modules \
    "$root"/proc "$root"/root "$root"/run "$root"/sys "$root"/tmp \
    "$root"/var/log
ln -s bin "$root/sbin"
mkdir -p "$root/usr"
ln -s ../bin "$root/usr/bin"
ln -s ../bin "$root/usr/sbin"
cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
done

# modpath NAME: the .ko file of module NAME.
modpath()
{
	local f

	f=$(find "$kmod" -name "$1.ko" -o -name "$(echo "$1" | tr _ -).ko" |
	    head -n 1)
	[ -n "$f" ] || die "module $1 not in $kpkg"
	echo "$f"
}

# addmod NAME: copy NAME and its dependencies, dependencies first.
loadlist=
addmod()
{
	local f d

	case " $loadlist " in *" $1 "*) return ;; esac
	f=$(modpath "$1")
	for d in $(strings -a "$f" | sed -n 's/^depends=//p' | tr , ' '); do
		addmod "$d"
	done
	cp "$f" "$root/lib/modules/$1.ko"
	loadlist="$loadlist $1"
}
for m in $MODULES; do
	addmod "$m"
done
echo "${loadlist# }" >"$root/etc/modules"

cat >"$root/init" <<'EOF'
#!/bin/sh
# anlasser test guest: PID 1 until it becomes busybox init.
PATH=/bin; export PATH
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
hostname anlasser-guest
for m in $(cat /etc/modules); do
	insmod /lib/modules/$m.ko || echo "anlasser-guest: insmod $m failed"
done
acpid -c /etc/acpi -l /var/log/acpid.log
for t in /dev/ttyS0 /dev/tty1; do
	echo "anlasser-guest: ready ($(uname -r))" >$t
done
exec /bin/init
EOF
chmod 755 "$root/init"

cat >"$root/etc/inittab" <<'EOF'
ttyS0::respawn:-/bin/sh
tty1::respawn:-/bin/sh
::ctrlaltdel:/bin/reboot
::shutdown:/bin/echo anlasser-guest: shutting down
EOF

cat >"$root/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
echo "anlasser-guest: power button" >/dev/console
exec poweroff
EOF
chmod 755 "$root/etc/acpi/PWRF/00000080"

cat >"$root/etc/profile" <<'EOF'
PATH=/bin; HOME=/root; PS1='guest# '
export PATH HOME PS1
cd /root
EOF
echo 'root::0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
echo anlasser-guest >"$root/etc/hostname"

# newc_node NAME MODE MAJOR MINOR: a cpio (newc) archive holding one device
# node, so that the kernel has /dev/console before /init runs (mknod would
# need root).
newc_node()
{
	local name=$1 pad

	# Magic, then ino mode uid gid nlink mtime filesize devmajor devminor
	# rdevmajor rdevminor namesize check, each 8 hex digits.
	printf 070701
	printf %08X 1 "$2" 0 0 1 0 0 0 0 "$3" "$4" $((${#name} + 1)) 0
	printf '%s\0' "$name"
	pad=$(((4 - (110 + ${#name} + 1) % 4) % 4))
	head -c $pad /dev/zero
}

newc_trailer()
{
	newc_node TRAILER!!! 0 0 0
	# 110 + 11 = 121 bytes so far, padded to 124; pad to 512.
	head -c $((512 - 124)) /dev/zero
}

(
	cd "$root"
	find . -mindepth 1 | LC_ALL=C sort |
	    cpio --quiet -o -H newc -R 0:0 --reproducible
	newc_node dev/console $((0020000 | 0600)) 5 1
	newc_trailer
) | gzip -n -9 >"$tmp/initrd.gz"

# ------------------------------------------------ unified kernel image
printf %s "$CMDLINE" >"$tmp/cmdline"
printf 'ID=anlasser-guest\nNAME="anlasser test guest"\nVERSION_ID=%s\n' \
    "$kver" >"$tmp/osrel"

# Sections go after the stub's image, each 64 KiB aligned.
align()
{
	echo $((($1 + 0xffff) & ~0xffff))
}
end=$(objdump -p "$stub" | awk '$1 == "SizeOfImage" { print "0x" $2 }')
[ -n "$end" ] || die "cannot read SizeOfImage of $stub"
objargs=
for s in osrel:"$tmp/osrel" cmdline:"$tmp/cmdline" linux:"$vmlinuz" \
    initrd:"$tmp/initrd.gz"; do
	name=${s%%:*}
	file=${s#*:}
	vma=$(align "$end")
	objargs="$objargs --add-section .$name=$file"
	objargs="$objargs --change-section-vma .$name=$(printf 0x%x "$vma")"
	end=$((vma + $(stat -c %s "$file")))
done
# shellcheck disable=SC2086 # objargs is split on purpose; no blanks in paths
objcopy $objargs "$stub" "$tmp/bootx64.efi" ||
    die "objcopy failed (mktemp path with blanks?)"

# ------------------------------------------------------------ disk image
# mkesp IMAGE KIB: a FAT file system holding \EFI\BOOT\BOOTX64.EFI.
mkesp()
{
	mkfs.vfat -C -n ANLASSER "$1" "$2" >/dev/null
	mmd -i "$1" ::/EFI ::/EFI/BOOT
	mcopy -i "$1" "$tmp/bootx64.efi" ::/EFI/BOOT/BOOTX64.EFI
}

# GPT: partition 1 from 1 MiB up to 1 MiB before the end (backup header).
esp_kib=$(((DISK_MIB - 2) * 1024))
mkesp "$tmp/esp.img" $esp_kib
truncate -s ${DISK_MIB}M "$tmp/disk.img"
printf 'label: gpt\nstart=2048, size=%d, type=uefi, name="EFI system"\n' \
    $((esp_kib * 2)) | sfdisk -q "$tmp/disk.img"
dd if="$tmp/esp.img" of="$tmp/disk.img" bs=1M seek=1 conv=notrunc,sparse \
    status=none

cp "$vmlinuz" "$tmp/vmlinuz"
case " $features " in
*" iso-efi "*)
	# El Torito EFI boot image: the same file on a FAT just large enough.
	mkdir "$tmp/iso"
	mkesp "$tmp/iso/efiboot.img" \
	    $(($(stat -c %s "$tmp/bootx64.efi") / 1024 + 1024))
	biosargs=()
	case " $features " in
	*" iso-bios "*)
		# El Torito BIOS: isolinux with the same kernel, initramfs and
		# command line; the isohybrid MBR makes the image bootable as
		# a disk too.
		mkdir "$tmp/iso/isolinux" "$tmp/iso/boot"
		cp "$ISOLINUX_DIR/isolinux.bin" "$SYSLINUX_BIOS/ldlinux.c32" \
		    "$tmp/iso/isolinux/"
		cp "$tmp/vmlinuz" "$tmp/initrd.gz" "$tmp/iso/boot/"
		printf '%s\n' 'DEFAULT linux' 'PROMPT 0' 'TIMEOUT 0' \
		    'LABEL linux' '  KERNEL /boot/vmlinuz' \
		    "  APPEND initrd=/boot/initrd.gz $CMDLINE" \
		    >"$tmp/iso/isolinux/isolinux.cfg"
		biosargs=(-isohybrid-mbr "$ISOLINUX_DIR/isohdpfx.bin"
		    -c isolinux/boot.cat -b isolinux/isolinux.bin
		    -no-emul-boot -boot-load-size 4 -boot-info-table
		    -eltorito-alt-boot)
		;;
	*)
		note "isolinux or syslinux-common not installed: guest.iso" \
		    "boots on UEFI only"
		;;
	esac
	xorriso -as mkisofs -quiet -V ANLASSER_GUEST -R -J \
	    "${biosargs[@]}" -e efiboot.img -no-emul-boot \
	    ${biosargs[0]+-isohybrid-gpt-basdat} \
	    -o "$tmp/guest.iso" "$tmp/iso" 2>"$tmp/xorriso.log" ||
	    { cat "$tmp/xorriso.log" >&2; die "xorriso failed"; }
	mv -f "$tmp/guest.iso" "$outdir/guest.iso"
	;;
*)
	note "xorriso not installed: no guest.iso"
	rm -f "$outdir/guest.iso"
	;;
esac

mv -f "$tmp/bootx64.efi" "$tmp/vmlinuz" "$tmp/initrd.gz" "$tmp/cmdline" \
    "$outdir/"
echo "$features" >"$outdir/features"
# disk.img last: its presence marks a complete build.
mv -f "$tmp/disk.img" "$outdir/disk.img"
note "built $outdir/disk.img (kernel $kver)"
