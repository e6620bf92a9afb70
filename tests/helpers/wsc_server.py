#!/usr/bin/python3
"""A scripted WebSocket server over python3-websockets, a strict peer for
the ws-connect tests.

    wsc_server.py [OPTION...] CMD...

Binds 127.0.0.1 (port 0 unless --port), prints "listening PORT" and runs
the CMDs in order on every connection it accepts, printing one line per
result on stdout (flushed):

    text:S            send the text S
    bin:HEX           send a binary message
    textfile:PATH     send the file's bytes as a text message
    binfile:PATH      send the file's bytes as a binary message
    frag:text:A,B,..  send one text message in fragments A, B, ...
    frag:bin:H1,H2,.. send one binary message in fragments (hex)
    recv              receive one message: `text "json-escaped"` or `binary HEX`
    recvsum           receive one message: `text|binary LENGTH SHA256`
    echo              send every message back as it came until the client
                      closes, printing each as recv does (recvsum past 256 bytes)
    headers           print the request: `path P`, then `header Name: value`
                      for each header, `subprotocol P` and `end`
    close[:CODE[:R]]  close; print `closed CODE REASON` (the client's answer)
    waitclose         wait for the client to close: `closed CODE REASON`
    drop              abort the TCP connection, no close frame: `dropped`
    unlisten          stop listening (new connections are refused), leaving
                      this one open: `unlistened`
    sleep:MS          wait
    then              the commands after it are for the next connections
                      (the last group goes on for every later one)

Options:
    --tls CERT KEY    serve TLS with this certificate chain and key (PEM)
    --client-ca CA    TLS: require a client certificate signed by CA; each
                      connection then prints `client CN`
    --port N          bind this port (a restarted server)
    --subprotocol P   accept the subprotocol P when offered
    --status N        refuse every upgrade with HTTP status N

Each connection first prints `open PORT` (the client's port). The server
runs until killed.
"""
import asyncio
import hashlib
import http
import json
import ssl
import sys

import websockets


LISTENER = [None]


def out(*a):
    print(*a, flush=True)


def show(m, always_sum=False):
    b = m.encode() if isinstance(m, str) else m
    kind = "text" if isinstance(m, str) else "binary"
    if always_sum or len(b) > 256:
        out(kind, len(b), hashlib.sha256(b).hexdigest())
    elif isinstance(m, str):
        out("text", json.dumps(m, ensure_ascii=False))
    else:
        out("binary", m.hex())


async def script(ws, cmds):
    out("open", ws.remote_address[1])
    peercert = ws.transport.get_extra_info("peercert")
    if peercert:
        cn = [v for rdn in peercert.get("subject", ()) for k, v in rdn if k == "commonName"]
        out("client", cn[0] if cn else "?")
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
            elif name in ("recv", "recvsum"):
                show(await ws.recv(), name == "recvsum")
            elif name == "echo":
                async for m in ws:
                    show(m)
                    await ws.send(m)
                out("closed", ws.close_code, ws.close_reason)
            elif name == "headers":
                out("path", ws.path)
                for k, v in ws.request_headers.raw_items():
                    out("header %s: %s" % (k, v))
                out("subprotocol", ws.subprotocol or "")
                out("end")
            elif name == "close":
                code, _, reason = arg.partition(":")
                await ws.close(int(code or 1000), reason)
                out("closed", ws.close_code, ws.close_reason)
            elif name == "waitclose":
                await ws.wait_closed()
                out("closed", ws.close_code, ws.close_reason)
            elif name == "drop":
                ws.transport.abort()
                out("dropped")
                return
            elif name == "unlisten":
                LISTENER[0].server.close()
                out("unlistened")
            elif name == "sleep":
                await asyncio.sleep(int(arg) / 1000)
            else:
                out("bad command", c)
                return
    except websockets.ConnectionClosed:
        out("closed", ws.close_code, ws.close_reason)


async def main():
    opts = {"tls": None, "client_ca": None, "port": 0, "subprotocol": None, "status": None}
    args = sys.argv[1:]
    while args and args[0].startswith("--"):
        k = args.pop(0)[2:].replace("-", "_")
        if k == "tls":
            opts[k] = (args.pop(0), args.pop(0))
        else:
            opts[k] = args.pop(0)
    groups = [[]]
    for a in args:
        if a == "then":
            groups.append([])
        else:
            groups[-1].append(a)
    count = [0]

    def handler(ws):
        k = min(count[0], len(groups) - 1)
        count[0] += 1
        return script(ws, groups[k])
    kw = {"max_size": None, "ping_interval": None, "close_timeout": 10,
          "compression": None}
    if opts["tls"]:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*opts["tls"])
        if opts["client_ca"]:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(cafile=opts["client_ca"])
        kw["ssl"] = ctx
    if opts["subprotocol"]:
        kw["subprotocols"] = [opts["subprotocol"]]
    if opts["status"]:
        st = http.HTTPStatus(int(opts["status"]))

        async def refuse(path, headers):
            out("refused", path)
            return st, [("Content-Type", "text/plain")], (st.phrase + "\n").encode()
        kw["process_request"] = refuse
    server = await websockets.serve(handler, "127.0.0.1",
                                    int(opts["port"]), **kw)
    LISTENER[0] = server
    out("listening", server.sockets[0].getsockname()[1])
    await asyncio.Future()


try:
    asyncio.run(main())
except KeyboardInterrupt:
    pass
