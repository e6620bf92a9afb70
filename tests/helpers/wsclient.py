#!/usr/bin/python3
"""A scripted WebSocket client over python3-websockets, a strict peer.

    wsclient.py [--cafile F] [--server-name N] [--timeout S] [--protocol P] URL CMD...

Connects (the default permessage-deflate offer included), prints
"open LOCALPORT", then runs each CMD in order, printing one line per result:

    text:S            send the text S
    bin:HEX           send a binary message
    textfile:PATH     send the file's bytes as a text message
    binfile:PATH      send the file's bytes as a binary message
    frag:text:A,B,..  send one text message in fragments A, B, ...
    frag:bin:H1,H2,.. send one binary message in fragments (hex)
    many:N[:SIZE]     send the texts m1 .. mN (padded with dots to SIZE bytes)
    recv              receive one message: `text "json-escaped"` or `binary HEX`
    recvsum           receive one message: `text|binary LENGTH SHA256`
    recvmany:N        receive N messages, check they are m1 .. mN: `got N`
    hold:MS           stay connected MS ms, receiving nothing (pings answered)
    wait:PATH         wait until the file PATH exists
    say:TEXT          print TEXT (to tell the test how far it got)
    close[:CODE[:R]]  close; print `closed CODE REASON` (the server's answer)
    waitclose         wait for the server to close: `closed CODE REASON`

Each wait has the --timeout deadline (10 s): past it print `timeout` and exit
3. A connection that closes while a message is awaited prints `closed CODE
REASON` and exits 1; a failed connect prints `error ...` and exits 2.
"""
import asyncio
import hashlib
import json
import os
import ssl
import sys

import websockets


def out(*a):
    print(*a, flush=True)


async def run(url, cmds, opts):
    kw = {"max_size": None, "ping_interval": None, "close_timeout": opts["timeout"]}
    if opts["cafile"]:
        ctx = ssl.create_default_context(cafile=opts["cafile"])
        kw["ssl"] = ctx
        if opts["server_name"]:
            kw["server_hostname"] = opts["server_name"]
    if opts["protocol"]:
        kw["subprotocols"] = [opts["protocol"]]
    try:
        ws = await asyncio.wait_for(websockets.connect(url, **kw), opts["timeout"])
    except asyncio.TimeoutError:
        out("timeout")
        return 3
    except Exception as e:  # noqa: BLE001 - report whatever failed
        out("error", type(e).__name__, e)
        return 2
    out("open", ws.local_address[1], ws.subprotocol or "")
    t = opts["timeout"]
    try:
        for c in cmds:
            name, _, arg = c.partition(":")
            if name == "text":
                await ws.send(arg)
            elif name == "bin":
                await ws.send(bytes.fromhex(arg))
            elif name == "textfile":
                with open(arg, "rb") as f:
                    await ws.send(f.read().decode("utf-8"))
            elif name == "binfile":
                with open(arg, "rb") as f:
                    await ws.send(f.read())
            elif name == "frag":
                kind, _, parts = arg.partition(":")
                parts = parts.split(",")
                if kind == "bin":
                    await ws.send([bytes.fromhex(p) for p in parts])
                else:
                    await ws.send(parts)
            elif name == "many":
                n, _, size = arg.partition(":")
                for i in range(1, int(n) + 1):
                    await ws.send(("m%d" % i).ljust(int(size or 0), "."))
            elif name in ("recv", "recvsum"):
                m = await asyncio.wait_for(ws.recv(), t)
                kind = "text" if isinstance(m, str) else "binary"
                if name == "recvsum":
                    b = m.encode() if isinstance(m, str) else m
                    out(kind, len(b), hashlib.sha256(b).hexdigest())
                elif isinstance(m, str):
                    out("text", json.dumps(m, ensure_ascii=False))
                else:
                    out("binary", m.hex())
            elif name == "recvmany":
                n = int(arg)
                for i in range(1, n + 1):
                    m = await asyncio.wait_for(ws.recv(), t)
                    if m != "m%d" % i:
                        out("unexpected", i, json.dumps(m)[:80])
                        return 1
                out("got", n)
            elif name == "hold":
                try:
                    m = await asyncio.wait_for(ws.recv(), int(arg) / 1000)
                    out("unexpected", json.dumps(m if isinstance(m, str) else m.hex())[:80])
                    return 1
                except asyncio.TimeoutError:
                    pass
            elif name == "say":
                out(arg)
            elif name == "wait":
                for _ in range(int(t * 50)):
                    if os.path.exists(arg):
                        break
                    await asyncio.sleep(0.02)
                else:
                    out("timeout")
                    return 3
            elif name == "close":
                code, _, reason = arg.partition(":")
                await asyncio.wait_for(ws.close(int(code or 1000), reason), t)
                out("closed", ws.close_code, ws.close_reason)
            elif name == "waitclose":
                await asyncio.wait_for(ws.wait_closed(), t)
                out("closed", ws.close_code, ws.close_reason)
            else:
                out("bad command", c)
                return 2
    except asyncio.TimeoutError:
        out("timeout")
        return 3
    except websockets.ConnectionClosed:
        out("closed", ws.close_code, ws.close_reason)
        return 1
    if ws.open:
        await asyncio.wait_for(ws.close(), t)
    return 0


def main():
    opts = {"cafile": None, "server_name": None, "timeout": 10.0, "protocol": None}
    args = sys.argv[1:]
    while args and args[0].startswith("--"):
        k = args.pop(0)[2:].replace("-", "_")
        v = args.pop(0)
        opts[k] = float(v) if k == "timeout" else v
    sys.exit(asyncio.run(run(args[0], args[1:], opts)))


main()
