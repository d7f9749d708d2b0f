#!/bin/bash
# The VM's screen over VNC with the bhyve driver: the bhyve double serves
# the fbuf device's VNC like bhyve's RFB server (tests/fake/rfbserver.py:
# one client at a time, Raw/Zlib only, SetPixelFormat ignored, VNC auth).
# Through the real agent and anlasser-tui: screen reads a captured OVMF
# shell exactly, its colours are not swapped, send-keys arrives (Shift
# added), a second viewer gets "in use", passwords (vnc_password,
# ANLASSER_VNC_PASSWORD, wrong, missing), fbuf wait, a taken port, and
# the server's life ending with bhyve's.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init

FRAMES="$top_srcdir/tests/unit/frames"
RFB="$FAKE/rfbserver.py"
F=$ANLASSER_FAKE_DIR
PORT_TAKEN=15910		# outside vnc_ports, held by the test
taker_pid=

run() {
	out=$("$TUI" "$@" 2>"$T/stderr")
	rc=$?
	err=$(cat "$T/stderr")
}

# refused PORT: nothing listens there.
refused() {
	python3 -c '
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2).close()
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)' "$1"
}

python3 "$RFB" --selftest >"$T/selftest" 2>&1
ok $? "rfbserver.py --selftest: DES test vectors and VNC's key"

conf_agent vnc_ports=15900-15909
conf_vm s1 shutdown_timeout=2
conf_vm p1 shutdown_timeout=2 vnc_password=se%ret12
conf_vm np shutdown_timeout=2
conf_vm w1 shutdown_timeout=2 vnc_wait_connect=yes
conf_vm tk shutdown_timeout=2 "vnc_port=$PORT_TAKEN"
conf_vm fc shutdown_timeout=2
conf_vm st shutdown_timeout=2
echo "screen=$FRAMES/ovmf-shell.ppm.gz" >"$F/s1.behave"
echo "screen=$FRAMES/ovmf-shell.ppm.gz" >"$F/p1.behave"
# A server with a password the VM's file does not know.
printf 'screen=%s\nvnc_args=--password hidden\n' \
    "$FRAMES/ovmf-shell.ppm.gz" >"$F/np.behave"
echo "screen=black" >"$F/tk.behave"
# The guest changes its picture: OVMF, then a Linux framebuffer console.
printf 'screen=%s\nvnc_args=--frame-after 2 %s\n' \
    "$FRAMES/ovmf-shell.ppm.gz" "$FRAMES/linux-fbcon.ppm.gz" >"$F/fc.behave"
# A server that hangs in the middle of the first frame.
printf 'screen=%s\nvnc_args=--stall-after-bytes 5000\n' \
    "$FRAMES/ovmf-shell.ppm.gz" >"$F/st.behave"
agent_start
ok $? "agent starts with the bhyve driver and doubles"

# --- the screen ---------------------------------------------------------
r=$(req '{"cmd":"start","name":"s1","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running "s1 starts"
like "$(grep '^bhyve .* s1$' "$F/calls.log" | tail -1)" \
    "-s 6,fbuf,tcp=127.0.0.1:15900,w=1600,h=900 " \
    "bhyve gets the fbuf device on the first port of vnc_ports"
test -s "$F/s1.rfb.ready"
ok $? "bhyve's VNC server listens once bhyve runs"

t0=$(date +%s)
"$TUI" --batch screen s1 >"$T/screen" 2>"$T/stderr"
is "$?" 0 "screen exits 0"
# bhyve sends nothing while the screen does not change: screen must not
# wait for more updates until its overall timeout.
el=$(( $(date +%s) - t0 ))
[ "$el" -le 5 ]
ok $? "screen of an unchanging screen answers within 5 s (took $el s)"
diff -u "$FRAMES/ovmf-shell.txt" "$T/screen" >"$T/diff"
ok $? "screen prints the OVMF shell exactly as a user sees it"
[ -s "$T/diff" ] && sed 's/^/#   /' "$T/diff" | head -20
is "$(cat "$T/stderr")" "" "... and nothing on stderr"
grep -q 'set pixel format ignored' "$F/s1.rfb.log"
ok $? "the server ignored the client's SetPixelFormat, as bhyve does"
grep -q '^[0-9.]* encodings 6 0 .*-223' "$F/s1.rfb.log"
ok $? "the client asks for Zlib, Raw and DesktopSize"

run --batch screen s1 --json
is "$rc" 0 "screen --json exits 0"
is "$(jget "$out" 'o["grid"]["font"]')" edk2-8x19 "--json: the EDK2 font"
is "$(jget "$out" '[o["resolution"]["width"], o["resolution"]["height"]]')" \
    "[1600, 900]" "--json: bhyve's 1600x900 screen"
is "$(jget "$out" '[len(o["unrecognised"]), o["text"]]')" "[0, true]" \
    "--json: every cell recognised, the screen is text"
is "$(jget "$out" 'o["rows"][3]')" "Mapping table" "--json: rows as read"

# --- keys -----------------------------------------------------------------
: >"$F/s1.keys"
run --batch send-keys s1 'a~' Enter
is "$rc" 0 "send-keys exits 0"
wait_for 5 grep -q '^0xff0d up$' "$F/s1.keys"
want="0x0061 down 0x0061 up"
want="$want 0xffe1 down 0x007e down 0x007e up 0xffe1 up"
want="$want 0xff0d down 0xff0d up"
is "$(tr '\n' ' ' <"$F/s1.keys")" "$want " \
    "the server gets the keys, Shift around the shifted symbol"

# --- colours: the preview in a terminal -------------------------------------
. "$top_srcdir/tests/tui/lib-tmux.sh"
tui_start 120 40
wait_screen 10 "s1"
keys / s 1
wait_gone 3 "p1 "
keys Enter
keys v
wait_screen 20 "Mapping table"
ok $? "the preview shows the VM's screen"
# The word's colour: the last SGR before it (tmux writes 1m then 33m).
sgr=$(screen_esc | grep -a 'Mapping' | sed 's/Mapping.*//' |
    grep -ao $'\e\\[[0-9;]*m' | grep -v $'\e\\[1m' | tail -1)
case "$sgr" in
*'[33m' | *';33m' | *'[93m' | *';93m') colour=yellow ;;
*'[36m' | *';36m' | *'[96m' | *';96m') colour=cyan ;;
*) colour="other: ${sgr#?}" ;;
esac
is "$colour" yellow \
    "the yellow 'Mapping table' is yellow (red and blue not swapped)"
