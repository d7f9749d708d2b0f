#!/usr/bin/env python3
"""Anlasser benchmark: figures, not a test (nothing passes or fails).

Starts private agents (bhyve driver on the FreeBSD tool doubles in
tests/fake, like the regress tests) and prints:

  - round-trip latency of `list` (median, p99) with 10, 100, 1000 VMs,
    and the same while 20 VMs hang in shutdown
  - requests per second with 1, 10 and 100 concurrent clients, and the
    agent's CPU time per request
  - RSS of the agent (idle, per VM count) and of one VM's monitor
  - start -> hypervisor spawned (the agent reports its pid), -> running;
    poweroff -> hypervisor process gone, -> answered
  - with --qemu: start -> VNC port answering under the agent (QEMU, TCG,
    the test guest), against the same QEMU command line run directly

Run from a build tree:  make bench    (BENCH_ARGS="--quick --qemu")
or directly:  top_builddir=BUILD top_srcdir=SRC python3 tests/bench/bench.py
"""
import argparse
import json
import multiprocessing
import os
import platform
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get("top_srcdir") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")
BUILD = os.environ.get("top_builddir") or SRC
SRC = os.path.abspath(SRC)
BUILD = os.path.abspath(BUILD)
FAKE = os.path.join(SRC, "tests", "fake")
AGENT = os.path.join(BUILD, "agent", "anlasser-agent")
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"


# ------------------------------------------------------------ the agent

class Agent:
    """A private agent with N tool-double VMs in a temporary directory."""

    def __init__(self, nvms, hang=0, extra=None, qemu=False):
        self.dir = tempfile.mkdtemp(prefix="anl-bench.")
        self.conf = os.path.join(self.dir, "conf")
        self.run = os.path.join(self.dir, "run")
        self.fake = os.path.join(self.dir, "fake")
        self.sock = os.path.join(self.dir, "agent.sock")
        for d in (self.conf, self.run, self.fake, self.dir + "/vms"):
            os.makedirs(d)
        for f, t in (("CODE", "CODE"), ("VARS", "VARS")):
            with open("%s/BHYVE_UEFI_%s.fd" % (self.dir, f), "w") as fp:
                fp.write(t)
        with open(self.conf + "/anlasser.conf", "w") as fp:
            if qemu:
                fp.write("[agent]\ndriver = qemu\nqemu_accel = tcg\n"
                         "uefi_firmware = %s\nuefi_vars_template = %s\n"
                         "vnc_ports = 5970-5979\nlog_dir = %s/log\n"
                         % (OVMF_CODE, OVMF_VARS, self.dir))
            else:
                fp.write("[agent]\ndriver = bhyve\nbhyve = %s/bhyve\n"
                         "bhyvectl = %s/bhyvectl\nifconfig = %s/ifconfig\n"
                         "uefi_firmware = %s/BHYVE_UEFI_CODE.fd\n"
                         "uefi_vars_template = %s/BHYVE_UEFI_VARS.fd\n"
                         "vnc_ports = 5900-6999\nlog_dir = %s/log\n"
                         % (FAKE, FAKE, FAKE, self.dir, self.dir, self.dir))
        self.names = []
        for i in range(nvms):
            self.add_vm("vm%04d" % i)
        self.hanging = []
        for i in range(hang):
            n = "hang%02d" % i
            self.add_vm(n, "shutdown_timeout = 600\n")
            with open("%s/%s.behave" % (self.fake, n), "w") as fp:
                fp.write("sigterm=ignore\n")
            self.hanging.append(n)
        for n, text in (extra or {}).items():
            self.add_vm(n, text)
        self.proc = None

    def add_vm(self, name, text="", disk=None):
        d = "%s/vms/%s" % (self.dir, name)
        os.makedirs(d, exist_ok=True)
        if disk is not None:
            subprocess.run(["cp", "--sparse=always", disk, d + "/disk.img"],
                           check=True)
        else:
            open(d + "/disk.img", "w").close()
        with open("%s/%s.ini" % (self.conf, name), "w") as fp:
            fp.write("[VM]\nname = %s\nmemory_mb = 256\n"
                     "storage_path = %s/disk.img\n"
                     "uefi_vars_storage_path = %s/vars.fd\n%s"
                     % (name, d, d, text))
        self.names.append(name)

    def start(self):
        env = dict(os.environ, ANLASSER_FAKE_DIR=self.fake)
        self.log = open(self.dir + "/agent.log", "w")
        self.proc = subprocess.Popen(
            [AGENT, "-F", "-c", self.conf, "-s", self.sock, "-r", self.run],
            env=env, stderr=self.log)
        end = time.time() + 20
        while not os.path.exists(self.sock):
            if time.time() > end or self.proc.poll() is not None:
                raise SystemExit("the agent did not start; see %s/agent.log"
                                 % self.dir)
            time.sleep(0.01)
        self.client = Client(self.sock)

    def stop(self):
        if self.proc is None:
            return
        try:
            c = Client(self.sock)
            live = [v["name"] for v in
                    c.call({"cmd": "list"})["result"]["vms"]
                    if v["state"] not in ("stopped", "failed")]
            for n in live:
                c.call({"cmd": "poweroff", "name": n})
            end = time.time() + 30
            while time.time() < end and any(
                    n.endswith(".pid") for n in os.listdir(self.run)):
                time.sleep(0.05)
        except (OSError, ValueError, KeyError) as e:
            print("  (stopping the VMs failed: %s)" % e)
        self.proc.terminate()
        self.proc.wait()
        self.log.close()
        for f in os.listdir(self.fake):   # doubles still around, if any
            if f.endswith(".pid"):
                try:
                    os.kill(int(open(self.fake + "/" + f).read()), 9)
                except (OSError, ValueError):
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)
        self.proc = None

    def rss(self, pid=None):
        return rss_kib(pid or self.proc.pid)

    def cpu(self):
        """utime + stime of the agent, seconds."""
        with open("/proc/%d/stat" % self.proc.pid) as fp:
            f = fp.read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as fp:
        for line in fp:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as fp:
            return fp.read().rsplit(")", 1)[1].split()[0] not in "ZX"
    except OSError:
        return False


