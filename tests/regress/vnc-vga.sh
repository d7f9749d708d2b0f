#!/bin/bash
# firmware = bios on a real QEMU guest: SeaBIOS boots guest.iso through
# isolinux, Linux runs tty1 on the VGA text console (vgacon), and
# anlasser-tui --batch screen reads QEMU's VGA text mode (720x400, 80x25
# cells of 9x16, the VGA BIOS font) exactly: the screen is compared line
# by line with `fold -w 80 /dev/vcs1`, which the guest prints on its
# serial console, and a command typed with send-keys comes back.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init

# screen_has NAME TEXT: a line of the screen is exactly TEXT.
screen_has() {
	"$TUI" --batch screen "$1" 2>/dev/null | grep -qxF -- "$2"
}

# vcs1: the guest's tty1 as text, through the agent's serial
# console: `fold -w 80 /dev/vcs1` between two marker lines, trailing
# blanks cut (as screen prints them).
vcs1() {
	python3 - "$SOCK" 2>>"$T/con.err" <<'EOF'
import random, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'{"cmd":"console","name":"vga1"}\n')
s.settimeout(0.5)
# The reply and the scrollback first, until the console is quiet.
try:
    while s.recv(65536):
        pass
except socket.timeout:
    pass
# Markers as the shell prints them, not as the command line it echoes.
n = random.randrange(1000, 100000)
begin, stop = b"VCS-BEGIN-%d\r\n" % (n + 1), b"VCS-END-%d" % (n + 1)
s.sendall(b"echo VCS-BEGIN-$((%d+1)); fold -w 80 /dev/vcs1; echo; "
          b"echo VCS-END-$((%d+1))\r" % (n, n))
buf, end = b"", time.time() + 30
while time.time() < end and stop not in buf.partition(begin)[2]:
    try:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    except socket.timeout:
        pass
s.close()
body = buf.partition(begin)[2].partition(stop)[0].decode("latin-1")
for line in body.replace("\r", "").split("\n")[:-1]:
    print(line.rstrip(" "))
EOF
}

guest_build
ok $? "the test guest builds (tests/guest/build-guest.sh)"
grep -qw iso-bios "$GUEST/features" 2>/dev/null
ok $? "guest.iso boots on BIOS too (needs xorriso, isolinux, syslinux-common)"
conf_agent_qemu 5950-5959
# No uefi_vars_storage_path: a BIOS VM has none.  The disk is empty, so
# SeaBIOS goes on to the CD.
conf_vm vga1 firmware=bios "iso_path=$GUEST/guest.iso" shutdown_timeout=5
sed -i '/^uefi_vars_storage_path/d' "$CONF/vga1.ini"
agent_start
ok $? "agent starts with the qemu driver"

argv=$(jget "$(req '{"cmd":"show-command","name":"vga1"}')" \
    '" ".join(o["result"]["argv"])')
like "$argv " "-bios /usr/share/seabios/bios-256k.bin " \
    "show-command: SeaBIOS, the default bios_firmware of the qemu driver"
case $argv in *pflash*) false ;; *) true ;; esac
ok $? "show-command: no UEFI pflash drives"

t0=$(date +%s.%N)
r=$(req '{"cmd":"start","name":"vga1","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running "vga1 starts"
wait_for 180 sh -c "'$TUI' --batch screen vga1 2>/dev/null | grep -qx 'guest#'"
ok $? "screen shows the guest's prompt on the VGA text console"
awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {
	printf "# BIOS boot to the tty1 prompt: %.1f s (qemu_accel = tcg)\n", b - a }'
test ! -e "$T/vms/vga1/vars.fd"
ok $? "no UEFI vars file was made"

run_json() {
	"$TUI" --batch screen vga1 --json 2>"$T/stderr"
}
out=$(run_json)
is "$(jget "$out" '[o["resolution"]["width"], o["resolution"]["height"]]')" \
    "[720, 400]" "--json: QEMU shows VGA text mode, 720x400"
is "$(jget "$out" 'o["grid"]["font"]')" vga-9x16 "--json: the VGA BIOS font, 9x16"
is "$(jget "$out" '[o["grid"]["columns"], o["grid"]["rows"], o["grid"]["x"], o["grid"]["y"]]')" \
    "[80, 25, 0, 0]" "--json: 80x25 cells from the top left corner"
is "$(jget "$out" 'o["text"]')" true "--json: the screen is text"
is "$(jget "$out" 'o["unrecognised"]')" "[]" "--json: every cell recognised"
is "$(jget "$out" 'len([r for r in o["rows"] if r.startswith("anlasser-guest: ready (")])')" \
    1 "--json: the guest's ready line is there"
is "$(jget "$out" 'len([r for r in o["rows"] if r.startswith("ISOLINUX ")])')" \
    1 "--json: so is isolinux's banner (the BIOS boot path)"

# The same text as the guest's own copy of tty1.
vcs1 >"$T/vcs1.txt"
is "$(wc -l <"$T/vcs1.txt")" 25 "the guest prints tty1 on ttyS0: 25 rows"
want=$(cat "$T/vcs1.txt")
got=$("$TUI" --batch screen vga1 2>/dev/null)
is "$got" "${want:-(nothing from the serial console)}" \
    "screen reads tty1 exactly as /dev/vcs1 holds it"

"$TUI" --batch send-keys vga1 'echo vga-ok' Enter >"$T/keys" 2>&1
ok $? "send-keys types on tty1"
wait_for 20 screen_has vga1 'vga-ok'
ok $? "a line vga-ok comes back"
screen_has vga1 'guest# echo vga-ok'
ok $? "... below the command line typed"
"$TUI" --batch send-keys vga1 "echo '~!@#\$%^&*()_+{}|:<>?'" Enter \
    >/dev/null 2>&1
wait_for 20 screen_has vga1 '~!@#$%^&*()_+{}|:<>?'
ok $? "shifted symbols come back"
vcs1 >"$T/vcs1.txt"
want=$(cat "$T/vcs1.txt")
got=$("$TUI" --batch screen vga1 2>/dev/null)
is "$(wc -l <"$T/vcs1.txt")/$got" "25/$want" \
    "after typing: screen still equals /dev/vcs1"
# The cursor blinks: wait for a frame that shows it.
for _ in $(seq 1 25); do
	out=$(run_json)
	cur=$(jget "$out" 'o["cursor"] and [o["cursor"]["row"], o["cursor"]["column"]]')
	[ "$cur" != null ] && break
	sleep 0.2
done
want=$(jget "$out" '[max(i for i, r in enumerate(o["rows"]) if r == "guest#"), 7]')
is "$cur" "${want:-(no prompt on the screen)}" \
    "--json: the cursor (VGA underline) is after the last prompt"

r=$(req '{"cmd":"stop","name":"vga1","wait":true}')
is "$(jget "$r" 'o["result"]["outcome"]')" graceful "vga1 stops on the power button"
wait_for 10 sh -c "! pgrep -f 'unix:$T/run/vga1[.]qmp' >/dev/null"
ok $? "no QEMU process is left"

done_testing
