"""The conformance suite's machinery: what a case is made of, how one runs
against ws-listen (the suite is the client) or ws-connect (the suite is the
server), and how the tools are started as echo peers through a fifo.

A case is a list of steps: Send puts frames on the wire, the others read
the tool's events and compare them with what RFC 6455 asks for. Each
expectation and each event read is written down, so a failed case shows
both. A case that does not end in Closed ends with a clean close (1000).
"""
import hashlib
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

import wire
from wire import CLOSE

SAN = re.compile(rb"(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:)")


class CaseFailed(Exception):
    pass


def show(ev):
    """An event as one short line."""
    kind = ev[0]
    if kind in ("text", "binary", "ping", "pong"):
        return "%s %s" % (kind, payload(ev[1]))
    if kind == "close":
        r = ev[2].decode("utf-8", "replace")
        return "close %s%s" % ("(no code)" if ev[1] is None else ev[1],
                               " " + repr(r[:40]) if r else "")
    if kind == "bad":
        return "RFC 6455 violation: " + ev[1]
    return kind


def payload(b):
    if len(b) <= 24:
        return "[%d] %s" % (len(b), repr(b)[1:])
    return "[%d] sha1:%s" % (len(b), hashlib.sha1(b).hexdigest()[:12])


# frames and steps


class F:
    """A frame as the case wants it; masked as the side needs unless
    mask="wrong" (a client's unmasked or a server's masked frame)."""

    def __init__(self, op, data=b"", fin=1, rsv=0, mask=None, enc=None, length=None):
        self.op, self.data, self.fin, self.rsv = op, data, fin, rsv
        self.mask, self.enc, self.length = mask, enc, length

    def wire(self, client):
        m = client if self.mask is None else (not client)
        return wire.frame(self.op, self.data, self.fin, self.rsv, m, self.enc, self.length)


def close_payload(code=None, reason=b""):
    return b"" if code is None else code.to_bytes(2, "big") + reason


class Step:
    def describe(self):
        return None


class Send(Step):
    """Write frames (F), bytes, or callables(client) -> bytes, in one
    write; chop: n bytes a write, pace: seconds between those writes."""

    def __init__(self, *items, chop=0, pace=0.0):
        self.items, self.chop, self.pace = items, chop, pace

    def data(self, client):
        out = []
        for it in self.items:
            if isinstance(it, F):
                out.append(it.wire(client))
            elif callable(it):
                out.append(it(client))
            else:
                out.append(it)
        return b"".join(out)

    def run(self, x):
        for it in self.items:
            if isinstance(it, F) and it.op == CLOSE:
                x.peer.sent_close = True
        x.peer.send(self.data(x.client), self.chop, self.pace)


class Sleep(Step):
    def __init__(self, seconds):
        self.seconds = seconds

    def run(self, x):
        time.sleep(self.seconds)


class Echo(Step):
    """The next event is the message echoed."""

    def __init__(self, kind, data):
        self.kind, self.data = kind, data

    def describe(self):
        return "%s %s" % (self.kind, payload(self.data))

    def match(self, ev):
        return ev[0] == self.kind and ev[1] == self.data

    def run(self, x):
        ev = x.event()
        if not self.match(ev):
            x.fail()


class Pong(Echo):
    def __init__(self, data):
        super().__init__("pong", data)


class Pongs(Step):
    """Pongs to pings sent in a row: RFC 6455 5.5.3 lets a peer answer only
    the latest of those it has not answered yet, so any of them in order,
    ending with the last."""

    def __init__(self, datas):
        self.datas = list(datas)

    def describe(self):
        return "pongs: any of %d pings' payloads in order, the last one last" % len(self.datas)

    def run(self, x):
        i = 0
        while True:
            ev = x.event()
            if ev[0] != "pong" or ev[1] not in self.datas[i:]:
                x.fail()
            i = self.datas.index(ev[1], i) + 1
            if i == len(self.datas):
                return


class Unordered(Step):
    """These events, interleaved in any order (each kind in its own order):
    a pong is written at once, an echo after its trip through the pipe."""

    def __init__(self, *steps):
        self.steps = steps

    def describe(self):
        return "in any order: " + "; ".join(s.describe() for s in self.steps)

    def run(self, x):
        left = list(self.steps)
        while left:
            ev = x.event()
            for s in left:
                if s.match(ev):
                    break
            else:
                x.fail()
            if any(t.kind == s.kind for t in left[:left.index(s)]):
                x.fail()    # not in order within its kind
            left.remove(s)


class Many(Step):
    """Many echoes, in order (shown as one line)."""

    def __init__(self, kind, datas):
        self.kind, self.datas = kind, datas

    def describe(self):
        return "%d %s messages echoed in order" % (len(self.datas), self.kind)

    def run(self, x):
        for i, d in enumerate(self.datas):
            ev = x.event(record=False)
            if ev[0] != self.kind or ev[1] != d:
                x.observed.append("%d echoes in order, then: %s" % (i, show(ev)))
                x.fail()
        x.observed.append("%d %s messages echoed in order" % (len(self.datas), self.kind))


