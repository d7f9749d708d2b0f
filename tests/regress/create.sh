#!/bin/bash
# create and delete: a new VM with its disk in a directory or a ZFS dataset
# (the zfs double), every refusal, undo on failure, the idempotent second
# run, firmware = bios (no vars file), delete, and the new VM starting
# (bhyve doubles).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init

conf_agent "zfs=$FAKE/zfs"
$FAKE/ifconfig bridge0 create >/dev/null
conf_vm vm1 bridge=bridge0 mac=02:00:00:00:00:01
mkdir -p "$T/disks"
$FAKE/zfs create tank >/dev/null
agent_start
ok $? "agent starts"

tui() { "$TUI" --socket "$SOCK" --batch "$@"; }
# nothing NAME: no INI, no directory, no dataset
nothing() {
	[ ! -e "$CONF/$1.ini" ] && [ ! -e "$T/disks/$1" ] &&
	    ! ANLASSER_FAKE_NOLOG=1 $FAKE/zfs list "tank/$1" >/dev/null 2>&1 &&
	    [ -z "$(ls -A "$CONF" | grep '^\.')" ]
}

# --- create with a disk directory --------------------------------------
out=$(tui create web1 --disk-size 20G --disk-dir "$T/disks" --memory 512 \
    --cpus 2 --bridge bridge0 2>&1)
ok $? "create web1 in a disk directory succeeds"
like "$out" "web1: created" "... says so"
like "$out" "created: $T/disks/web1/disk0.img" "... and lists the disk it made"
like "$out" "created: $CONF/web1.ini" "... and the INI file"
is "$(stat -c %s "$T/disks/web1/disk0.img")" 21474836480 "disk is 20G (apparent size)"
alloc=$(du -k "$T/disks/web1/disk0.img" | cut -f1)
[ "$alloc" -lt 1024 ]
ok $? "disk is sparse: $alloc KiB allocated"
is "$(cat "$T/disks/web1/uefi-vars.fd")" VARS "UEFI vars copied from the template"
ini=$(cat "$CONF/web1.ini")
like "$ini" "memory_mb = 512" "INI: memory"
like "$ini" "cpu_cores = 2" "INI: --cpus 2 is 2 cores"
like "$ini" "storage_path = $T/disks/web1/disk0.img" "INI: storage_path"
like "$ini" "bridge = bridge0" "INI: bridge"
mac=$(sed -n 's/^mac = //p' "$CONF/web1.ini")
like "$mac" "02:a1:" "INI: a locally administered MAC was picked ($mac)"
[ "$mac" != 02:00:00:00:00:01 ]
ok $? "... not the one vm1 has"
"$AGENT" --check -c "$CONF" >/dev/null 2>&1
ok $? "the config directory passes anlasser-agent --check"
like "$(tui list)" "web1 " "the new VM is listed without a reload"

# --- idempotent second run ----------------------------------------------
sum=$(cksum < "$CONF/web1.ini")
r=$(tui create web1 --disk-size 20G --disk-dir "$T/disks" --memory 512 \
    --cpus 2 --bridge bridge0 --json)
ok $? "the same create again succeeds"
is "$(jget "$r" 'o["changed"]')" false "... with changed: false"
is "$(jget "$r" 'o["disk"]')" "$T/disks/web1/disk0.img" "... and the existing VM's disk"
is "$(jget "$r" 'o["mac"]')" "$mac" "... and MAC"
is "$(cksum < "$CONF/web1.ini")" "$sum" "... the INI file is untouched"
out=$(tui create web1 --disk-size 20G --disk-dir "$T/disks" --memory 1024 \
    --cpus 2 --bridge bridge0 2>&1)
[ $? -eq 1 ]
ok $? "a different VM with the same name: exit 1"
like "$out" "a different VM named web1 exists: memory_mb is 512, not 1024" \
    "... saying what differs"
out=$(tui create web1 --disk-size 30G --disk-dir "$T/disks" --memory 512 \
    --cpus 2 --bridge bridge0 2>&1)
like "$out" "not 32212254720" "a different disk size is a different VM"
is "$(cksum < "$CONF/web1.ini")" "$sum" "the INI file is still untouched"
is "$(stat -c %s "$T/disks/web1/disk0.img")" 21474836480 "the disk is untouched"

