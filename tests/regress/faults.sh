#!/bin/bash
# Faults: a hypervisor killed by a signal, a monitor killed, the agent
# killed in the middle of a stop, stale files in the run directory, host
# tools that hang.  Each case checks what a user sees afterwards and that
# nothing leaks (descriptors of the agent, zombies, processes).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init

# ifconfig that hangs on "create" while $T/ifconfig-hang exists (the
# double's own hang=1 would also hang `ifconfig -l`, doubling the wait).
cat >"$T/ifconfig" <<EOF
#!/bin/sh
if [ -e "$T/ifconfig-hang" ] && [ "\$2" = create ]; then
	echo "ifconfig \$*" >>"$ANLASSER_FAKE_DIR/calls.log"
	exec sleep 987
fi
exec "$FAKE/ifconfig" "\$@"
EOF
chmod +x "$T/ifconfig"
conf_agent
sed -i "s|^ifconfig = .*|ifconfig = $T/ifconfig|" "$CONF/anlasser.conf"
$FAKE/ifconfig bridge0 create >/dev/null
conf_vm crash shutdown_timeout=5
conf_vm mon bridge=bridge0
conf_vm mon2
conf_vm stopper shutdown_timeout=8
conf_vm stopper2 shutdown_timeout=1
conf_vm ghost
conf_vm hangpo
conf_vm hangif bridge=bridge0
if ! agent_start; then
	echo "Bail out! the agent does not start"
	sed 's/^/# /' "$T/agent.log"
	exit 1
fi

field() {	# field VM KEY: a field of status
	jget "$(req "{\"cmd\":\"status\",\"name\":\"$1\"}")" "o['result']['vm']['$2']"
}
nfds() {
	ls "/proc/$agent_pid/fd" | wc -l
}
zombies() {
	ps --ppid "$agent_pid" -o stat= 2>/dev/null | grep -c Z
}
lt() {	# lt A B: 0 when A is a number below B, else 1
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a ~ /^[0-9.]+$/ && a + 0 < b + 0) }'
	echo $?
}
absent() {
	local f
	for f in "$@"; do [ ! -e "$f" ] || return 1; done
}
alive_pid() {
	kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}
fds0=$(nfds)
[ "$fds0" -gt 0 ] || echo "Bail out! no /proc/$agent_pid/fd"

# --- the hypervisor killed by a signal ----------------------------------
req '{"cmd":"start","name":"crash","wait":true}' >/dev/null
mpid=$(field crash monitor_pid)
: >"$ANLASSER_FAKE_DIR/calls.log"
kill -SEGV "$(cat "$ANLASSER_FAKE_DIR/crash.pid")"
wait_state crash failed 10
ok $? "bhyve killed by SIGSEGV: the VM is failed"
is "$(field crash last_exit)" signal "... last exit: signal"
like "$(field crash message)" "crash: the guest crashed (signal, hypervisor killed by signal 11" \
    "... the message names the signal"
like "$(calls)" "bhyvectl --vm=crash --destroy" "... the kernel VM is destroyed afterwards"
wait_for 5 sh -c "! kill -0 $mpid 2>/dev/null"
ok $? "... and its monitor has exited"
absent "$RUN/crash.pid" "$RUN/crash.sock"
ok $? "... removing its pid file and socket"

# --- a monitor killed with SIGKILL ------------------------------------------
req '{"cmd":"start","name":"mon","wait":true}' >/dev/null
mpid=$(field mon monitor_pid)
bpid=$(cat "$ANLASSER_FAKE_DIR/mon.pid")
kill -KILL "$mpid"
wait_state mon failed 10
ok $? "monitor killed with SIGKILL: the VM is failed"
is "$(field mon last_exit)" monitor-lost "... last exit: monitor-lost"
is "$(field mon message)" "mon: its monitor died; the hypervisor (pid $bpid) is still running unsupervised" \
    "... and the message says the hypervisor still runs, with its pid"
alive_pid "$bpid"
ok $? "... which is true (the agent did not kill it)"
r=$(req '{"cmd":"start","name":"mon"}')
is "$(jget "$r" 'o["ok"]')" false "starting it again while the old hypervisor runs is refused"
like "$(jget "$r" 'o["error"]["message"]')" "$bpid" "... naming the hypervisor's pid"
alive_pid "$bpid"
ok $? "... and the running guest was not touched"
kill -KILL "$bpid"

