#!/usr/bin/python3
"""A raw-socket WebSocket client that says exactly what it is told, for
crafting bad handshakes and bad frames (RFC 6455 section 5.2).

    rawws.py [--rcvbuf N] [--timeout S] PORT CMD...

Connects to 127.0.0.1:PORT and runs each CMD in order:

    hs[:H1|H2..]    a valid opening handshake (extra header lines H1, H2
                    replace the defaults of the same name; "Name:" drops
                    one); the answer must be 101 with the right accept
                    key: prints `101`; else the answer as by http, and
                    the rest of the commands are skipped
    send:TEXT       send TEXT with \\r \\n \\xHH escapes, as bytes
    sendhex:HEX     send raw bytes
    frame:K=V,...   send a frame; keys: fin (1), rsv (0..7, 0), op (1),
                    mask (1), text=STR or hex=HEX (payload), len=N (a payload
                    of N bytes 'x'), enc=16|64 (force that length encoding),
                    drip=1 (one byte per write, 2 ms apart)
    http            read an HTTP answer head and body: the status line, then
                    `header NAME VALUE` for Allow, Sec-WebSocket-Version and
                    Connection, `body LINE` for each body line, then `eof`
                    once the server has closed
    read            read one frame: `frame OP FIN HEX`, `close CODE REASON`,
                    or `eof`
    readclose       read frames until a close: `close CODE REASON` (frames
                    before it are printed as by read), then wait for the
                    server to end TCP: `eof`
    readn:N         read N data frames: `got N BYTES` (their payload bytes)
    pings           read frames and never answer: `ping` for each ping,
                    `frame ...` for others, until `eof`
    eof             read and discard until the server ends TCP: `eof`
    sleep:MS        wait
    hold:MS         stay connected MS ms without reading anything

A deadline (--timeout, 10 s) bounds every read: past it print `timeout` and
exit 3.
"""
import base64
import hashlib
import os
import select
import socket
import struct
import sys
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def out(*a):
    print(*a, flush=True)


class Timeout(Exception):
    pass


class Conn:
    def __init__(self, port, rcvbuf, timeout):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.connect(("127.0.0.1", port))
        self.buf = b""
        self.timeout = timeout
        self.closed = False

    def fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.s], [], [], left)[0]:
            raise Timeout()
        try:
            d = self.s.recv(65536)
        except ConnectionResetError:
            d = b""
        if not d:
            self.closed = True
            return False
        self.buf += d
        return True

    def take(self, n, deadline):
        while len(self.buf) < n:
            if not self.fill(deadline):
                return None
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def frame(self):
        deadline = time.monotonic() + self.timeout
        h = self.take(2, deadline)
        if h is None:
            return None
        fin, op, n = h[0] >> 7, h[0] & 15, h[1] & 127
        if h[1] & 128:
            raise ValueError("a masked frame from the server")
        if n == 126:
            n = struct.unpack(">H", self.take(2, deadline))[0]
        elif n == 127:
            n = struct.unpack(">Q", self.take(8, deadline))[0]
        return fin, op, self.take(n, deadline)

    def eof(self):
        deadline = time.monotonic() + self.timeout
        self.buf = b""
        while self.fill(deadline):
            self.buf = b""


def unescape(s):
    return s.encode("utf-8").decode("unicode_escape").encode("latin-1")


def show(f):
    if f is None:
        out("eof")
        return None
    fin, op, data = f
    if op == 8:
        code = struct.unpack(">H", data[:2])[0] if len(data) >= 2 else "none"
        out("close", code, data[2:].decode("utf-8", "replace"))
    else:
        out("frame", op, fin, data.hex())
    return op


def make_frame(spec):
    kv = dict(p.split("=", 1) for p in spec.split(",") if p)
    fin, rsv, op = int(kv.get("fin", 1)), int(kv.get("rsv", 0)), int(kv.get("op", 1))
    mask = int(kv.get("mask", 1))
    if "text" in kv:
        data = unescape(kv["text"])
    elif "hex" in kv:
        data = bytes.fromhex(kv["hex"])
    else:
        data = b"x" * int(kv.get("len", 0))
    n, enc = len(data), kv.get("enc")
    h = bytes([fin << 7 | rsv << 4 | op])
    m = 128 if mask else 0
    if enc == "64" or (enc is None and n > 65535):
        h += bytes([m | 127]) + struct.pack(">Q", n)
    elif enc == "16" or (enc is None and n > 125):
        h += bytes([m | 126]) + struct.pack(">H", n)
    else:
        h += bytes([m | n])
    if mask:
        key = os.urandom(4)
        h += key
        data = bytes(b ^ key[i % 4] for i, b in enumerate(data))
    return h + data


