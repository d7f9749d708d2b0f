#!/bin/bash
# With 20 VMs hanging in shutdown (guests ignoring the power button, a
# long shutdown_timeout), the agent still answers list and status within
# 1 s each, and a poweroff still ends them.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init

N=20
conf_agent
for i in $(seq $N); do
	conf_vm "h$i" shutdown_timeout=600
	echo sigterm=ignore >"$ANLASSER_FAKE_DIR/h$i.behave"
done
conf_vm calm
count_is() {	# count_is STATE N: exactly N VMs in STATE?
	[ "$(req '{"cmd":"list"}' | python3 -c '
import json, sys
print(sum(v["state"] == sys.argv[1] for v in json.load(sys.stdin)["result"]["vms"]))' "$1")" = "$2" ]
}
if ! agent_start; then
	echo "Bail out! the agent does not start"
	exit 1
fi

starts=
for i in $(seq $N); do starts="$starts {\"cmd\":\"start\",\"name\":\"h$i\"}"; done
req $starts >/dev/null
wait_for 20 count_is running $N
ok $? "$N VMs running"
stops=
for i in $(seq $N); do stops="$stops {\"cmd\":\"stop\",\"name\":\"h$i\"}"; done
req $stops >/dev/null
# A client waiting for all of them (its reply only comes much later).
python3 - "$SOCK" >"$T/stopall.out" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(120); s.connect(sys.argv[1])
s.sendall(b'{"id":"all","cmd":"stop-all"}\n')
print(s.makefile("rb").readline().decode().strip())
EOF
waiter=$!
sleep 1

python3 - "$SOCK" "$N" >"$T/hang.out" <<'EOF'
import json, socket, sys, time
sock, n = sys.argv[1], int(sys.argv[2])
def timed(q):
    t0 = time.time()
    s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sock)
    s.sendall(json.dumps(q).encode() + b"\n")
    f = s.makefile("rb")
    o = json.loads(f.readline())
    s.close()
    return time.time() - t0, o
worst = {"list": 0, "status": 0}
states = set()
for rnd in range(5):
    t, o = timed({"cmd": "list"})
    worst["list"] = max(worst["list"], t)
    states |= {v["state"] for v in o["result"]["vms"] if v["name"] != "calm"}
    for i in range(1, n + 1):
        t, o = timed({"cmd": "status", "name": "h%d" % i})
        worst["status"] = max(worst["status"], t)
        states.add(o["result"]["vm"]["state"])
print("list %.4f" % worst["list"])
print("status %.4f" % worst["status"])
print("states " + ",".join(sorted(states)))
t, o = timed({"cmd": "start", "name": "calm", "wait": True})
print("start %.3f %s" % (t, o["result"]["state"] if o["ok"] else o["error"]["message"]))
EOF
sed 's/^/# /' "$T/hang.out"
is "$(awk '$1 == "states" { print $2 }' "$T/hang.out")" stopping "all $N VMs are hanging in stopping"
l=$(awk '$1 == "list" { print $2 }' "$T/hang.out")
s=$(awk '$1 == "status" { print $2 }' "$T/hang.out")
ok $(awk -v t="$l" 'BEGIN { exit !(t ~ /^[0-9.]+$/ && t < 1) }'; echo $?) "list answered within 1 s each (slowest ${l}s of 5)"
ok $(awk -v t="$s" 'BEGIN { exit !(t ~ /^[0-9.]+$/ && t < 1) }'; echo $?) "status answered within 1 s each (slowest ${s}s of $((5 * N)))"
like "$(awk '$1 == "start" { print $3 }' "$T/hang.out")" running "another VM starts meanwhile"

offs=
for i in $(seq $N); do offs="$offs {\"cmd\":\"poweroff\",\"name\":\"h$i\"}"; done
req $offs '{"cmd":"poweroff","name":"calm"}' >/dev/null
wait_for 20 count_is stopped $((N + 1))
ok $? "poweroff ends all of them"
wait_for 5 test -s "$T/stopall.out"
r=$(cat "$T/stopall.out")
is "$(jget "$r" '[x["outcome"] for x in o["result"]["results"]].count("forced")')" $N \
    "the stop-all waiting all along is answered: $N forced"
kill "$waiter" 2>/dev/null
wait "$waiter" 2>/dev/null
agent_stop
done_testing
