#!/usr/bin/python3
"""peer.py: python3-websockets as the other side for scripts/interop-matrix.

  peer.py client URL CASE [--cafile F]
      CASE text | binary | 1mib: send one message, check its echo, close 1000;
      close: close with 4001 "bye", check the code that comes back.
      Prints one JSON line {"ok": bool, "detail": str}; exit 0 when ok.
  peer.py server [--cert F --key F]
      An echo server on 127.0.0.1 (any free port): prints "port N", then
      echoes every message with its type; on the text "close-me" it closes
      with 4002 "bye". Prints {"close": code, "reason": str} for each
      connection that ends (the code the client sent). Runs until killed.
"""
import argparse
import asyncio
import json
import ssl
import sys

import websockets

TEXT = "h\u00e9llo wsflow \u2713 \U0001F600"


def pattern(n, seed):
    out = bytearray(n)
    x = seed
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        out[i] = x >> 24
    return bytes(out)


async def client(url, case, cafile):
    ctx = None
    if url.startswith("wss:"):
        ctx = ssl.create_default_context(cafile=cafile)
    async with websockets.connect(url, ssl=ctx, max_size=None, compression=None,
                                  open_timeout=10, close_timeout=10) as ws:
        if case == "close":
            await ws.close(4001, "bye")
            return ws.close_code == 4001 and ws.close_reason == "bye", \
                "close echoed: %s %r" % (ws.close_code, ws.close_reason)
        msg = {"text": TEXT, "binary": pattern(256, 1), "1mib": pattern(1 << 20, 7)}[case]
        await ws.send(msg)
        got = await asyncio.wait_for(ws.recv(), 20)
        ok = got == msg
        await ws.close()
        return ok and ws.close_code == 1000, "echo %s, close %s" % (
            "equal" if ok else "differs (%s, %d)" % (type(got).__name__, len(got)), ws.close_code)


async def server(cert, key):
    ctx = None
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)

    async def handler(ws, path=None):
        try:
            async for m in ws:
                if m == "close-me":
                    await ws.close(4002, "bye")
                    break
                await ws.send(m)
        except websockets.ConnectionClosed:
            pass
        await ws.wait_closed()
        rcvd = ws.close_rcvd
        print(json.dumps({"close": rcvd.code if rcvd else None,
                          "reason": rcvd.reason if rcvd else None}), flush=True)

    async with websockets.serve(handler, "127.0.0.1", 0, ssl=ctx, max_size=None,
                                compression=None) as s:
        print("port %d" % s.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["client", "server"])
    ap.add_argument("rest", nargs="*")
    ap.add_argument("--cafile")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    a = ap.parse_args()
    if a.mode == "server":
        asyncio.run(server(a.cert, a.key))
        return 0
    url, case = a.rest
    try:
        ok, detail = asyncio.run(asyncio.wait_for(client(url, case, a.cafile), 30))
    except Exception as e:  # any failure is a result to report
        ok, detail = False, "%s: %s" % (type(e).__name__, e)
    print(json.dumps({"ok": ok, "detail": detail}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
