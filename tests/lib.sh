# Shared helpers for the shell regress tests (bash).  Source it:
#   . "$top_srcdir/tests/lib.sh"
#
# Every test gets a private directory $T with config ($CONF), run dir
# ($RUN), socket ($SOCK) and tool-double state ($ANLASSER_FAKE_DIR), and
# kills only the processes it started (trap EXIT).
#
#   lib_init                  make $T and friends, trap cleanup
#   conf_agent [key=value..]  write $CONF/anlasser.conf for the doubles
#   conf_vm NAME [key=value]  write $CONF/NAME.ini (disk + vars created)
#   agent_start [args]        start anlasser-agent -F on $SOCK, wait ready
#   agent_stop / agent_kill   SIGTERM / SIGKILL the agent
#   req 'JSON' ...            send requests, print the replies
#   jget 'JSON' EXPR          value of a jq-like python expression on JSON
#   wait_for SECS CMD...      retry CMD until it succeeds or time runs out
#   ok COND_STATUS DESC       TAP line (use: cmd; ok $? "desc")
#   is GOT WANT DESC          TAP line comparing strings
#   done_testing              print the plan, exit with status

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
# Absolute: tests cd around, and paths end up in config files.
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
AGENT="$top_builddir/agent/anlasser-agent"
MONITOR="$top_builddir/agent/anlasser-monitor"
TUI="$top_builddir/tui/anlasser-tui"
FAKE="$top_srcdir/tests/fake"
CLIENT="python3 $top_srcdir/tests/anlclient.py"
tap_n=0
tap_fail=0
agent_pid=