class Client:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(120)
        self.s.connect(path)
        self.f = self.s.makefile("rb")
        self.events = []

    def send(self, q):
        self.s.sendall(json.dumps(q).encode() + b"\n")

    def reply(self):
        while True:
            o = json.loads(self.f.readline())
            if "event" not in o:
                return o
            self.events.append((time.monotonic(), o))

    def call(self, q):
        self.send(q)
        return self.reply()

    def event(self, pred, timeout=30):
        """First event (queued or new) matching pred: (time, event)."""
        end = time.monotonic() + timeout
        while True:
            for i, (t, o) in enumerate(self.events):
                if pred(o):
                    del self.events[i]
                    return t, o
            if time.monotonic() > end:
                raise TimeoutError("no such event")
            self.s.settimeout(max(0.01, end - time.monotonic()))
            line = self.f.readline()
            self.s.settimeout(120)
            if not line:
                raise RuntimeError("agent closed the connection")
            o = json.loads(line)
            if "event" in o:
                self.events.append((time.monotonic(), o))


# --------------------------------------------------------------- figures

def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100))]


def ms(x):
    return "%.3f ms" % (x * 1000) if x < 0.1 else "%.2f s" % x


def rtt(agent, q, n):
    c = Client(agent.sock)
    c.call(q)
    t = []
    for _ in range(n):
        t0 = time.perf_counter()
        c.call(q)
        t.append(time.perf_counter() - t0)
    return statistics.median(t), pct(t, 99)


def rps_worker(path, nconn, window, secs, q, out):
    sel = selectors.DefaultSelector()
    line = json.dumps(q).encode() + b"\n"
    conns = []
    for _ in range(nconn):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        s.setblocking(False)
        conns.append(s)
    # Start together, then keep `window` requests in flight per connection.
    out.put("ready")
    while not os.path.exists(path + ".go"):
        time.sleep(0.001)
    for s in conns:
        s.sendall(line * window)
        sel.register(s, selectors.EVENT_READ, [b"", 0])
    done = 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        for key, _ in sel.select(0.1):
            s, st = key.fileobj, key.data
            data = s.recv(1 << 16)
            if not data:
                raise RuntimeError("agent closed a connection")
            st[0] += data
            n = st[0].count(b"\n")
            if n:
                st[0] = st[0][st[0].rfind(b"\n") + 1:]
                done += n
                s.sendall(line * n)
    out.put(done)


