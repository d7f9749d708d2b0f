#!/bin/bash
# The serial console on a real guest under QEMU (OVMF, NVMe, TCG): the
# boot is captured with nobody attached, a viewer types a command and
# reads its output, capture goes on while the agent is killed and
# restarted and across a reset (QEMU runs again, the monitor reconnects
# to its console socket), and the log outlives the VM.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init

guest_build
ok $? "the test guest builds (tests/guest/build-guest.sh)"
conf_agent_qemu 5980-5989
conf_vm_guest cq1 vnc=no console=yes shutdown_timeout=60
agent_start
ok $? "agent starts with the qemu driver"

# type TEXT WANT SECS: attach, type TEXT + CR, wait for WANT in the output.
type_wait() {
	python3 - "$SOCK" "$1" "$2" "$3" 2>>"$T/con.err" <<'EOF'
import json, socket, sys, time
sock, text, want, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock)
s.sendall(b'{"cmd":"console","name":"cq1"}\n')
s.settimeout(0.2)
buf, end, sent = b"", time.time() + secs, False
while time.time() < end:
    try:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    except socket.timeout:
        pass
    line, nl, rest = buf.partition(b"\n")
    if not nl:
        continue
    if not sent:
        print("reply=" + line.decode())
        print("replay_ready=%d" % (b"anlasser-guest: ready" in rest))
        s.sendall(text.encode() + b"\r")
        sent = True
    if want.encode() in rest:
        print("got=1")
        break
else:
    print("got=0")
s.close()
EOF
}
val() {
	printf '%s\n' "$res" | sed -n "s/^$1=//p"
}
log_has() {	# log_has TEXT [COUNT]: console-log holds TEXT (COUNT times)
	[ "$($CLIENT "$SOCK" '{"cmd":"console-log","name":"cq1","lines":1000}' |
	    grep -o "$1" | wc -l)" -ge "${2:-1}" ]
}

r=$(req '{"cmd":"start","name":"cq1","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running "cq1 starts"
wait_for 90 log_has 'anlasser-guest: ready'
ok $? "the boot lands in console-log with nobody attached"
wait_for 30 log_has 'guest# '
ok $? "... up to the shell prompt"
test "$(stat -c %a "$T/log/cq1.console.log")" = 640
ok $? "the log file is $T/log/cq1.console.log, mode 0640"

res=$(type_wait 'echo hello-$((40+2))' hello-42 30)
is "$(val reply)" '{"ok":true,"result":{"name":"cq1"}}' "console: ok, then the stream"
is "$(val replay_ready)" 1 "the viewer gets the scrollback with the boot"
is "$(val got)" 1 "a typed command runs: hello-42 comes back"
wait_for 5 log_has hello-42
ok $? "... and is in console-log"

# Output produced while no agent runs is kept by the monitor.
res=$(type_wait 'sleep 4; echo away-$((3*3))' 'sleep 4' 10)
agent_kill
sleep 6
agent_start
ok $? "agent restarts after kill -9"
wait_state cq1 running 10
ok $? "cq1 still runs"
wait_for 10 log_has away-9
ok $? "what the guest wrote while the agent was down is in console-log"
res=$(type_wait 'echo back-$((50+5))' back-55 30)
is "$(val got)" 1 "attach after the agent restart: typing works"

# A reset: QEMU runs again, the monitor connects to the new console.
r=$(req '{"cmd":"reset","name":"cq1"}')
is "$(jget "$r" 'o["ok"]')" true "reset accepted"
wait_for 90 log_has 'anlasser-guest: ready' 2
ok $? "the second boot is captured too"

r=$(req '{"cmd":"stop","name":"cq1","wait":true}')
is "$(jget "$r" 'o["result"]["outcome"]')" graceful "cq1 stops on the power button"
log_has back-55
ok $? "console-log works after the VM stopped"
wait_for 10 sh -c "! pgrep -f 'unix:$T/run/cq1[.]qmp' >/dev/null"
ok $? "no QEMU process is left"

done_testing