req '{"cmd":"start","name":"mon2","wait":true}' >/dev/null
mpid=$(field mon2 monitor_pid)
bpid=$(cat "$ANLASSER_FAKE_DIR/mon2.pid")
# Both dead before the agent looks: the monitor is stopped so that it
# cannot reap the hypervisor, which stays a zombie (nobody reaps orphans
# in some containers: the check must not count zombies as running).
kill -STOP "$mpid"
kill -KILL "$bpid"
wait_for 5 grep -q '^State:.*Z' "/proc/$bpid/status"
kill -KILL "$mpid"
wait_state mon2 failed 10
ok $? "monitor and hypervisor killed together: failed"
is "$(field mon2 message)" "mon2: its monitor died" "... and the message does not claim the hypervisor runs"
# (The bhyve double takes the unreaped zombie for a running bhyve, so the
# start itself may fail here; the agent must not refuse it.)
r=$(req '{"cmd":"start","name":"mon2","wait":true}')
case "$r" in
*"without a monitor"*)	ok 1 "... and the agent lets it start again: $r" ;;
*)			ok 0 "... and the agent lets it start again" ;;
esac
req '{"cmd":"poweroff","name":"mon2","wait":true}' >/dev/null
wait_for 3 test "$(nfds)" = "$fds0"
is "$(nfds)" "$fds0" "the agent holds as many descriptors as before ($fds0)"
is "$(zombies)" 0 "no zombie children"