class Quiet(Step):
    """Nothing comes for a while."""

    def __init__(self, seconds=0.2):
        self.seconds = seconds

    def describe(self):
        return "nothing for %g s" % self.seconds

    def run(self, x):
        ev = x.peer.event(self.seconds)
        if ev[0] != "timeout":
            x.observed.append(show(ev))
            x.fail()


class Closed(Step):
    """The tool closes: a close frame with one of codes (None: without a
    code), then TCP ends. We answer its close as an endpoint must (7.1.2).
    skip_data: echoes before the close may come or not. Against ws-listen
    the server must end TCP first; against ws-connect we do, after a
    moment; client_waits: and the client must wait for that (7.1.1)."""

    def __init__(self, *codes, skip_data=False, client_waits=False):
        self.codes, self.skip_data, self.client_waits = codes, skip_data, client_waits

    def describe(self):
        c = " or ".join("close without a code" if c is None else "close %d" % c for c in self.codes)
        return c + (", maybe after echoes" if self.skip_data else "") + \
            (", then the client waits for the server to end TCP" if self.client_waits else
             ", then TCP ends")

    def run(self, x):
        while True:
            ev = x.event()
            if not (self.skip_data and ev[0] in ("text", "binary")):
                break
        if ev[0] != "close" or ev[1] not in self.codes:
            x.fail()
        if not x.peer.sent_close:
            code = ev[1] if ev[1] in VALID_CODES else 1000
            x.peer.sent_close = True
            x.peer.send(wire.frame(CLOSE, close_payload(code), mask=x.client))
        if x.client:
            if not x.peer.wait_eof(x.timeout):
                x.observed.append("the server did not end TCP")
                x.fail()
        else:
            ended = x.peer.wait_eof(0.3)
            if ended and self.client_waits:
                x.observed.append("the client ended TCP first")
                x.fail()
            x.peer.shut()
            if not ended and not x.peer.wait_eof(x.timeout):
                x.observed.append("the client did not end TCP after the server did")
                x.fail()
        x.observed.append("TCP ended")


VALID_CODES = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011} | set(range(3000, 5000))


class Case:
    def __init__(self, cid, title, steps, sides=("server", "client"), opts=(), heavy=False,
                 first=None, timeout=None):
        self.id, self.title, self.steps = cid, title, list(steps)
        self.sides, self.opts, self.heavy = sides, tuple(opts), heavy
        self.first = first          # a Send written with the handshake
        self.timeout = timeout
        self.group = int(cid.split(".")[0])
        if not any(isinstance(s, Closed) for s in self.steps):
            self.steps += [Send(F(CLOSE, close_payload(1000))), Closed(1000)]

    def expected(self):
        return [d for d in (s.describe() for s in self.steps) if d]


# running one case


class Run:
    """One case on one connection: what it expected, what it saw."""

    def __init__(self, case, peer, client, timeout):
        self.case, self.peer, self.client, self.timeout = case, peer, client, timeout
        self.observed = []

    def event(self, record=True):
        ev = self.peer.event(self.timeout)
        if record:
            self.observed.append(show(ev))
        return ev

    def fail(self):
        raise CaseFailed()


class Result:
    def __init__(self, case, side, ok, expected, observed, note=""):
        self.case, self.side, self.ok = case, side, ok
        self.expected, self.observed, self.note = expected, observed, note


def run_case(case, side):
    timeout = (case.timeout or 5.0) * side.slow
    observed, note, ok = [], "", False
    try:
        peer, closer = side.open(case, timeout)
    except OSError as e:
        return Result(case, side.name, False, case.expected(), ["no connection: %s" % e],
                      side.log_tail(case))
    x = Run(case, peer, side.client, timeout)
    try:
        for s in case.steps:
            s.run(x)
        ok = True
    except CaseFailed:
        pass
    finally:
        peer.close()
        observed = x.observed
        late = closer()
    if late:
        ok, note = False, late
    elif not ok:
        note = side.log_tail(case)
    return Result(case, side.name, ok, case.expected(), observed, note)


# the tools as echo peers


def echo_cmd(fifo, argv):
    """argv with stdin from fifo and stdout through cat into it."""
    return ["sh", "-c", 'f=$1; shift; "$@" <"$f" | cat >"$f"', "sh", fifo] + argv


def stop(p, timeout=5):
    if p.poll() is not None:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    except ProcessLookupError:
        pass


def sanitizer_report(log):
    m = SAN.search(log)
    if not m:
        return ""
    return log[max(0, m.start() - 200):m.start() + 3000].decode("utf-8", "replace")


