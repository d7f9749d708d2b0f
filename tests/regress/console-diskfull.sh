#!/bin/bash
# Disk full while writing a console log: the monitor keeps capturing into
# its scrollback, says so once in the log, and the VM and the agent go on.
# The log file is a link to /dev/full, where every write fails with ENOSPC.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init

export ANLASSER_NMDM_DIR="$T/nmdm"
mkdir -p "$ANLASSER_NMDM_DIR" "$T/log"
chmod 0750 "$T/log"
conf_agent
conf_vm vm1
ln -s /dev/full "$T/log/vm1.console.log"
echo "console=full disk line" > "$ANLASSER_FAKE_DIR/vm1.behave"
agent_start
r=$(req '{"cmd":"start","name":"vm1","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running "vm1 starts with its console log on a full disk"
sleep 3
is "$(vm_state vm1)" running "the VM keeps running while log writes fail"
out=$(printf '' | timeout 20 "$TUI" --socket "$SOCK" --batch console vm1 2>/dev/null)
like "$out" "full disk line" "the scrollback still holds the console output"
n=$(grep -c -i "no space\|console log" "$T/agent.log")
[ "$n" -ge 1 ] && [ "$n" -le 2 ]
ok $? "the write error is logged once, not per line ($n)"
r=$(req '{"cmd":"list"}')
is "$(jget "$r" 'o["ok"]')" true "the agent answers"
r=$(req '{"cmd":"poweroff","name":"vm1","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" stopped "and the VM stops normally"

done_testing
