#!/bin/bash
# The agent with the bhyve driver, against the FreeBSD tool doubles in
# tests/fake: lifecycle, exit handling, cleanup, ISO attach, agent restart.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init

conf_agent "iso_dirs=$T/iso"
mkdir -p "$T/iso"
$FAKE/ifconfig bridge0 create >/dev/null
conf_vm vm1 shutdown_timeout=5 "# a comment the user wrote" \
    "# iso_path = /somewhere/else.iso"
conf_vm vm2 bridge=bridge0 shutdown_timeout=1
agent_start
ok $? "agent starts and listens"

# --- start ------------------------------------------------------------
r=$(req '{"id":1,"cmd":"start","name":"vm1","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running "start vm1 waits until running"
is "$(jget "$r" 'o["result"]["changed"]')" true "first start reports changed"
is "$(jget "$r" 'o["id"]')" 1 "reply echoes the id"
r=$(req '{"cmd":"start","name":"vm1"}')
is "$(jget "$r" 'o["result"]["changed"]')" false "second start: changed false"
argv=$(grep '^bhyve ' "$ANLASSER_FAKE_DIR/calls.log" | tail -1)
like "$argv" "-A -H -P -D -w -u" "bhyve gets the original's flags"
like "$argv" "-s 4,nvme,$T/vms/vm1/disk.img,sectsz=4096" "NVMe disk with sectsz=4096"
like "$argv" "-s 6,fbuf,tcp=127.0.0.1:5900,w=1600,h=900" "fbuf on the first free VNC port"
like "$argv" "-l bootrom,$T/BHYVE_UEFI_CODE.fd,$T/vms/vm1/vars.fd" "bootrom with the VM's vars"
like "$argv" " vm1" "VM name is the last operand"
is "$(cat "$T/vms/vm1/vars.fd")" VARS "missing vars file copied from the template"
r=$(req '{"cmd":"status","name":"vm1"}')
is "$(jget "$r" 'o["result"]["vm"]["vnc_port"]')" 5900 "status shows the VNC port"
pid=$(jget "$r" 'o["result"]["vm"]["pid"]')
is "$pid" "$(cat "$ANLASSER_FAKE_DIR/vm1.pid")" "status shows the bhyve pid"

# --- graceful stop ----------------------------------------------------
r=$(req '{"cmd":"stop","name":"vm1","wait":true}')
is "$(jget "$r" 'o["result"]["outcome"]')" graceful "stop: guest powers off gracefully"
is "$(jget "$r" 'o["result"]["state"]')" stopped "stop returns when stopped"
like "$(calls)" "bhyvectl --vm=vm1 --destroy" "kernel VM destroyed after the final exit"
r=$(req '{"cmd":"stop","name":"vm1"}')
is "$(jget "$r" 'o["result"]["outcome"]')" already-stopped "stopping a stopped VM"
is "$(jget "$r" 'o["result"]["changed"]')" false "... changes nothing"

# --- stop that times out ----------------------------------------------
echo "sigterm=ignore" > "$ANLASSER_FAKE_DIR/vm2.behave"
r=$(req '{"cmd":"start","name":"vm2","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running "vm2 with a bridge starts"
like "$(calls)" "ifconfig tap100 create" "a tap is allocated and created"
like "$(calls)" "ifconfig bridge0 addm tap100" "... and added to the bridge"
like "$(grep '^bhyve ' "$ANLASSER_FAKE_DIR/calls.log" | tail -1)" \
    "-s 5,virtio-net,tap100,mac=02:a1:" "virtio-net on the tap with a stable MAC"
r=$(req '{"cmd":"stop","name":"vm2","wait":true}')
is "$(jget "$r" 'o["result"]["outcome"]')" forced "guest ignoring the button is forced off after shutdown_timeout"
like "$(calls)" "bhyvectl --vm=vm2 --force-poweroff" "forced with bhyvectl --force-poweroff"
like "$(calls)" "ifconfig tap100 destroy" "the tap is destroyed after the stop"

# --- SIGTERM before ACPI ----------------------------------------------
echo "sigterm=die" > "$ANLASSER_FAKE_DIR/vm2.behave"
req '{"cmd":"start","name":"vm2","wait":true}' >/dev/null
r=$(req '{"cmd":"stop","name":"vm2","wait":true}')
is "$(jget "$r" 'o["result"]["outcome"]')" forced "SIGTERM killing bhyve (no ACPI yet) is reported as forced"
like "$(jget "$r" 'o["result"]["note"]')" "ACPI" "... with a note saying why"
is "$(jget "$r" 'o["result"]["vm"]["last_exit"]')" signal "last exit: signal"

# --- reset and the reboot loop ----------------------------------------
rm -f "$ANLASSER_FAKE_DIR/vm2.behave"
req '{"cmd":"start","name":"vm2","wait":true}' >/dev/null
runs=$(cat "$ANLASSER_FAKE_DIR/vm2.runs")
r=$(req '{"cmd":"reset","name":"vm2"}')
is "$(jget "$r" 'o["ok"]')" true "reset accepted"
wait_for 10 sh -c "[ \$(cat $ANLASSER_FAKE_DIR/vm2.runs) -gt $runs ]"
ok $? "reset: bhyve is started again"
like "$(calls)" "bhyvectl --vm=vm2 --force-reset" "reset uses bhyvectl --force-reset"
wait_state vm2 running 10
ok $? "running again after the reset"
r=$(req '{"cmd":"status","name":"vm2"}')
is "$(jget "$r" 'o["result"]["vm"]["last_exit"]')" reboot "last exit: reboot"
req '{"cmd":"poweroff","name":"vm2","wait":true}' >/dev/null

# --- guest reboot loop -> crash-loop -----------------------------------
printf 'exit=0\nafter=0.2\n' > "$ANLASSER_FAKE_DIR/vm2.behave"
rm -f "$ANLASSER_FAKE_DIR/vm2.runs"
req '{"cmd":"start","name":"vm2"}' >/dev/null
wait_state vm2 failed 30
ok $? "a VM rebooting again and again ends in failed"
r=$(req '{"cmd":"status","name":"vm2"}')
is "$(jget "$r" 'o["result"]["vm"]["last_exit"]')" crash-loop "last exit: crash-loop"
like "$(jget "$r" 'o["result"]["vm"]["message"]')" "giving up" "message says it gave up"

# --- triple fault -------------------------------------------------------
printf 'exit=3\nafter=1.5\n' > "$ANLASSER_FAKE_DIR/vm2.behave"
rm -f "$ANLASSER_FAKE_DIR/vm2.runs"
req '{"cmd":"start","name":"vm2"}' >/dev/null
wait_state vm2 failed 20
ok $? "triple fault -> failed"
r=$(req '{"cmd":"status","name":"vm2"}')
is "$(jget "$r" 'o["result"]["vm"]["last_exit"]')" triple-fault "last exit: triple-fault"

# --- start failure leaves nothing behind --------------------------------
rm -f "$ANLASSER_FAKE_DIR/vm2.behave"
mv "$T/vms/vm2/disk.img" "$T/vms/vm2/disk.away"
: > "$ANLASSER_FAKE_DIR/calls.log"
r=$(req '{"cmd":"start","name":"vm2","wait":true}')
is "$(jget "$r" 'o["ok"]')" false "start with a missing disk fails"
like "$(jget "$r" 'o["error"]["message"]')" "vm2: disk $T/vms/vm2/disk.img: No such file" "error names the VM, the disk and the cause"
ok "$(grep -c 'tap.* create' "$ANLASSER_FAKE_DIR/calls.log")" "no tap created for a failed start"
mv "$T/vms/vm2/disk.away" "$T/vms/vm2/disk.img"
printf 'exit=4\nafter=0\n' > "$ANLASSER_FAKE_DIR/vm2.behave"
r=$(req '{"cmd":"start","name":"vm2","wait":true}')
like "$(jget "$r" 'o["error"]["message"]')" "vm2: the hypervisor failed to start" "bhyve failing at once is a start failure, not a crash"
wait_for 5 test ! -e "$ANLASSER_FAKE_DIR/vmm/vm2"
ok $? "... and leaves no /dev/vmm entry behind"
like " $($FAKE/ifconfig -l) " " bridge0 " "bridge0 is still there"
case " $($FAKE/ifconfig -l) " in *" tap100 "*) false ;; *) true ;; esac
ok $? "... and no tap is left behind"
rm -f "$ANLASSER_FAKE_DIR/vm2.behave"