class ListenSide:
    """ws-listen as an echo server through a fifo; the suite is the client.
    One server per set of options, shared by the cases (each its own
    connection); one that died or reported a sanitizer error is restarted."""

    name = "server"
    client = True

    def __init__(self, binary, tmp, slow):
        self.bin, self.tmp, self.slow = binary, tmp, slow
        self.servers = {}
        self.lock = threading.Lock()
        self.n = 0
        self.exit_reports = []

    def server(self, opts):
        with self.lock:
            s = self.servers.get(opts)
            if s and s["p"].poll() is None:
                return s
            if s:
                self.exit_reports.append(self._finish(s))
            self.n += 1
            d = os.path.join(self.tmp, "listen%d" % self.n)
            os.mkdir(d)
            fifo, log = os.path.join(d, "fifo"), os.path.join(d, "stderr")
            os.mkfifo(fifo)
            p = subprocess.Popen(echo_cmd(fifo, [self.bin, "127.0.0.1:0"] + list(opts)),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=open(log, "wb"), start_new_session=True)
            deadline = time.monotonic() + 10 * self.slow
            port = None
            while port is None and time.monotonic() < deadline and p.poll() is None:
                m = re.search(rb"listening on ws://127\.0\.0\.1:(\d+)", open(log, "rb").read())
                if m:
                    port = int(m.group(1))
                else:
                    time.sleep(0.01)
            if port is None:
                stop(p)
                raise OSError("ws-listen did not start: " + open(log, "rb").read().decode()[-500:])
            s = {"p": p, "port": port, "log": log, "opts": opts}
            self.servers[opts] = s
            return s

    def open(self, case, timeout):
        s = self.server(case.opts)
        start = os.path.getsize(s["log"])
        first = case.first.data(True) if case.first else b""
        peer = wire.connect(s["port"], timeout, first)

        def closer():
            if s["p"].poll() is not None:
                return "ws-listen exited (%s): %s" % (s["p"].returncode, self._log(s, start))
            with open(s["log"], "rb") as f:
                f.seek(start)
                rep = sanitizer_report(f.read())
            if rep:
                stop(s["p"])
                return "ws-listen: " + rep
            return ""
        return peer, closer

    def _log(self, s, start=0):
        with open(s["log"], "rb") as f:
            f.seek(start)
            return f.read()[-2000:].decode("utf-8", "replace")

    def log_tail(self, case):
        s = self.servers.get(case.opts)
        return "ws-listen stderr (end): " + self._log(s)[-600:] if s else ""

    def _finish(self, s):
        stop(s["p"])
        rep = sanitizer_report(open(s["log"], "rb").read())
        bad = s["p"].returncode not in (0, -signal.SIGTERM)
        if rep or bad:
            return "ws-listen %s (exit %s): %s" % (" ".join(s["opts"]), s["p"].returncode,
                                                   rep or self._log(s)[-600:])
        return ""

    def finish(self):
        """Stop the servers; say what went wrong on the way out."""
        reports = [r for r in self.exit_reports if r]
        for s in self.servers.values():
            r = self._finish(s)
            if r:
                reports.append(r)
        self.servers, self.exit_reports = {}, []
        return reports


class ConnectSide:
    """ws-connect -n as an echo client through a fifo, one per case; the
    suite is a scripted server."""

    name = "client"
    client = False

    def __init__(self, binary, tmp, slow):
        self.bin, self.tmp, self.slow = binary, tmp, slow
        self.logs = {}
        self.lock = threading.Lock()
        self.n = 0

    def open(self, case, timeout):
        with self.lock:
            self.n += 1
            d = os.path.join(self.tmp, "connect%d" % self.n)
        os.mkdir(d)
        fifo, log = os.path.join(d, "fifo"), os.path.join(d, "stderr")
        os.mkfifo(fifo)
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        url = "ws://127.0.0.1:%d/conformance" % ls.getsockname()[1]
        p = subprocess.Popen(echo_cmd(fifo, [self.bin, "-n"] + list(case.opts) + [url]),
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=open(log, "wb"), start_new_session=True)
        self.logs[case.id] = log
        first = case.first.data(False) if case.first else b""
        try:
            peer = wire.serve(ls, 10 * self.slow, first)
        except OSError:
            ls.close()
            stop(p)
            raise
        ls.close()

        def closer():
            stop(p)
            rep = sanitizer_report(open(log, "rb").read())
            return "ws-connect: " + rep if rep else ""
        return peer, closer

    def log_tail(self, case):
        log = self.logs.get(case.id)
        if not log:
            return ""
        t = open(log, "rb").read()[-600:].decode("utf-8", "replace")
        return "ws-connect stderr (end): " + t if t else ""

    def finish(self):
        return []


def make_sides(names, bindir):
    tmp = tempfile.mkdtemp(prefix="wsflow-conformance.")
    slow = 3.0 if "asan" in bindir else 1.0
    sides = []
    if "server" in names:
        sides.append(ListenSide(os.path.join(bindir, "ws-listen"), tmp, slow))
    if "client" in names:
        sides.append(ConnectSide(os.path.join(bindir, "ws-connect"), tmp, slow))
    return tmp, sides