lib_cleanup() {
	local pids p
	if [ -n "$agent_pid" ]; then
		kill -9 "$agent_pid" 2>/dev/null
		wait "$agent_pid" 2>/dev/null
	fi
	# Monitors and hypervisors started under this test's run dir.
	for p in "$RUN"/*.pid "$ANLASSER_FAKE_DIR"/*.pid; do
		[ -f "$p" ] || continue
		kill -9 "$(cat "$p")" 2>/dev/null
	done
	pids=$(pgrep -f -- "$T/" 2>/dev/null)
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null
	sleep 0.2
	[ -n "$KEEP" ] || rm -rf "$T"
}

lib_init() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/anl-test.XXXXXX")
	CONF="$T/conf"
	RUN="$T/run"
	SOCK="$T/agent.sock"
	export ANLASSER_FAKE_DIR="$T/fake"
	export ANLASSER_SOCKET="$SOCK"
	mkdir -p "$CONF" "$RUN" "$ANLASSER_FAKE_DIR" "$T/vms" "$T/log"
	printf 'CODE' > "$T/BHYVE_UEFI_CODE.fd"
	printf 'VARS' > "$T/BHYVE_UEFI_VARS.fd"
	[ -n "$KEEP" ] && echo "# test dir: $T"
	trap lib_cleanup EXIT
}

conf_agent() {
	{
		echo "[agent]"
		echo "driver = bhyve"
		echo "bhyve = $FAKE/bhyve"
		echo "bhyvectl = $FAKE/bhyvectl"
		echo "ifconfig = $FAKE/ifconfig"
		echo "uefi_firmware = $T/BHYVE_UEFI_CODE.fd"
		echo "uefi_vars_template = $T/BHYVE_UEFI_VARS.fd"
		echo "log_dir = $T/log"
		for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}"; done
	} > "$CONF/anlasser.conf"
}

conf_vm() {
	local name=$1; shift
	mkdir -p "$T/vms/$name"
	[ -e "$T/vms/$name/disk.img" ] || truncate -s 16M "$T/vms/$name/disk.img"
	{
		echo "[VM]"
		echo "name = $name"
		echo "memory_mb = 256"
		echo "storage_path = $T/vms/$name/disk.img"
		echo "uefi_vars_storage_path = $T/vms/$name/vars.fd"
		for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}"; done
	} > "$CONF/$name.ini"
}

agent_start() {
	"$AGENT" -F -c "$CONF" -s "$SOCK" -r "$RUN" "$@" \
	    2>>"$T/agent.log" &
	agent_pid=$!
	wait_for 10 test -S "$SOCK"
}

agent_stop() {
	[ -n "$agent_pid" ] || return 0
	kill -TERM "$agent_pid" 2>/dev/null
	wait "$agent_pid" 2>/dev/null
	agent_pid=
}

agent_kill() {
	[ -n "$agent_pid" ] || return 0
	kill -KILL "$agent_pid" 2>/dev/null
	wait "$agent_pid" 2>/dev/null
	agent_pid=
	rm -f "$SOCK"
}

req() {
	$CLIENT "$SOCK" "$@"
}

# jget JSON 'python expression on o' -> prints the value (json for non-str)
jget() {
	python3 -c '
import json, sys
o = json.loads(sys.argv[1])
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}

# Wait until VM reaches state (via status), up to SECS.
vm_state() {
	jget "$(req "{\"cmd\":\"status\",\"name\":\"$1\"}")" 'o["result"]["vm"]["state"]' 2>/dev/null
}

wait_state() {
	local name=$1 want=$2 secs=${3:-20}
	wait_for "$secs" sh -c "[ \"\$($CLIENT '$SOCK' '{\"cmd\":\"status\",\"name\":\"$name\"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"result\"][\"vm\"][\"state\"])')\" = '$want' ]"
}

wait_for() {
	local secs=$1; shift
	local end=$(( $(date +%s) + secs ))
	while ! "$@" 2>/dev/null; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
	return 0
}

ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_fail=$((tap_fail + 1))
	fi
}

is() {
	tap_n=$((tap_n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $tap_n - $3"
	else
		echo "not ok $tap_n - $3"
		echo "#   got: '$1'"
		echo "#  want: '$2'"
		tap_fail=$((tap_fail + 1))
	fi
}

like() {
	tap_n=$((tap_n + 1))
	case "$1" in
	*$2*)	echo "ok $tap_n - $3" ;;
	*)	echo "not ok $tap_n - $3"
		echo "#   got: '$1'"
		echo "#  want to contain: '$2'"
		tap_fail=$((tap_fail + 1)) ;;
	esac
}

calls() {
	cat "$ANLASSER_FAKE_DIR/calls.log" 2>/dev/null
}

done_testing() {
	if [ "$tap_fail" -ne 0 ] && [ -f "$T/agent.log" ]; then
		echo "# agent log:"
		sed 's/^/#   /' "$T/agent.log" | tail -40
	fi
	echo "1..$tap_n"
	[ "$tap_fail" -eq 0 ]
}

# --- QEMU driver with the real UEFI test guest ---------------------------
# conf_agent_qemu PORTLOW-PORTHIGH [key=value...]: anlasser.conf for QEMU.
conf_agent_qemu() {
	local ports=$1; shift
	{
		echo "[agent]"
		echo "driver = qemu"
		echo "qemu_accel = tcg"
		echo "uefi_firmware = /usr/share/OVMF/OVMF_CODE_4M.fd"
		echo "uefi_vars_template = /usr/share/OVMF/OVMF_VARS_4M.fd"
		echo "vnc_ports = $ports"
		echo "log_dir = $T/log"
		for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}"; done
	} > "$CONF/anlasser.conf"
}

# guest_build: build (or reuse) the cached guest image; sets GUEST.
guest_build() {
	GUEST=${ANLASSER_GUEST_DIR:-$top_builddir/tests/guest/out}
	"$top_srcdir/tests/guest/build-guest.sh" "$GUEST" >"$T/guest-build.log" 2>&1
}

# conf_vm_guest NAME [key=value...]: a VM booting a private copy of the
# guest disk (the cached image is never written to).
conf_vm_guest() {
	local name=$1; shift
	mkdir -p "$T/vms/$name"
	cp --sparse=always "$GUEST/disk.img" "$T/vms/$name/disk.img"
	conf_vm "$name" disk_sector_size=512 "$@"
}

# vnc_hold PORT: a VNC viewer that connects to 127.0.0.1:PORT, gets
# through the handshake (no password) and stays, as a real viewer holding
# bhyve's one-client server would; vnc_unhold lets go.
vnc_hold() {
	rm -f "$T/held"
	python3 - "$1" "$T/held" <<'EOF' &
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
def recv(n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            sys.exit(1)
        b += d
    return b
recv(12)
s.sendall(b"RFB 003.008\n")
n = recv(1)[0]
recv(n)
s.sendall(b"\x01")
recv(4)
s.sendall(b"\x01")
w, h = struct.unpack(">HH", recv(4))
recv(16)
recv(struct.unpack(">I", recv(4))[0])
open(sys.argv[2], "w").write("%dx%d\n" % (w, h))
time.sleep(600)
EOF
	vnc_holder_pid=$!
	wait_for 10 test -s "$T/held"
}

vnc_unhold() {
	[ -n "$vnc_holder_pid" ] || return 0
	kill "$vnc_holder_pid" 2>/dev/null
	wait "$vnc_holder_pid" 2>/dev/null
	vnc_holder_pid=
}