# --- ISO attach -----------------------------------------------------------
truncate -s 1M "$T/iso/install.iso"
r=$(req "{\"cmd\":\"attach-iso\",\"name\":\"vm1\",\"path\":\"$T/iso/install.iso\"}")
is "$(jget "$r" 'o["result"]["changed"]')" true "attach-iso changes the VM"
grep -q "^iso_path = $T/iso/install.iso" "$CONF/vm1.ini"
ok $? "iso_path written to vm1.ini (replacing the commented-out line)"
grep -q "^# a comment the user wrote" "$CONF/vm1.ini"
ok $? "the user's comment survives"
r=$(req "{\"cmd\":\"attach-iso\",\"name\":\"vm1\",\"path\":\"$T/iso\"}")
like "$(jget "$r" 'o["error"]["message"]')" "not a regular file" "a directory is refused"
req '{"cmd":"start","name":"vm1","wait":true}' >/dev/null
like "$(grep '^bhyve ' "$ANLASSER_FAKE_DIR/calls.log" | tail -1)" \
    "-s 3,ahci-cd,$T/iso/install.iso,ro" "the next start boots with the ISO"
r=$(req '{"cmd":"detach-iso","name":"vm1"}')
like "$(jget "$r" 'o["result"]["note"]')" "next boot" "detach on a running VM takes effect at the next boot"

