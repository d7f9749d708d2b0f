#!/bin/bash
# The full screen against a real agent, through tmux: the table, keys that
# act on VMs (and ask first where they should), the help, details, filter,
# ISO chooser and sorting, a resize, and quitting with the terminal put back.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init
. "$top_srcdir/tests/tui/lib-tmux.sh"

conf_agent "iso_dirs=$T/iso"
mkdir -p "$T/iso"
truncate -s 1M "$T/iso/debian-12.iso" "$T/iso/freebsd-14.iso"
conf_vm vm1 shutdown_timeout=5
conf_vm web1 shutdown_timeout=5 cpu_cores=4
agent_start
ok $? "agent starts"

tui_start 100 30
wait_screen 10 "web1"
ok $? "the VMs appear"
s=$(screen)
like "$(printf '%s\n' "$s" | sed -n 2p)" "NAME" "column NAME"
for col in STATE CPUS MEMORY VNC UPTIME ISO "LAST EXIT"; do
	like "$(printf '%s\n' "$s" | sed -n 2p)" "$col" "column $col"
done
like "$(row vm1)" "stopped" "vm1 is shown stopped"
like "$(row web1 | awk '{print $3}')" "4" "web1 shows its vCPUs"
like "$(printf '%s\n' "$s" | sed -n 1p)" "2 VMs, 0 running" \
    "the title counts the VMs"
like "$(printf '%s\n' "$s" | tail -1)" "Start" "the footer shows the keys"
like "$(printf '%s\n' "$s" | tail -1)" "Help" "... with the help key"
is "$(printf '%s\n' "$s" | wc -l)" 30 "the screen has 30 lines"

# --- start with s; the state changes on screen from the agent's events ----
keys s
wait_row 10 vm1 "running"
ok $? "s starts the selected VM (vm1) and the row says running"
wait_screen 5 "1 running"
ok $? "the title counts it"
like "$(row vm1)" "127.0.0.1:59" "the row shows the VNC address"
up1=$(row vm1 | grep -o '[0-9]*:[0-9][0-9]:[0-9][0-9]')
sleep 2.2
up2=$(row vm1 | grep -o '[0-9]*:[0-9][0-9]:[0-9][0-9]')
ok $([ -n "$up1" ] && [ "$up1" != "$up2" ]; echo $?) \
    "the uptime counts on by itself ($up1 -> $up2)"

# --- stop asks first --------------------------------------------------------
keys t
wait_screen 3 "(y/n)"
ok $? "t asks before stopping"
like "$(screen | tail -2 | head -1)" "stop vm1" "... naming the action and VM"
keys n
wait_screen 3 "not done"
ok $? "n answers no"
sleep 0.5
like "$(row vm1)" "running" "... and the VM keeps running"
keys x
wait_screen 3 "reset vm1"
ok $? "x asks before a reset"
keys Escape
wait_gone 3 "(y/n)"
ok $? "Esc answers no"
keys p
wait_screen 3 "poweroff vm1"
ok $? "p asks before a power-off"
keys n
keys t
wait_screen 3 "(y/n)"
keys y
wait_row 15 vm1 "stopped"
ok $? "t then y stops the VM, and the row says stopped"
wait_screen 10 "vm1: stopped"
ok $? "the outcome shows on the message line"
like "$(row vm1)" "poweroff" "the last exit shows"

# --- help ----------------------------------------------------------------
keys '?'
wait_screen 3 "keys in the VM list"
ok $? "? shows the help"
s=$(screen)
like "$s" "start the VM" "the help lists the keys"
like "$s" "~." "... and the console escape"
keys Escape
wait_screen 3 "LAST EXIT"
ok $? "Esc closes the help"

# --- details -----------------------------------------------------------------
keys Down
keys Enter
wait_screen 5 "── Configuration"
ok $? "Enter shows the details of the selected VM"
s=$(screen)
like "$(printf '%s\n' "$s" | sed -n 1p)" "web1" "... of web1 (Down moved the selection)"
like "$s" "vCPUs              4" "the details show the vCPUs"
like "$s" "disks 0" "... the disks"
keys NPage
wait_screen 5 "$FAKE/bhyve"
ok $? "PgDn scrolls to the hypervisor command line"
keys Escape
wait_screen 3 "LAST EXIT"
ok $? "Esc goes back to the list"

# --- filter ----------------------------------------------------------------
keys / w e b
wait_screen 3 "Filter: web"
ok $? "/ opens the filter"
wait_gone 3 "vm1 "
ok $? "typing filters the list"
like "$(row web1)" "web1" "the matching VM stays"
keys Enter
like "$(screen | sed -n 1p)" "matching \"web\"" "the title shows the filter"
keys /
keys Escape
wait_screen 3 "vm1 "
ok $? "Esc in the filter clears it"

# --- ISO chooser -----------------------------------------------------------
keys Home
keys i
wait_screen 5 "ISO image for vm1"
ok $? "i opens the ISO chooser for the selected VM"
like "$(screen)" "freebsd-14.iso" "the chooser lists the images"
keys d e b
wait_gone 3 "freebsd-14.iso"
ok $? "typing narrows the list"
keys Tab
wait_screen 3 "[x] boot from it"
ok $? "Tab switches booting from it on"
keys Enter
wait_screen 5 "ISO attached"
ok $? "Enter attaches the image"
wait_row 5 vm1 "debian-12.iso"
ok $? "the row shows the ISO"
grep -q "iso_path = $T/iso/debian-12.iso" "$CONF/vm1.ini"
ok $? "the agent wrote it to the VM's config"
keys e
wait_gone 5 "debian-12.iso"
ok $? "e detaches it"

# --- sorting -----------------------------------------------------------------
keys o o
wait_screen 3 "sorted by vcpus"
ok $? "o cycles the sort column"
is "$(screen | sed -n 3p | awk '{print $1}')" web1 \
    "sorted by vCPUs, the bigger VM comes first"
keys o o o
wait_screen 3 "sorted by name"
is "$(screen | sed -n 3p | awk '{print $1}')" vm1 "back to sorting by name"

# --- resize ----------------------------------------------------------------
tm resize-window -t T -x 80 -y 24
sleep 0.5
s=$(screen)
is "$(printf '%s\n' "$s" | wc -l)" 24 "resized to 80x24"
like "$(printf '%s\n' "$s" | sed -n 2p)" "LAST EXIT" "all columns fit 80 columns"
like "$(printf '%s\n' "$s" | sed -n 1p)" "2 VMs" "the title follows the width"
like "$(printf '%s\n' "$s" | tail -1)" "Quit" "the footer is at the new bottom"
tm resize-window -t T -x 60 -y 20
sleep 0.5
s=$(screen)
like "$(printf '%s\n' "$s" | sed -n 2p)" "STATE" "at 60 columns the state stays"
is "$(printf '%s\n' "$s" | python3 -c 'import sys
print(max(len(l.rstrip("\n")) for l in sys.stdin))')" 60 \
    "no line is wider than the window"
tm resize-window -t T -x 120 -y 40
sleep 0.5
is "$(screen | wc -l)" 40 "and larger again"
like "$(row web1)" "web1" "the rows are still there"

# --- quit ------------------------------------------------------------------
keys q
tui_exited
ok $? "q quits"
like "$(screen)" "EXITED=0" "... with status 0"
stty_sane
ok $? "the terminal is back in its usual mode (icanon, echo ...)"
case "$(screen)" in
*"LAST EXIT"*) ok 1 "the full screen is gone" ;;
*) ok 0 "the full screen is gone" ;;
esac

done_testing
