"""RFC 6455 frames on a raw socket, for the conformance suite.

The suite's peer is a client (against ws-listen: its frames are masked) or
a server (against ws-connect: unmasked). Frames are built exactly as a case
says, right or wrong; what comes back is read into events and every frame
of the tool's is checked against RFC 6455 on the way (section 5).

Events read (tuples):
    ("text", bytes) ("binary", bytes)    a whole message, fragments joined
    ("ping", bytes) ("pong", bytes)
    ("close", code or None, reason bytes)
    ("eof",)                             the tool ended TCP
    ("timeout",)                         nothing in time
    ("bad", why)                         the tool broke RFC 6455
"""
import base64
import hashlib
import os
import queue
import select
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "helpers"))
import rawws  # noqa: E402  (the raw-socket client of the ws-listen tests)

GUID = rawws.GUID
CONT, TEXT, BINARY, CLOSE, PING, PONG = 0, 1, 2, 8, 9, 10


def xor(data, key):
    """data masked with the 4-byte key (RFC 6455 5.3), at C speed."""
    n = len(data)
    if not n:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def frame(op, payload=b"", fin=1, rsv=0, mask=False, enc=None, length=None, key=None):
    """One frame. enc: 7, 16 or 64 forces that length encoding; length
    announces a payload length other than len(payload)."""
    n = len(payload) if length is None else length
    if enc is None:
        enc = 7 if n < 126 else 16 if n < 65536 else 64
    h = bytes([(fin and 0x80) | (rsv & 7) << 4 | (op & 15)])
    m = 0x80 if mask else 0
    if enc == 7:
        h += bytes([m | n])
    elif enc == 16:
        h += bytes([m | 126]) + struct.pack(">H", n)
    else:
        h += bytes([m | 127]) + struct.pack(">Q", n)
    if mask:
        key = key if key is not None else os.urandom(4)
        return h + key + xor(payload, key)
    return h + payload


def fragments(op, payload, size, mask):
    """payload as one message in fragments of size bytes, as one bytes."""
    n = len(payload)
    if size == 1 and n > 1:
        # a million frames: laid out with slices, not one at a time
        w = 7 if mask else 3
        out = bytearray(w * n)
        heads = bytearray(n)
        heads[0] = op
        heads[-1] = 0x80
        out[0::w] = heads
        out[1::w] = bytes([0x81 if mask else 0x01]) * n
        if mask:
            keys = os.urandom(4 * n)
            for i in range(4):
                out[2 + i::w] = keys[i::4]
            out[6::w] = _xor_bytes(payload, keys[0::4])
        else:
            out[2::w] = payload
        return bytes(out)
    parts, i = [], 0
    while True:
        chunk = payload[i:i + size]
        last = i + size >= n
        parts.append(frame(op if i == 0 else CONT, chunk, fin=last, mask=mask))
        i += size
        if last:
            return b"".join(parts)


def _xor_bytes(a, b):
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


