#!/usr/bin/env python3
#
# rfbserver.py -- test double of bhyve's VNC server: the RFB server of the
# fbuf device (usr.sbin/bhyve/rfb.c, pci_fbuf.c, FreeBSD 14), for testing
# Anlasser's VNC preview on Linux.  tests/fake/bhyve starts it for an fbuf
# device; tests may also run it on its own.  What it imitates, from
# /work/shared/reference/bhyve.md section 4 and rfb.c:
#
#   - "RFB 003.008"; 3.3, 3.7 and 3.8 clients.  One security type: None,
#     or VNC authentication (type 2: DES of a 16-byte challenge, the key
#     being the first 8 bytes of the password, each byte bit-reversed)
#     when --password is given.  A wrong answer gets status 1 and, for
#     3.8, the reason "Auth Failed: Invalid Password."
#   - ServerInit: bhyve's native format, 32 bpp, depth 32, little endian,
#     true colour, max 255, shifts red 16 green 8 blue 0; name "bhyve".
#   - SetPixelFormat is read and ignored: pixels always go out in that
#     format (a client that does not ask for it sees red and blue swapped).
#   - Encodings: Raw, and Zlib (one deflate stream per connection, level
#     1, sync flush) for every rectangle once the client lists Zlib;
#     DesktopSize (-223) for size changes; the QEMU extended key event
#     (-258): one pseudo-rectangle after the first update request.
#   - Updates only after a FramebufferUpdateRequest, checked about every
#     33 ms: non-incremental -> the whole screen; incremental -> the 32x32
#     cells that changed since the last incremental scan (all of them after
#     a size change), the whole screen when 25% or more changed.
#   - Client messages 0, 2, 3, 4, 5, 6 (cut text read and dropped) and
#     255; any other type drops the connection ("rfb unknown cli-code").
#   - One client at a time (listen backlog 1): while one is connected the
#     next waits in the backlog, accepted but never greeted.
#
# Usage:
#   rfbserver.py --listen HOST:PORT [--frame FILE.ppm[.gz]] [--size WxH]
#       [--colour RRGGBB] [--password PW] [--keylog FILE] [--ready FILE]
#       [--connected FILE] [--log FILE] [--die-with PID]
#       [--stall-after-bytes N] [--resize-after SECONDS --resize-to WxH]
#       [--exit-after SECONDS] [--frame-after SECONDS FILE]...
#   rfbserver.py --selftest
#
# The screen: --frame, a binary PPM (P6, maxval 255, gzip allowed), or a
# solid --colour (default black).  Its size is --size (the picture at the
# top left, cropped or padded black), else the picture's, else bhyve's
# default 1024x768.  PORT 0 picks a free port.  IPv6: --listen [::1]:PORT.
#
#   --keylog FILE      key events received, one line each, "0xKEYSYM down"
#                      or "0xKEYSYM up" (keysym as %04x; from both the
#                      standard and the QEMU extended key message)
#   --ready FILE       written once listening: "HOST:PORT" (the real port)
#   --connected FILE   written at each accepted connection: their count
#   --log FILE         what happened, for debugging tests
#   --die-with PID     exit when process PID is gone (tests/fake/bhyve
#                      passes its own pid: the server ends with "bhyve")
#
# Fault modes, for the TUI's robustness tests:
#   --stall-after-bytes N   after N bytes of framebuffer-update messages on
#                           a connection (cut mid-message), stop sending and
#                           reading on it for ever: a hung server
#   --resize-after S --resize-to WxH
#                           after S seconds the screen becomes WxH (the
#                           picture cropped or padded), like a guest
#                           changing mode
#   --frame-after S FILE    after S seconds show FILE instead (repeatable)
#   --exit-after S          after S seconds close everything and exit 0
#   --noise-until S         until S seconds, new random noise every 0.25 s
#                           (a busy desktop: every frame new colours), then
#                           the picture
# Times count from when the server listens.
#
# Exit status: 0 (--exit-after, --die-with), 1 a picture it cannot read,
# 2 bad arguments, 4 the address cannot be bound (after "bind: <reason>"
# on stderr, as bhyve's rfb_init prints it).