keys Escape
wait_screen 5 "Anlasser: VMs"
ok $? "Esc goes back to the list"
keys q
tui_exited
ok $? "the TUI quits"

# --- one client at a time ---------------------------------------------------
vnc_hold 15900
ok $? "another viewer connects to s1's screen"
t0=$(date +%s)
run --batch screen s1
is "$rc" 1 \
    "screen while another viewer holds bhyve's one-client server exits 1"
like "$err" "in use by another VNC viewer" "... and says the screen is in use"
ok $(( $(date +%s) - t0 > 10 )) "... within 10 s"
run --batch screen s1 --json
is "$(jget "$out" 'o["error"]["code"]')" busy "--json: error code busy"
vnc_unhold
run --batch screen s1
is "$rc" 0 "once that viewer has gone, screen works again"
like "$out" "Shell> dmem 0 40" "... and shows the screen"

# --- reboot: a new bhyve, a new server on the same port ---------------------
runs=$(cat "$F/s1.runs")
req '{"cmd":"reset","name":"s1"}' >/dev/null
wait_for 15 sh -c \
    "[ \$(cat '$F/s1.runs') -gt $runs ] && test -s '$F/s1.rfb.ready'"
ok $? "after a reset bhyve runs again with its VNC server"
wait_for 10 sh -c \
    "'$TUI' --batch screen s1 2>/dev/null | grep -q '^Mapping table\$'"
ok $? "screen works after the reset (the port was freed and bound again)"

# --- passwords ------------------------------------------------------------
r=$(req '{"cmd":"start","name":"p1","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running "p1 with vnc_password starts"
argv=$(grep '^bhyve .* p1$' "$F/calls.log" | tail -1)
like "$argv" " -k $RUN/p1.bhyve-secrets.conf " \
    "bhyve reads the VNC password from a config file (-k)"
case $argv in *ret12*) r=1 ;; *) r=0 ;; esac
ok $r "... and the password is nowhere on bhyve's command line (ps)"
is "$(stat -c %a "$RUN/p1.bhyve-secrets.conf")" 600 \
    "the config file is mode 0600"
like "$(cat "$RUN/p1.bhyve-secrets.conf")" "pci.0.6.0.password=se%%ret12" \
    "... and holds the fbuf's password, % written %% (bhyve_config(5))"
run --batch screen p1
is "$rc" 0 "screen on p1 works with vnc_password read from p1.ini"
like "$out" "Mapping table" "... and shows the screen"
grep -q 'auth ok' "$F/p1.rfb.log"
ok $? "... after VNC authentication"
ANLASSER_VNC_PASSWORD=se%ret12XYZ run --batch screen p1
is "$rc" 0 \
    "ANLASSER_VNC_PASSWORD works (its first 8 characters count, as in bhyve)"