class Peer:
    """One connection of the suite's: a writer thread sends what the case
    queues (so a tool that stops reading never blocks the reader), the
    case's thread reads events."""

    def __init__(self, sock, buf, client):
        self.s = sock
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client = client        # we mask; the tool must not
        self.buf = bytearray(buf)
        self.off = 0
        self.eof = False
        self.msg_op = None          # the tool's fragmented message in progress
        self.msg = []
        self.sent_close = False
        self.write_error = None
        self.q = queue.Queue()
        self.w = threading.Thread(target=self._writer, daemon=True)
        self.w.start()

    # writing

    def send(self, data, chop=0, pace=0.0):
        """Queue bytes; chop: write them n bytes at a time; pace: seconds
        between those writes."""
        self.q.put((data, chop, pace))

    def _writer(self):
        while True:
            item = self.q.get()
            if item is None:
                return
            data, chop, pace = item
            if self.write_error:
                continue
            try:
                if not chop:
                    self.s.sendall(data)
                    continue
                for i in range(0, len(data), chop):
                    self.s.sendall(data[i:i + chop])
                    if pace:
                        time.sleep(pace)
            except OSError as e:
                self.write_error = e

    def close(self):
        self.q.put(None)
        try:
            self.s.close()
        except OSError:
            pass

    def shut(self):
        """End our side of TCP (the server closes first: RFC 6455 7.1.1)."""
        try:
            self.s.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    # reading

    def _fill(self, deadline):
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.s], [], [], left)[0]:
            raise TimeoutError()
        try:
            d = self.s.recv(1 << 20)
        except (ConnectionResetError, OSError):
            d = b""
        if not d:
            self.eof = True
            return False
        if self.off > (1 << 20) and self.off > len(self.buf) // 2:
            del self.buf[:self.off]
            self.off = 0
        self.buf += d
        return True

    def _take(self, n, deadline):
        while len(self.buf) - self.off < n:
            if not self._fill(deadline):
                return None
        d = bytes(self.buf[self.off:self.off + n])
        self.off += n
        return d

    def _frame(self, deadline):
        h = self._take(2, deadline)
        if h is None:
            return None
        fin, rsv, op, masked, n = h[0] >> 7, h[0] >> 4 & 7, h[0] & 15, h[1] >> 7, h[1] & 127
        ext = {126: 2, 127: 8}.get(n, 0)
        if ext:
            e = self._take(ext, deadline)
            if e is None:
                return None
            n = int.from_bytes(e, "big")
        key = self._take(4, deadline) if masked else None
        if masked and key is None:
            return None
        data = self._take(n, deadline)
        if data is None:
            return None
        if masked:
            data = xor(data, key)
        why = None
        if rsv:
            why = "RSV bits %d set" % rsv
        elif masked == self.client:
            why = "a %s frame from the %s" % ("masked" if masked else "unmasked",
                                               "server" if self.client else "client")
        elif op in (3, 4, 5, 6, 7) or op > 10:
            why = "reserved opcode %d" % op
        elif op >= 8 and (not fin or n > 125):
            why = "control frame %s" % ("fragmented" if not fin else "of %d bytes" % n)
        elif ext == 2 and n < 126 or ext == 8 and n < 65536:
            why = "length %d not in its shortest form" % n
        return fin, op, data, why

    def event(self, timeout):
        """The next event within timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                f = self._frame(deadline)
            except TimeoutError:
                return ("timeout",)
            if f is None:
                return ("eof",)
            fin, op, data, why = f
            if why:
                return ("bad", why)
            if op >= 8:
                if op == CLOSE:
                    if len(data) == 1:
                        return ("bad", "a close payload of 1 byte")
                    code = struct.unpack(">H", data[:2])[0] if data else None
                    if data[2:] and not valid_utf8(data[2:]):
                        return ("bad", "close reason not UTF-8")
                    return ("close", code, data[2:])
                return ("ping" if op == PING else "pong", data)
            if op == CONT and self.msg_op is None:
                return ("bad", "continuation frame without a message")
            if op != CONT and self.msg_op is not None:
                return ("bad", "a new message inside a fragmented one")
            if op != CONT:
                self.msg_op, self.msg = op, []
            self.msg.append(data)
            if fin:
                op, self.msg_op = self.msg_op, None
                payload = b"".join(self.msg)
                self.msg = []
                if op == TEXT and not valid_utf8(payload):
                    return ("bad", "a text message that is not UTF-8")
                return ("text" if op == TEXT else "binary", payload)

    def wait_eof(self, timeout):
        """Discard until the tool ends TCP: True, or False past timeout."""
        deadline = time.monotonic() + timeout
        try:
            while self._fill(deadline):
                self.off = len(self.buf)
        except TimeoutError:
            return False
        return True


def valid_utf8(b):
    try:
        b.decode("utf-8")       # Python's codec: no overlongs, surrogates, > U+10FFFF
        return True
    except UnicodeDecodeError:
        return False


# opening handshakes

_said = threading.local()    # what rawws.py prints, per thread
rawws.out = lambda *a: _said.lines.append(" ".join(map(str, a)))


def connect(port, timeout, first=b""):
    """Our client's handshake with ws-listen (rawws.py's); first: bytes sent
    in the same write as the request. Returns a Peer, or raises OSError with
    what the server answered."""
    if not first:
        c = rawws.Conn(port, 0, timeout)
        said = _said.lines = []
        ok = rawws.handshake(c, "", port)
        if not ok:
            c.s.close()
            raise OSError("handshake refused: " + "; ".join(said))
        return Peer(c.s, c.buf, True)
    c = rawws.Conn(port, 0, timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    req = ("GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (port, key))
    c.s.sendall(req.encode() + first)
    status, headers = rawws.read_head(c)
    if not status.startswith("HTTP/1.1 101 ") or headers.get("sec-websocket-accept") != accept_key(key):
        c.s.close()
        raise OSError("handshake refused: " + status)
    return Peer(c.s, c.buf, True)


def serve(lsock, timeout, first=b""):
    """Our server's side of ws-connect's handshake: accept, check the
    request (RFC 6455 4.1), answer 101; first: bytes sent in the same write
    as the answer. Returns a Peer, or raises OSError saying what was wrong."""
    lsock.settimeout(timeout)
    try:
        s, _ = lsock.accept()
    except socket.timeout:
        raise OSError("ws-connect did not connect")
    s.settimeout(None)
    buf, deadline = b"", time.monotonic() + timeout
    while b"\r\n\r\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            s.close()
            raise OSError("no request head")
        d = s.recv(65536)
        if not d:
            s.close()
            raise OSError("the client left during the handshake")
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    h = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        h[k.strip().lower()] = v.strip()
    key = h.get("sec-websocket-key", "")
    why = None
    if not lines[0].startswith("GET ") or not lines[0].endswith(" HTTP/1.1"):
        why = "request line " + lines[0]
    elif h.get("upgrade", "").lower() != "websocket":
        why = "Upgrade: " + h.get("upgrade", "")
    elif "upgrade" not in [t.strip().lower() for t in h.get("connection", "").split(",")]:
        why = "Connection: " + h.get("connection", "")
    elif h.get("sec-websocket-version") != "13":
        why = "Sec-WebSocket-Version: " + h.get("sec-websocket-version", "")
    elif "host" not in h:
        why = "no Host"
    else:
        try:
            if len(base64.b64decode(key, validate=True)) != 16:
                why = "Sec-WebSocket-Key " + key
        except ValueError:
            why = "Sec-WebSocket-Key " + key
    if why:
        s.close()
        raise OSError("bad opening handshake: " + why)
    s.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: %s\r\n\r\n" % accept_key(key)).encode() + first)
    return Peer(s, rest, False)
