"""tcp-sink.py: the ceiling for scripts/bench, a server that does
no WebSocket work. It answers the opening handshake, then reads the bytes
and drops them, in large reads from one thread, as ws-listen's one event
loop does. When a connection's bytes end with a client's close frame (code
1000) it answers with its own close and hangs up, which is what ws-bench
waits for. Prints its URL on stderr; stops on SIGTERM. Run with
/usr/bin/python3."""
import base64
import hashlib
import selectors
import signal
import socket
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CLOSE_1000 = b"\x88\x02\x03\xe8"


def is_close(tail):
    # a masked close frame with a 2-byte payload: 88 82 mask(4) code(2)
    if len(tail) < 8 or tail[-8] != 0x88 or tail[-7] != 0x82:
        return False
    mask = tail[-6:-2]
    return bytes([tail[-2] ^ mask[0], tail[-1] ^ mask[1]]) == b"\x03\xe8"


def main():
    sel = selectors.DefaultSelector()
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(128)
    lsock.setblocking(False)
    sel.register(lsock, selectors.EVENT_READ, None)
    print("tcp-sink: listening on ws://127.0.0.1:%d" % lsock.getsockname()[1],
          file=sys.stderr, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    state = {}	# socket -> [head bytes or None once open, last 8 bytes]
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is lsock:
                c, _ = lsock.accept()
                c.setblocking(False)
                state[c] = [b"", b""]
                sel.register(c, selectors.EVENT_READ, None)
                continue
            st = state[s]
            try:
                n = s.recv_into(buf)
            except BlockingIOError:
                continue
            except OSError:
                n = 0
            if n and st[0] is not None:
                st[0] += bytes(view[:n])
                end = st[0].find(b"\r\n\r\n")
                if end < 0:
                    continue
                key_line = [l for l in st[0][:end].split(b"\r\n")
                            if l.lower().startswith(b"sec-websocket-key:")]
                k = key_line[0].split(b":", 1)[1].strip() if key_line else b""
                accept = base64.b64encode(hashlib.sha1(k + GUID).digest())
                s.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
                rest = st[0][end + 4:]
                st[0] = None
                st[1] = rest[-8:]
                n = -1	# handled: check the tail below
            elif n > 0:
                st[1] = (st[1] + bytes(view[max(0, n - 8):n]))[-8:]
            if n and is_close(st[1]):
                s.setblocking(True)
                s.sendall(CLOSE_1000)
                n = 0
            if not n:
                sel.unregister(s)
                s.close()
                del state[s]


main()
