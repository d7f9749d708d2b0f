#!/bin/bash
# The serial console with the bhyve driver, against the tool doubles:
# capture with nobody attached, console-log, attaching (scrollback, live
# output, input, several viewers), capture across an agent kill -9 and a
# guest reboot, a stalled viewer that must not hold anything up, log
# rotation, and the errors.
#
# ANLASSER_NMDM_DIR points the monitor at $T/nmdm: on Linux it makes a
# pseudo-terminal there and links the slave as nmdm-NAME-1A, the com1
# path tests/fake/bhyve writes its console lines to.  The test opens that
# slave itself to play the guest: read what viewers type, write a flood.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init

export ANLASSER_NMDM_DIR="$T/nmdm"
mkdir -p "$ANLASSER_NMDM_DIR"
LOG="$T/logs/console"		# made by the monitor
conf_agent console_log_max_kb=16 console_log_keep=5
sed -i "s|^log_dir = .*|log_dir = $LOG|" "$CONF/anlasser.conf"
conf_vm vm1
conf_vm quiet console=no
TTY="$ANLASSER_NMDM_DIR/nmdm-vm1-1A"

# The protocol side of the console, in python: con.py SCENARIO ARGS.
cat > "$T/con.py" <<'EOF'
import json, os, socket, sys, threading, time

SOCK = os.environ["ANLASSER_SOCKET"]


