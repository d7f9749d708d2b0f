#!/bin/bash
# The VM screen view (v) against VNC servers that misbehave, through tmux:
# the bhyve double serves each VM's screen with tests/fake/rfbserver.py,
# told by NAME.behave to stall in the middle of a frame, to change its
# resolution or to vanish.  The view must keep answering keys while the
# server hangs, follow a resize, and connect again when the server comes
# back.  Also the pixel view's colours: exact on a direct-colour terminal
# (tmux-direct), the nearest palette entry (cube or grey ramp) on a
# 256-colour one.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init
. "$top_srcdir/tests/tui/lib-tmux.sh"

F=$ANLASSER_FAKE_DIR
RFB=$top_srcdir/tests/fake/rfbserver.py

# Pictures: four colour bars (red, green, blue, grey 128) whose edges cut
# through character cells, so the screen is not text; noise that no
# compression shrinks (so a stall lands in the middle of its update).
python3 - "$T" <<'EOF'
import os, sys
t = sys.argv[1]
w, h = 640, 480
bars = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (128, 128, 128)]
edges = [163, 323, 487, w]
row = b"".join(bytes(bars[sum(x >= e for e in edges)]) for x in range(w))
with open(os.path.join(t, "bars.ppm"), "wb") as f:
    f.write(b"P6\n%d %d\n255\n" % (w, h) + row * h)
bars = [(255, 255, 0), (0, 255, 255), (255, 0, 255), (255, 255, 255)]
row = b"".join(bytes(bars[sum(x >= e for e in edges)]) for x in range(w))
with open(os.path.join(t, "bars2.ppm"), "wb") as f:
    f.write(b"P6\n%d %d\n255\n" % (w, h) + row * h)
with open(os.path.join(t, "noise.ppm"), "wb") as f:
    f.write(b"P6\n%d %d\n255\n" % (w, h) + os.urandom(w * h * 3))
EOF

conf_agent vnc_ports=15920-15929
conf_vm bars shutdown_timeout=5 vnc_resolution=640x480
conf_vm hang shutdown_timeout=5 vnc_resolution=640x480
conf_vm grow shutdown_timeout=5 vnc_resolution=640x480
conf_vm gone shutdown_timeout=5 vnc_resolution=640x480
conf_vm noisy shutdown_timeout=5 vnc_resolution=640x480
echo "screen=$T/bars.ppm" >"$F/bars.behave"
# Times count from the server's start (the VM's): each VM is started just
# before its part of the test, which opens the view within a few seconds.
# hang: the first (solid black) frame arrives whole; at 8 s the noise
# update is cut off after 20000 bytes and the server neither sends nor
# reads again.
printf '%s\n' "screen=black" \
    "vnc_args=--stall-after-bytes 20000 --frame-after 8 $T/noise.ppm" \
    >"$F/hang.behave"
printf '%s\n' "screen=black" \
    "vnc_args=--resize-after 8 --resize-to 800x600" \
    >"$F/grow.behave"
printf '%s\n' "screen=black" "vnc_args=--exit-after 8" \
    >"$F/gone.behave"
# noisy: a new random picture every 0.25 s for 25 s (every frame takes
# new colour pairs: more than the terminal has), then bars in colours
# not drawn before (yellow, cyan, magenta, white).
printf '%s\n' "screen=$T/bars2.ppm" "vnc_args=--noise-until 25" \
    >"$F/noisy.behave"
agent_start
shot $? "agent starts"
start_vm() {
	local r
	r=$(req "{\"cmd\":\"start\",\"name\":\"$1\",\"wait\":true}")
	is "$(jget "$r" 'o["result"]["state"]')" running "$1 starts"
}
vnc_port() {
	jget "$(req "{\"cmd\":\"status\",\"name\":\"$1\"}")" \
	    'o["result"]["vm"]["vnc_port"]'
}

# shot STATUS DESC: ok, showing the screen when it is not.
shot() {
	[ "$1" = 0 ] || screen | sed 's/^/# /'
	ok "$1" "$2"
}
# open_view VM: from the list (sorted by name), v on the VM's row.
open_view() {
	local i=0 vm end=$(( $(date +%s) + 10 ))
	until row "$1" | grep -q running; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
	keys Home
	for vm in bars gone grow hang noisy; do
		[ "$vm" = "$1" ] && break
		i=$((i + 1))
	done
	while [ "$i" -gt 0 ]; do keys Down; i=$((i - 1)); done
	keys v
}

# --- colours --------------------------------------------------------------
start_vm bars
tui_start 110 24 TERM=tmux-direct
wait_screen 10 "5 VMs, 1 running"
shot $? "the list shows the VMs"
open_view bars
wait_screen 10 "screen of bars (640x480, pixels)"
shot $? "v on bars: a non-text screen is shown as pixels"
esc=$(screen_esc)
for c in "255;0;0" "0;255;0" "0;0;255" "128;128;128"; do
	like "$esc" "38;2;$c" "direct colour: a bar drawn in exactly $c"
