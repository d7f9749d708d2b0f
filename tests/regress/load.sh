#!/bin/bash
# Load: 300 clients at once with mixed requests while VMs start and stop
# (only the expected errors, every request answered, no descriptor leak,
# memory flat afterwards); then 1000 configured VMs (list and reload
# answered; the times are printed, only generous bounds are asserted:
# figures belong to tests/bench).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init

NVM=20
conf_agent
for i in $(seq $NVM); do
	conf_vm "vm$i" shutdown_timeout=2
	# Every third guest ignores the power button: its stop is forced.
	[ $((i % 3)) -eq 0 ] && echo sigterm=ignore >"$ANLASSER_FAKE_DIR/vm$i.behave"
done
if ! agent_start; then
	echo "Bail out! the agent does not start"
	exit 1
fi

nfds() {
	ls "/proc/$agent_pid/fd" | wc -l
}
rss() {
	awk '/^VmRSS/ { print $2 }' "/proc/$agent_pid/status"
}
# ASan keeps freed memory in quarantine: a larger RSS margin there.
SAN=1
grep -q -a __asan_init "$AGENT" && SAN=48
live() {	# how many VMs are not stopped
	req '{"cmd":"list"}' | python3 -c '
import json, sys
print(sum(v["state"] not in ("stopped", "failed") for v in json.load(sys.stdin)["result"]["vms"]))'
}

# Warm up (first allocations, first monitor) so that the baseline is fair.
req '{"cmd":"start","name":"vm1","wait":true}' '{"cmd":"poweroff","name":"vm1","wait":true}' >/dev/null
sleep 0.5
fds0=$(nfds)
rss0=$(rss)
echo "# agent before: $fds0 descriptors, RSS $rss0 KiB"

python3 - "$SOCK" "$NVM" >"$T/load.out" 2>&1 <<'EOF'
import json, random, socket, sys, threading, time
sock, nvm = sys.argv[1], int(sys.argv[2])
NCLIENTS, NREQ = 300, 12
barrier = threading.Barrier(NCLIENTS)
lock = threading.Lock()
codes, bad, lat = {}, [], []
def client(k):
    rnd = random.Random(k)
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(60)
    try:
        barrier.wait(30)
        s.connect(sock)
    except Exception as e:
        with lock: bad.append("connect: %r" % e)
        return
    f = s.makefile("rb")
    for i in range(NREQ):
        vm = "vm%d" % rnd.randint(1, nvm)
        q = rnd.choice([{"cmd": "list"}, {"cmd": "status", "name": vm},
                        {"cmd": "start", "name": vm},
                        {"cmd": "stop", "name": vm},
                        {"cmd": "poweroff", "name": vm},
                        {"cmd": "hello", "version": 1}])
        q["id"] = "%d-%d" % (k, i)
        time.sleep(rnd.random() * 0.3)	# spread over the VMs' start-ups
        t0 = time.time()
        s.sendall(json.dumps(q).encode() + b"\n")
        while True:
            line = f.readline()
            if not line:
                with lock: bad.append("%s: connection closed" % q["id"])
                return
            o = json.loads(line)
            if "event" not in o:
                break
        with lock:
            lat.append(time.time() - t0)
            if o.get("id") != q["id"]:
                bad.append("%s: reply for %s" % (q["id"], o.get("id")))
            elif o["ok"]:
                codes["ok"] = codes.get("ok", 0) + 1
            else:
                c = q["cmd"] + ":" + o["error"]["code"]
                codes[c] = codes.get(c, 0) + 1
    s.close()
