#!/bin/bash
# Bad input on the agent's socket and in its configuration: every case
# checks the error a user would see and that the agent still answers
# afterwards.  Also the socket's access control, run as an unprivileged
# user (uid 65534) in groups this test creates and removes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init

# Python helpers for raw socket work; py 'CODE' runs CODE after them.
cat >"$T/t.py" <<'EOF'
import json, os, random, socket, sys, time
sys.setrecursionlimit(20000)
SOCK = os.environ["ANLASSER_SOCKET"]

def conn(t=10.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(t)
    s.connect(SOCK)
    return s

def readlines(s, n=None, quiet=1.0):
    """Lines until n were read, the agent closed, or quiet s of silence.
    Returns (lines, closed)."""
    buf, out = b"", []
    s.settimeout(quiet)
    while n is None or len(out) < n:
        try:
            d = s.recv(1 << 16)
        except socket.timeout:
            return out, False
        except ConnectionResetError:
            return out, True
        if not d:
            return out, True
        buf += d
        while b"\n" in buf:
            l, buf = buf.split(b"\n", 1)
            out.append(json.loads(l))
    return out, False

def ask(data, n=1, quiet=2.0):
    """Send bytes (or an object), return the replies and whether closed."""
    if not isinstance(data, bytes):
        data = json.dumps(data).encode() + b"\n"
    s = conn()
    s.sendall(data)
    r = readlines(s, n, quiet)
    s.close()
    return r

def err(r):
    """'code: message' of the one reply r (a list from ask)."""
    if len(r) != 1:
        return "%d replies" % len(r)
    o = r[0]
    if o.get("ok") is not False:
        return "ok: " + json.dumps(o)[:200]
    return o["error"]["code"] + ": " + o["error"]["message"]

def alive():
    """Does a new connection get a list?"""
    try:
        r, _ = ask({"cmd": "list"}, 1, 5.0)
        return "alive" if r and r[0].get("ok") else "no list: %r" % r
    except OSError as e:
        return "dead: %s" % e
EOF
py() {
	AGENT_PID=$agent_pid CONF=$CONF python3 -c "exec(open('$T/t.py').read())
$1"
}
alive() {
	is "$(py 'print(alive())')" alive "... and the agent still answers"
}
rss() {
	awk '/^VmRSS/ { print $2 }' "/proc/$agent_pid/status"
}
# ASan keeps freed memory in quarantine: larger RSS margins there.
SAN=1
grep -q -a __asan_init "$AGENT" && SAN=12

mkdir -p "$T/iso" "$T/outside"
conf_agent "iso_dirs=$T/iso"
conf_vm vm1 shutdown_timeout=5
agent_start
ok $? "agent starts"

# --- framing ----------------------------------------------------------
r=$(py 'r, c = ask(b"\n\r\n\n{\"id\":7,\"cmd\":\"hello\",\"version\":1}\n", None, 1.0)
print(len(r), r[0].get("id"), r[0].get("ok"))')
is "$r" "1 7 True" "blank lines are ignored: one reply for one request"
r=$(py 'r, c = ask(b" \t \n{\"id\":8,\"cmd\":\"list\"}\n", None, 1.0)
print(len(r), r[0]["error"]["code"], r[-1].get("id"))')
is "$r" "2 invalid-json 8" "a line of only spaces is not empty: invalid-json (as documented)"

r=$(py 's = conn(); s.sendall(b"{\"id\":1,\"cmd\":\n{\"id\":2,\"cmd\":\"list\"}\n")
r, c = readlines(s, 2)
print(err(r[:1])); print(r[1]["id"], r[1]["ok"])')
like "$(echo "$r" | head -1)" "invalid-json: request is not valid JSON" \
    "invalid JSON: invalid-json, saying so"
is "$(echo "$r" | tail -1)" "2 True" "... and the next line on the same connection is answered"

r=$(py 'print(err(ask(b"{\"cmd\":\"list\",\"x\":\"\xff\"}\n")[0]))')
is "$r" "invalid-utf8: request is not valid UTF-8: bad byte 0xff at offset 19; send UTF-8 text" \
    "invalid UTF-8: invalid-utf8 naming the byte and offset"
r=$(py 'print(err(ask(b"{\"cmd\":\"list\",\"x\":\"\xc0\xaf\"}\n")[0]))')
like "$r" "invalid-utf8: " "overlong UTF-8 encoding refused"
r=$(py 'print(err(ask(b"{\"cmd\":\"list\",\"x\":\"\xed\xa0\x80\"}\n")[0]))')
like "$r" "invalid-utf8: " "UTF-8 encoded surrogate refused"
alive

# The limit is PROTO_LINE_MAX = 65536 bytes without the newline.
r=$(py 'line = b"{\"cmd\":\"list\"}"; line += b" " * (65536 - len(line))
r, c = ask(line + b"\n"); print(len(line), r[0]["ok"], c)')
is "$r" "65536 True False" "a line of exactly 65536 bytes is accepted"
r=$(py 'line = b"{\"cmd\":\"list\"}"; line += b" " * (65537 - len(line))
r, c = ask(line + b"\n", None, 3.0); print(err(r)); print("closed" if c else "open")')
is "$(echo "$r" | head -1)" "line-too-long: request line longer than 65536 bytes; connection closed" \
    "a line of 65537 bytes: line-too-long"
is "$(echo "$r" | tail -1)" closed "... then the agent closes the connection"
r=$(py 's = conn()
try:
    for i in range(64):
        s.sendall(b"x" * 4096)
except OSError:
    pass
r, c = readlines(s, None, 3.0); print(err(r), "closed" if c else "open")')
like "$r" "line-too-long: " "a 256 KiB line without newline: line-too-long ..."
like "$r" "closed" "... and closed without waiting for the end of the line"
alive

r=$(py 'a = conn(); a.sendall(b"{\"id\":\"a\",\"cmd\":\"list\"")
t0 = time.time(); r, c = ask({"id": "b", "cmd": "list"}); t = time.time() - t0
a.sendall(b"}\n"); ra, c = readlines(a, 1, 5.0)
print(r[0]["id"], t < 1.0, ra[0]["id"], ra[0]["ok"])')
is "$r" "b True a True" "a half line then silence: others are served at once, and the line completes later"

r=$(py 'N = 5000
reqs = []
for i in range(N):
    k = i % 4
    if k == 0:   reqs.append({"id": i, "cmd": "list"})
    elif k == 1: reqs.append({"id": i, "cmd": "status", "name": "vm1"})
    elif k == 2: reqs.append({"id": i, "cmd": "hello", "version": 1})
    else:        reqs.append({"id": i, "cmd": "status", "name": "nope"})
s = conn(30)
s.sendall(b"".join(json.dumps(q).encode() + b"\n" for q in reqs))
r, c = readlines(s, N, 10.0)
ids = [o.get("id") for o in r]
okk = [o.get("ok") for o in r]
print(len(r), ids == list(range(N)), okk == [i % 4 != 3 for i in range(N)])')
is "$r" "5000 True True" "5000 pipelined requests on one connection: all answered, in order"

# A client that never reads: dropped once 4 MiB of replies are queued.
for i in $(seq 2 20); do conf_vm "vm$i"; done
req '{"cmd":"reload"}' >/dev/null
rss0=$(rss)
r=$(py 'import subprocess
s = conn(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.settimeout(0.5)
line = b"{\"cmd\":\"list\"}\n" * 100
sent, err_ = 0, "none"
t0 = time.time(); peak = [0]; done = False
pid = os.environ["AGENT_PID"]
import threading
def sample():
    while not done:
        for l in open("/proc/%s/status" % pid):
            if l.startswith("VmRSS"):
                peak[0] = max(peak[0], int(l.split()[1]))
        time.sleep(0.001)
th = threading.Thread(target=sample); th.start()
while time.time() - t0 < 20:
    try:
        s.sendall(line); sent += 100
    except socket.timeout:
        pass
    except OSError as e:
        err_ = type(e).__name__; break
    if sent % 1000 == 0 and alive() != "alive":
        err_ = "agent stopped answering"; break
done = True; th.join()
print(err_, sent, peak[0])')
set -- $r
like "$1" Error "a client that never reads is disconnected (its sends fail: $1 after $2 requests)"
ok $(( ${3:-999999} - rss0 > 65536 * SAN )) "... the agent's memory stayed bounded (RSS $rss0 -> peak ${3:-?} KiB)"
grep -q 'does not read its replies; dropped' "$T/agent.log"
ok $? "... and the log says why"
alive
ok $(( $(rss) - rss0 > 32768 * SAN )) "RSS after the drop within $((32 * SAN)) MiB of before ($rss0 -> $(rss) KiB)"

r=$(py 'rnd = random.Random(8)
data = bytes(rnd.randrange(256) for _ in range(1 << 16))
lines = [l for l in data.split(b"\n")[:-1] if l not in (b"", b"\r")]
s = conn(); s.sendall(data)
r, c = readlines(s, len(lines), 5.0)
print(len(lines), len(r), all(o.get("ok") is False for o in r),
      ",".join(sorted(set(o["error"]["code"] for o in r))))')
set -- $r
is "$3 $4" "True invalid-json,invalid-utf8" "64 KiB of binary garbage: invalid-utf8 or invalid-json for each line"
is "$2" "$1" "... exactly one reply per non-empty line ($1)"
alive

# --- JSON edge cases -------------------------------------------------
r=$(py 'n = 1000
print(err(ask(b"{\"cmd\":\"list\",\"x\":" + b"[" * n + b"]" * n + b"}\n")[0]))')
like "$r" 'bad-argument: list: unknown argument "x"' "1000 levels of nesting parse; the unknown argument is named"
r=$(py 'n = 30000
print(err(ask(b"{\"cmd\":\"list\",\"x\":" + b"[" * n + b"]" * n + b"}\n")[0]))')
like "$r" "invalid-json: request is not valid JSON: maximum parsing depth" "30000 levels: refused as too deep"
r=$(py 'n = 1000; idv = json.loads("[" * n + "]" * n)
r, c = ask({"id": idv, "cmd": "list"}); print(r[0]["id"] == idv, r[0]["ok"])')
is "$r" "True True" "a deeply nested id is echoed unchanged"
alive

r=$(py 'print(err(ask(b"{\"cmd\":\"stop\",\"name\":\"vm1\",\"timeout\":1e400}\n")[0]))')
like "$r" "invalid-json: " "timeout 1e400: invalid JSON (number overflow)"
r=$(py 'print(err(ask(b"{\"cmd\":\"stop\",\"name\":\"vm1\",\"timeout\":123456789012345678901234567890}\n")[0]))')
like "$r" "invalid-json: " "a 30-digit integer: invalid JSON (too big)"
r=$(py 'print(err(ask({"cmd": "stop", "name": "vm1", "timeout": 2**31})[0]))')
is "$r" 'bad-argument: stop: argument "timeout" must be a non-negative integer no larger than 2147483647, got 2147483648' \
    "timeout 2^31: bad-argument with the limit"
r=$(py 'print(err(ask({"cmd": "stop", "name": "vm1", "timeout": -1})[0]))')
like "$r" 'bad-argument: stop: argument "timeout" must be a non-negative integer' "timeout -1: bad-argument"
r=$(py 'print(err(ask({"cmd": "stop", "name": "vm1", "timeout": 1.5})[0]))')
is "$r" 'bad-argument: stop: argument "timeout" must be a non-negative integer, got a number with a fraction' \
    "timeout 1.5: bad-argument"
r=$(py 'r, c = ask(b"{\"id\":1e308,\"cmd\":\"list\"}\n"); print(r[0]["id"], r[0]["ok"])')
is "$r" "1e+308 True" "a huge id is echoed"
is "$(vm_state vm1)" stopped "none of this started or stopped vm1"

# --- every argument of every command, wrongly typed ------------------
# The commands, their arguments and the type each wants come from the
# agent's own messages (unknown command, unknown argument, wrong type);
# then every other JSON type is sent for each argument and must be
# refused with the same message.  A few well-known arguments are also
# checked against the type they must have.  Nothing is executed: each
# request has one wrongly typed argument, or lacks a required one.
r=$(py '
jvals = {"a string": "x", "an integer": 5, "a number with a fraction": 1.5,
         "a boolean": True, "an array": [], "an object": {}}
accept = {"a VM name": "a string", "an absolute path": "a string",
          "a string": "a string", "a non-negative integer": "an integer",
          "a boolean (true or false)": "a boolean"}
good = {"a VM name": "vm1", "an absolute path": "/nonexistent.iso",
        "a string": "x", "a non-negative integer": 1,
        "a boolean (true or false)": False}
known = {"name": "a VM name", "wait": "a boolean (true or false)",
         "timeout": "a non-negative integer", "path": "an absolute path",
         "version": "a non-negative integer", "boot": "a boolean (true or false)"}
required = ("name", "path", "version")
m = err(ask({"cmd": "zzzzzzzzzzzz"})[0])
cmds = m.split("known commands: ")[1].split(", ")
print("# %d commands: %s" % (len(cmds), " ".join(cmds)))
s = conn()
def one(q):
    s.sendall(json.dumps(q).encode() + b"\n")
    return err(readlines(s, 1, 5.0)[0])
fails = []; n = 0; nargs = 0
for c in cmds:
    m = one({"cmd": c, "zzzzzzzzzzzz": 1})
    args = m.split("takes: ")[1].rstrip(")")
    args = [] if args == "no arguments" else args.split(", ")
    before = {}
    for a in args:
        nargs += 1
        pre = "bad-argument: %s: argument \"%s\" must be " % (c, a)
        q = dict(before, cmd=c); q[a] = {}
        m = one(q); n += 1
        if not m.startswith(pre) or not m.endswith(", got an object"):
            fails.append("%s %s={}: %s" % (c, a, m)); break
        t = m[len(pre):-len(", got an object")]
        if t not in accept or known.get(a, t) != t:
            fails.append("%s %s: unexpected type %s" % (c, a, t)); break
        for jt, v in jvals.items():
            if jt == accept[t]:
                continue
            q = dict(before, cmd=c); q[a] = v
            m = one(q); n += 1
            if m != pre + t + ", got " + jt:
                fails.append("%s %s=%s: %s" % (c, a, json.dumps(v), m))
        if a in required:
            m = one(dict(before, cmd=c)); n += 1
            if not m.startswith("missing-argument: %s: missing argument \"%s\"" % (c, a)):
                fails.append("%s without %s: %s" % (c, a, m))
        before[a] = good[t]
print("# %d arguments, %d wrongly typed or missing sent" % (nargs, n))
for f in fails:
    print("# FAIL " + f)
print(len(cmds) >= 18 and n > 100 and not fails)')
echo "$r" | grep '^#'
is "$(echo "$r" | tail -1)" True "wrong type for every argument of every command: bad-argument naming command, argument, type"
is "$(vm_state vm1)" stopped "none of these requests started vm1"
alive

# --- unknown commands ------------------------------------------------
r=$(py 'print(err(ask({"cmd": "frobnicate"})[0]))')
like "$r" 'unknown-command: unknown command "frobnicate"; known commands: hello, list' \
    "unknown command: unknown-command listing the known ones"
r=$(py 'print(err(ask({"cmd": "strat", "name": "vm1"})[0]))')
is "$r" 'unknown-command: unknown command "strat"; did you mean "start"?' "a typo gets a suggestion"
r=$(py 'print(err(ask({"cmd": ""})[0]))')
like "$r" 'unknown-command: unknown command ""' "empty command name"
r=$(py 'm = err(ask({"cmd": "x" * 5000})[0]); print(m[:16], len(m) < 600)')
is "$r" "unknown-command: True" "a 5000-byte command name: the message quotes it shortened"
r=$(py 'print(err(ask({"cmd": 42})[0]))')
is "$r" 'bad-argument: "cmd" must be a string naming a command, got an integer' "cmd as a number"
r=$(py 'print(err(ask({"id": 3})[0]))')
like "$r" 'missing-argument: request has no "cmd"' "no cmd at all"
r=$(py 'print(err(ask(b"[1,2]\n")[0]))')
like "$r" 'not-an-object: request must be a JSON object' "an array instead of an object"
alive

# --- VM names ---------------------------------------------------------
for name in 'a/b' '..' '../vm1' 'a b' '-x' "$(printf 'v%.0s' $(seq 200))" '' 'vm1;reboot' 'vm1\n'; do
	r=$(py "print(err(ask({'cmd': 'start', 'name': '$name'})[0]))")
	like "$r" 'bad-argument: start: argument "name" must be a VM name' \
	    "VM name '${name:0:20}$([ ${#name} -gt 20 ] && echo "... (${#name})")' refused as a VM name"
done
r=$(py 'print(err(ask({"cmd": "status", "name": "vm1\u0000x"})[0]))')
like "$r" 'invalid-json: ' "a name with a NUL character (\\u0000): refused"
r=$(py 'r, c = ask({"action": "get_vm_state", "vm_name": "../../etc/passwd"}); print(r[0])')
like "$r" "'error_text': 'vm_name_invalid'" "legacy get_vm_state with a path as name: vm_name_invalid"
r=$(py 'print(err(ask({"cmd": "start", "name": "novm"})[0]))')
like "$r" "no-such-vm: no VM named novm" "a valid name that is not configured: no-such-vm"
r=$(ls -a "$RUN" "$CONF" "$T" | grep -e '^a' -e '^-' -e '^v\{20\}' -e '^\.\.\.' -e ';' -e ' ' | grep -v -e '^allocations$' -e '^agent\.' -e '^anlasser\.conf$' -e '^autostarted$')
is "$r" "" "no file was created under a bad name"
alive

# --- ISO paths as root -------------------------------------------------
truncate -s 1M "$T/iso/ok.iso" "$T/outside/secret.iso"
ln -s "$T/outside/secret.iso" "$T/iso/link.iso"
ln -s /dev/null "$T/iso/null.iso"
mkdir -p "$T/iso/dir.iso"
attach() {
	py "print(err(ask({'cmd': 'attach-iso', 'name': 'vm1', 'path': '$1'})[0]))"
}
like "$(attach "$T/outside/secret.iso")" "ok: " "root may attach an ISO outside iso_dirs"
like "$(attach "$T/iso/link.iso")" "\"iso\": \"$T/outside/secret.iso\"" "... a symlink is stored resolved"
is "$(attach /dev/null)" "bad-argument: vm1: ISO /dev/null is not a regular file (a device or special file): give the path of an .iso image" \
    "/dev/null refused: not a regular file"
like "$(attach "$T/iso/null.iso")" "is not a regular file (a device or special file)" "a symlink to /dev/null refused"
like "$(attach "$T/iso/dir.iso")" "is not a regular file (a directory)" "a directory refused"
like "$(attach "$T/iso/none.iso")" "No such file or directory" "a missing file refused, naming the cause"
is "$(attach iso/ok.iso)" 'bad-argument: attach-iso: argument "path" must be an absolute path (starting with "/"), got "iso/ok.iso"' \
    "a relative path refused"
req '{"cmd":"detach-iso","name":"vm1"}' >/dev/null
alive

# --- configuration files ------------------------------------------------
reload_err() {
	py 'r, c = ask({"cmd": "reload"}, 1, 30.0); o = r[0]
print(o["error"]["code"] if not o["ok"] else "ok", "|".join(o["error"].get("problems", [])) if not o["ok"] else "")'
}
nvms() {
	py 'print(len(ask({"cmd": "list"})[0][0]["result"]["vms"]))'
}
: >"$CONF/empty.ini"
r=$(reload_err)
like "$r" "invalid-config $CONF/empty.ini: file is empty" "an empty VM file: reload refused naming it"
is "$(nvms)" 20 "... the 20 VMs stay"
rm "$CONF/empty.ini"
: >"$CONF/anlasser.conf.new"; cp "$CONF/anlasser.conf" "$T/anlasser.conf.good"
: >"$CONF/anlasser.conf"
r=$(reload_err)
is "$r" "ok " "an empty anlasser.conf is fine (every key has a default)"
cp "$T/anlasser.conf.good" "$CONF/anlasser.conf"; rm "$CONF/anlasser.conf.new"
head -c 4096 /dev/urandom >"$CONF/binary.ini"
printf '\0' >>"$CONF/binary.ini"
r=$(reload_err)
like "$r" "invalid-config $CONF/binary.ini:" "a binary file: reload refused naming it"
rm "$CONF/binary.ini"
head -c 8192 /dev/urandom >"$CONF/anlasser.conf"
printf '\0' >>"$CONF/anlasser.conf"
r=$(reload_err)
like "$r" "invalid-config $CONF/anlasser.conf:" "a binary anlasser.conf: reload refused naming it"
cp "$T/anlasser.conf.good" "$CONF/anlasser.conf"
{ echo '[VM]'; echo 'name = huge'; for i in $(seq 200000); do echo "# filler line $i of a huge file"; done; } >"$CONF/huge.ini"
start=$(date +%s%N)
r=$(reload_err)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
like "$r" "invalid-config $CONF/huge.ini: file is larger than 1 MiB" "a 6 MB file: refused as too large (in $ms ms)"
ok $(( ms > 5000 )) "... within 5 s"
{ echo '[VM]'; for i in $(seq 5000); do echo "key$i = $i"; done; } >"$CONF/huge.ini"
r=$(reload_err)
like "$r" "invalid-config $CONF/huge.ini: file has 5000 keys" "a file of 5000 keys: refused"
rm "$CONF/huge.ini"
is "$(nvms)" 20 "after all that the 20 VMs are still there"
r=$(reload_err)
is "$r" "ok " "and a clean reload is applied"

# A file that comes and goes while reloads run: each is refused or
# applied, never anything else, and the agent stays up.
r=$(py 'import threading
stop = False
conf = os.environ["CONF"]
src = open(conf + "/vm1.ini").read().replace("vm1", "flicker")
def flicker():
    while not stop:
        open(conf + "/flicker.ini.tmp", "w").write(src)
        os.rename(conf + "/flicker.ini.tmp", conf + "/flicker.ini")
        os.unlink(conf + "/flicker.ini")
t = threading.Thread(target=flicker); t.start()
seen = {}
try:
    for i in range(60):
        r, c = ask({"cmd": "reload"}, 1, 10.0)
        o = r[0]
        k = "ok" if o["ok"] else o["error"]["code"]
        seen[k] = seen.get(k, 0) + 1
finally:
    stop = True; t.join()
print(" ".join("%s=%d" % kv for kv in sorted(seen.items())))')
echo "# 60 reloads while flicker.ini appears and disappears: $r"
ok "$(echo "$r" | tr ' ' '\n' | grep -c -v -e '^ok=' -e '^invalid-config=')" \
    "every reload was applied or refused as invalid-config"
r=$(reload_err)
is "$r" "ok " "the agent stays up and the next reload is clean"
is "$(nvms)" 20 "... with the 20 VMs"

# Unreadable files cannot be tested with a root agent (root reads
# everything); --check as an unprivileged user shows the message.
mkdir -p "$T/ro-conf"
cp "$CONF/vm1.ini" "$T/ro-conf/"
chmod 000 "$T/ro-conf/vm1.ini"
chmod 755 "$T/ro-conf"
chmod 711 "$T"
r=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$AGENT" -n -c "$T/ro-conf" 2>&1)
is "$r" "$T/ro-conf/vm1.ini: cannot read: Permission denied" "an unreadable VM file is named with the reason (--check as uid 65534)"

# --- access control: socket_group and readonly_group ------------------
G_FULL=anlfull$$
G_RO=anlro$$
groups_added=
cleanup_groups() {
	for g in $groups_added; do groupdel "$g" 2>/dev/null; done
}
trap 'cleanup_groups; lib_cleanup' EXIT
groupadd "$G_FULL" && groups_added="$G_FULL"
groupadd "$G_RO" && groups_added="$groups_added $G_RO"
gid_full=$(getent group "$G_FULL" | cut -d: -f3)
gid_ro=$(getent group "$G_RO" | cut -d: -f3)
conf_agent "iso_dirs=$T/iso" "socket_group=$G_FULL"
agent_stop
agent_start
ok $? "agent restarts with a socket_group"
chmod 755 "$T/iso" "$T/outside"
chmod 711 "$T"
is "$(stat -c '%a %U %G' "$SOCK")" "660 root $G_FULL" "the socket has mode 0660, owner root, the socket_group"

# as GID CODE: run python CODE as uid 65534 with only group GID.
as() {
	local gid=$1; shift
	setpriv --reuid=65534 --regid="$gid" --clear-groups \
	    env ANLASSER_SOCKET="$SOCK" python3 -c "exec(open('$T/t.py').read())
def tryask(q, quiet=2.0):
    try:
        return err(ask(q, quiet=quiet)[0])
    except OSError as e:
        return 'connect: ' + e.strerror
$1"
}
full() { as "$gid_full" "$1"; }
ro() { as "$gid_ro" "$1"; }

r=$(as 65534 'print(tryask({"cmd": "list"}))')
is "$r" "connect: Permission denied" "anyone else cannot connect to the 0660 socket"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$TUI" --batch list 2>&1)
rc=$?
like "$out" "$SOCK: Permission denied" "anlasser-tui --batch as anyone else says permission denied"
ok $(( rc == 0 )) "... and fails"

like "$(full 'print(tryask({"cmd": "list"}))')" "ok: " "socket_group member: list"
like "$(full 'print(tryask({"cmd": "start", "name": "vm1"}))')" "ok: " "socket_group member: start"
# (quiet 30 s: the reply comes when vm1 is off, later on a loaded machine)
like "$(full 'print(tryask({"cmd": "poweroff", "name": "vm1", "wait": True}, 30))')" '"state": "stopped"' "socket_group member: poweroff"
like "$(full 'print(tryask({"cmd": "reload"}))')" "ok: " "socket_group member: reload"
like "$(full 'print(tryask({"action": "set_vm_state", "vm_name": "vm2", "vm_target_state": "up"}))')" \
    '"result": "success"' "socket_group member: legacy set_vm_state"
req '{"cmd":"poweroff","name":"vm2","wait":true}' >/dev/null


# With a readonly_group the socket must be open to its members too.
conf_agent "iso_dirs=$T/iso" "socket_group=$G_FULL" "readonly_group=$G_RO"
r=$(reload_err)
is "$r" "ok " "reload with a readonly_group"
is "$(stat -c '%a %U %G' "$SOCK")" "666 root $G_FULL" "the socket is now 0666: peer credentials decide"
truncate -s 1M "$T/iso/mine.iso" "$T/iso/private.iso"
chmod 644 "$T/iso/mine.iso" "$T/outside/secret.iso"
chmod 600 "$T/iso/private.iso"
fattach() {
	full "print(tryask({'cmd': 'attach-iso', 'name': 'vm1', 'path': '$1'}))"
}
like "$(fattach "$T/iso/mine.iso")" '"changed": true' "group member: an ISO inside iso_dirs is attached"
like "$(fattach "$T/outside/secret.iso")" "is not inside the iso_dirs" "group member: an ISO outside iso_dirs is refused"
like "$(fattach "$T/iso/link.iso")" "link.iso ($T/outside/secret.iso) is not inside the iso_dirs" \
    "group member: a symlink in iso_dirs pointing outside is refused, naming the target"
like "$(fattach /dev/null)" "is not a regular file" "group member: /dev/null refused"
like "$(fattach "$T/iso/null.iso")" "is not a regular file" "group member: a symlink to /dev/null refused"
like "$(fattach "$T/iso/dir.iso")" "is not a regular file (a directory)" "group member: a directory refused"
like "$(fattach "$T/iso/private.iso")" "is not readable by uid 65534" "group member: an ISO the user cannot read is refused"
like "$(fattach "$T/iso/../outside/secret.iso")" "is not inside the iso_dirs" "group member: iso/../outside is refused"
req '{"cmd":"detach-iso","name":"vm1"}' >/dev/null

for c in '{"cmd": "list"}' '{"cmd": "status", "name": "vm1"}' '{"cmd": "subscribe"}' \
    '{"cmd": "list-isos"}' '{"cmd": "hello", "version": 1}' '{"action": "list_vms"}'; do
	r=$(ro "print(tryask($c))")
	like "$r" "ok: " "readonly_group member may: $c"
done
r=$(ro 'print(tryask({"cmd": "console-log", "name": "vm1"}))')
ok $(case "$r" in *permission*|connect:*) echo 1;; *) echo 0;; esac) \
    "readonly_group member may: console-log (not refused for permission: ${r:0:60})"
for c in '{"cmd": "start", "name": "vm1"}' '{"cmd": "stop", "name": "vm1"}' \
    '{"cmd": "poweroff", "name": "vm1"}' '{"cmd": "reset", "name": "vm1"}' \
    '{"cmd": "restart", "name": "vm1"}' '{"cmd": "reload"}' \
    "{\"cmd\": \"attach-iso\", \"name\": \"vm1\", \"path\": \"$T/iso/mine.iso\"}" \
    '{"cmd": "detach-iso", "name": "vm1"}' '{"cmd": "start-all"}' '{"cmd": "stop-all"}' \
    '{"cmd": "console", "name": "vm1"}'; do
	r=$(ro "print(tryask($c))")
	like "$r" "permission-denied: " "readonly_group member may not: $c"
done
r=$(ro 'print(tryask({"cmd": "start", "name": "vm1"}))')
like "$r" "not allowed for members of the readonly_group" "... and the message says why"
r=$(ro 'print(tryask({"action": "set_vm_state", "vm_name": "vm1", "vm_target_state": "up"}))')
like "$r" "permission_denied" "readonly_group member: legacy set_vm_state refused"
is "$(vm_state vm1)" stopped "none of the refused requests started vm1"

r=$(as 65534 'print(tryask({"cmd": "list"}))')
is "$r" "permission-denied: uid 65534 may not use anlasser-agent: ask for membership of the socket_group or readonly_group set in anlasser.conf" \
    "anyone else connects and is refused, told what to ask for"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$TUI" --batch list 2>&1)
rc=$?
is "$rc" 1 "anlasser-tui --batch as anyone else exits 1 (refused)"
like "$out" "uid 65534 may not use anlasser-agent: ask for membership" \
    "... and shows the agent's reason"
alive

agent_stop
done_testing
