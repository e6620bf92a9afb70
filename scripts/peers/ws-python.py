"""ws-python.py: ws-listen's job done with python3-websockets, for
scripts/bench. Every message received becomes one envelope line
on stdout, as ws-listen writes it (data, or bytes in base64, meta and
origin), through Python's buffered stdout. Prints its URL on stderr; stops
on SIGTERM. Run with /usr/bin/python3 (Debian's websockets module)."""
import asyncio
import base64
import json
import signal
import sys

import websockets

streams = 0


async def handler(ws, path=None):
    global streams
    streams += 1
    host, port = ws.remote_address[:2]
    peer = '{"host":%s,"port":%d}' % (json.dumps(host), port)
    origin = '"origin":[{"source":"ws_server","stream":%d}]}\n' % streams
    tail = ',"meta":{"ws_server":{"tls":false,"peer":%s}},%s' % (peer, origin)
    btail = ',"meta":{"ws_server":{"tls":false,"peer":%s},"binary":true},%s' % (peer, origin)
    write = sys.stdout.write
    async for msg in ws:
        if isinstance(msg, bytes):
            write('{"bytes":"' + base64.b64encode(msg).decode() + '"' + btail)
        else:
            write('{"data":' + json.dumps(msg, ensure_ascii=False) + tail)


async def main():
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with websockets.serve(handler, "127.0.0.1", 0, max_size=16 << 20,
                                compression=None, ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        print("ws-python: listening on ws://127.0.0.1:%d" % port, file=sys.stderr, flush=True)
        await stop
    sys.stdout.flush()


asyncio.run(main())
