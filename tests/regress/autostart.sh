#!/bin/bash
# Autostart in order, waiting for storage that appears later (an encrypted
# dataset unlocked after boot), start-all and stop-all, with the doubles.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init

conf_agent
conf_vm a autostart=yes autostart_order=20
conf_vm b autostart=yes autostart_order=10 autostart_delay=1
conf_vm c
# d lives on a "dataset" that is not mounted yet.
conf_vm d autostart=yes autostart_order=5
mv "$T/vms/d" "$T/vms/d.locked"
agent_start
wait_state a running 10 && wait_state b running 10
ok $? "autostart VMs start when the agent starts"
is "$(grep '^bhyve ' "$ANLASSER_FAKE_DIR/calls.log" | awk '{print $NF}' | tr '\n' ' ')" "b a " "in autostart_order (b=10 before a=20)"
is "$(vm_state c)" stopped "a VM without autostart stays stopped"
r=$(req '{"cmd":"status","name":"d"}')
is "$(jget "$r" 'o["result"]["vm"]["waiting_for"]')" "$T/vms/d/disk.img" "d waits for its storage, with the missing path"
is "$(jget "$r" 'o["result"]["vm"]["state"]')" stopped "... and is not failed"

r=$(req '{"cmd":"start-all"}')
is "$(jget "$r" 'o["result"]["changed"]')" false "start-all with everything running changes nothing"
is "$(jget "$r" '[w["name"] for w in o["result"]["waiting"]]')" '["d"]' "start-all reports d as waiting"

mv "$T/vms/d.locked" "$T/vms/d"
wait_state d running 15
ok $? "d starts by itself once its storage appears"
r=$(req '{"cmd":"status","name":"d"}')
is "$(jget "$r" 'o["result"]["vm"]["waiting_for"]')" null "waiting_for is cleared"

# An agent restart does not start VMs the user stopped.
req '{"cmd":"stop","name":"a","wait":true}' >/dev/null
agent_stop
agent_start
sleep 1
is "$(vm_state a)" stopped "an agent restart leaves a stopped autostart VM stopped"
r=$(req '{"cmd":"start-all"}')
is "$(jget "$r" 'o["result"]["started"]')" '["a"]' "start-all starts it (the step after unlocking datasets)"
wait_state a running 10

echo "sigterm=ignore" > "$ANLASSER_FAKE_DIR/b.behave"
sed -i 's/^autostart = yes/autostart = yes\nshutdown_timeout = 1/' "$CONF/b.ini"
req '{"cmd":"reload"}' >/dev/null
req '{"cmd":"restart","name":"b","wait":true}' >/dev/null
wait_state b running 10
r=$(req '{"cmd":"stop-all"}')
is "$(jget "$r" 'sorted((x["name"], x["outcome"]) for x in o["result"]["results"])')" \
    '[["a", "graceful"], ["b", "forced"], ["d", "graceful"]]' \
    "stop-all reports which VMs stopped gracefully and which were forced"
r=$(req '{"cmd":"list"}')
is "$(jget "$r" 'sorted(set(v["state"] for v in o["result"]["vms"]))')" '["stopped"]' "everything is stopped afterwards"

done_testing