# --- refusals ------------------------------------------------------------
r=$(req '{"cmd":"create","name":"bad1","disk_size":"20X","disk_dir":"'"$T/disks"'"}')
is "$(jget "$r" 'o["error"]["code"]')" bad-argument "bad size 20X: bad-argument"
like "$(jget "$r" 'o["error"]["message"]')" '"20X" is not a size' "... with a clear message"
out=$(tui create bad1 --disk-size 100 --disk-dir "$T/disks" 2>&1)
like "$out" "out of range: 1M to 1024T" "a 100-byte disk is refused"
out=$(tui create bad1 --disk-size 1G --disk-dir "$T/disks" --memory 5 2>&1)
like "$out" "memory_mb: 5 is out of range" "memory the loader refuses is refused"
r=$(req '{"cmd":"create","name":"bad1","disk_size":"1G","disk_dir":"'"$T/disks"'","memory_mb":5}')
is "$(jget "$r" 'o["error"]["code"]')" invalid-config "... as invalid-config"
like "$(jget "$r" 'o["error"]["problems"][0]')" "$CONF/bad1.ini" \
    "... with the loader's problems, naming the real file"
r=$(req '{"cmd":"create","name":"-bad","disk_size":"1G"}')
is "$(jget "$r" 'o["error"]["code"]')" bad-argument "bad name -bad: bad-argument"
out=$(tui create 'a b' --disk-size 1G --disk-dir "$T/disks" 2>&1)
[ $? -ne 0 ] && [ ! -e "$CONF/a b.ini" ]
ok $? "bad name 'a b' refused ($out)"
out=$(tui create mac1 --disk-size 1G --disk-dir "$T/disks" --bridge bridge0 \
    --mac 02:00:00:00:00:01 2>&1)
like "$out" "mac 02:00:00:00:00:01 is used by VM vm1" "a MAC vm1 has is refused"
out=$(tui create mac1 --disk-size 1G --disk-dir "$T/disks" --bridge bridge0 \
    --mac "$mac" 2>&1)
like "$out" "mac $mac is used by VM web1" "a MAC web1 got is refused"
out=$(tui create mac1 --disk-size 1G --disk-dir "$T/disks" --mac 02:00:00:00:00:09 2>&1)
like "$out" "mac needs bridge" "a MAC without a bridge (no network card) is refused"
mkdir -p "$T/disks/old1"
echo "precious data" > "$T/disks/old1/disk0.img"
out=$(tui create old1 --disk-size 1G --disk-dir "$T/disks" 2>&1)
like "$out" "disk0.img exists: create never overwrites" "an existing disk image is refused"
is "$(cat "$T/disks/old1/disk0.img")" "precious data" "... and left as it was"
[ ! -e "$CONF/old1.ini" ] && [ ! -e "$T/disks/old1/uefi-vars.fd" ]
ok $? "... and nothing else was made"
rm -rf "$T/disks/old1"
out=$(tui create vm1 --disk-size 1G --disk-dir "$T/disks" 2>&1)
like "$out" "a different VM named vm1 exists" "an existing name is refused"
out=$(tui create nodir --disk-size 1G 2>&1)
like "$out" "where should the disk go" "no disk dir and no vm_dir: refused"
out=$(tui create nodir --disk-size 1G --zfs-dataset tank --disk-dir "$T/disks" 2>&1)
like "$out" "either disk_dir or zfs_dataset" "disk dir and dataset together: refused"
out=$(tui create nodir --disk-size 1G --disk-dir "$T/disks" --recordsize 64K 2>&1)
like "$out" "recordsize needs zfs_dataset" "recordsize without a dataset: refused"
out=$(tui create nodir --disk-size 1G --zfs-dataset tank --recordsize 3000 2>&1)
like "$out" "not a power of two" "a bad recordsize is refused"
out=$(tui create nodir --disk-size 1G --zfs-dataset tank/none 2>&1)
like "$out" "dataset does not exist" "a missing parent dataset is refused"
out=$(tui create nodir --disk-size 1G --zfs-dataset 'tank/x y' 2>&1)
like "$out" "is not a dataset name" "a bad dataset name is refused"
out=$(tui create nodir --disk-dir "$T/disks" 2>&1)
[ $? -eq 2 ]
ok $? "--disk-size is required (usage error, exit 2: ${out%%$'\n'*})"
nothing nodir && nothing bad1 && nothing mac1 && nothing old1
ok $? "no refusal left a file, directory or dataset behind"

# --- ZFS dataset -----------------------------------------------------------
: > "$ANLASSER_FAKE_DIR/calls.log"
r=$(tui create db1 --disk-size 2G --zfs-dataset tank --recordsize 64K \
    --memory 256 --bridge bridge0 --json)
ok $? "create db1 in a new dataset succeeds"
like "$(calls)" "zfs create -o recordsize=65536 tank/db1" "zfs create with the recordsize"
is "$(ANLASSER_FAKE_NOLOG=1 $FAKE/zfs get -H -o value recordsize tank/db1)" 64K \
    "the dataset has recordsize 64K"