import argparse
import gzip
import os
import select
import socket
import struct
import sys
import time
import zlib

# ---------------------------------------------------------------- DES
# FIPS 46-3, enough for VNC authentication (two blocks per connection).

IP = [58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
      62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
      57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
      61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7]
FP = [IP.index(i) + 1 for i in range(1, 65)]
E = [(4 * i + j - 1) % 32 + 1 for i in range(8) for j in range(6)]
P = [16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
     2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25]
PC1 = [57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
       10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
       63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
       14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4]
PC2 = [14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10,
       23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
       41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
       44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32]
SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1]
SBOX = [
    "e4d12fb83a6c5907 0f74e2d1a6cb9538 41e8d62bfc973a50 fc8249175b3ea06d",
    "f18e6b34972dc05a 3d47f28ec01a69b5 0e7ba4d158c6932f d8a13f42b67c05e9",
    "a09e63f51dc7b428 d709346a285ecbf1 d6498f30b12c5ae7 1ad069874fe3b52c",
    "7de3069a1285bc4f d8b56f03472c1ae9 a690cb7df13e5284 3f06a1d8945bc72e",
    "2c417ab6853fd0e9 eb2c47d150fa3986 421bad78f9c5630e b8c71e2d6f09a453",
    "c1af92680d34e75b af427c9561de0b38 9ef528c3704a1db6 432c95fabe17608d",
    "4b2ef08d3c975a61 d0b7491ae35c2f86 14bdc37eaf680592 6bd814a7950fe23c",
    "d2846fb1a93e50c7 1fd8a374c56b0e92 7b419ce206adf358 21e74a8dfc90356b",
]
SBOX = [[int(c, 16) for c in s.replace(" ", "")] for s in SBOX]


def _bits(data):
    return [(b >> (7 - i)) & 1 for b in data for i in range(8)]


def _bytes(bits):
    return bytes(sum(bits[i + j] << (7 - j) for j in range(8))
                 for i in range(0, len(bits), 8))


def _perm(bits, table):
    return [bits[t - 1] for t in table]


def des_encrypt(key, block):
    """One 8-byte block, ECB."""
    k = _perm(_bits(key), PC1)
    c, d = k[:28], k[28:]
    subkeys = []
    for s in SHIFTS:
        c, d = c[s:] + c[:s], d[s:] + d[:s]
        subkeys.append(_perm(c + d, PC2))
    b = _perm(_bits(block), IP)
    left, right = b[:32], b[32:]
    for sk in subkeys:
        x = [u ^ v for u, v in zip(_perm(right, E), sk)]
        out = []
        for i in range(8):
            s6 = x[6 * i:6 * i + 6]
            v = SBOX[i][(s6[0] * 2 + s6[5]) * 16 +
                        s6[1] * 8 + s6[2] * 4 + s6[3] * 2 + s6[4]]
            out += [(v >> (3 - j)) & 1 for j in range(4)]
        left, right = right, [u ^ v for u, v in zip(left, _perm(out, P))]
    return _bytes(_perm(right + left, FP))


def vnc_key(password):
    """The DES key VNC makes of a password: 8 bytes, bits mirrored."""
    raw = password.encode("utf-8")[:8].ljust(8, b"\0")
    return bytes(int("{:08b}".format(b)[::-1], 2) for b in raw)


def vnc_response(password, challenge):
    key = vnc_key(password)
    return des_encrypt(key, challenge[:8]) + des_encrypt(key, challenge[8:])


