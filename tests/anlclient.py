#!/usr/bin/env python3
"""Test client for the anlasser-agent protocol.

  anlclient.py SOCKET 'JSON' ['JSON' ...]   send each request, print each
                                            reply (one line each); events
                                            are skipped
  anlclient.py SOCKET --raw DATA            send DATA as is, print every
                                            line until the agent closes
                                            or 2 s of silence
  anlclient.py SOCKET --events N 'JSON'...  send, then print N events
"""
import json
import socket
import sys


def connect(path, timeout=30.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def lines(s):
    buf = b""
    while True:
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            yield line.decode("utf-8", "replace")
        try:
            data = s.recv(65536)
        except socket.timeout:
            return
        if not data:
            if buf:
                yield buf.decode("utf-8", "replace")
            return
        buf += data


def main():
    path = sys.argv[1]
    args = sys.argv[2:]
    if args and args[0] == "--raw":
        s = connect(path, 2.0)
        data = args[1].encode("utf-8", "surrogateescape")
        data = data.decode("unicode_escape").encode("latin-1")
        s.sendall(data)
        for line in lines(s):
            print(line)
        return 0
    nevents = 0
    if args and args[0] == "--events":
        nevents = int(args[1])
        args = args[2:]
    s = connect(path)
    it = lines(s)
    for req in args:
        s.sendall(req.encode() + b"\n")
        for line in it:
            msg = json.loads(line)
            if "event" in msg:
                if nevents > 0:
                    print(line)
                    nevents -= 1
                continue
            print(line)
            break
        else:
            print("connection closed", file=sys.stderr)
            return 3
    while nevents > 0:
        line = next(it, None)
        if line is None:
            break
        msg = json.loads(line)
        if "event" in msg:
            print(line)
            nevents -= 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