# --- agent restart keeps VMs --------------------------------------------
pid=$(cat "$ANLASSER_FAKE_DIR/vm1.pid")
agent_kill
kill -0 "$pid"
ok $? "the VM survives kill -9 of the agent"
agent_start
wait_state vm1 running 10
ok $? "a new agent finds the running VM"
r=$(req '{"cmd":"status","name":"vm1"}')
is "$(jget "$r" 'o["result"]["vm"]["pid"]')" "$pid" "... with the same pid"
r=$(req '{"cmd":"stop","name":"vm1","wait":true}')
is "$(jget "$r" 'o["result"]["outcome"]')" graceful "... and can stop it"
agent_stop

# --- legacy protocol ----------------------------------------------------
agent_start
r=$(req '{"action":"list_vms"}')
is "$(jget "$r" 'o["result"]')" success "legacy list_vms"
is "$(jget "$r" '[v["vm_name"] for v in o["vm_list"]]')" '["vm1", "vm2"]' "legacy vm_list names"
r=$(req '{"action":"get_vm_state","vm_name":"vm1"}')
is "$(jget "$r" 'o["vm_state"]')" vm_down "legacy get_vm_state"
r=$(req '{"action":"set_vm_state","vm_name":"vm1","vm_target_state":"up"}')
is "$(jget "$r" 'o["result"]')" success "legacy set_vm_state up"
wait_state vm1 running 10
ok $? "legacy up starts the VM"
r=$(req '{"action":"get_vm_state","vm_name":"nope"}')
is "$(jget "$r" 'o["result"]')" failure "legacy unknown VM fails"
req '{"cmd":"poweroff","name":"vm1","wait":true}' >/dev/null

done_testing