mp=$(ANLASSER_FAKE_NOLOG=1 $FAKE/zfs get -H -o value mountpoint tank/db1)
is "$(jget "$r" 'o["disk"]')" "$mp/disk0.img" "the disk is in the dataset's mountpoint"
is "$(jget "$r" 'o["zfs_dataset"]')" tank/db1 "the reply names the dataset"
is "$(stat -c %s "$mp/disk0.img")" 2147483648 "disk is 2G"
[ "$(du -k "$mp/disk0.img" | cut -f1)" -lt 1024 ]
ok $? "... and sparse"
for p in $(jget "$r" '" ".join(o["created"])'); do
	[ -e "$p" ] || echo "# missing: $p"
done | grep -q missing
[ $? -ne 0 ]
ok $? "every path the reply lists exists"
r=$(tui create db1 --disk-size 2G --zfs-dataset tank --recordsize 64K \
    --memory 256 --bridge bridge0 --json)
is "$(jget "$r" 'o["changed"]')" false "the same dataset create again: changed false"
ANLASSER_FAKE_NOLOG=1 $FAKE/zfs create tank/db3 >/dev/null
out=$(tui create db3 --disk-size 1G --zfs-dataset tank 2>&1)
like "$out" "dataset already exists" "an existing dataset is refused"
[ ! -e "$CONF/db3.ini" ]
ok $? "... without an INI file"

# --- undo on failure ---------------------------------------------------
sed "s|^uefi_vars_template = .*|uefi_vars_template = $T/no-such-template.fd|" \
    "$CONF/anlasser.conf" > "$T/a.conf" && mv "$T/a.conf" "$CONF/anlasser.conf"
tui reload >/dev/null
out=$(tui create undo1 --disk-size 1G --zfs-dataset tank --bridge bridge0 2>&1)
like "$out" "copying the UEFI vars template" "a failing template copy fails the create"
ANLASSER_FAKE_NOLOG=1 $FAKE/zfs list tank/undo1 >/dev/null 2>&1
[ $? -ne 0 ] && [ ! -e "$CONF/undo1.ini" ] && [ ! -e "$ANLASSER_FAKE_DIR/mnt/tank/undo1/disk0.img" ]
ok $? "... and leaves no dataset, no disk, no INI"
like "$(calls)" "zfs destroy tank/undo1" "... the dataset it made was destroyed"
out=$(tui create undo2 --disk-size 1G --disk-dir "$T/disks" 2>&1)
[ $? -ne 0 ] && nothing undo2
ok $? "with a disk dir: no directory, disk or INI left ($out)"

# --- firmware = bios (the vars template is still missing here) ----------
CSM_DEFAULT=/usr/local/share/uefi-firmware/BHYVE_UEFI_CSM.fd
out=$(tui create bios1 --disk-size 1G --disk-dir "$T/disks" --firmware bios 2>&1)
ok $? "create --firmware bios succeeds without a vars template ($out)"
like "$out" "created: $T/disks/bios1/disk0.img" "... makes the disk"
case "$out" in *uefi-vars*) ok 1 "... and lists no vars file" ;;
*) ok 0 "... and lists no vars file" ;; esac
[ -f "$T/disks/bios1/disk0.img" ] && [ ! -e "$T/disks/bios1/uefi-vars.fd" ]
ok $? "the disk exists, no uefi-vars.fd was made"
ini=$(cat "$CONF/bios1.ini")
like "$ini" "firmware = bios" "INI: firmware = bios"
grep -q '^uefi_vars_storage_path' "$CONF/bios1.ini"
[ $? -eq 1 ]
ok $? "INI: no uefi_vars_storage_path"
"$AGENT" --check -c "$CONF" >/dev/null 2>&1
ok $? "the config directory passes anlasser-agent --check"
cmd=$(tui show-command bios1)
like "$cmd " "-l bootrom,$CSM_DEFAULT " \
    "show-command: -l bootrom,CSM ROM without a vars file"
r=$(req '{"cmd":"status","name":"bios1"}')
is "$(jget "$r" '[o["result"]["vm"]["firmware"], o["result"]["vm"]["uefi_vars"]]')" \
    '["bios", null]' "status: firmware bios, no UEFI vars"
r=$(tui create bios1 --disk-size 1G --disk-dir "$T/disks" --firmware bios --json)
is "$(jget "$r" '[o["changed"], o["uefi_vars"]]')" '[false, null]' \
    "the same bios create again: changed false, uefi_vars null"