def selftest():
    vectors = [
        # key, plaintext, ciphertext (FIPS 81 / NBS / textbook examples)
        ("133457799bbcdff1", "0123456789abcdef", "85e813540f0ab405"),
        ("0e329232ea6d0d73", "8787878787878787", "0000000000000000"),
        ("0101010101010101", "95f8a5e5dd31d900", "8000000000000000"),
        ("0123456789abcdef", "4e6f772069732074", "3fa40e8a984d4815"),
    ]
    n = 0
    bad = 0
    for key, pt, ct in vectors:
        n += 1
        got = des_encrypt(bytes.fromhex(key), bytes.fromhex(pt)).hex()
        if got == ct:
            print("ok %d - DES %s %s" % (n, key, pt))
        else:
            bad += 1
            print("not ok %d - DES %s %s: %s, want %s" % (n, key, pt,
                                                          got, ct))
    n += 1
    # Checked against OpenSSL's DES with the mirrored key.
    got = vnc_response("secret", bytes(range(16))).hex()
    if got == "ee22539f33a5983ec12f9c2edbc995dd":
        print("ok %d - VNC response to a challenge" % n)
    else:
        bad += 1
        print("not ok %d - VNC response: %s" % (n, got))
    n += 1
    if vnc_key("Passw0rd!extra") == vnc_key("Passw0rd") and \
            vnc_key("ab") == bytes([0x86, 0x46, 0, 0, 0, 0, 0, 0]):
        print("ok %d - VNC key: 8 bytes, bits mirrored" % n)
    else:
        bad += 1
        print("not ok %d - VNC key" % n)
    print("1..%d" % n)
    return 1 if bad else 0


# ---------------------------------------------------------------- pictures

def read_ppm(path):
    """(width, height, RGB bytes) of a binary PPM, gzipped or not."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    fields = []
    pos = 0
    while len(fields) < 4:
        while pos < len(data) and data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            while pos < len(data) and data[pos:pos + 1] != b"\n":
                pos += 1
            continue
        start = pos
        while pos < len(data) and not data[pos:pos + 1].isspace():
            pos += 1
        if start == pos:
            raise ValueError("%s: truncated PPM header" % path)
        fields.append(data[start:pos])
    pos += 1
    if fields[0] != b"P6":
        raise ValueError("%s: not a binary PPM (P6)" % path)
    w, h, maxval = (int(x) for x in fields[1:])
    if maxval != 255 or w <= 0 or h <= 0:
        raise ValueError("%s: need maxval 255 and a size" % path)
    rgb = data[pos:pos + w * h * 3]
    if len(rgb) != w * h * 3:
        raise ValueError("%s: truncated PPM data" % path)
    return w, h, rgb


def rgb_to_native(rgb):
    """RGB bytes -> bhyve's pixels: little-endian XRGB, bytes B G R 0."""
    n = len(rgb) // 3
    out = bytearray(n * 4)
    out[0::4] = rgb[2::3]
    out[1::4] = rgb[1::3]
    out[2::4] = rgb[0::3]
    return out


class Picture:
    """What the guest draws: native pixels of some size."""

    def __init__(self, width, height, pixels):
        self.width, self.height, self.pixels = width, height, pixels

    @classmethod
    def load(cls, path):
        w, h, rgb = read_ppm(path)
        return cls(w, h, rgb_to_native(rgb))

    @classmethod
    def solid(cls, width, height, colour):
        r, g, b = colour >> 16 & 255, colour >> 8 & 255, colour & 255
        return cls(width, height, bytearray(bytes([b, g, r, 0]) *
                                            (width * height)))

    def on_canvas(self, width, height):
        """This picture at the top left of a black width x height screen
        (where a guest draws; a captured EDK2 console is centred in it
        already)."""
        if (width, height) == (self.width, self.height):
            return bytes(self.pixels)
        out = bytearray(width * height * 4)
        n = min(width, self.width) * 4
        for y in range(min(height, self.height)):
            out[y * width * 4:y * width * 4 + n] = \
                self.pixels[y * self.width * 4:y * self.width * 4 + n]
        return bytes(out)


class Screen:
    """The framebuffer all connections show; version counts changes."""

    def __init__(self, picture, size):
        self.picture, self.size = picture, size
        self.version = 0
        self.render()

    def render(self):
        self.width, self.height = self.size or (self.picture.width,
                                                self.picture.height)
        self.pixels = self.picture.on_canvas(self.width, self.height)
        self.version += 1

    def set_picture(self, picture):
        self.picture = picture
        self.render()

    def resize(self, size):
        self.size = size
        self.render()


# ---------------------------------------------------------------- protocol

PIX_PER_CELL = 32
SEND_ALL_THRESH = 25
ENC_RAW, ENC_ZLIB, ENC_RESIZE, ENC_EXT_KEY = 0, 6, -223, -258
AUTH_NONE, AUTH_VNC = 1, 2