def handshake(c, extra, port):
    key = base64.b64encode(os.urandom(16)).decode()
    hdrs = {
        "Host": "127.0.0.1:%d" % port,
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": key,
        "Sec-WebSocket-Version": "13",
    }
    for h in filter(None, extra.split("|")):
        k, _, v = h.partition(":")
        hdrs.pop(next((x for x in hdrs if x.lower() == k.lower()), k), None)
        if v.strip():
            hdrs[k] = v.strip()
    req = "GET / HTTP/1.1\r\n" + "".join("%s: %s\r\n" % kv for kv in hdrs.items()) + "\r\n"
    c.s.sendall(req.encode())
    status, headers = read_head(c)
    want = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
    if status.startswith("HTTP/1.1 101 ") and headers.get("sec-websocket-accept") == want:
        out("101")
        return True
    show_http(c, status, headers)
    return False


def show_http(c, status, headers):
    out(status)
    for h in ("allow", "sec-websocket-version", "connection"):
        if h in headers:
            out("header", h, headers[h])
    n = int(headers.get("content-length", "0"))
    body = c.take(n, time.monotonic() + c.timeout) or b""
    for l in body.decode("latin-1").splitlines():
        out("body", l)
    c.eof()
    out("eof")


def read_head(c):
    deadline = time.monotonic() + c.timeout
    while b"\r\n\r\n" not in c.buf:
        if not c.fill(deadline):
            break
    head, _, c.buf = c.buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        headers[k.strip().lower()] = v.strip()
    return lines[0], headers


def main():
    args = sys.argv[1:]
    rcvbuf, timeout = 0, 10.0
    while args and args[0].startswith("--"):
        k, v = args.pop(0), args.pop(0)
        if k == "--rcvbuf":
            rcvbuf = int(v)
        else:
            timeout = float(v)
    port = int(args.pop(0))
    c = Conn(port, rcvbuf, timeout)
    try:
        for cmd in args:
            name, _, arg = cmd.partition(":")
            if name == "hs":
                if not handshake(c, arg, port):
                    break
            elif name == "send":
                c.s.sendall(unescape(arg))
            elif name == "sendhex":
                c.s.sendall(bytes.fromhex(arg))
            elif name == "frame":
                f = make_frame(arg)
                if "drip=1" in arg.split(","):
                    c.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    for b in f:
                        c.s.sendall(bytes([b]))
                        time.sleep(0.002)
                else:
                    c.s.sendall(f)
            elif name == "http":
                show_http(c, *read_head(c))
            elif name == "read":
                show(c.frame())
            elif name == "readclose":
                while show(c.frame()) not in (8, None):
                    pass
                c.eof()
                out("eof")
            elif name == "readn":
                total = 0
                for _ in range(int(arg)):
                    f = c.frame()
                    while f is not None and f[1] >= 8:
                        f = c.frame()
                    if f is None:
                        out("eof")
                        sys.exit(1)
                    total += len(f[2])
                out("got", arg, total)
            elif name == "pings":
                while True:
                    f = c.frame()
                    if f is None:
                        out("eof")
                        break
                    if f[1] == 9:
                        out("ping")
                    else:
                        show(f)
            elif name == "eof":
                c.eof()
                out("eof")
            elif name == "sleep":
                time.sleep(int(arg) / 1000)
            elif name == "hold":
                time.sleep(int(arg) / 1000)
            else:
                out("bad command", cmd)
                sys.exit(2)
    except Timeout:
        out("timeout")
        sys.exit(3)
    except (BrokenPipeError, ConnectionResetError) as e:
        out("reset", type(e).__name__)
        sys.exit(1)


if __name__ == "__main__":
    main()