def rps(agent, nclients, secs, q, window=4):
    nproc = min(nclients, max(1, (os.cpu_count() or 2) - 1))
    share = [nclients // nproc + (i < nclients % nproc) for i in range(nproc)]
    out = multiprocessing.Queue()
    go = agent.sock + ".go"
    ps = [multiprocessing.Process(target=rps_worker,
                                  args=(agent.sock, k, window, secs, q, out))
          for k in share]
    for p in ps:
        p.start()
    for _ in ps:
        out.get()
    cpu0, t0 = agent.cpu(), time.monotonic()
    open(go, "w").close()
    total = sum(out.get() for _ in ps)
    dt, cpu = time.monotonic() - t0, agent.cpu() - cpu0
    for p in ps:
        p.join()
    os.unlink(go)
    return total / dt, cpu / max(total, 1)


def lifecycle(agent, name, rounds):
    """start -> pid reported, -> running; poweroff -> gone, -> answered."""
    c = Client(agent.sock)
    c.call({"cmd": "subscribe"})
    spawned, running, gone, answered, mon_rss = [], [], [], [], []
    for _ in range(rounds):
        c.events.clear()
        t0 = time.monotonic()
        c.call({"cmd": "start", "name": name})
        t1, _ = c.event(lambda o: o.get("vm", {}).get("name") == name and
                        o["vm"]["state"] == "starting" and
                        o["vm"].get("pid") is not None)
        t2, ev = c.event(lambda o: o.get("vm", {}).get("name") == name and
                         o["vm"]["state"] == "running")
        spawned.append(t1 - t0)
        running.append(t2 - t0)
        pid = ev["vm"]["pid"]
        mon_rss.append(rss_kib(ev["vm"]["monitor_pid"]))
        t0 = time.monotonic()
        c.send({"cmd": "poweroff", "name": name, "wait": True})
        while pid_alive(pid):
            time.sleep(0.0005)
        gone.append(time.monotonic() - t0)
        c.reply()
        answered.append(time.monotonic() - t0)
        time.sleep(0.3)     # let the monitor exit
    return spawned, running, gone, answered, mon_rss


def vnc_ready(port, deadline):
    """When (monotonic) 127.0.0.1:port accepts and sends an RFB banner."""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 1) as c:
                if c.recv(12).startswith(b"RFB "):
                    return time.monotonic()
        except OSError:
            pass
        time.sleep(0.002)
    raise TimeoutError("VNC port %d never answered" % port)