done
keys q
wait_screen 5 "5 VMs, 1 running"
# A screen that changes all its colours with every frame for 25 s.
start_vm noisy
open_view noisy
wait_screen 10 "screen of noisy (640x480, pixels)"
shot $? "noisy: the changing screen is shown as pixels"
wait_for 60 grep -q 'new picture' "$F/noisy.rfb.log"
ok $? "noisy: the noise ends and the server shows the bars"
# All four exact colours at once: no noise frame has those.
bars_exact() {
	local e c
	e=$(screen_esc)
	for c in "255;255;0" "0;255;255" "255;0;255" "255;255;255"; do
		case $e in *"38;2;$c"*) ;; *) return 1 ;; esac
	done
}
end=$(( $(date +%s) + 15 ))
until bars_exact || [ "$(date +%s)" -ge "$end" ]; do sleep 0.2; done
bars_exact
shot $? "noisy: after thousands of colour pairs, the bars come out exact"
keys q
wait_screen 5 "5 VMs, 2 running"
keys q
wait_screen 10 "EXITED=0"
shot $? "the TUI quits"
# A new server for the next terminal type, once the old one is gone.
tm kill-server 2>/dev/null
wait_for 10 sh -c "! tmux -L '$TM_NAME' -f /dev/null ls" 2>/dev/null

tui_start 110 24 TERM=tmux-256color
wait_screen 10 "5 VMs, 2 running"
open_view bars
wait_screen 10 "screen of bars (640x480, pixels)"
shot $? "256 colours: the pixel view is shown"
esc=$(screen_esc)
like "$esc" "38;5;196" "256 colours: red is cube colour 196"
like "$esc" "38;5;46" "256 colours: green is cube colour 46"
like "$esc" "38;5;21" "256 colours: blue is cube colour 21"
like "$esc" "38;5;244" "256 colours: grey 128 is grey-ramp colour 244"

# --- another viewer holds bhyve's one-client server -----------------------
keys Escape
wait_screen 5 "5 VMs, 2 running"
vnc_hold "$(vnc_port bars)"
ok $? "a viewer holds bars' VNC server"
open_view bars
wait_screen 15 "in use by another VNC viewer"
shot $? "busy: the view says another viewer has the screen"
like "$(screen)" "connecting again every 2 s" "busy: ... and that it tries again"
vnc_unhold
wait_screen 20 "screen of bars (640x480, pixels)"
shot $? "busy: once the other viewer leaves, the screen appears by itself"

# --- a server that hangs in the middle of a frame -------------------------
keys Escape
start_vm hang
open_view hang
wait_screen 10 "screen of hang (640x480,"
shot $? "hang: the first frame is shown"
wait_screen 10 "not answering"
shot $? "hang: the title says the server is not answering"
# While it hangs, the view is the user's: help opens and closes, and the
# server is still hanging afterwards (the keys did not wait for it).
keys '?'
wait_screen 3 "back to the list"
shot $? "hang: ? shows the help while the server hangs"
keys Escape
wait_screen 3 "screen of hang"
shot $? "hang: Esc goes back to the screen"
like "$(screen | head -1)" "not answering" \
    "hang: ... which is still waiting for the server (no key waited)"
wait_screen 15 "connecting again"
shot $? "hang: the connection is given up and tried again"
like "$(screen)" "stopped answering" "hang: the view says the server stopped answering"
keys q
wait_screen 5 "5 VMs, 3 running"
shot $? "hang: q goes back to the list at once"

# --- a new resolution -----------------------------------------------------
start_vm grow
open_view grow
wait_screen 10 "screen of grow (640x480,"
shot $? "grow: 640x480 at first"
wait_screen 10 "screen of grow (800x600,"
shot $? "grow: the view follows the resize to 800x600"

# --- a server that vanishes and comes back --------------------------------
keys Escape
start_vm gone
open_view gone
wait_screen 10 "screen of gone"
shot $? "gone: the view opens"
wait_screen 15 "connecting again"
shot $? "gone: the vanished server is shown as lost, with a retry"
port=$(vnc_port gone)
python3 "$RFB" --listen "127.0.0.1:$port" --size 800x600 \
    --ready "$T/gone2.ready" >"$T/gone2.log" 2>&1 &
rfb2=$!
wait_for 10 test -s "$T/gone2.ready"
wait_screen 15 "screen of gone (800x600,"
shot $? "gone: a server back on the port is picked up without a key"
keys q
wait_screen 5 "5 VMs, 5 running"
keys q
wait_screen 10 "EXITED=0"
shot $? "the TUI quits with status 0"
kill "$rfb2" 2>/dev/null
wait "$rfb2" 2>/dev/null

for vm in bars hang grow gone noisy; do
	req "{\"cmd\":\"poweroff\",\"name\":\"$vm\"}" >/dev/null
done
done_testing
