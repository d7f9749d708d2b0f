#!/bin/bash
# firmware = bios with the bhyve driver, against the tool doubles: bhyve
# boots the CSM ROM (bios_firmware) as its bootrom without a vars file,
# nothing copies or shows a vars file, the default ROM is the CSM build,
# and a missing ROM is a start error that says what to install.  UEFI VMs
# next to it are unchanged.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init

CSM_DEFAULT=/usr/local/share/uefi-firmware/BHYVE_UEFI_CSM.fd
conf_agent
conf_vm bios1 firmware=bios shutdown_timeout=2
# A BIOS VM needs no uefi_vars_storage_path at all.
sed -i '/^uefi_vars_storage_path/d' "$CONF/bios1.ini"
# One that still names a vars file: ignored, never created.
conf_vm bios2 firmware=bios shutdown_timeout=2
conf_vm uefi1 shutdown_timeout=2
"$AGENT" --check -c "$CONF" >"$T/check" 2>&1
ok $? "--check accepts BIOS VMs without (or with) a vars file"
agent_start
ok $? "agent starts"

argv() {	# argv NAME: the last bhyve command line of NAME, from calls.log
	grep "^bhyve .* $1\$" "$ANLASSER_FAKE_DIR/calls.log" | tail -1
}

# --- the default ROM (show-command needs no files) ----------------------
r=$(req '{"cmd":"show-command","name":"bios1"}')
cmd=$(jget "$r" '" ".join(o["result"]["argv"])')
like "$cmd " "-l bootrom,$CSM_DEFAULT " \
    "show-command: the default BIOS is the CSM ROM, without a vars file"
r=$(req '{"cmd":"start","name":"bios1","wait":true}')
is "$(jget "$r" 'o["ok"]')" false "start without the CSM ROM fails"
like "$(jget "$r" 'o["error"]["message"]')" \
    "bios1: BIOS firmware $CSM_DEFAULT: No such file or directory" \
    "... naming the VM, the ROM and the cause"
like "$(jget "$r" 'o["error"]["message"]')" "uefi-edk2-bhyve-csm" \
    "... and the package or the key that fixes it"

# --- with a ROM ---------------------------------------------------------
agent_stop
printf 'CSM' > "$T/BHYVE_UEFI_CSM.fd"
conf_agent "bios_firmware=$T/BHYVE_UEFI_CSM.fd"
agent_start
r=$(req '{"cmd":"start","name":"bios1","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running "bios1 starts"
like "$(argv bios1) " "-l bootrom,$T/BHYVE_UEFI_CSM.fd " \
    "bhyve gets -l bootrom,CSM ROM and no vars file"
r=$(req '{"cmd":"status","name":"bios1"}')
is "$(jget "$r" '[o["result"]["vm"]["firmware"], o["result"]["vm"]["uefi_vars"]]')" \
    '["bios", null]' "status: firmware bios, no UEFI vars"

r=$(req '{"cmd":"start","name":"bios2","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running "bios2 starts"
like "$(argv bios2) " "-l bootrom,$T/BHYVE_UEFI_CSM.fd " \
    "a vars path in a BIOS VM's file is not passed"
test ! -e "$T/vms/bios2/vars.fd"
ok $? "... nor created"

r=$(req '{"cmd":"start","name":"uefi1","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running "a UEFI VM next to them starts"
like "$(argv uefi1)" "-l bootrom,$T/BHYVE_UEFI_CODE.fd,$T/vms/uefi1/vars.fd" \
    "... with the UEFI code and its vars file"
r=$(req '{"cmd":"status","name":"uefi1"}')
is "$(jget "$r" 'o["result"]["vm"]["firmware"]')" uefi "status: firmware uefi"

# attach-iso with boot: there are no boot entries to reset.
req '{"cmd":"poweroff","name":"bios1","wait":true}' >/dev/null
truncate -s 1M "$T/cd.iso"
r=$(req "{\"cmd\":\"attach-iso\",\"name\":\"bios1\",\"path\":\"$T/cd.iso\",\"boot\":true}")
like "$(jget "$r" 'o["result"]["note"]')" "firmware = bios has no boot entries" \
    "attach-iso boot on a BIOS VM says there are no boot entries to reset"
test ! -e "$RUN/bios1.fresh-vars"
ok $? "... and asks the monitor for no fresh vars"
r=$(req '{"cmd":"start","name":"bios1","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running "bios1 starts with the ISO"
like "$(argv bios1) " "-l bootrom,$T/BHYVE_UEFI_CSM.fd " \
    "... booting the CSM ROM"
like "$(argv bios1)" "-s 3,ahci-cd,$T/cd.iso,ro" "... with the CD attached"

for vm in bios1 bios2 uefi1; do
	req "{\"cmd\":\"poweroff\",\"name\":\"$vm\",\"wait\":true}" >/dev/null
done
done_testing
