#!/bin/sh
# Anlasser demo: the agent with two small VMs booting a real UEFI guest
# under QEMU, and the TUI on it.  Run from a built source tree:
#
#   ./bootstrap && ./configure && make && contrib/demo/demo.sh
#
# Everything lives in $ANLASSER_DEMO_DIR (default /tmp/anlasser-demo); the
# guest image is built from Debian packages on first use.  Quitting the TUI
# stops the VMs and the agent.  ANLASSER_DEMO_ACCEL=kvm uses KVM where it
# works (the default, tcg, works everywhere).
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${ANLASSER_BUILD_DIR:-$(pwd)}
[ -x "$build/agent/anlasser-agent" ] || build=$src
agent=$build/agent/anlasser-agent
tui=$build/tui/anlasser-tui
for f in "$agent" "$tui" "$build/agent/anlasser-monitor"; do
	if [ ! -x "$f" ]; then
		echo "demo: $f is missing: build first (./configure && make)" >&2
		exit 1
	fi
done
dir=${ANLASSER_DEMO_DIR:-/tmp/anlasser-demo}
accel=${ANLASSER_DEMO_ACCEL:-tcg}
mkdir -p "$dir/conf" "$dir/run" "$dir/log" "$dir/vms" "$dir/iso"
sock=$dir/agent.sock

echo "demo: building the guest image (first time: downloads the Debian kernel)..."
"$src/tests/guest/build-guest.sh" "$dir/guest" >"$dir/guest-build.log" 2>&1 || {
	echo "demo: building the guest failed, see $dir/guest-build.log" >&2
	exit 1
}
[ -e "$dir/iso/guest.iso" ] || [ ! -e "$dir/guest/guest.iso" ] ||
	cp "$dir/guest/guest.iso" "$dir/iso/guest.iso"

cat > "$dir/conf/anlasser.conf" <<EOT
[agent]
driver = qemu
qemu_accel = $accel
uefi_firmware = /usr/share/OVMF/OVMF_CODE_4M.fd
uefi_vars_template = /usr/share/OVMF/OVMF_VARS_4M.fd
iso_dirs = $dir/iso
vnc_ports = 5900-5909
log_dir = $dir/log
EOT
for vm in demo1 demo2; do
	mkdir -p "$dir/vms/$vm"
	[ -e "$dir/vms/$vm/disk.img" ] ||
		cp --sparse=always "$dir/guest/disk.img" "$dir/vms/$vm/disk.img"
	cat > "$dir/conf/$vm.ini" <<EOT
[VM]
name = $vm
memory_mb = 256
cpu_sockets = 1
cpu_cores = 1
cpu_threads = 1
storage_path = $dir/vms/$vm/disk.img
uefi_vars_storage_path = $dir/vms/$vm/vars.fd
# The demo guest's disk has 512-byte sectors (bhyve's default is 4096).
disk_sector_size = 512
shutdown_timeout = 30
autostart = yes
EOT
done

"$agent" -n -c "$dir/conf"
"$agent" -F -c "$dir/conf" -s "$sock" -r "$dir/run" 2>>"$dir/agent.log" &
agent_pid=$!
cleanup() {
	echo "demo: stopping the VMs and the agent..."
	"$tui" --socket "$sock" --batch stop-all >/dev/null 2>&1 || true
	kill "$agent_pid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
i=0
while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
"$tui" --socket "$sock" --batch start-all
echo "demo: VMs are booting; logs in $dir (press q in the TUI to quit)"
sleep 1
ANLASSER_SOCKET=$sock "$tui"