ANLASSER_VNC_PASSWORD=wrong run --batch screen p1
is "$rc" 1 "a wrong ANLASSER_VNC_PASSWORD exits 1"
like "$err" "p1: " "... the error names the VM"
like "$err" "refused the password" "... and says the password is wrong"
like "$err" "Invalid Password" "... with the server's own words"
echo "# wrong password: $err"
ANLASSER_VNC_PASSWORD=wrong run --batch send-keys p1 x
is "$rc" 1 "send-keys with a wrong password exits 1"
: >"$F/p1.keys"
"$TUI" --batch send-keys p1 Enter >/dev/null 2>&1
wait_for 5 grep -q '^0xff0d up$' "$F/p1.keys"
ok $? "send-keys with the right password reaches the server"

r=$(req '{"cmd":"start","name":"np","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running \
    "np (a server password the VM's file lacks) starts"
run --batch screen np
is "$rc" 1 "screen without the password exits 1"
like "$err" "ANLASSER_VNC_PASSWORD" "... and names ANLASSER_VNC_PASSWORD"
echo "# no password: $err"
ANLASSER_VNC_PASSWORD=hidden run --batch screen np
is "$rc" 0 "... with ANLASSER_VNC_PASSWORD set it works"

# --- fbuf wait: the guest starts when a viewer connects ---------------------
r=$(req '{"cmd":"start","name":"w1"}')
is "$(jget "$r" 'o["ok"]')" true "w1 with vnc_wait_connect starts"
like "$(grep '^bhyve .* w1$' "$F/calls.log" | tail -1)" ",wait " \
    "bhyve's fbuf device gets wait"
wait_for 10 test -s "$F/w1.rfb.ready"
ok $? "w1's VNC server listens"
sleep 1
test ! -e "$F/w1.runs"
ok $? "... but the guest does not run before a viewer connects"
run --batch send-keys w1 Enter
is "$rc" 0 "send-keys connects to w1"
wait_for 5 test -s "$F/w1.runs"
ok $? "... and then the guest runs"

# --- the guest changes its screen; a server that hangs ----------------------
r=$(req '{"cmd":"start","name":"fc","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running "fc starts"
wait_for 40 sh -c \
    "'$TUI' --batch screen fc 2>/dev/null | grep -q '^BusyBox v1.35.0 '"
ok $? "when the guest's picture changes, screen shows the new one (fbcon)"
run --batch screen fc --json
is "$(jget "$out" '[o["grid"]["font"], len(o["unrecognised"])]')" \
    '["linux-8x16", 0]' "--json: the Linux console font, every cell recognised"

r=$(req '{"cmd":"start","name":"st","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running \
    "st (a VNC server that hangs) starts"
t0=$(date +%s)
run --batch screen st
el=$(( $(date +%s) - t0 ))
is "$rc" 1 "screen on a server that hangs mid-frame exits 1"
[ "$el" -le 20 ]
ok $? "... within 20 s (took $el s), it does not hang"
like "$err" "st: " "... with an error naming the VM"
like "$err" "stopped answering" "... saying the server stopped answering"
echo "# hung server: $err"

# --- a port somebody else holds ----------------------------------------------
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
open(sys.argv[2], "w").close()
time.sleep(600)' "$PORT_TAKEN" "$T/taker" &
taker_pid=$!
wait_for 5 test -e "$T/taker"
ok $? "somebody else listens on port $PORT_TAKEN"
r=$(req '{"cmd":"start","name":"tk","wait":true}')
is "$(jget "$r" 'o["ok"]')" false "start with the VNC port taken fails"
like "$(jget "$r" 'o["error"]["message"]')" \
    "tk: the hypervisor failed to start" \
    "... bhyve failing at device init is a start failure"
grep -q "^bind: Address already in use" "$RUN/tk.out"
ok $? "... and bhyve's bind error is in its output (RUNDIR/tk.out)"
kill "$taker_pid" 2>/dev/null
wait "$taker_pid" 2>/dev/null
taker_pid=

# --- the server goes with bhyve ---------------------------------------------
rpid=$(cat "$F/s1.rfb.pid")
r=$(req '{"cmd":"stop","name":"s1","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" stopped "s1 stops"
kill -0 "$rpid" 2>/dev/null
ok $(( ! $? )) "its VNC server is gone with bhyve"
refused 15900
ok $? "... and port 15900 is closed"
run --batch screen s1
is "$rc" 1 "screen on the stopped VM exits 1"
like "$err" "s1: " "... naming the VM"
like "$err" "has no VNC display (not running" \
    "... and saying it has no display (not: connection refused)"
for v in p1 np w1 fc st; do
	req "{\"cmd\":\"poweroff\",\"name\":\"$v\",\"wait\":true}" >/dev/null
done
test -e "$RUN/p1.bhyve-secrets.conf"
ok $(( ! $? )) "the password file is removed when the VM is off"
left=$(pgrep -f "$RFB" | xargs -r ps -o args= -p | grep -c -- "$F/")
is "$left" 0 "no VNC server is left once the VMs are off"

vnc_unhold
done_testing
