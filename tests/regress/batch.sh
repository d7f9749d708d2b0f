#!/bin/bash
# anlasser-tui --batch against a real agent with the bhyve doubles: every
# verb, the JSON shapes, "changed", and the exit statuses (0 done, 1
# refused or failed, 2 usage, 3 unreachable).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init
TUI=$(cd "$(dirname "$TUI")" && pwd)/anlasser-tui	# we cd below

# run ARGS...: run the TUI, $out = stdout, $err = stderr, $rc = status.
run() {
	out=$("$TUI" "$@" 2>"$T/stderr")
	rc=$?
	err=$(cat "$T/stderr")
}

# state_is NAME STATE: does status say so?
state_is() {
	[ "$("$TUI" --batch status "$1" --json 2>/dev/null |
	    python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' \
	    2>/dev/null)" = "$2" ]
}

# is_json: is $out exactly one JSON document?
is_json() {
	printf '%s' "$out" | python3 -c 'import json,sys; json.load(sys.stdin)' \
	    2>/dev/null
}

conf_agent "iso_dirs=$T/iso"
mkdir -p "$T/iso"
truncate -s 1M "$T/iso/debian-12.iso" "$T/iso/freebsd-14.iso"
conf_vm vm1 shutdown_timeout=5
conf_vm vm2 shutdown_timeout=30
conf_vm auto1 autostart=yes
agent_start
ok $? "agent starts"

# --- version, help, usage ---------------------------------------------
run --version
ok $(( rc != 0 )) "--version exits 0"
like "$out" "anlasser-tui " "--version names the program"
run --help
ok $(( rc != 0 )) "--help exits 0"
usage=$(printf '%s\n' "$out" | sed -n '/^usage:/,/^$/p' |
    sed -e 's/^usage: *//' -e 's/^ *//' -e '/^$/d')
synopsis=$(mandoc -T ascii -O width=300 "$top_srcdir/man/anlasser-tui.1" |
    sed 's/.\x08//g' | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' |
    sed -e '1d' -e '$d' -e 's/^ *//' -e '/^$/d')
is "$usage" "$synopsis" "usage lines and the man page SYNOPSIS agree"
is "$(printf '%s\n' "$usage" | grep -c -- '--batch')" 20 \
    "usage shows all 20 verbs"

# --- usage errors: exit 2, nothing on stdout --------------------------
for args in "--batch" "--batch frobnicate" "--batch start" \
    "--batch start vm1 vm2" "--batch start vm1 --boot" \
    "--batch stop vm1 --timeout soon" "--batch list --lines" \
    "--json" "--bogus" "--batch list extra" "--batch screen vm1 --font" \
    "--batch send-keys vm1" "--batch screen"; do
	run $args
	is "$rc:$out" "2:" "usage error: anlasser-tui $args"
done
like "$err" "usage: anlasser-tui" "a usage error prints the usage to stderr"

# --- list and status ----------------------------------------------------
run --batch list
is "$rc" 0 "list exits 0"
like "$(printf '%s\n' "$out" | head -1)" "NAME" "list prints a header"
like "$out" "vm1" "list shows vm1"
like "$out" "auto1" "list shows auto1"
is "$(printf '%s\n' "$out" | awk '$1 == "vm2" { print $2 }')" stopped \
    "list: vm2 is stopped, in the STATE column"

run --batch list --json
is_json
ok $? "list --json prints one JSON document and nothing else"
is "$(jget "$out" 'type(o).__name__')" list "list --json is an array"
is "$(jget "$out" 'len(o)')" 3 "... of three VMs"
is "$(jget "$out" 'sorted(set.intersection(*[set(v) for v in o]) & {"name","state","pid","vcpus","memory_mb","vnc_host","vnc_port","uptime_s","iso","last_exit"})')" \
    '["iso", "last_exit", "memory_mb", "name", "pid", "state", "uptime_s", "vcpus", "vnc_host", "vnc_port"]' \
    "every object has the documented members"
is "$(jget "$out" '[v["pid"] for v in o if v["name"] == "vm1"][0]')" null \
    "a stopped VM has pid null"
is "$(jget "$out" '[v["uptime_s"] for v in o if v["name"] == "vm1"][0]')" \
    null "... and uptime_s null"
is "$(jget "$out" '[v["memory_mb"] for v in o if v["name"] == "vm1"][0]')" \
    256 "memory_mb is a number"

run --batch status vm1
is "$rc" 0 "status exits 0"
like "$out" "state:     stopped" "status shows the state"
run --batch status vm1 --json
is "$(jget "$out" 'o["name"] + " " + o["state"]')" "vm1 stopped" \
    "status --json is the VM object"
is "$(jget "$out" 'o["last_exit"]')" null "last_exit null before any run"

# --- start: changed true, then false ----------------------------------
run --batch start vm1 --json
is "$rc" 0 "start exits 0"
is_json
ok $? "start --json prints only JSON"
is "$(jget "$out" 'o["name"]')" vm1 "start: name"
is "$(jget "$out" 'o["changed"]')" true "first start: changed true"
is "$(jget "$out" 'o["state"]')" running "start returns when running"
run --batch start vm1 --json
is "$rc:$(jget "$out" 'o["changed"]')" "0:false" \
    "second start: exit 0, changed false"
run --batch start vm1
is "$out" "vm1: already running (running)" "start for people: one line"
run --batch status vm1 --json
is "$(jget "$out" 'type(o["pid"]).__name__')" int "running: pid is a number"
is "$(jget "$out" 'type(o["uptime_s"]).__name__')" int \
    "running: uptime_s is a number"
port=$(jget "$out" 'o["vnc_port"]')
ok $(( port < 5900 )) "running: the VNC port ($port)"
run --batch list
like "$(printf '%s\n' "$out" | grep '^vm1 ')" "127.0.0.1:$port" \
    "list shows the VNC address"

# --- restart, reset -------------------------------------------------
run --batch restart vm1 --json
is "$rc:$(jget "$out" 'o["changed"]'):$(jget "$out" 'o["state"]')" \
    "0:true:running" "restart: changed, running again"
run --batch reset vm1 --json
is "$rc:$(jget "$out" 'o["changed"]')" "0:true" "reset: exit 0, changed"
like "$(calls)" "bhyvectl --vm=vm1 --force-reset" "reset reached bhyvectl"
wait_for 10 state_is vm1 running
run --batch reset vm2
is "$rc" 1 "reset of a stopped VM: exit 1"
like "$err" "vm2" "... the message names the VM"
run --batch reset vm2 --json
is "$(jget "$out" 'o["error"]["code"]')" not-running \
    "... and the JSON holds the error code"

# --- stop: graceful, already stopped, --no-wait, --timeout -------------
run --batch stop vm1 --json
is "$rc" 0 "stop exits 0"
is "$(jget "$out" '[o["name"], o["changed"], o["state"], o["outcome"]]')" \
    '["vm1", true, "stopped", "graceful"]' \
    "stop: name, changed, state stopped, outcome graceful"
run --batch stop vm1 --json
is "$(jget "$out" '[o["changed"], o["outcome"]]')" \
    '[false, "already-stopped"]' "stop again: changed false, already-stopped"
run --batch stop vm1
is "$rc:$out" "0:vm1: already stopped (stopped)" "stop for people"

run --batch start vm1
run --batch stop vm1 --no-wait --json
is "$rc:$(jget "$out" 'o["changed"]'):$(jget "$out" 'o["outcome"]')" \
    "0:true:null" "stop --no-wait returns at once, outcome null"
wait_for 10 state_is vm1 stopped
ok $? "... and the VM stops"

echo "sigterm=ignore" > "$ANLASSER_FAKE_DIR/vm2.behave"
run --batch start vm2
wait_for 5 test -f "$ANLASSER_FAKE_DIR/vm2.pid"
start=$(date +%s)
run --batch stop vm2 --timeout 1 --json
is "$rc:$(jget "$out" 'o["outcome"]')" "0:forced" \
    "stop --timeout 1 of a guest that ignores ACPI: forced"
ok $(( $(date +%s) - start > 20 )) "... well before its shutdown_timeout"
rm -f "$ANLASSER_FAKE_DIR/vm2.behave"

# --- poweroff ------------------------------------------------------------
run --batch start vm2
run --batch poweroff vm2 --json
is "$rc:$(jget "$out" 'o["changed"]'):$(jget "$out" 'o["state"]')" \
    "0:true:stopped" "poweroff: changed, stopped"
like "$(calls)" "bhyvectl --vm=vm2 --force-poweroff" \
    "poweroff used bhyvectl --force-poweroff"
run --batch poweroff vm2 --json
is "$(jget "$out" 'o["changed"]')" false "poweroff of a stopped VM: unchanged"

# --- a start that fails: exit 1 --------------------------------------
mv "$T/vms/vm2/disk.img" "$T/vms/vm2/disk.away"
run --batch start vm2 --json
is "$rc" 1 "a start that fails exits 1"
is "$(jget "$out" 'o["error"]["code"]')" "failed" \
    "... with an error object holding the code"
like "$(jget "$out" 'o["error"]["message"]')" "disk.img" \
    "... and a message naming the problem"
like "$err" "vm2" "... also said on stderr"
mv "$T/vms/vm2/disk.away" "$T/vms/vm2/disk.img"

# --- ISOs ---------------------------------------------------------------
run --batch list-isos
is "$rc" 0 "list-isos exits 0"
like "$out" "$T/iso/debian-12.iso" "list-isos names the images"
run --batch list-isos --json
is "$(jget "$out" 'sorted(i["path"] for i in o["isos"])')" \
    "[\"$T/iso/debian-12.iso\", \"$T/iso/freebsd-14.iso\"]" \
    "list-isos --json: the images with their paths"
run --batch attach-iso vm1 "$T/iso/debian-12.iso" --json
is "$rc:$(jget "$out" 'o["changed"]'):$(jget "$out" 'o["iso"]')" \
    "0:true:$T/iso/debian-12.iso" "attach-iso: changed, the ISO"
run --batch attach-iso vm1 "$T/iso/debian-12.iso" --json
is "$(jget "$out" 'o["changed"]')" false "the same ISO again: unchanged"
run --batch status vm1 --json
is "$(jget "$out" 'o["iso"]')" "$T/iso/debian-12.iso" "status shows the ISO"
run --batch list
like "$(printf '%s\n' "$out" | grep '^vm1 ')" "debian-12.iso" \
    "list shows the ISO's name"
out=$(cd "$T/iso" && "$TUI" --batch attach-iso vm1 freebsd-14.iso --boot \
    --json 2>/dev/null)
is "$(jget "$out" 'o["iso"]')" "$T/iso/freebsd-14.iso" \
    "attach-iso takes a path relative to the current directory"
like "$(jget "$out" 'o["note"]')" "UEFI" "--boot: the note tells about the vars"
run --batch attach-iso vm1 "$T/iso/nonexistent.iso"
is "$rc" 1 "attach-iso of a missing file: exit 1"
run --batch detach-iso vm1 --json
is "$rc:$(jget "$out" 'o["changed"]')" "0:true" "detach-iso: changed"
run --batch detach-iso vm1
is "$out" "vm1: no ISO was attached (stopped)" "detach-iso again: unchanged"

# --- show-command -----------------------------------------------------------
run --batch show-command vm1
is "$rc" 0 "show-command exits 0"
like "$out" "$FAKE/bhyve " "show-command prints the bhyve command line"
like "$out" " vm1" "... ending with the VM's name"
run --batch show-command vm1 --json
like "$(jget "$out" 'o["argv"][0]')" "bhyve" "show-command --json: argv"

# --- console and its log ------------------------------------------------
cat > "$ANLASSER_FAKE_DIR/vm1.behave" <<EOF
console=hello from the guest
EOF
run --batch start vm1
wait_for 10 sh -c "\"$TUI\" --batch console-log vm1 --lines 5 | grep -q 'hello from the guest'"
run --batch console-log vm1 --lines 5
is "$rc" 0 "console-log exits 0"
like "$out" "hello from the guest" "console-log prints the guest's lines"
out=$(printf '' | timeout 20 "$TUI" --batch console vm1 2>"$T/stderr")
rc=$?
err=$(cat "$T/stderr")
is "$rc" 0 "console with stdin at EOF drains and exits 0"
like "$err" "~." "console tells how to detach"
like "$out" "hello from the guest" "console copies the guest's output (scrollback first)"
run --batch console nosuch
is "$rc" 1 "console of an unknown VM: exit 1"
run --batch stop vm1
rm -f "$ANLASSER_FAKE_DIR/vm1.behave"

# --- reload, start-all, stop-all ------------------------------------------
conf_vm new1
run --batch reload --json
is "$rc:$(jget "$out" 'o["added"]')" '0:["new1"]' "reload --json: new1 added"
run --batch reload
is "$rc" 0 "reload exits 0"
like "$out" "configuration reloaded" "reload for people"
run --batch stop auto1		# in case the agent started it by itself
run --batch start-all --json
is "$rc:$(jget "$out" 'o["started"]')" '0:["auto1"]' \
    "start-all starts the autostart VM"
wait_for 10 state_is auto1 running
run --batch start-all
is "$out" "nothing to do" "start-all again: nothing to do"
run --batch stop-all --json
is "$rc:$(jget "$out" 'o["changed"]')" "0:true" "stop-all: changed"
is "$(jget "$out" '[[r["name"], r["outcome"]] for r in o["results"]]')" \
    '[["auto1", "graceful"]]' "stop-all returns when auto1 has stopped"
run --batch stop-all
is "$rc:$out" "0:nothing to do" "stop-all again: nothing to do"

# --- errors from the agent: exit 1 ------------------------------------------
run --batch status nosuch
is "$rc" 1 "status of an unknown VM: exit 1"
like "$err" "nosuch" "... the message names the VM"
is "$out" "" "... nothing on stdout without --json"
run --batch status nosuch --json
is_json
ok $? "... with --json one JSON document"
is "$(jget "$out" 'o["error"]["code"]')" no-such-vm "... holding error.code"
like "$(jget "$out" 'o["error"]["message"]')" "nosuch" "... and error.message"

# --- the socket: option over environment over default ------------------------
run --socket "$T/nonexistent.sock" --batch list
is "$rc" 3 "unreachable agent: exit 3"
like "$err" "$T/nonexistent.sock" "... the message names the socket"
run --socket "$T/nonexistent.sock" --batch list --json
is "$(jget "$out" 'o["error"]["code"]')" unreachable \
    "... with --json the error code is unreachable"
out=$(ANLASSER_SOCKET="$T/nonexistent.sock" "$TUI" --batch list 2>/dev/null)
is "$?" 3 "ANLASSER_SOCKET is used"
out=$(ANLASSER_SOCKET="$T/nonexistent.sock" "$TUI" --socket "$SOCK" \
    --batch list 2>/dev/null)
is "$?" 0 "--socket wins over ANLASSER_SOCKET"

# --- a peer that never answers: exit 3 in bounded time -----------------
python3 - "$T/mute.sock" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4)
c, _ = s.accept()
time.sleep(60)
EOF
mute=$!
wait_for 5 test -S "$T/mute.sock"
start=$(date +%s)
run --socket "$T/mute.sock" --batch list
is "$rc" 3 "an agent that does not answer: exit 3"
ok $(( $(date +%s) - start > 15 )) "... after a timeout, not forever"
like "$err" "did not answer" "... saying so"
kill "$mute" 2>/dev/null
wait "$mute" 2>/dev/null

