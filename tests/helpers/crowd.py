#!/usr/bin/python3
"""Many python3-websockets clients at once.

    crowd.py [--timeout S] URL N MODE

Opens N connections concurrently and keeps every one open until all are
(prints `open N`), then by MODE:

    echo      each sends "c<i>" and must receive exactly "c<i>" back
              (an echo server that routes replies by meta or origin)
    listen    each must receive one message, the same for all (broadcast);
              prints `broadcast N TEXT` when all got the same TEXT

then prints `echo N` (or the broadcast line), closes them all, and prints
`closed N`. Exit 1 when a client gets something else, 3 on the deadline.
"""
import asyncio
import sys

import websockets


async def main():
    args = sys.argv[1:]
    t = 30.0
    if args[0] == "--timeout":
        t = float(args[1])
        args = args[2:]
    url, n, mode = args[0], int(args[1]), args[2]
    conns = await asyncio.wait_for(
        asyncio.gather(*(websockets.connect(url, ping_interval=None) for _ in range(n))), t)
    print("open", len(conns), flush=True)
    if mode == "echo":
        await asyncio.gather(*(c.send("c%d" % i) for i, c in enumerate(conns)))
        got = await asyncio.wait_for(asyncio.gather(*(c.recv() for c in conns)), t)
        bad = [(i, g) for i, g in enumerate(got) if g != "c%d" % i]
        if bad:
            print("wrong replies", len(bad), bad[:3], flush=True)
            return 1
        print("echo", n, flush=True)
    else:
        got = await asyncio.wait_for(asyncio.gather(*(c.recv() for c in conns)), t)
        if len(set(got)) != 1:
            print("different messages", sorted(set(got))[:3], flush=True)
            return 1
        print("broadcast", n, got[0], flush=True)
    await asyncio.wait_for(asyncio.gather(*(c.close() for c in conns)), t)
    print("closed", sum(1 for c in conns if c.close_code == 1000), flush=True)
    return 0


try:
    sys.exit(asyncio.run(main()))
except asyncio.TimeoutError:
    print("timeout", flush=True)
    sys.exit(3)