out=$(tui create bios1 --disk-size 1G --disk-dir "$T/disks" 2>&1)
like "$out" "a different VM named bios1 exists: its firmware is bios, not uefi" \
    "the same VM without --firmware is a different VM (UEFI)"
r=$(req '{"cmd":"create","name":"fw1","disk_size":"1G","disk_dir":"'"$T/disks"'","firmware":"efi"}')
is "$(jget "$r" 'o["error"]["code"]')" bad-argument "firmware efi: bad-argument"
is "$(jget "$r" 'o["error"]["message"]')" "firmware: efi is not allowed (uefi or bios)" \
    "... naming the field and the values allowed"
r=$(req '{"cmd":"create","name":"fw1","disk_size":"1G","disk_dir":"'"$T/disks"'","firmware":"bios\nmemory_mb = 64"}')
like "$(jget "$r" 'o["error"]["message"]')" "firmware: bios?memory_mb = 64 is not allowed" \
    "a second line smuggled into firmware is refused"
out=$(tui create fw1 --disk-size 1G --disk-dir "$T/disks" --firmware BIOS 2>&1)
rc=$?
is "$rc" 2 "--firmware BIOS: usage error, exit 2"
like "$out" "--firmware: BIOS is not allowed (uefi or bios)" \
    "... naming the option and the values allowed"
nothing fw1
ok $? "no refused firmware left a file, directory or dataset behind"
conf_agent "zfs=$FAKE/zfs" "vm_dir=$T/vmdir"
mkdir -p "$T/vmdir"
tui reload >/dev/null

# --- vm_dir default ------------------------------------------------------
r=$(tui create def1 --disk-size 1M --json)
is "$(jget "$r" 'o["disk"]')" "$T/vmdir/def1/disk0.img" "without --disk-dir the disk goes to vm_dir/NAME"
is "$(jget "$r" 'o["mac"]')" null "... and a VM without --bridge has no network card"
r=$(tui create def2 --disk-size 1M --firmware uefi --json)
is "$(jget "$r" 'o["uefi_vars"]')" "$T/vmdir/def2/uefi-vars.fd" \
    "--firmware uefi: the vars file as without it"
like "$(cat "$CONF/def2.ini")" "firmware = uefi" "... and firmware = uefi in the INI"
is "$(cat "$T/vmdir/def2/uefi-vars.fd")" VARS "... copied from the template"

# --- the new VM starts -------------------------------------------------
out=$(tui start web1)
ok $? "the created VM starts ($out)"
argv=$(grep '^bhyve ' "$ANLASSER_FAKE_DIR/calls.log" | tail -1)
like "$argv" "nvme,$T/disks/web1/disk0.img" "bhyve gets the new disk"
like "$argv" "mac=$mac" "... and the picked MAC"
like "$argv" "$T/disks/web1/uefi-vars.fd" "... and the new vars file"

# --- delete --------------------------------------------------------------
r=$(req '{"cmd":"delete","name":"web1"}')
is "$(jget "$r" 'o["error"]["code"]')" busy "delete of a running VM: busy"
[ -e "$CONF/web1.ini" ]
ok $? "... and the INI file stays"
tui stop web1 >/dev/null
out=$(tui delete web1 2>&1)
ok $? "delete a stopped VM"
like "$out" "removed: $CONF/web1.ini" "... removes its INI file"
like "$out" "kept: $T/disks/web1/disk0.img" "... and says the disk is kept"
like "$out" "are yours" "... and that disks are the user's"
[ ! -e "$CONF/web1.ini" ] && [ -e "$T/disks/web1/disk0.img" ] &&
    [ -e "$T/disks/web1/uefi-vars.fd" ]
ok $? "INI gone, disk and vars still there"
[ -z "$(ls -A "$CONF" | grep '^\.')" ]
ok $? "no hidden leftovers in the config directory"
out=$(tui list)
ok $? "the agent still answers after the delete"
case "$out" in *"web1 "*) ok 1 "web1 is gone from the list" ;;
*) ok 0 "web1 is gone from the list" ;; esac
r=$(req '{"cmd":"delete","name":"web1"}')
is "$(jget "$r" 'o["error"]["code"]')" no-such-vm "deleting it again: no-such-vm"
out=$(tui create web1 --disk-size 20G --disk-dir "$T/disks" --memory 512 \
    --cpus 2 --bridge bridge0 2>&1)
like "$out" "disk0.img exists: create never overwrites" \
    "re-creating it refuses to reuse the kept disk"
tui delete db1 >/dev/null 2>&1
ANLASSER_FAKE_NOLOG=1 $FAKE/zfs list tank/db1 >/dev/null 2>&1
ok $? "delete leaves the dataset alone"

done_testing
