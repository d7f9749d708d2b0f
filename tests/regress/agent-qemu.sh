#!/bin/bash
# The agent with the QEMU driver on a real UEFI guest (OVMF from an NVMe
# disk, under TCG): start, list, VNC, reset, graceful and forced stop.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init

guest_build
ok $? "the test guest builds (tests/guest/build-guest.sh)"
conf_agent_qemu 5960-5969
conf_vm_guest aq1 shutdown_timeout=60
# No bootable disk: OVMF ends in its shell, which ignores the power button.
conf_vm shell1 shutdown_timeout=3
agent_start
ok $? "agent starts with the qemu driver"

r=$(req '{"cmd":"start","name":"aq1","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running "start aq1: running once QMP answers"
port=$(jget "$r" 'o["result"]["vm"]["vnc_port"]')
is "$port" 5960 "aq1 gets the first VNC port of the range"
r=$(req '{"cmd":"list"}')
is "$(jget "$r" '[v["state"] for v in o["result"]["vms"] if v["name"]=="aq1"][0]')" running "list shows aq1 running"
banner=$(python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
s.settimeout(10)
print(s.recv(12).decode().strip())' "$port" 2>&1)
is "$banner" "RFB 003.008" "the VNC port accepts connections and speaks RFB"
argv=$(jget "$(req '{"cmd":"show-command","name":"aq1"}')" '" ".join(o["result"]["argv"])')
like "$argv" "-device nvme,drive=disk0" "show-command: the disk is NVMe"
like "$argv" "if=pflash" "show-command: OVMF as pflash"
like "$argv" "-no-reboot" "show-command: reboots come back to the monitor"

# Wait for the guest's userland (acpid) before pressing the button.
wait_for 120 sh -c "$CLIENT '$SOCK' '{\"cmd\":\"console-log\",\"name\":\"aq1\",\"lines\":200}' | grep -q 'anlasser-guest: ready'"
ok $? "the guest boots to its init (console-log shows the ready line)"

pid=$(jget "$(req '{"cmd":"status","name":"aq1"}')" 'o["result"]["vm"]["pid"]')
r=$(req '{"cmd":"reset","name":"aq1"}')
is "$(jget "$r" 'o["ok"]')" true "reset accepted"
wait_for 30 sh -c "[ \"\$($CLIENT '$SOCK' '{\"cmd\":\"status\",\"name\":\"aq1\"}' | python3 -c 'import json,sys; v=json.load(sys.stdin)[\"result\"][\"vm\"]; print(v[\"state\"], v[\"pid\"])')\" != 'running $pid' ] && [ \"\$($CLIENT '$SOCK' '{\"cmd\":\"status\",\"name\":\"aq1\"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"result\"][\"vm\"][\"state\"])')\" = running ]"
ok $? "after the reset QEMU runs again (new process)"
r=$(req '{"cmd":"status","name":"aq1"}')
is "$(jget "$r" 'o["result"]["vm"]["last_exit"]')" reboot "last exit: reboot"

wait_for 120 sh -c "[ \$($CLIENT '$SOCK' '{\"cmd\":\"console-log\",\"name\":\"aq1\",\"lines\":400}' | grep -o 'anlasser-guest: ready' | wc -l) -ge 2 ]"
ok $? "the guest boots again after the reset"
r=$(req '{"cmd":"stop","name":"aq1","wait":true}')
is "$(jget "$r" 'o["result"]["outcome"]')" graceful "stop: the guest powers off on the ACPI button"
is "$(jget "$r" 'o["result"]["vm"]["last_exit"]')" poweroff "last exit: poweroff"
wait_for 10 sh -c "! pgrep -f 'guest=aq[1]' >/dev/null"
ok $? "no QEMU process is left for aq1"

r=$(req '{"cmd":"start","name":"shell1","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running "shell1 (UEFI shell only) starts"
sleep 2
r=$(req '{"cmd":"stop","name":"shell1","wait":true}')
is "$(jget "$r" 'o["result"]["outcome"]')" forced "a guest ignoring the button is forced off after shutdown_timeout"
r=$(req '{"cmd":"start","name":"shell1","wait":true}')
r=$(req '{"cmd":"poweroff","name":"shell1","wait":true}')
is "$(jget "$r" 'o["result"]["outcome"]')" forced "poweroff: forced"
is "$(jget "$r" 'o["result"]["state"]')" stopped "poweroff: stopped"

done_testing