def attach(name):
    """Ask for the console; the reply and the bytes after it."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCK)
    s.sendall(json.dumps({"cmd": "console", "name": name}).encode() + b"\n")
    buf = b""
    s.settimeout(10)
    while b"\n" not in buf:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    line, _, rest = buf.partition(b"\n")
    return s, json.loads(line or b"null"), rest


class Reader(threading.Thread):
    """Collects what a viewer receives, until EOF."""
    def __init__(self, s, rest=b""):
        super().__init__(daemon=True)
        self.s, self.data, self.eof = s, bytearray(rest), False
        self.start()

    def run(self):
        self.s.settimeout(None)
        while True:
            try:
                d = self.s.recv(65536)
            except OSError:
                d = b""
            if not d:
                self.eof = True
                return
            self.data += d

    def wait(self, what, secs):
        end = time.time() + secs
        while time.time() < end:
            if what in self.data:
                return True
            if self.eof:
                return False
            time.sleep(0.05)
        return False


def request(obj):
    t0 = time.time()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(SOCK)
    s.sendall(json.dumps(obj).encode() + b"\n")
    buf = b""
    while b"\n" not in buf:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    s.close()
    return json.loads(buf.partition(b"\n")[0]), time.time() - t0


def guest_read(fd, want, secs):
    """What viewers typed, as the guest reads it from its tty."""
    got, end = b"", time.time() + secs
    while want not in got and time.time() < end:
        try:
            got += os.read(fd, 4096)
        except BlockingIOError:
            time.sleep(0.05)
    return got


def out(k, v):
    print("%s=%s" % (k, v))


def scenario_attach(name, tty):
    fd = os.open(tty, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    s1, r1, rest1 = attach(name)
    out("reply", json.dumps(r1, sort_keys=True))
    v1 = Reader(s1, rest1)
    out("replay_boot", int(v1.wait(b"fake bhyve %s: boot 1\r\n" %
                                   name.encode(), 5)))
    n = len(v1.data)
    end = time.time() + 5
    while time.time() < end and b" s\r\n" not in v1.data[n:]:
        time.sleep(0.05)
    out("live", int(b" s\r\n" in v1.data[n:]))
    s1.sendall(b"typed-by-one\r")
    out("guest_got_one", int(b"typed-by-one\r" in
                             guest_read(fd, b"typed-by-one\r", 5)))
    s2, r2, rest2 = attach(name)
    v2 = Reader(s2, rest2)
    os.write(fd, b"marker-for-both\r\n")
    out("both_see", "%d%d" % (v1.wait(b"marker-for-both", 5),
                              v2.wait(b"marker-for-both", 5)))
    s2.sendall(b"typed-by-two\r")
    out("guest_got_two", int(b"typed-by-two\r" in
                             guest_read(fd, b"typed-by-two\r", 5)))
    s1.close()
    s2.close()


def scenario_reboot(name):
    s, r, rest = attach(name)
    v = Reader(s, rest)
    reply, _ = request({"cmd": "reset", "name": name})
    out("reset_ok", json.dumps(reply.get("ok")))
    out("viewer_sees_boot2", int(v.wait(b"fake bhyve %s: boot 2" %
                                        name.encode(), 15)))
    out("viewer_still_open", int(not v.eof))
    s.close()


def scenario_stall(name, tty):
    stalled, r, _ = attach(name)          # asks, never reads again
    out("stalled_reply", json.dumps(r.get("ok")))
    s, r, rest = attach(name)
    live = Reader(s, rest)
    _, lat = request({"cmd": "list"})
    out("list_fast", int(lat < 1.0))
    fd = os.open(tty, os.O_RDWR | os.O_NOCTTY)
    line = b"flood %07d " + b"x" * 80 + b"\r\n"
    total, i, n, worst = 0, 0, 0, 0.0
    chunk = b""
    while total < 4 * 1024 * 1024:
        chunk += line % i
        i += 1
        if len(chunk) >= 65536:
            os.write(fd, chunk)
            total += len(chunk)
            chunk = b""
            n += 1
            time.sleep(0.02)    # ~3 MB/s, faster than any real UART
            if n % 8 == 0:
                _, lat = request({"cmd": "status", "name": name})
                worst = max(worst, lat)
    os.write(fd, chunk + b"flood-end\r\n")
    out("flood_bytes", total)
    out("status_during_flood_fast", int(worst < 2.0))
    out("live_gets_all", int(live.wait(b"flood-end\r\n", 30)))
    out("live_lines", live.data.count(b"flood "))
    out("flood_lines", i)
    # The stalled one was cut off: reading it now ends in EOF, early.
    got = 0
    stalled.settimeout(10)
    try:
        while True:
            d = stalled.recv(65536)
            if not d:
                break
            got += len(d)
        out("stalled_eof", 1)
    except socket.timeout:
        out("stalled_eof", 0)
    out("stalled_cut", int(got < total))
    s.close()


def scenario_eof(name):
    s, r, rest = attach(name)
    v = Reader(s, rest)
    reply, _ = request({"cmd": "stop", "name": name, "wait": True})
    out("stopped", reply["result"]["state"])
    out("viewer_eof", int(v.wait(b"\0never", 10) or v.eof))


globals()["scenario_" + sys.argv[1]](*sys.argv[2:])
EOF
con() {
	python3 "$T/con.py" "$@" 2>>"$T/con.err"
}
val() {		# val KEY: the value from the last scenario's output
	printf '%s\n' "$res" | sed -n "s/^$1=//p"
}
clog() {	# clog NAME LINES: console-log lines, one per line
	req "{\"cmd\":\"console-log\",\"name\":\"$1\",\"lines\":$2}" |
	    python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["result"]["lines"]))'
}

agent_start
ok $? "agent starts"

# --- capture with nobody attached --------------------------------------
r=$(req '{"cmd":"start","name":"vm1","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running "vm1 starts"
argv=$(jget "$(req '{"cmd":"show-command","name":"vm1"}')" '" ".join(o["result"]["argv"])')
like "$argv" "-l com1,$TTY " "com1 is the console pair's A side (ANLASSER_NMDM_DIR)"
python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDWR|os.O_NOCTTY); sys.exit(not os.isatty(fd))' "$TTY"
ok $? "the monitor made the pair before bhyve ran: $TTY is a tty"
wait_for 10 sh -c "$CLIENT '$SOCK' '{\"cmd\":\"console-log\",\"name\":\"vm1\"}' | grep -q 'fake bhyve vm1: up 1 s'"
ok $? "boot messages land in console-log with nobody attached"
is "$(clog vm1 50 | sed -n 1p)" "fake bhyve vm1: boot 1" "console-log: CR LF line ends stripped, oldest first"
is "$(stat -c %a "$LOG")" 750 "the log directory is made with mode 0750"
is "$(stat -c %a "$LOG/vm1.console.log")" 640 "the log file is 0640, not world-readable"
is "$(clog vm1 2 | wc -l)" 2 "console-log lines=2 gives two lines"
printf 'progress 10%%\rprogress 99%%\r\n\033[1;33mcoloured\033[0m text\033[6n\r\n' > "$TTY"
python3 -c 'import sys; sys.stdout.write("L" * 10000 + "\r\n")' > "$TTY"
wait_for 5 sh -c "$CLIENT '$SOCK' '{\"cmd\":\"console-log\",\"name\":\"vm1\",\"lines\":1}' | grep -q LLL"
out=$(clog vm1 10)
like "$out" "$(printf '\nprogress 99%%\ncoloured text\n')" \
    "console-log: escape sequences removed, CR overwrites"
is "$(printf '%s\n' "$out" | grep '^LLL' | tr -d '\n' | wc -c)" 4096 \
    "console-log: a 10000-byte line is cut to 4096"

# --- attach ------------------------------------------------------------
res=$(con attach vm1 "$TTY")
is "$(val reply)" '{"ok": true, "result": {"name": "vm1"}}' "console: ok reply, then the stream"
is "$(val replay_boot)" 1 "a new viewer gets the scrollback (boot line)"
is "$(val live)" 1 "... then the live output"
is "$(val guest_got_one)" 1 "what the viewer types reaches the guest's tty"
is "$(val both_see)" 11 "two viewers both see the guest's output"
is "$(val guest_got_two)" 1 "the second viewer may type too"

# --- agent killed and restarted: capture goes on ------------------------
before=$(clog vm1 20 | sed -n 's/^fake bhyve vm1: up \([0-9]*\) s$/\1/p' | tail -1)
agent_kill
sleep 3
agent_start
ok $? "agent restarts after kill -9"
wait_state vm1 running 10
ok $? "vm1 is still running under its monitor"
wait_for 5 sh -c "[ \$($CLIENT '$SOCK' '{\"cmd\":\"console-log\",\"name\":\"vm1\",\"lines\":1}' | grep -o 'up [0-9]*' | cut -c4-) -gt $((before + 3)) ]"
ok $? "new lines keep appearing in console-log (was: up $before s)"
ups=$(clog vm1 100 | sed -n 's/^fake bhyve vm1: up \([0-9]*\) s$/\1/p' |
    awk -v b="$before" '$1 >= b' | tr '\n' ' ')
want=$(seq -s ' ' "$before" "$(echo $ups | awk '{print $NF}')")
is "$ups" "$want " "nothing was lost while the agent was down"

# --- guest reboot: the console stays ----------------------------------
res=$(con reboot vm1)
is "$(val reset_ok)" true "reset accepted"
is "$(val viewer_sees_boot2)" 1 "an attached viewer sees the guest boot again"
is "$(val viewer_still_open)" 1 "... on the same connection"
clog vm1 100 | grep >/dev/null '^fake bhyve vm1: boot 2$'
ok $? "console-log has the second boot"

# --- a stalled viewer holds nothing up ---------------------------------
res=$(con stall vm1 "$TTY")
is "$(val stalled_reply)" true "a viewer that never reads attaches"
is "$(val list_fast)" 1 "other requests are answered at once"
is "$(val status_during_flood_fast)" 1 "... also while the guest floods its console"
is "$(val live_gets_all)" 1 "another viewer gets the whole flood"
is "$(val live_lines)" "$(val flood_lines)" "... every line of it"
is "$(val stalled_eof)" 1 "the stalled viewer is disconnected"
is "$(val stalled_cut)" 1 "... before it got the whole flood"
like "$(cat "$T/agent.log")" "vm1: a console client fell 1024 KiB behind; disconnected" \
    "the agent logs why"
wait_for 5 sh -c "$CLIENT '$SOCK' '{\"cmd\":\"console-log\",\"name\":\"vm1\",\"lines\":20}' | grep -q flood-end"
ok $? "console-log has the flood's last line"

# --- rotation ---------------------------------------------------------
size=$(stat -c %s "$LOG/vm1.console.log")
ok $(( size > 16384 )) "the log is at most console_log_max_kb (16 KiB): $size bytes"
ok $(( $(stat -c %s "$LOG/vm1.console.log.1") > 16384 )) "... and so is NAME.console.log.1"
test -f "$LOG/vm1.console.log.5" && ! test -e "$LOG/vm1.console.log.6"
ok $? "console_log_keep=5 old logs are kept, no more"
is "$(stat -c %a "$LOG/vm1.console.log.5")" 640 "rotated logs keep mode 0640"
n=$(clog vm1 400 | wc -l)
is "$n" 400 "console-log lines=400 reaches back into the rotated files"
r=$(req '{"cmd":"console-log","name":"vm1","lines":10000}')
n=$(jget "$r" 'len(o["result"]["lines"])')
ok $(( ${#r} > 65536 || n < 500 )) "lines=10000: as many lines as fit in a 64 KiB reply ($n lines, ${#r} bytes)"

# --- stop: viewers get EOF, the log stays -------------------------------
res=$(con eof vm1)
is "$(val stopped)" stopped "vm1 stops"
is "$(val viewer_eof)" 1 "an attached viewer sees the connection close"
test ! -e "$TTY"
ok $? "the console link is removed after the VM stopped"
clog vm1 50 | grep >/dev/null flood-end
ok $? "console-log works while the VM is stopped"

# --- errors -----------------------------------------------------------
r=$(req '{"cmd":"console","name":"vm1"}')
is "$(jget "$r" 'o["error"]["code"]')" not-running "console of a stopped VM: not-running"
like "$(jget "$r" 'o["error"]["message"]')" "vm1" "... naming the VM"
req '{"cmd":"start","name":"quiet","wait":true}' >/dev/null
r=$(req '{"cmd":"console","name":"quiet"}')
is "$(jget "$r" 'o["error"]["code"]')" failed "console with console = no: failed"
like "$(jget "$r" 'o["error"]["message"]')" "quiet has no serial console" "... saying why"
r=$(req '{"cmd":"console-log","name":"quiet"}')
is "$(jget "$r" 'o["error"]["code"]')" failed "console-log with console = no: failed"
argv=$(jget "$(req '{"cmd":"show-command","name":"quiet"}')" '" ".join(o["result"]["argv"])')
case "$argv" in *com1*) false ;; *) true ;; esac
ok $? "no com1 for console = no"
req '{"cmd":"poweroff","name":"quiet","wait":true}' >/dev/null

done_testing