t0 = time.time()
th = [threading.Thread(target=client, args=(k,)) for k in range(NCLIENTS)]
for t in th: t.start()
for t in th: t.join()
lat.sort()
print("time %.2f" % (time.time() - t0))
print("answered %d" % len(lat))
print("p50 %.4f" % lat[len(lat) // 2] if lat else "p50 -")
print("max %.4f" % lat[-1] if lat else "max -")
print("codes " + " ".join("%s=%d" % kv for kv in sorted(codes.items())))
for b in bad[:20]:
    print("bad " + b)
EOF
sed 's/^/# /' "$T/load.out"
is "$(awk '$1 == "answered" { print $2 }' "$T/load.out")" 3600 \
    "300 clients x 12 mixed requests at once: every request answered"
is "$(grep -c '^bad ' "$T/load.out")" 0 "... each with its own id, no connection lost"
unexpected=$(awk '$1 == "codes" { for (i = 2; i <= NF; i++) print $i }' "$T/load.out" |
    grep -v -e '^ok=' -e '^start:busy=')
is "$unexpected" "" "... no errors but 'busy' for starting a VM that is stopping"
ok "$(kill -0 "$agent_pid"; echo $?)" "the agent is still running"

# Let everything settle: stop what runs, wait for the monitors to go.
r=$(req '{"cmd":"stop-all","id":"all"}')
is "$(jget "$r" 'o["ok"]')" true "stop-all after the storm is answered"
wait_for 30 test "$(live)" = 0
ok $? "every VM is stopped"
wait_for 10 sh -c "[ -z \"\$(ls $RUN/*.pid 2>/dev/null)\" ]"
ok $? "every monitor has exited"
wait_for 5 test "$(nfds)" = "$fds0"
is "$(nfds)" "$fds0" "the agent holds as many descriptors as before"
rss1=$(rss)
echo "# agent after: $(nfds) descriptors, RSS $rss1 KiB"
ok $(( rss1 - rss0 > 8192 * SAN )) "RSS flat: $rss0 -> $rss1 KiB (margin $((8 * SAN)) MiB)"
is "$(ps --ppid "$agent_pid" -o stat= | grep -c Z)" 0 "no zombie children"

# --- 1000 configured VMs -----------------------------------------------
python3 - "$CONF" "$T/vms" <<'EOF'
import os, sys
conf, vms = sys.argv[1], sys.argv[2]
for i in range(1, 1001):
    n = "big%04d" % i
    os.makedirs("%s/%s" % (vms, n), exist_ok=True)
    open("%s/%s/disk.img" % (vms, n), "w").close()
    with open("%s/%s.ini" % (conf, n), "w") as f:
        f.write("[VM]\nname = %s\nmemory_mb = 256\n"
                "storage_path = %s/%s/disk.img\n"
                "uefi_vars_storage_path = %s/%s/vars.fd\n" % (n, vms, n, vms, n))
EOF
timed() {	# timed JSON: prints "SECONDS REPLY"
	python3 - "$SOCK" "$1" <<'EOF'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.settimeout(60); s.connect(sys.argv[1])
f = s.makefile("rb")
t0 = time.time()
s.sendall(sys.argv[2].encode() + b"\n")
o = json.loads(f.readline())
t = time.time() - t0
r = o.get("result", {})
print("%.3f" % t, o["ok"], len(r.get("vms", [])), len(r.get("added", [])))
EOF
}
set -- $(timed '{"cmd":"reload"}')
echo "# reload adding 1000 VMs: $1 s"
is "$2 $4" "True 1000" "reload with 1000 new VM files: applied, 1000 added"
ok $(awk -v t="$1" 'BEGIN { exit !(t < 5) }'; echo $?) "... in under 5 s ($1 s)"
set -- $(timed '{"cmd":"list"}')
echo "# list of 1020 VMs: $1 s"
is "$2 $3" "True 1020" "list answers with 1020 VMs"
ok $(awk -v t="$1" 'BEGIN { exit !(t < 5) }'; echo $?) "... in under 5 s ($1 s)"
set -- $(timed '{"cmd":"reload"}')
echo "# reload of 1020 unchanged VMs: $1 s"
is "$2" True "a second reload is applied"
ok $(awk -v t="$1" 'BEGIN { exit !(t < 5) }'; echo $?) "... in under 5 s ($1 s)"
set -- $(timed '{"cmd":"status","name":"big0999"}')
ok $(awk -v t="$1" 'BEGIN { exit !(t < 1) }'; echo $?) "status of one of 1020 VMs in under 1 s ($1 s)"
r=$(req '{"cmd":"start","name":"big0500","wait":true}')
is "$(jget "$r" 'o["result"]["state"]')" running "one of 1020 VMs starts"
req '{"cmd":"poweroff","name":"big0500","wait":true}' >/dev/null
rm -f "$CONF"/big*.ini
set -- $(timed '{"cmd":"reload"}')
is "$2" True "reload removing 1000 VMs is applied"
set -- $(timed '{"cmd":"list"}')
is "$3" "$NVM" "... and list is back to $NVM VMs"

agent_stop
done_testing