def qemu_figures(guest, rounds):
    """start -> VNC accepting through the agent, and QEMU run directly."""
    a = Agent(0, qemu=True)
    a.add_vm("g1", "disk_sector_size = 512\nshutdown_timeout = 5\n",
             disk=guest + "/disk.img")
    via, direct, mon_rss, qemu_rss = [], [], [], []
    try:
        a.start()
        c = Client(a.sock)
        argv = c.call({"cmd": "show-command", "name": "g1"})["result"]["argv"]
        port = 5900 + int(argv[argv.index("-vnc") + 1].rsplit(":", 1)[1])
        for _ in range(rounds):
            t0 = time.monotonic()
            c.call({"cmd": "start", "name": "g1"})
            via.append(vnc_ready(port, t0 + 60) - t0)
            st = c.call({"cmd": "status", "name": "g1"})["result"]["vm"]
            mon_rss.append(rss_kib(st["monitor_pid"]))
            qemu_rss.append(rss_kib(st["pid"]))
            c.call({"cmd": "poweroff", "name": "g1", "wait": True})
            time.sleep(0.5)
        # The same QEMU command line, without agent and monitor.
        for _ in range(rounds):
            t0 = time.monotonic()
            p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            try:
                direct.append(vnc_ready(port, t0 + 60) - t0)
            finally:
                p.kill()
                p.wait()
            time.sleep(0.3)
    finally:
        a.stop()
    return via, direct, statistics.median(mon_rss), statistics.median(qemu_rss)


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as fp:
            for line in fp:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d CPUs, %s %s, Python %s" % (
        cpu, os.cpu_count() or 0, platform.system(), platform.release(),
        platform.python_version())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="fewer rounds (a rough run in about 30 s)")
    ap.add_argument("--qemu", metavar="GUESTDIR", nargs="?",
                    const=os.path.join(BUILD, "tests", "guest", "out"),
                    help="also time QEMU (TCG) starts with the test guest "
                    "from tests/guest/build-guest.sh (default: %(const)s)")
    args = ap.parse_args()
    if not os.access(AGENT, os.X_OK):
        raise SystemExit("%s not built (make, or set top_builddir)" % AGENT)
    nrtt = 200 if args.quick else 2000
    secs = 2 if args.quick else 5
    rounds = 3 if args.quick else 10

    print("Anlasser benchmark (%s)" % time.strftime("%Y-%m-%d"))
    print("machine: " + machine())
    print("agent: %s with the bhyve tool doubles (tests/fake)" % AGENT)
    print()
    print("list round trip, one client, %d requests each:" % nrtt)
    print("  %-34s %12s %12s %10s" % ("", "median", "p99", "agent RSS"))
    for n in (10, 100, 1000):
        for hang in (0, 20):
            a = Agent(n, hang)
            try:
                a.start()
                if hang:
                    c = Client(a.sock)
                    c.call({"cmd": "subscribe"})
                    for h in a.hanging:
                        c.call({"cmd": "start", "name": h})
                    for h in a.hanging:
                        c.event(lambda o, h=h: o.get("vm", {}).get("name")
                                == h and o["vm"]["state"] == "running")
                    for h in a.hanging:
                        c.call({"cmd": "stop", "name": h})
                    time.sleep(0.5)
                    st = {v["state"] for v in c.call({"cmd": "list"})
                          ["result"]["vms"] if v["name"] in a.hanging}
                    assert st == {"stopping"}, st
                med, p99 = rtt(a, {"cmd": "list"},
                               nrtt if n < 1000 else nrtt // 4)
                label = "%d VMs%s" % (n + hang, ", 20 hanging in stop"
                                      if hang else "")
                print("  %-34s %12s %12s %7d KiB" % (label, ms(med), ms(p99),
                                                     a.rss()))
                if hang:
                    med, p99 = rtt(a, {"cmd": "status", "name": a.hanging[0]},
                                   nrtt)
                    print("  %-34s %12s %12s" % ("  status of a hanging VM",
                                                 ms(med), ms(p99)))
            finally:
                a.stop()
    print()

    a = Agent(100)
    try:
        a.start()
        print("throughput, 100 VMs, %d s each, 4 requests in flight per "
              "client:" % secs)
        print("  %-34s %12s %16s" % ("", "requests/s", "agent CPU/req"))
        for q, label in (({"cmd": "status", "name": "vm0001"}, "status"),
                         ({"cmd": "list"}, "list (100 VMs)")):
            for n in (1, 10, 100):
                r, cpu = rps(a, n, secs, q)
                print("  %-34s %12.0f %13.1f us" % (
                    "%s, %d client%s" % (label, n, "s" if n > 1 else ""),
                    r, cpu * 1e6))
        print()
        sp, ru, go, an, mrss = lifecycle(a, "vm0002", rounds)
        print("one VM, %d start/poweroff rounds (median, max):" % rounds)
        for label, v in (("start -> hypervisor spawned (pid)", sp),
                         ("start -> running", ru),
                         ("poweroff -> hypervisor gone", go),
                         ("poweroff -> answered (wait)", an)):
            print("  %-34s %12s %12s" % (label, ms(statistics.median(v)),
                                         ms(max(v))))
        print("  %-34s %9d KiB" % ("monitor RSS (one running VM)",
                                   statistics.median(mrss)))
        print("  (running = the bhyve driver's 1 s settle time without an "
              "exit; the double is a shell script)")
    finally:
        a.stop()

    if args.qemu:
        if not os.path.exists(args.qemu + "/disk.img"):
            raise SystemExit("%s/disk.img missing: run tests/guest/"
                             "build-guest.sh %s" % (args.qemu, args.qemu))
        print()
        via, direct, mrss, qrss = qemu_figures(args.qemu, rounds)
        print("QEMU (TCG, OVMF, the test guest), %d starts each (median, "
              "max):" % rounds)
        print("  %-34s %12s %12s" % ("start -> VNC port answers (agent)",
                                     ms(statistics.median(via)),
                                     ms(max(via))))
        print("  %-34s %12s %12s" % ("same QEMU command run directly",
                                     ms(statistics.median(direct)),
                                     ms(max(direct))))
        print("  %-34s %9d KiB (QEMU %d KiB)" % ("monitor RSS", mrss, qrss))


if __name__ == "__main__":
    main()
