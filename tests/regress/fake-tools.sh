#!/bin/bash
#
# fake-tools.sh -- TAP test of the FreeBSD tool doubles in tests/fake
# (bhyve, bhyvectl, ifconfig, zfs) that the bhyve driver's tests run on
# Linux.  Each case gets its own $ANLASSER_FAKE_DIR; every process started
# here is killed at exit, and the last test checks that none is left.
#
# FAKE_SHELL runs the doubles with another shell (e.g. "busybox sh");
# by default they run under their #! line (/bin/sh).

set -u

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/../..}
fake=$(cd "$top_srcdir/tests/fake" && pwd)
shell=${FAKE_SHELL:-}

for t in timeout socat pgrep ps cksum truncate; do
	if ! command -v $t >/dev/null; then
		echo "1..0 # SKIP $t not installed"
		exit 0
	fi
done

root=$(mktemp -d "${TMPDIR:-/tmp}/fake-tools.XXXXXX") || exit 1
pids=()

# Processes started by the doubles of this run: their environment has
# ANLASSER_FAKE_DIR under $root (this shell never exports it).
strays()
{
	local p

	pgrep -f "$root" 2>/dev/null
	[ -r /proc/self/environ ] || return 0
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = "$BASHPID" ] && continue
		if tr '\0' '\n' 2>/dev/null <"$p/environ" |
		    grep -qF "ANLASSER_FAKE_DIR=$root/"; then
			echo "${p#/proc/}"
		fi
	done | sort -u
}

cleanup()
{
	local p

	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in $(strays); do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$root"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

echo "1..63"
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
	shift
	for l in "$@"; do
		echo "# $l"
	done
}
# check DESC COMMAND...: ok when COMMAND succeeds.
check()
{
	local desc=$1

	shift
	if "$@"; then ok "$desc"; else not_ok "$desc" "failed: $*"; fi
}
# is DESC GOT WANT
is()
{
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "got:  '$2'" "want: '$3'"
	fi
}

# A fresh fake host; $F is its ANLASSER_FAKE_DIR.
ncase=0
newcase()
{
	ncase=$((ncase + 1))
	F=$root/case$ncase
	mkdir -p "$F"
	: >"$F/CODE.fd"
	: >"$F/VARS.fd"
	: >"$F/disk0.img"
	: >"$F/install.iso"
}

# run TOOL ARGS...: run a double in the current case.
run()
{
	local tool=$1

	shift
	ANLASSER_FAKE_DIR=$F $shell "$fake/$tool" "$@"
}

# vm NAME [extra bhyve args]: $args is a bhyve command line like the
# driver's.
vm()
{
	local name=$1

	shift
	args=(-A -H -P -w -u -c cpus=2,sockets=1,cores=2,threads=1 -m 512M
	    -s 0,hostbridge -s 31,lpc -s "4,nvme,$F/disk0.img,sectsz=4096"
	    -s 9,virtio-rnd -s 6,fbuf,tcp=127.0.0.1:5900,w=1600,h=900
	    -s 8,xhci,tablet -l "bootrom,$F/CODE.fd,$F/VARS.fd" "$@" "$name")
}

