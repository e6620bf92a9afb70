#!/usr/bin/python3
"""A raw TCP server that misbehaves on purpose, for the ws-connect tests.

    wsc_raw.py CMD...

Binds 127.0.0.1 port 0, prints "listening PORT" and runs the CMDs in order
on every connection it accepts, printing one line per result (flushed):

    head           read the request head: `request LINE`, then `end`
    accept         answer the head read with a correct 101
    send:TEXT      send TEXT; \\r, \\n, \\xNN escapes are decoded
    hex:HEX        send raw bytes
    sleep:MS       wait
    frames         read frames until EOF: `frame OPCODE LENGTH` each, and
                   `close CODE` for a close frame; then `eof`
    hold           read and drop bytes until EOF, answer nothing: `eof`
    close          close the socket

The server runs until killed.
"""
import asyncio
import base64
import hashlib
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def out(*a):
    print(*a, flush=True)


async def frames(r):
    try:
        while True:
            h = await r.readexactly(2)
            op, n = h[0] & 15, h[1] & 127
            if n == 126:
                n = int.from_bytes(await r.readexactly(2), "big")
            elif n == 127:
                n = int.from_bytes(await r.readexactly(8), "big")
            mask = await r.readexactly(4) if h[1] & 128 else b"\0\0\0\0"
            p = bytes(b ^ mask[i % 4] for i, b in enumerate(await r.readexactly(n)))
            out("frame", op, n)
            if op == 8:
                out("close", int.from_bytes(p[:2], "big") if n >= 2 else "none")
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    out("eof")


async def conn(r, w, cmds):
    key = b""
    try:
        for c in cmds:
            name, _, arg = c.partition(":")
            if name == "head":
                head = await r.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                out("request", lines[0])
                for ln in lines[1:]:
                    if ln.lower().startswith("sec-websocket-key:"):
                        key = ln.split(":", 1)[1].strip().encode()
                out("end")
            elif name == "accept":
                acc = base64.b64encode(hashlib.sha1(key + GUID).digest())
                w.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                        b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + acc + b"\r\n\r\n")
            elif name == "send":
                w.write(arg.encode("latin-1").decode("unicode_escape").encode("latin-1"))
            elif name == "hex":
                w.write(bytes.fromhex(arg))
            elif name == "sleep":
                await w.drain()
                await asyncio.sleep(int(arg) / 1000)
            elif name == "frames":
                await w.drain()
                await frames(r)
            elif name == "hold":
                await w.drain()
                while await r.read(65536):
                    pass
                out("eof")
            elif name == "close":
                await w.drain()
                w.close()
                return
            else:
                out("bad command", c)
                return
            await w.drain()
    except (asyncio.IncompleteReadError, ConnectionError) as e:
        out("error", type(e).__name__)
    w.close()


async def main():
    cmds = sys.argv[1:]
    server = await asyncio.start_server(lambda r, w: conn(r, w, cmds), "127.0.0.1", 0)
    out("listening", server.sockets[0].getsockname()[1])
    await asyncio.Future()


try:
    asyncio.run(main())
except KeyboardInterrupt:
    pass