# --- events and foreign replies between request and reply ----------------
python3 - "$T/chatty.sock" <<'EOF' &
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4)
vm = {"name": "x1", "state": "running", "pid": 7, "vcpus": 2,
      "memory_mb": 512, "uptime_s": 5}
for _ in range(2):
    c, _ = s.accept()
    f = c.makefile("rb")
    for line in f:
        req = json.loads(line)
        out = [{"event": "state", "vm": vm}, {"id": 99999, "ok": True,
               "result": {}}]
        res = {"version": 1} if req["cmd"] == "hello" else {"vms": [vm]}
        out.append({"id": req["id"], "ok": True, "result": res})
        out.append({"event": "vm-removed", "name": "x1"})
        c.sendall(b"".join(json.dumps(m).encode() + b"\n" for m in out))
    c.close()
EOF
chatty=$!
wait_for 5 test -S "$T/chatty.sock"
run --socket "$T/chatty.sock" --batch list --json
is "$rc:$(jget "$out" '[v["name"] for v in o]')" '0:["x1"]' \
    "events and other ids before the reply are skipped"
kill "$chatty" 2>/dev/null
wait "$chatty" 2>/dev/null

# --- the agent goes away during a stop: exit 3 ------------------------------
echo "sigterm=ignore" > "$ANLASSER_FAKE_DIR/vm2.behave"
run --batch start vm2
wait_for 5 test -f "$ANLASSER_FAKE_DIR/vm2.pid"
"$TUI" --batch stop vm2 --json >"$T/stop.out" 2>"$T/stop.err" &
stopper=$!
sleep 1
agent_kill
wait "$stopper"
is "$?" 3 "the connection drops during a stop: exit 3"
like "$(cat "$T/stop.err")" "agent" "... saying the agent went away"

done_testing