# start NAME [extra bhyve args]: run bhyve in the background, wait until
# it is up (its pid file exists); $vmpid is its pid.
start()
{
	local name=$1

	shift
	vm "$name" "$@"
	ANLASSER_FAKE_DIR=$F $shell "$fake/bhyve" "${args[@]}" \
	    2>>"$F/$name.err" &
	vmpid=$!
	pids+=("$vmpid")
	for _ in $(seq 100); do
		[ -f "$F/$name.pid" ] && return 0
		kill -0 "$vmpid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# reap PID: wait for it; $st is its status as the shell sees it (128 + N
# for death by signal N).
reap()
{
	wait "$1" 2>/dev/null
	st=$?
}

# no_strays DESC [PID]: nothing the doubles started is still running (but
# PID).  Called right after a double exits, so a sleep(1) it failed to kill
# is still there.
no_strays()
{
	local left

	left=$(strays | grep -vx "${2:-none}")
	if [ -z "$left" ]; then
		ok "$1"
	else
		not_ok "$1" "$(ps -o pid,ppid,args -p "$(echo $left | tr ' ' ',')")"
	fi
}

# alive_after SECONDS PID
alive_after()
{
	sleep "$1"
	kill -0 "$2" 2>/dev/null
}

# ---------------------------------------------------------------- bhyve: start errors

newcase
run bhyve -Z vm1 >/dev/null 2>"$F/err"
st=$?
is "bhyve: unknown option exits 1" "$st" 1
check "bhyve: unknown option prints usage" grep -q '^Usage: bhyve' "$F/err"

run bhyve -A -H >/dev/null 2>&1
is "bhyve: missing VM name exits 1" "$?" 1

run bhyve -A vm1 vm2 >/dev/null 2>&1
is "bhyve: extra operand exits 1" "$?" 1

newcase
run bhyve -A -s 0,hostbridge -l "bootrom,$F/nope.fd,$F/VARS.fd" vm1 \
    2>"$F/err"
st=$?
is "bhyve: missing bootrom exits 4" "$st" 4
check "bhyve: missing bootrom is reported" \
    grep -q "Error opening bootrom \"$F/nope.fd\"" "$F/err"
check "bhyve: a failed start leaves the instance, like the real one" \
    test -e "$F/vmm/vm1"

newcase
run bhyve -A -l "bootrom,$F/CODE.fd,$F/nope.fd" vm1 2>"$F/err"
is "bhyve: missing UEFI vars exits 4" "$?" 4

newcase
vm vm1 -s "3,ahci-cd,$F/gone.iso,ro"
run bhyve "${args[@]}" 2>"$F/err"
st=$?
is "bhyve: missing ahci-cd ISO exits 4" "$st" 4
check "bhyve: missing ISO says Could not open backing file" \
    grep -q "Could not open backing file: $F/gone.iso" "$F/err"

newcase
rm "$F/disk0.img"
vm vm1
run bhyve "${args[@]}" 2>"$F/err"
is "bhyve: missing NVMe disk exits 4" "$?" 4

newcase
vm vm1 -s 4,virtio-rnd
run bhyve "${args[@]}" 2>"$F/err"
is "bhyve: two devices in one slot exit 4" "$?" 4

bad=
for t in bhyve bhyvectl ifconfig zfs; do
	if env -u ANLASSER_FAKE_DIR $shell "$fake/$t" -l >/dev/null \
	    2>"$root/err"; then
		bad="$bad $t(ran)"
	elif ! grep -q 'ANLASSER_FAKE_DIR is not set' "$root/err"; then
		bad="$bad $t(message)"
	fi
done
is "all doubles refuse to run without ANLASSER_FAKE_DIR" "$bad" ""

# ---------------------------------------------------------------- bhyve: runs

newcase
printf 'exit=0,0,1\nafter=0.1\n' >"$F/vm1.behave"
got=
for _ in 1 2 3; do
	vm vm1
	run bhyve "${args[@]}" 2>>"$F/err"
	got="$got $?"
done
is "bhyve: exit=0,0,1 gives 0, 0, 1 on three runs" "$got" " 0 0 1"
is "bhyve: the run counter counts the runs" "$(cat "$F/vm1.runs")" 3
is "bhyve: calls.log has one line per run" \
    "$(grep -c '^bhyve -A -H -P -w -u -c cpus=2' "$F/calls.log")" 3
check "bhyve: the pid file is gone after the run" test ! -e "$F/vm1.pid"

newcase
ANLASSER_FAKE_DIR=$F "$fake/ifconfig" tap7 create
start vm1 -s 5,virtio-net,tap7,mac=58:9c:fc:00:00:01 -D
if [ "$(cat "$F/vm1.pid" 2>/dev/null)" = "$vmpid" ] &&
    [ -e "$F/vmm/vm1" ]; then
	ok "bhyve: a running VM has its pid file and vmm/NAME"
else
	not_ok "bhyve: a running VM has its pid file and vmm/NAME"
fi
check "bhyve: the running VM's tap is UP and opened by bhyve" \
    grep -q "Opened by PID $vmpid" <(run ifconfig tap7)
vm vm1
run bhyve "${args[@]}" 2>"$F/err2"
st=$?
is "bhyve: a second bhyve for a running VM exits 4" "$st" 4
check "bhyve: ... with vm_reinit: Device busy" \
    grep -q 'vm_reinit: Device busy' "$F/err2"
kill -TERM "$vmpid"
reap "$vmpid"
is "bhyve: SIGTERM (sigterm=poweroff) exits 1" "$st" 1
check "bhyve: -D and a power off destroy vmm/NAME" test ! -e "$F/vmm/vm1"
check "bhyve: the tap is down after bhyve exits" \
    grep -q '^tap7: flags=8802<BROADCAST,SIMPLEX,MULTICAST>' \
    <(run ifconfig tap7)

newcase
start vm1
kill -TERM "$vmpid"
reap "$vmpid"
is "bhyve: SIGTERM without -D exits 1" "$st" 1
check "bhyve: without -D the instance stays" test -e "$F/vmm/vm1"

newcase
echo sigterm=ignore >"$F/vm1.behave"
start vm1
kill -TERM "$vmpid"
check "bhyve: sigterm=ignore keeps running after 1 s" alive_after 1 "$vmpid"
run bhyvectl --vm=vm1 --force-poweroff
reap "$vmpid"
is "bhyve: then --force-poweroff makes it exit 1" "$st" 1

newcase
echo sigterm=die >"$F/vm1.behave"
start vm1
kill -TERM "$vmpid"
reap "$vmpid"
is "bhyve: sigterm=die is killed by SIGTERM (143)" "$st" 143
no_strays "bhyve: killed by SIGTERM, it leaves no sleep behind"
if [ -e "$F/vmm/vm1" ] && [ ! -e "$F/vm1.pid" ]; then
	ok "bhyve: after the kill vmm/NAME stays and the pid file is gone"
else
	not_ok "bhyve: after the kill vmm/NAME stays and the pid file is gone"
fi

newcase
printf 'exit=ABRT\nafter=0.1\n' >"$F/vm1.behave"
vm vm1
(ulimit -c 0; run bhyve "${args[@]}") 2>/dev/null
is "bhyve: exit=ABRT dies by SIGABRT" "$?" 134

newcase
printf 'exit=1\nafter=0.1\n' >"$F/vm1.behave"
printf 'exit=0\nafter=0.1\n' >"$F/vm2.behave"
vm vm1 -D
run bhyve "${args[@]}" 2>/dev/null
vm vm2 -D
run bhyve "${args[@]}" 2>/dev/null
if [ ! -e "$F/vmm/vm1" ] && [ -e "$F/vmm/vm2" ]; then
	ok "bhyve: -D destroys on exit 1 only, not on exit 0"
else
	not_ok "bhyve: -D destroys on exit 1 only, not on exit 0"
fi

# ---------------------------------------------------------------- bhyvectl

newcase
start vm1
run bhyvectl --vm=vm1 --force-reset
reap "$vmpid"
is "bhyvectl --force-reset: bhyve exits 0" "$st" 0
no_strays "bhyve: ended by a signal, it leaves no sleep behind"

start vm1
run bhyvectl --vm=vm1 --force-poweroff
reap "$vmpid"
is "bhyvectl --force-poweroff: bhyve exits 1" "$st" 1

start vm1
run bhyvectl --vm=vm1 --destroy
reap "$vmpid"
if [ "$st" = 4 ] && [ ! -e "$F/vmm/vm1" ]; then
	ok "bhyvectl --destroy: running bhyve exits 4, instance gone"
else
	not_ok "bhyvectl --destroy: running bhyve exits 4, instance gone" \
	    "status $st"
fi

run bhyvectl --vm=vm1 --destroy 2>"$F/err"
st=$?
is "bhyvectl --destroy of a missing VM: real message, exit 1" \
    "$st $(cat "$F/err")" \
    "1 vm_open: vm1 could not be opened: No such file or directory"

run bhyvectl --vm=vm2 --create
run bhyvectl --vm=vm2 --destroy
st=$?
if [ $st = 0 ] && [ ! -e "$F/vmm/vm2" ]; then
	ok "bhyvectl --destroy of an idle instance removes it"
else
	not_ok "bhyvectl --destroy of an idle instance removes it"
fi

# ---------------------------------------------------------------- console

newcase
mkdir -p "$F/dev"
socat -u PTY,link="$F/dev/nmdm-vm1-1A",rawer \
    OPEN:"$F/console.out",creat,append 2>/dev/null &
socat_pid=$!
pids+=("$socat_pid")
for _ in $(seq 50); do
	[ -e "$F/dev/nmdm-vm1-1A" ] && break
	sleep 0.1
done
start vm1 -l com1,/dev/nmdm-vm1-1A
sleep 1.5
run bhyvectl --vm=vm1 --force-poweroff
reap "$vmpid"
no_strays "bhyve: its console writer ends with it" "$socat_pid"
sleep 0.2
kill "$socat_pid" 2>/dev/null
wait "$socat_pid" 2>/dev/null
if grep -q '^fake bhyve vm1: boot 1'$'\r''$' "$F/console.out" &&
    grep -q '^fake bhyve vm1: up 1 s'$'\r''$' "$F/console.out"; then
	ok "bhyve: console lines reach a pty standing in for nmdm"
else
	not_ok "bhyve: console lines reach a pty standing in for nmdm" \
	    "$(od -c "$F/console.out" | head -5)"
fi

# ---------------------------------------------------------------- ifconfig

newcase
run ifconfig bridge0 create
a=$(run ifconfig tap create)
b=$(run ifconfig tap create)
is "ifconfig tap create prints tap0, then tap1" "$a $b" "tap0 tap1"
run ifconfig tap0 destroy
is "ifconfig tap create reuses the lowest free unit" \
    "$(run ifconfig tap create)" tap0
is "ifconfig -l lists all on one line" "$(run ifconfig -l)" \
    "bridge0 tap0 tap1"

run ifconfig tap1 create 2>"$F/err"
is "ifconfig: creating an existing interface fails" \
    "$? $(cat "$F/err")" "1 ifconfig: SIOCIFCREATE2 (tap1): File exists"

run ifconfig bridge7 addm tap0 2>"$F/err"
is "ifconfig: addm to a missing bridge fails" \
    "$? $(cat "$F/err")" "1 ifconfig: interface bridge7 does not exist"

run ifconfig bridge0 addm tap9 2>"$F/err"
is "ifconfig: addm of a missing member fails" \
    "$? $(cat "$F/err")" "1 ifconfig: BRDGADD tap9: No such file or directory"

run ifconfig tap0 descr "anlasser/vm1/0" group anlasser up
run ifconfig bridge0 addm tap0 addm tap1 up
out=$(run ifconfig bridge0)
if grep -q '^	member: tap0 flags=' <<<"$out" &&
    grep -q '^	member: tap1 flags=' <<<"$out"; then
	ok "ifconfig: addm shows member: lines on the bridge"
else
	not_ok "ifconfig: addm shows member: lines on the bridge" "$out"
fi
out=$(run ifconfig tap0)
if grep -q '^	description: anlasser/vm1/0$' <<<"$out" &&
    grep -q '^	groups: tap anlasser$' <<<"$out" &&
    grep -q '^tap0: flags=8803<UP,' <<<"$out"; then
	ok "ifconfig: descr, group and up show in ifconfig NAME"
else
	not_ok "ifconfig: descr, group and up show in ifconfig NAME" "$out"
fi
is "ifconfig -g lists the group's members" "$(run ifconfig -g anlasser)" tap0
check "ifconfig: calls.log keeps the arguments" \
    grep -qx 'ifconfig tap0 descr anlasser/vm1/0 group anlasser up' \
    "$F/calls.log"
run ifconfig tap1 destroy
if ! run ifconfig bridge0 | grep -q 'member: tap1'; then
	ok "ifconfig: destroying a member takes it off the bridge"
else
	not_ok "ifconfig: destroying a member takes it off the bridge"
fi

newcase
for _ in $(seq 8); do
	run ifconfig tap create >>"$F/names" &
done
wait
is "ifconfig: 8 parallel tap creates get 8 different taps" \
    "$(sort -u "$F/names" | wc -l)" 8

# ---------------------------------------------------------------- zfs

newcase
run zfs create tank
run zfs create tank/vm
run zfs create -o recordsize=1M tank/vm/vm1
mp=$(run zfs get -H -o value mountpoint tank/vm/vm1)
if [ "$mp" = "$F/mnt/tank/vm/vm1" ] && [ -d "$mp" ]; then
	ok "zfs: create makes a mounted dataset; get mountpoint finds it"
else
	not_ok "zfs: create makes a mounted dataset; get mountpoint finds it" \
	    "mountpoint '$mp'"
fi
is "zfs get recordsize: set and default" \
    "$(run zfs get -H -o value recordsize tank/vm/vm1 tank/vm | tr '\n' ' ')" \
    "1M 128K "
is "zfs get keystatus,mounted of an unencrypted dataset" \
    "$(run zfs get -H -o value keystatus,mounted tank/vm | tr '\n' ' ')" \
    "- yes "
run zfs create tank/vm/vm1 2>"$F/err"
is "zfs: creating an existing dataset fails" "$? $(cat "$F/err")" \
    "1 cannot create 'tank/vm/vm1': dataset already exists"
run zfs create tank/nope/vm2 2>"$F/err"
is "zfs: creating without a parent fails" "$? $(cat "$F/err")" \
    "1 cannot create 'tank/nope/vm2': parent does not exist"
is "zfs list -H -o name" "$(run zfs list -H -o name | tr '\n' ' ')" \
    "tank tank/vm tank/vm/vm1 "

# ---------------------------------------------------------------- hang=1

newcase
echo hang=1 >"$F/bhyvectl.behave"
echo hang=1 >"$F/ifconfig.behave"
t0=$SECONDS
ANLASSER_FAKE_DIR=$F timeout 1 $shell "$fake/bhyvectl" --vm=vm1 --destroy
st1=$?
ANLASSER_FAKE_DIR=$F timeout 1 $shell "$fake/ifconfig" -l
st2=$?
secs=$((SECONDS - t0))
if [ $st1 = 124 ] && [ $st2 = 124 ] && [ $secs -ge 2 ]; then
	ok "hang=1: bhyvectl and ifconfig hang until killed"
else
	not_ok "hang=1: bhyvectl and ifconfig hang until killed" \
	    "status $st1 $st2 after $secs s"
fi
# Killed by a plain SIGTERM to the pid (not to a process group), a hung
# double must not leave its sleep behind.
ANLASSER_FAKE_DIR=$F $shell "$fake/ifconfig" -l &
hpid=$!
pids+=("$hpid")
sleep 0.3
kill -TERM "$hpid"
reap "$hpid"
is "hang=1: SIGTERM kills the hung double" "$st" 143
no_strays "hang=1: the killed double leaves no sleep behind"

# ---------------------------------------------------------------- leftovers

no_strays "no process of the doubles is left behind"

[ $n = 63 ] || echo "# ran $n tests, planned 63"
[ $failed = 0 ] && [ $n = 63 ]