# --- the agent killed with SIGKILL in the middle of a stop ------------------
printf 'sigterm=ignore\n' >"$ANLASSER_FAKE_DIR/stopper.behave"
printf 'sigterm=ignore\n' >"$ANLASSER_FAKE_DIR/stopper2.behave"
req '{"cmd":"start","name":"stopper","wait":true}' >/dev/null
req '{"cmd":"start","name":"stopper2","wait":true}' >/dev/null
m1=$(field stopper monitor_pid)
m2=$(field stopper2 monitor_pid)
b1=$(cat "$ANLASSER_FAKE_DIR/stopper.pid")
b2=$(cat "$ANLASSER_FAKE_DIR/stopper2.pid")
req '{"cmd":"stop","name":"stopper"}' '{"cmd":"stop","name":"stopper2"}' >/dev/null
is "$(field stopper state) $(field stopper2 state)" "stopping stopping" "two VMs are stopping (guests ignore the button)"
agent_kill
wait_for 10 sh -c "! kill -0 $m2 2>/dev/null"
ok $? "with the agent dead, stopper2's monitor forces the stop and exits"
! alive_pid "$b2"
ok $? "... its hypervisor is gone"
alive_pid "$m1"
ok $? "stopper's monitor is still waiting for its guest"
agent_start
ok $? "a new agent starts"
is "$(field stopper2 state)" stopped "stopper2 is shown stopped"
is "$(field stopper2 outcome)" forced "... with the outcome of the stop: forced"
is "$(field stopper2 last_exit)" poweroff "... last exit: poweroff"
is "$(field stopper state)" stopping "stopper is shown stopping (the new agent found its monitor)"
r=$(req '{"cmd":"stop","name":"stopper","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" stopped "stop with wait on the new agent returns once stopped"
is "$(jget "$r" 'o["result"]["outcome"]')" forced "... forced after shutdown_timeout"
! alive_pid "$b1"
ok $? "... the hypervisor is gone"
like "$(calls)" "bhyvectl --vm=stopper --force-poweroff" "... the monitor used --force-poweroff"

# --- stale files in the run directory ----------------------------------------
agent_kill
sleep 0.1 & dead=$!; wait $dead	# a pid that no longer exists
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$RUN/ghost.sock"
echo "$dead" >"$RUN/ghost.pid"
printf '{"event":"status","name":"ghost","state":"running","monitor_pid":%s,"pid":%s,"started":%s,"last_exit":null,"last_exit_time":0,"final":false}\n' \
    "$dead" "$dead" "$(date +%s)" >"$RUN/ghost.state"
echo '{"event":"status","name":"stopper2","state":"stopped","final":tru' >"$RUN/stopper2.state"
: >"$RUN/crash.state"
agent_start
ok $? "the agent starts with a stale socket, pid file and state file (and broken ones)"
sleep 0.3
fds0=$(nfds)
is "$(field ghost state)" failed "the VM whose monitor vanished with the host is failed, not running"
is "$(field ghost last_exit)" monitor-lost "... last exit: monitor-lost"
like "$(field ghost message)" "ghost: its monitor died" "... saying so"
absent "$RUN/ghost.sock"
ok $? "the stale socket was removed"
is "$(field stopper2 state) $(field crash state)" "stopped stopped" "broken state files: stopped"
r=$(req '{"cmd":"start","name":"ghost","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running "ghost starts over the stale files"
is "$(cat "$RUN/ghost.pid")" "$(field ghost monitor_pid)" "... with a fresh pid file"
req '{"cmd":"poweroff","name":"ghost","wait":true}' >/dev/null
wait_for 3 test "$(nfds)" = "$fds0"
is "$(nfds)" "$fds0" "descriptors of the new agent back to $fds0 afterwards"

# --- host tools that hang -----------------------------------------------------
req '{"cmd":"start","name":"hangpo","wait":true}' >/dev/null
hp=$(cat "$ANLASSER_FAKE_DIR/hangpo.pid")
echo hang=1 >"$ANLASSER_FAKE_DIR/bhyvectl.behave"
: >"$T/ifconfig-hang"
python3 - "$SOCK" "$hp" >"$T/hang.out" 2>&1 <<'EOF' &
import json, os, socket, sys, threading, time
sock, hp = sys.argv[1], int(sys.argv[2])
def ask(q, t=90):
    s = socket.socket(socket.AF_UNIX); s.settimeout(t); s.connect(sock)
    s.sendall(json.dumps(q).encode() + b"\n")
    buf = b""
    while b"\n" not in buf:
        d = s.recv(65536)
        if not d: break
        buf += d
    return json.loads(buf.split(b"\n")[0])
res = {}
def run(key, q):
    t0 = time.time(); r = ask(q); res[key] = (time.time() - t0, r)
t0 = time.time()
th = [threading.Thread(target=run, args=("po", {"cmd": "poweroff", "name": "hangpo", "wait": True})),
      threading.Thread(target=run, args=("if", {"cmd": "start", "name": "hangif", "wait": True}))]
for t in th: t.start()
gone = None; worst = 0
while any(t.is_alive() for t in th):
    t1 = time.time(); ask({"cmd": "list"}, 5); worst = max(worst, time.time() - t1)
    if gone is None:
        try:
            os.kill(hp, 0)
        except ProcessLookupError:
            gone = time.time() - t0
    time.sleep(0.2)
for t in th: t.join()
print("gone", round(gone or 999, 1))
print("worst", round(worst, 3))
for k in ("po", "if"):
    print(k, round(res[k][0], 1), json.dumps(res[k][1]))
EOF
hpid=$!
wait $hpid
rm -f "$ANLASSER_FAKE_DIR/bhyvectl.behave" "$T/ifconfig-hang"
sed 's/^/# /' "$T/hang.out" | cut -c1-200
gone=$(awk '$1 == "gone" { print $2 }' "$T/hang.out")
ok $(lt "$gone" 20) \
    "bhyvectl hangs: poweroff still ends the hypervisor (SIGKILL after the tool timeout) in ${gone}s < 20 s"
po=$(awk '$1 == "po" { print $2 }' "$T/hang.out")
r=$(awk '$1 == "po" { $1 = $2 = ""; print }' "$T/hang.out")
is "$(jget "$r" 'o["result"]["state"]')" stopped "... and the poweroff is answered: stopped (after ${po}s)"
ok $(lt "$po" 45) "... within 45 s"
like "$(grep 'hangpo' "$T/agent.log")" "did not finish within" "... the log names the hanging tool"
r=$(awk '$1 == "if" { $1 = $2 = ""; print }' "$T/hang.out")
is "$(jget "$r" 'o["ok"]')" false "ifconfig hangs: start fails"
like "$(jget "$r" 'o["error"]["message"]')" "hangif: \`$T/ifconfig tap" "... the message names the VM and the tool"
like "$(jget "$r" 'o["error"]["message"]')" "create" "... and what it was doing"
like "$(jget "$r" 'o["error"]["message"]')" "did not finish within 15" "... and that it timed out"
worst=$(awk '$1 == "worst" { print $2 }' "$T/hang.out")
ok $(lt "$worst" 1) \
    "the agent answered list at once all the while (slowest ${worst}s)"
is "$(field hangif state)" failed "hangif is failed"
ok "$(pgrep -x -f "sleep 987" 2>/dev/null | wc -l)" "no hanging tool left behind"
is "$(zombies)" 0 "no zombie children"

agent_stop
done_testing
