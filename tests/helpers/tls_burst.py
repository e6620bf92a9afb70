#!/usr/bin/python3
"""TLS peers that send many records in one TCP segment, for the tests of
what wsflow's TLS reads ahead of GnuTLS.

    tls_burst.py server CERT KEY
        Binds 127.0.0.1 port 0 and prints "listening PORT". For one client:
        finishes the TLS handshake, reads the opening request, then sends
        in ONE write what a server may send at once: its TLS 1.3 session
        tickets (held back until then), the 101 answer and a text frame
        "hello", each its own record. Prints what the client sends back
        (`text PAYLOAD`, `close CODE`) until EOF.

    tls_burst.py client CAFILE PORT
        Connects to 127.0.0.1:PORT and sends in ONE write its last
        handshake record, the opening request and a masked text frame
        "hello", each its own record; prints the answer's status line and
        the first text frame that comes back (`text PAYLOAD`).

Both end with status 1 and "timeout" when the peer does not answer within
3 s. The TLS runs over memory buffers (ssl.MemoryBIO) so that the script
decides which records share a write.
"""
import base64
import hashlib
import os
import socket
import ssl
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def out(*a):
    print(*a, flush=True)


def frame(payload, masked):
    head = bytes([0x81, (0x80 if masked else 0) | len(payload)])
    if not masked:
        return head + payload
    m = os.urandom(4)
    return head + m + bytes(b ^ m[i % 4] for i, b in enumerate(payload))


class Tls:
    """An SSLObject over memory BIOs and a socket."""

    def __init__(self, sock, obj, inc, outgoing):
        self.sock, self.obj, self.inc, self.out = sock, obj, inc, outgoing
        self.buf = b""

    def handshake(self, flush_last):
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                self.feed()
        if flush_last:
            self.flush()

    def flush(self):
        d = self.out.read()
        if d:
            self.sock.sendall(d)

    def feed(self):
        d = self.sock.recv(65536)
        if not d:
            raise EOFError
        self.inc.write(d)

    def read_until(self, pred):
        while not pred(self.buf):
            try:
                d = self.obj.read(65536)
                if not d:  # the peer's close_notify
                    raise EOFError
                self.buf += d
                continue
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLZeroReturnError:
                raise EOFError
            self.feed()


def frames(buf, masked):
    """(opcode, payload) of the whole frames at the start of buf (masked:
    a client's, unmasked here), and the rest of buf."""
    res = []
    while len(buf) >= 2:
        op, n = buf[0] & 15, buf[1] & 127
        at = 2
        if n == 126:
            if len(buf) < 4:
                break
            n, at = int.from_bytes(buf[2:4], "big"), 4
        key = buf[at:at + 4] if masked else None
        at += 4 if masked else 0
        if len(buf) < at + n:
            break
        p = buf[at:at + n]
        if masked:
            p = bytes(b ^ key[i % 4] for i, b in enumerate(p))
        res.append((op, p))
        buf = buf[at + n:]
    return res, buf


def server(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    out("listening", ls.getsockname()[1])
    s, _ = ls.accept()
    s.settimeout(3)
    inc, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    t = Tls(s, ctx.wrap_bio(inc, outgoing, server_side=True), inc, outgoing)
    t.handshake(flush_last=False)  # its tickets wait in the buffer
    t.read_until(lambda b: b"\r\n\r\n" in b)
    head, t.buf = t.buf.split(b"\r\n\r\n", 1)
    key = [l.split(b":", 1)[1].strip() for l in head.split(b"\r\n") if l.lower().startswith(b"sec-websocket-key:")][0]
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    t.obj.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
    t.obj.write(frame(b"hello", False))
    t.flush()  # tickets, 101 and frame: one write
    while True:
        try:
            t.read_until(lambda b: len(frames(b, True)[0]) > 0)
        except EOFError:
            out("eof")
            return
        got, t.buf = frames(t.buf, True)
        for op, p in got:
            if op == 1:
                out("text", p.decode())
            elif op == 8:
                out("close", int.from_bytes(p[:2], "big") if len(p) >= 2 else 1005)
                t.obj.write(bytes([0x88, 2]) + p[:2])
                t.flush()


def client(cafile, port):
    ctx = ssl.create_default_context(cafile=cafile)
    s = socket.create_connection(("127.0.0.1", int(port)))
    s.settimeout(3)
    inc, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    t = Tls(s, ctx.wrap_bio(inc, outgoing, server_hostname="localhost"), inc, outgoing)
    t.handshake(flush_last=False)
    t.obj.write(b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    t.obj.write(frame(b"hello", True))
    t.flush()  # Finished, request and frame: one write
    t.read_until(lambda b: b"\r\n\r\n" in b)
    head, t.buf = t.buf.split(b"\r\n\r\n", 1)
    out(head.split(b"\r\n")[0].decode())
    t.read_until(lambda b: any(op == 1 for op, _ in frames(b, False)[0]))
    out("text", [p for op, p in frames(t.buf, False)[0] if op == 1][0].decode())


def main():
    try:
        if sys.argv[1] == "server":
            server(sys.argv[2], sys.argv[3])
        else:
            client(sys.argv[2], sys.argv[3])
    except (socket.timeout, EOFError):
        out("timeout")
        sys.exit(1)


main()