class Client:
    """One connection, from the version exchange to the end."""

    def __init__(self, server, sock):
        self.server, self.sock = server, sock
        self.inbuf = bytearray()
        self.outbuf = bytearray()
        self.state = "version"
        self.version = "3"
        self.challenge = None
        self.raw_ok = self.zlib_ok = self.resize_ok = False
        self.ext_ok = self.ext_sent = False
        self.zstream = None
        self.pending = self.update_all = False
        self.width = self.height = None
        self.scanned = None		# pixels at the last incremental scan
        self.scanned_version = None
        self.fb_bytes = 0		# framebuffer-update bytes queued
        self.stalled = False
        self.closed = False
        self.send(b"RFB 003.008\n")

    def log(self, msg):
        self.server.log(msg)

    def send(self, data):
        self.outbuf += data

    def send_update(self, data):
        """Queue a FramebufferUpdate message, minding --stall-after-bytes."""
        limit = self.server.args.stall_after_bytes
        if limit is not None and self.fb_bytes + len(data) >= limit:
            data = data[:max(0, limit - self.fb_bytes)]
            self.stalled = True
            self.log("stalled after %d bytes of updates" % limit)
        self.fb_bytes += len(data)
        self.outbuf += data

    def need(self, n):
        if len(self.inbuf) < n:
            return None
        data = bytes(self.inbuf[:n])
        del self.inbuf[:n]
        return data

    def peek(self, n):
        return bytes(self.inbuf[:n]) if len(self.inbuf) >= n else None

    def fail_auth(self, message):
        self.send(struct.pack(">I", 1))
        if self.version == "8":
            self.send(struct.pack(">I", len(message)) + message.encode())
        self.log("auth failed: %s" % message)
        self.state = "closing"

    def auth_type(self):
        return AUTH_VNC if self.server.args.password is not None \
            else AUTH_NONE

    def handle_input(self):
        """Parse what arrived; False when the connection must go."""
        while not self.stalled:
            if self.state == "version":
                data = self.need(12)
                if data is None:
                    return True
                v = chr(data[10]) if data[:10] == b"RFB 003.00" else "3"
                self.version = v if v in "78" else "3"
                self.log("client version 3.%s" % self.version)
                if self.version == "3":
                    self.send(struct.pack(">I", self.auth_type()))
                    self.after_sectype()
                else:
                    self.send(bytes([1, self.auth_type()]))
                    self.state = "sectype"
            elif self.state == "sectype":
                data = self.need(1)
                if data is None:
                    return True
                if data[0] != self.auth_type():
                    self.fail_auth("Auth failed: authentication type "
                                   "mismatch")
                    continue
                self.after_sectype()
            elif self.state == "auth":
                data = self.need(16)
                if data is None:
                    return True
                want = vnc_response(self.server.args.password,
                                    self.challenge)
                if data != want:
                    if self.version == "3":
                        self.send(struct.pack(">I", 1))
                        self.log("auth failed (3.3)")
                        self.state = "closing"
                    else:
                        self.fail_auth("Auth Failed: Invalid Password.")
                    continue
                self.log("auth ok")
                self.send(struct.pack(">I", 0))
                self.state = "init"
            elif self.state == "init":
                if self.need(1) is None:
                    return True
                self.server_init()
                self.state = "normal"
            elif self.state == "normal":
                r = self.client_message()
                if r is None:
                    return True
                if r is False:
                    return False
            else:
                # "closing": bhyve reads nothing more and hangs up.
                return True
        return True

    def after_sectype(self):
        if self.auth_type() == AUTH_VNC:
            self.challenge = os.urandom(16)
            self.send(self.challenge)
            self.state = "auth"
        else:
            if self.version in "78":
                self.send(struct.pack(">I", 0))
            self.state = "init"

    def server_init(self):
        s = self.server.screen
        self.width, self.height = s.width, s.height
        self.send(struct.pack(">HHBBBBHHHBBB3xI", s.width, s.height,
                              32, 32, 0, 1, 255, 255, 255, 16, 8, 0,
                              len(b"bhyve")) + b"bhyve")
        self.log("server init %dx%d" % (s.width, s.height))

    def client_message(self):
        """One message; None: incomplete, False: drop the connection."""
        t = self.peek(1)
        if t is None:
            return None
        t = t[0]
        if t == 0:		# SetPixelFormat: read and ignored
            if self.need(20) is None:
                return None
            self.log("set pixel format ignored")
        elif t == 2:		# SetEncodings
            head = self.peek(4)
            if head is None:
                return None
            n = struct.unpack(">H", head[2:4])[0]
            data = self.need(4 + 4 * n)
            if data is None:
                return None
            encs = struct.unpack(">%di" % n, data[4:])
            for e in encs:
                if e == ENC_RAW:
                    self.raw_ok = True
                elif e == ENC_ZLIB and not self.zlib_ok:
                    self.zstream = zlib.compressobj(1)
                    self.zlib_ok = True
                elif e == ENC_RESIZE:
                    self.resize_ok = True
                elif e == ENC_EXT_KEY:
                    self.ext_ok = True
            self.log("encodings %s" % " ".join(str(e) for e in encs))
        elif t == 3:		# FramebufferUpdateRequest
            data = self.need(10)
            if data is None:
                return None
            if self.ext_ok and not self.ext_sent:
                self.send_update(struct.pack(">BxHHHHHi", 0, 1, 0, 0,
                                             self.width, self.height,
                                             ENC_EXT_KEY))
                self.ext_sent = True
            self.pending = True
            if not data[1]:
                self.update_all = True
        elif t == 4:		# KeyEvent
            data = self.need(8)
            if data is None:
                return None
            down, sym = struct.unpack(">xBxxI", data)
            self.server.key(sym, down)
        elif t == 5:		# PointerEvent
            if self.need(6) is None:
                return None
        elif t == 6:		# ClientCutText: read and dropped
            head = self.peek(8)
            if head is None:
                return None
            n = struct.unpack(">I", head[4:8])[0]
            if self.need(8 + n) is None:
                return None
        elif t == 255:		# QEMU client message
            head = self.peek(2)
            if head is None:
                return None
            if head[1] == 0:	# extended key event
                data = self.need(12)
                if data is None:
                    return None
                down, sym, code = struct.unpack(">xxHII", data)
                self.server.key(sym, down)
            else:
                self.need(2)
        else:
            self.log("rfb unknown cli-code %d!" % t)
            print("rfb unknown cli-code %d!" % t, file=sys.stderr)
            return False
        return True

    # ------------------------------------------------------------ updates

    def rect(self, pixels, stride, x, y, w, h):
        rows = b"".join(pixels[((y + r) * stride + x) * 4:
                               ((y + r) * stride + x + w) * 4]
                        for r in range(h))
        if self.zlib_ok:
            z = self.zstream.compress(rows) + \
                self.zstream.flush(zlib.Z_SYNC_FLUSH)
            return struct.pack(">HHHHiI", x, y, w, h, ENC_ZLIB,
                               len(z)) + z
        return struct.pack(">HHHHi", x, y, w, h, ENC_RAW) + rows

    def send_all(self, s):
        self.send_update(struct.pack(">BxH", 0, 1) +
                         self.rect(s.pixels, s.width, 0, 0, s.width,
                                   s.height))

    def tick(self):
        """bhyve's rfb_send_screen, run about every 33 ms."""
        if self.state != "normal" or self.stalled or self.outbuf or \
                not self.pending:
            return
        self.pending = False
        s = self.server.screen
        if (self.width, self.height) != (s.width, s.height):
            self.scanned = None
            self.width, self.height = s.width, s.height
            if self.resize_ok:
                self.send_update(struct.pack(">BxHHHHHi", 0, 1, 0, 0,
                                             s.width, s.height,
                                             ENC_RESIZE))
                self.update_all = True
                self.log("desktop size %dx%d" % (s.width, s.height))
                return
        if self.update_all:
            self.update_all = False
            self.send_all(s)
            return
        if self.scanned_version == s.version and self.scanned is not None:
            self.pending = True		# nothing changed: wait
            return
        cells = self.changed_cells(s)
        self.scanned, self.scanned_version = s.pixels, s.version
        if not cells:
            self.pending = True
            return
        xcells = -(-s.width // PIX_PER_CELL)
        ycells = -(-s.height // PIX_PER_CELL)
        if len(cells) * 100 // (xcells * ycells) >= SEND_ALL_THRESH:
            self.send_all(s)
            return
        msg = [struct.pack(">BxH", 0, len(cells))]
        for cx, cy in cells:
            x, y = cx * PIX_PER_CELL, cy * PIX_PER_CELL
            msg.append(self.rect(s.pixels, s.width, x, y,
                                 min(PIX_PER_CELL, s.width - x),
                                 min(PIX_PER_CELL, s.height - y)))
        self.send_update(b"".join(msg))

    def changed_cells(self, s):
        xcells = -(-s.width // PIX_PER_CELL)
        ycells = -(-s.height // PIX_PER_CELL)
        if self.scanned is None or len(self.scanned) != len(s.pixels):
            return [(cx, cy) for cy in range(ycells) for cx in range(xcells)]
        old, new, out = self.scanned, s.pixels, []
        for cy in range(ycells):
            for cx in range(xcells):
                x = cx * PIX_PER_CELL
                w = min(PIX_PER_CELL, s.width - x) * 4
                for y in range(cy * PIX_PER_CELL,
                               min(s.height, (cy + 1) * PIX_PER_CELL)):
                    o = (y * s.width + x) * 4
                    if old[o:o + w] != new[o:o + w]:
                        out.append((cx, cy))
                        break
        return out


class Server:
    def __init__(self, args):
        self.args = args
        self.logf = open(args.log, "a", buffering=1) if args.log else None
        self.keylog = open(args.keylog, "a", buffering=1) \
            if args.keylog else None
        self.connections = 0
        if args.frame:
            picture = Picture.load(args.frame)
        else:
            w, h = args.size or (1024, 768)
            picture = Picture.solid(w, h, args.colour)
        self.screen = Screen(picture, args.size)
        self.timers = []
        if args.resize_after is not None:
            self.timers.append((args.resize_after, "resize",
                                args.resize_to))
        for secs, path in args.frame_after or []:
            self.timers.append((float(secs), "frame", Picture.load(path)))
        if args.exit_after is not None:
            self.timers.append((args.exit_after, "exit", None))
        if args.noise_until is not None:
            t = 0.0
            while t < args.noise_until:
                self.timers.append((t, "noise", None))
                t += 0.25
            self.timers.append((args.noise_until, "frame", picture))
        self.timers.sort(key=lambda t: t[0])
        self.client = None
        self.listener = None
        self.parent_watched = args.die_with == os.getppid()

    def log(self, msg):
        if self.logf:
            self.logf.write("%.3f %s\n" % (time.monotonic() - self.t0, msg))

    def key(self, sym, down):
        if self.keylog:
            self.keylog.write("0x%04x %s\n" % (sym, "down" if down
                                               else "up"))

    def listen(self):
        host, port = self.args.listen
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            print("bind: %s" % os.strerror(e.errno), file=sys.stderr)
            sys.exit(4)
        s.listen(1)
        self.listener = s
        self.t0 = time.monotonic()
        self.log("listening on %s:%d" % (host, s.getsockname()[1]))
        if self.args.ready:
            write_file(self.args.ready, "%s:%d\n" % (
                "[%s]" % host if family == socket.AF_INET6 else host,
                s.getsockname()[1]))

    def drop(self):
        if self.client:
            self.log("connection closed")
            self.client.sock.close()
            self.client = None

    def run_timers(self, now):
        while self.timers and self.timers[0][0] <= now - self.t0:
            _, what, arg = self.timers.pop(0)
            if what == "resize":
                self.log("resize to %dx%d" % arg)
                self.screen.resize(arg)
            elif what == "frame":
                self.log("new picture")
                self.screen.set_picture(arg)
            elif what == "noise":
                w, h = self.screen.width, self.screen.height
                self.screen.set_picture(Picture(w, h, bytearray(
                    os.urandom(w * h * 4))))
            else:
                self.log("exit")
                self.drop()
                self.listener.close()
                sys.exit(0)

    def parent_gone(self):
        pid = self.args.die_with
        if pid is None:
            return False
        if self.parent_watched and os.getppid() != pid:
            return True		# reparented: our parent died
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass
        return False

    def serve(self):
        self.listen()
        next_tick = time.monotonic()
        while True:
            now = time.monotonic()
            self.run_timers(now)
            if self.parent_gone():
                self.log("parent gone")
                os._exit(0)
            c = self.client
            rd, wr = [], []
            if c is None:
                rd.append(self.listener)
            else:
                if c.stalled and not c.outbuf:
                    pass		# hung for ever
                else:
                    if not c.stalled and c.state != "closing":
                        rd.append(c.sock)
                    if c.outbuf:
                        wr.append(c.sock)
            timeout = 0.1
            if self.timers:
                timeout = min(timeout, max(0, self.timers[0][0] -
                                           (now - self.t0)))
            if c is not None and c.pending and not c.stalled:
                timeout = min(timeout, max(0, next_tick - now))
            r, w, _ = select.select(rd, wr, [], timeout)
            if self.listener in r:
                try:
                    sock, peer = self.listener.accept()
                except OSError:
                    continue
                sock.setblocking(False)
                self.connections += 1
                self.log("connection %d from %s" % (self.connections,
                                                    peer[0]))
                if self.args.connected:
                    write_file(self.args.connected,
                               "%d\n" % self.connections)
                self.client = Client(self, sock)
                continue
            if c is None:
                continue
            if c.sock in r:
                try:
                    data = c.sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    data = None
                except OSError:
                    data = b""
                if data == b"":
                    self.drop()
                    continue
                if data:
                    c.inbuf += data
                    if not c.handle_input():
                        self.drop()
                        continue
            if c.sock in w and c.outbuf:
                try:
                    n = c.sock.send(c.outbuf)
                    del c.outbuf[:n]
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    self.drop()
                    continue
                if not c.outbuf and c.state == "closing":
                    self.drop()
                    continue
            now = time.monotonic()
            if now >= next_tick:
                next_tick = now + 0.033
                c.tick()


def write_file(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def parse_size(text):
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError("size must be WxH: %r" % text)
    if not (0 < w <= 8192 and 0 < h <= 8192):
        raise argparse.ArgumentTypeError("size out of range: %r" % text)
    return w, h


def parse_listen(text):
    if text.startswith("["):
        host, _, port = text[1:].partition("]:")
    else:
        host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError("want HOST:PORT: %r" % text)
    return host, int(port)


def main():
    p = argparse.ArgumentParser(
        description="VNC server double of bhyve's fbuf RFB server")
    p.add_argument("--listen", type=parse_listen)
    p.add_argument("--frame")
    p.add_argument("--size", type=parse_size)
    p.add_argument("--colour", "--color", type=lambda s: int(s, 16),
                   default=0)
    p.add_argument("--password")
    p.add_argument("--keylog")
    p.add_argument("--ready")
    p.add_argument("--connected")
    p.add_argument("--log")
    p.add_argument("--die-with", type=int)
    p.add_argument("--stall-after-bytes", type=int)
    p.add_argument("--resize-after", type=float)
    p.add_argument("--resize-to", type=parse_size)
    p.add_argument("--exit-after", type=float)
    p.add_argument("--noise-until", type=float)
    p.add_argument("--frame-after", nargs=2, action="append",
                   metavar=("SECONDS", "FILE"))
    p.add_argument("--selftest", action="store_true")
    args = p.parse_args()
    if args.selftest:
        return selftest()
    if args.listen is None:
        p.error("--listen is required")
    if (args.resize_after is None) != (args.resize_to is None):
        p.error("--resize-after and --resize-to go together")
    try:
        for secs, _ in args.frame_after or []:
            float(secs)
        server = Server(args)
    except (OSError, ValueError) as e:
        print("rfbserver.py: %s" % e, file=sys.stderr)
        return 1
    try:
        server.serve()
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
