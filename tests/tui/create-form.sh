#!/bin/bash
# The full screen's new-VM form (n), its firmware field, and delete (D),
# through tmux, against a real agent with the bhyve doubles.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init
. "$top_srcdir/tests/tui/lib-tmux.sh"

conf_agent
conf_vm vm1
mkdir -p "$T/disks"
agent_start
ok $? "agent starts"

tui_start 100 30
wait_screen 10 "vm1"
ok $? "the VM list appears"
keys '?'
wait_screen 5 "create a VM"
ok $? "the help lists n: create a VM"
keys Escape
wait_gone 5 "create a VM"

keys n
wait_screen 5 "New VM"
ok $? "n opens the New VM form"
like "$(screen)" "Disk size:" "the form has a disk size field"
like "$(screen)" "Disk directory:" "... and a disk directory field"

# A refusal keeps the form's values: no disk size.
keys -l form1
keys Enter
wait_screen 5 "Disk size is required"
ok $? "Enter without a disk size is refused on the message line"
like "$(screen)" "form1" "the form stays open with the name typed"

# The cursor is on the missing field now.
keys -l 64M
keys Tab Tab Tab
keys -l "$T/disks"
keys Enter
wait_screen 10 "form1: created"
ok $? "Enter creates the VM and says so"
wait_row 10 form1 "stopped"
ok $? "the new VM appears in the list"
[ -f "$CONF/form1.ini" ] && [ -f "$T/disks/form1/disk0.img" ]
ok $? "its INI file and disk exist"
is "$(stat -c %s "$T/disks/form1/disk0.img")" 67108864 "the disk is 64M"

# Firmware: the hint gives the values allowed, another one is refused
# before anything is sent, bios makes a VM without a vars file.
keys n
wait_screen 5 "New VM"
like "$(screen)" "Firmware:" "the form has a firmware field"
like "$(screen)" "uefi or bios; default uefi" \
    "... whose hint gives the values allowed and the default"
keys -l form2
keys Tab
keys -l 32M
keys Tab Tab Tab
keys -l "$T/disks"
# Up from the disk directory, past the name, wraps to the last field.
keys Up Up Up Up Up
keys -l efi
keys Enter
wait_screen 5 "Firmware: efi is not allowed (uefi or bios)"
ok $? "a firmware outside the list is refused on the message line"
like "$(screen)" "New VM" "... with the form still open"
[ ! -e "$CONF/form2.ini" ] && [ ! -e "$T/disks/form2" ]
ok $? "... and nothing was created"
keys BSpace BSpace BSpace
keys -l bios
keys Enter
wait_screen 10 "form2: created"
ok $? "with firmware bios the VM is created"
grep -q '^firmware = bios$' "$CONF/form2.ini" &&
    ! grep -q '^uefi_vars_storage_path' "$CONF/form2.ini" &&
    [ -f "$T/disks/form2/disk0.img" ] && [ ! -e "$T/disks/form2/uefi-vars.fd" ]
ok $? "its INI has firmware = bios and no vars path; no vars file"

# The agent's refusal reaches the message line.
keys n
wait_screen 5 "New VM"
keys -l form1
keys Tab
keys -l 128M
keys Tab Tab Tab
keys -l "$T/disks"
keys Enter
wait_screen 10 "a different VM named form1 exists"
ok $? "a create the agent refuses shows its reason"

# D deletes after asking; the disk stays.
keys Home
keys D
wait_screen 5 "delete form1"
ok $? "D asks before deleting the selected VM"
keys y
wait_screen 10 "form1: deleted"
ok $? "y deletes it"
wait_gone 10 "form1 "
[ ! -e "$CONF/form1.ini" ] && [ -f "$T/disks/form1/disk0.img" ]
ok $? "the INI file is gone, the disk is kept"

keys q
wait_screen 5 "EXITED=0"
ok $? "q quits"

done_testing
