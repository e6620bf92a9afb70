"""The cases, by the groups of Autobahn|Testsuite, each written from
RFC 6455 (section numbers in the titles). Every case runs against ws-listen
(the suite is the client, its frames masked) and against ws-connect (the
suite is the server), unless its sides say otherwise.

Cases wait for an echo before sending what must fail when the order matters:
an echo goes round through a pipe, a close does not wait for it."""
import wire
from suite import F, Send, Sleep, Echo, Pong, Pongs, Unordered, Many, Quiet, Closed, Case, \
    close_payload
from wire import CONT, TEXT, BINARY, CLOSE, PING, PONG

KIB, MIB = 1024, 1 << 20
SMALL = ("--max-message", str(MIB))     # the instance of group 9
PACE = 0.0003                           # between the 1-byte writes of a short frame


def text(n):
    """n bytes of valid UTF-8 with characters of every length, so that
    fragment and read boundaries fall inside characters."""
    unit = "aκ€😀".encode()             # 1 + 2 + 3 + 4 bytes
    return unit * (n // 10) + b"a" * (n % 10)


def binary(n):
    return (bytes(range(256)) * (n // 256 + 1))[:n]


def msg(kind, n):
    return text(n) if kind == "text" else binary(n)


def op_of(kind):
    return TEXT if kind == "text" else BINARY


def close(code=1000, reason=b""):
    return F(CLOSE, close_payload(code, reason))


def chop_for(n):
    """1-byte writes; paced for a short frame so that the tool reads them
    one by one, headers cut at every byte."""
    return dict(chop=1, pace=PACE if n < 300 else 0)


def halves(f, at):
    """Two callables writing the frame f (masked once) up to byte at, and
    from there."""
    made = {}

    def whole(client):
        if client not in made:
            made[client] = f.wire(client)
        return made[client]
    return (lambda c: whole(c)[:at]), (lambda c: whole(c)[at:])


def frags(kind, data, size):
    """a message in fragments of size bytes, built at C speed"""
    return lambda client: wire.fragments(op_of(kind), data, size, client)


def g1():
    cs = []
    sizes = [0, 125, 126, 127, 65535, 65536, 16 * MIB]
    for s, kind in ((1, "text"), (2, "binary")):
        for i, n in enumerate(sizes, 1):
            data = msg(kind, n)
            cs.append(Case("1.%d.%d" % (s, i), "%s message of %d bytes in one write (5.2)" % (kind, n),
                           [Send(F(op_of(kind), data)), Echo(kind, data)], heavy=n > MIB,
                           timeout=60 if n > MIB else None))
    for s, kind in ((3, "text"), (4, "binary")):
        for i, n in enumerate(sizes[:-1], 1):
            data = msg(kind, n)
            cs.append(Case("1.%d.%d" % (s, i), "%s message of %d bytes in 1-byte writes (5.2)" % (kind, n),
                           [Send(F(op_of(kind), data), **chop_for(n)), Echo(kind, data)],
                           heavy=n > 1000, timeout=30))
    split = halves(close(1000, "κόσμε".encode()), 5)
    many = [(("text", b"m%d" % i) if i % 2 else ("binary", bytes([i]) * i)) for i in range(10)]
    cs += [
        Case("1.5.1", "ten messages, text and binary, in one write (5.2)",
             [Send(*[F(op_of(k), d) for k, d in many])] + [Echo(k, d) for k, d in many]),
        Case("1.5.2", "a message in the same write as the opening handshake (4.1, 4.2.2)",
             [Echo("text", b"with the handshake")], first=Send(F(TEXT, b"with the handshake"))),
        Case("1.5.3", "ten messages in 1-byte writes (5.2)",
             [Send(*[F(op_of(k), d) for k, d in many], chop=1, pace=PACE)] + [Echo(k, d) for k, d in many]),
        Case("1.5.4", "half a close frame with the opening handshake, the rest later (4.2.2, 5.5.1)",
             [Sleep(0.05), Send(split[1]), Closed(1000)], first=Send(split[0])),
        Case("1.6.1", "length 5 in the 16-bit form: not the minimal encoding (5.2)",
             [Send(F(TEXT, b"hello", enc=16)), Closed(1002)]),
        Case("1.6.2", "length 125 in the 64-bit form (5.2)",
             [Send(F(BINARY, binary(125), enc=64)), Closed(1002)]),
        Case("1.6.3", "length 65535 in the 64-bit form (5.2)",
             [Send(F(BINARY, binary(65535), enc=64)), Closed(1002)]),
        Case("1.6.4", "a 64-bit length with its most significant bit set (5.2)",
             [Send(F(BINARY, b"", enc=64, length=1 << 63)), Closed(1002)]),
        Case("1.6.5", "a ping with length 5 in the 16-bit form (5.2)",
             [Send(F(PING, b"hello", enc=16)), Closed(1002)]),
        Case("1.7.1", "an unmasked frame from the client (5.1)",
             [Send(F(TEXT, b"unmasked", mask="wrong")), Closed(1002)], sides=("server",)),
        Case("1.7.2", "a masked frame from the server (5.1)",
             [Send(F(TEXT, b"masked", mask="wrong")), Closed(1002)], sides=("client",)),
        Case("1.7.3", "an unmasked ping from the client (5.1)",
             [Send(F(PING, b"unmasked", mask="wrong")), Closed(1002)], sides=("server",)),
        Case("1.7.4", "a masked close from the server (5.1)",
             [Send(F(CLOSE, close_payload(1000), mask="wrong")), Closed(1002)], sides=("client",)),
    ]
    odd = [(("text", text(n)) if n % 2 else ("binary", binary(n))) for n in range(0, 400, 21)]
    big = [("text", text(65536)), ("binary", binary(70000)), ("text", text(130))]
    for i, (chunk, ms) in enumerate(((7, 0.0005), (13, 0.0005), (100, 0.001), (4099, 0.002)), 1):
        cs.append(Case("1.8.%d" % i, "%d messages of 0 to 400 bytes in %d-byte writes (5.2)" % (len(odd), chunk),
                       [Send(*[F(op_of(k), d) for k, d in odd], chop=chunk, pace=ms)] +
                       [Echo(k, d) for k, d in odd], timeout=30))
    for i, chunk in enumerate((1000, 4099, 65535), 5):
        cs.append(Case("1.8.%d" % i, "messages of 64 KiB and more in %d-byte writes (5.2)" % chunk,
                       [Send(*[F(op_of(k), d) for k, d in big], chop=chunk, pace=0.001)] +
                       [Echo(k, d) for k, d in big], timeout=30))
    return cs


def g2():
    tens = [b"ping %d" % i for i in range(10)]
    return [
        Case("2.1", "ping without payload: pong without payload (5.5.2, 5.5.3)",
             [Send(F(PING)), Pong(b"")]),
        Case("2.2", "ping with a text payload: pong with it (5.5.3)",
             [Send(F(PING, b"Hello, world!")), Pong(b"Hello, world!")]),
        Case("2.3", "ping with a binary payload (5.5.3)",
             [Send(F(PING, bytes([0, 255, 254, 253, 252, 251, 0, 1]))),
              Pong(bytes([0, 255, 254, 253, 252, 251, 0, 1]))]),
        Case("2.4", "ping with 125 bytes of payload (5.5)",
             [Send(F(PING, binary(125))), Pong(binary(125))]),
        Case("2.5", "ping with 126 bytes of payload: too big for a control frame (5.5)",
             [Send(F(PING, binary(126))), Closed(1002)]),
        Case("2.6", "ping with 125 bytes in 1-byte writes (5.5.3)",
             [Send(F(PING, binary(125)), chop=1, pace=PACE), Pong(binary(125))]),
        Case("2.7", "unsolicited pong without payload: ignored (5.5.3)",
             [Send(F(PONG)), Quiet(), Send(F(TEXT, b"after a pong")), Echo("text", b"after a pong")]),
        Case("2.8", "unsolicited pong with payload, then a ping: the ping's pong (5.5.3)",
             [Send(F(PONG, b"unsolicited")), Send(F(PING, b"solicited")), Pong(b"solicited")]),
        Case("2.9", "ten pings in one write (5.5.3)",
             [Send(*[F(PING, d) for d in tens]), Pongs(tens)]),
        Case("2.10", "ten pings in 1-byte writes (5.5.3)",
             [Send(*[F(PING, d) for d in tens], chop=1, pace=PACE), Pongs(tens)]),
        Case("2.11", "a ping between two messages: answered at once, both echoed (5.4, 5.5.2)",
             [Send(F(TEXT, b"one"), F(PING, b"between"), F(TEXT, b"two")),
              Unordered(Echo("text", b"one"), Pong(b"between"), Echo("text", b"two"))]),
        Case("2.12", "a ping of 126 bytes after an echoed message (5.5)",
             [Send(F(TEXT, b"first")), Echo("text", b"first"), Send(F(PING, binary(126))), Closed(1002)]),
    ]


def g3():
    cs = []
    for rsv in range(1, 8):
        cs.append(Case("3.1.%d" % rsv, "text frame with RSV bits %d%d%d (5.2)" % (rsv >> 2, rsv >> 1 & 1, rsv & 1),
                       [Send(F(TEXT, b"reserved bits", rsv=rsv)), Closed(1002)]))
    cs += [
        Case("3.2.1", "binary frame with RSV1 (5.2)", [Send(F(BINARY, b"\0\1\2", rsv=4)), Closed(1002)]),
        Case("3.2.2", "ping with RSV1 (5.2)", [Send(F(PING, b"ping", rsv=4)), Closed(1002)]),
        Case("3.2.3", "ping with RSV2 (5.2)", [Send(F(PING, b"ping", rsv=2)), Closed(1002)]),
        Case("3.2.4", "close with RSV3 (5.2)", [Send(F(CLOSE, close_payload(1000), rsv=1)), Closed(1002)]),
        Case("3.2.5", "pong with RSV1 (5.2)", [Send(F(PONG, b"", rsv=4)), Closed(1002)]),
        Case("3.3.1", "an echoed message, then a text frame with RSV2 (5.2)",
             [Send(F(TEXT, b"fine")), Echo("text", b"fine"), Send(F(TEXT, b"not fine", rsv=2)), Closed(1002)]),
        Case("3.3.2", "a message, a frame with RSV3 and a ping in one write: no pong (5.2)",
             [Send(F(TEXT, b"fine"), F(TEXT, b"bad", rsv=1), F(PING, b"too late")),
              Closed(1002, skip_data=True)]),
        Case("3.3.3", "a continuation frame with RSV1 (5.2)",
             [Send(F(TEXT, b"frag", fin=0), F(CONT, b"ment", rsv=4)), Closed(1002)]),
        Case("3.3.4", "a text frame with RSV1 in 1-byte writes (5.2)",
             [Send(F(TEXT, b"reserved", rsv=4), chop=1, pace=PACE), Closed(1002)]),
    ]
    return cs


def g4():
    cs = []
    for i, op in enumerate((3, 4, 5, 6, 7), 1):
        cs.append(Case("4.1.%d" % i, "reserved non-control opcode %d (5.2)" % op,
                       [Send(F(op)), Closed(1002)]))
    for i, op in enumerate((11, 12, 13, 14, 15), 1):
        cs.append(Case("4.2.%d" % i, "reserved control opcode %d with payload (5.2)" % op,
                       [Send(F(op, b"reserved")), Closed(1002)]))
    cs += [
        Case("4.3.1", "an echoed message, then opcode 5 (5.2)",
             [Send(F(TEXT, b"fine")), Echo("text", b"fine"), Send(F(5, b"x")), Closed(1002)]),
        Case("4.3.2", "opcode 11 between the fragments of a message (5.2)",
             [Send(F(TEXT, b"frag", fin=0), F(11, b"x"), F(CONT, b"ment")), Closed(1002)]),
        Case("4.3.3", "opcode 3 with payload, then a ping: no pong (5.2)",
             [Send(F(3, b"reserved"), F(PING, b"too late")), Closed(1002)]),
        Case("4.3.4", "opcode 7 in 1-byte writes (5.2)",
             [Send(F(7, b"reserved"), chop=1, pace=PACE), Closed(1002)]),
        Case("4.3.5", "opcode 14 after an echoed binary message (5.2)",
             [Send(F(BINARY, b"\1\2")), Echo("binary", b"\1\2"), Send(F(14)), Closed(1002)]),
    ]
    return cs


def g5():
    frag3 = binary(3 * 65536)
    return [
        Case("5.1", "text in two fragments (5.4)",
             [Send(F(TEXT, b"fragment1", fin=0), F(CONT, b"fragment2")), Echo("text", b"fragment1fragment2")]),
        Case("5.2", "binary in two fragments (5.4)",
             [Send(F(BINARY, b"\0\1", fin=0), F(CONT, b"\2\3")), Echo("binary", b"\0\1\2\3")]),
        Case("5.3", "text in five fragments, empty ones first, in the middle and last (5.4)",
             [Send(F(TEXT, b"", fin=0), F(CONT, b"ab", fin=0), F(CONT, b"", fin=0), F(CONT, b"cd", fin=0),
                   F(CONT, b"")), Echo("text", b"abcd")]),
        Case("5.4", "an empty message in two empty fragments (5.4)",
             [Send(F(TEXT, b"", fin=0), F(CONT, b"")), Echo("text", b"")]),
        Case("5.5", "a ping between fragments: answered, the message echoed (5.4)",
             [Send(F(TEXT, b"frag", fin=0), F(PING, b"between"), F(CONT, b"ment")),
              Unordered(Pong(b"between"), Echo("text", b"fragment"))]),
        Case("5.6", "a pong between fragments: ignored (5.4)",
             [Send(F(TEXT, b"frag", fin=0), F(PONG, b"between"), F(CONT, b"ment")), Echo("text", b"fragment")]),
        Case("5.7", "a ping between fragments, in 1-byte writes (5.4)",
             [Send(F(TEXT, b"frag", fin=0), F(PING, b"between"), F(CONT, b"ment"), chop=1, pace=PACE),
              Unordered(Pong(b"between"), Echo("text", b"fragment"))]),
        Case("5.8", "the first fragment, a ping, its pong awaited, then the rest (5.4)",
             [Send(F(BINARY, b"\1\2", fin=0), F(PING, b"waiting")), Pong(b"waiting"),
              Send(F(CONT, b"\3", fin=0), F(PING, b"again")), Pong(b"again"),
              Send(F(CONT, b"\4")), Echo("binary", b"\1\2\3\4")]),
        Case("5.9", "two fragmented messages in a row (5.4)",
             [Send(F(TEXT, b"a", fin=0), F(CONT, b"b"), F(BINARY, b"c", fin=0), F(CONT, b"d")),
              Echo("text", b"ab"), Echo("binary", b"cd")]),
        Case("5.10", "a continuation frame (FIN) without a message (5.4)",
             [Send(F(CONT, b"orphan")), Closed(1002)]),
        Case("5.11", "a continuation frame (not FIN) without a message (5.4)",
             [Send(F(CONT, b"orphan", fin=0)), Closed(1002)]),
        Case("5.12", "a continuation frame after an echoed whole message (5.4)",
             [Send(F(TEXT, b"whole")), Echo("text", b"whole"), Send(F(CONT, b"more")), Closed(1002)]),
        Case("5.13", "a text frame before the end of a fragmented text message (5.4)",
             [Send(F(TEXT, b"frag", fin=0), F(TEXT, b"new")), Closed(1002)]),
        Case("5.14", "a binary first fragment before the end of a text message (5.4)",
             [Send(F(TEXT, b"frag", fin=0), F(BINARY, b"new", fin=0)), Closed(1002)]),
        Case("5.15", "a text frame before the end of a binary message (5.4)",
             [Send(F(BINARY, b"frag", fin=0), F(CONT, b"ment", fin=0), F(TEXT, b"new")), Closed(1002)]),
        Case("5.16", "a fragmented ping (5.4, 5.5)",
             [Send(F(PING, b"frag", fin=0), F(CONT, b"ment")), Closed(1002)]),
        Case("5.17", "a fragmented pong (5.4, 5.5)",
             [Send(F(PONG, b"frag", fin=0), F(CONT, b"ment")), Closed(1002)]),
        Case("5.18", "a fragmented close (5.4, 5.5)",
             [Send(F(CLOSE, close_payload(1000), fin=0), F(CONT, b"")), Closed(1002)]),
        Case("5.19", "a fragmented ping between the fragments of a message (5.4)",
             [Send(F(TEXT, b"frag", fin=0), F(PING, b"x", fin=0)), Closed(1002)]),
        Case("5.20", "binary in three fragments of 64 KiB (5.4)",
             [Send(frags("binary", frag3, 65536)), Echo("binary", frag3)]),
        Case("5.22", "pings between fragments of 64 KiB (5.4)",
             [Send(F(TEXT, text(65536), fin=0), F(PING, b"one"), F(CONT, text(65536), fin=0), F(PING, b"two"),
                   F(CONT, text(65536))),
              Unordered(Pong(b"one"), Pong(b"two"), Echo("text", text(65536) * 3))]),
        Case("5.23", "whole messages around a fragmented one and control frames, in one write (5.4)",
             [Send(F(BINARY, binary(300)), F(TEXT, b"a", fin=0), F(PING, b"p"), F(CONT, b"b", fin=0),
                   F(PONG, b"q"), F(CONT, b"c"), F(TEXT, text(1000)), F(BINARY, b"", fin=0), F(CONT, b"")),
              Unordered(Echo("binary", binary(300)), Pong(b"p"), Echo("text", b"abc"), Echo("text", text(1000))),
              Echo("binary", b"")]),
        Case("5.24", "the same in 3-byte writes (5.4)",
             [Send(F(BINARY, binary(300)), F(TEXT, b"a", fin=0), F(PING, b"p"), F(CONT, b"b", fin=0),
                   F(PONG, b"q"), F(CONT, b"c"), F(TEXT, text(1000)), F(BINARY, b"", fin=0), F(CONT, b""),
                   chop=3, pace=0.0003),
              Unordered(Echo("binary", binary(300)), Pong(b"p"), Echo("text", b"abc"), Echo("text", text(1000))),
              Echo("binary", b"")]),
        Case("5.21", "a close between fragments: the message is dropped, the close echoed (5.4, 5.5.1)",
             [Send(F(TEXT, b"never", fin=0), close(1000)), Closed(1000)]),
    ]


VALID = [
    ("ASCII", b"Hello, world"),
    ("mixed", "Hello-µ@ßöäüàá-UTF-8!!".encode()),
    ("Greek", "κόσμε".encode()),
    ("U+0000", b"\x00"),
    ("U+007F", b"\x7f"),
    ("U+0080", b"\xc2\x80"),
    ("U+07FF", b"\xdf\xbf"),
    ("U+0800", b"\xe0\xa0\x80"),
    ("U+D7FF", b"\xed\x9f\xbf"),
    ("U+E000", b"\xee\x80\x80"),
    ("U+FFFD", b"\xef\xbf\xbd"),
    ("U+FFFE and U+FFFF", b"\xef\xbf\xbe\xef\xbf\xbf"),
    ("U+10000", b"\xf0\x90\x80\x80"),
    ("U+10FFFF", b"\xf4\x8f\xbf\xbf"),
    ("U+2028 and U+2029", b"\xe2\x80\xa8\xe2\x80\xa9"),
    ("a byte order mark", b"\xef\xbb\xbfBOM"),
    ("JSON's specials", b'"\\/\b\f\n\r\t\x01\x1f'),
    ("emoji", "😀👍🏽🇪🇺".encode()),
]

# (name, bytes, detectable before the message ends)
INVALID = [
    ("a lone continuation byte 0x80", b"\x80", True),
    ("a lone continuation byte 0xBF", b"ab\xbf", True),
    ("continuation bytes 80 BF 80", b"\x80\xbf\x80", True),
    ("a 2-byte lead before ASCII", b"\xc2A", True),
    ("a 3-byte lead, one continuation, ASCII", b"\xe0\xa0A", True),
    ("a 4-byte lead, two continuations, ASCII", b"\xf0\x90\x80A", True),
    ("overlong NUL (C0 80)", b"\xc0\x80", True),
    ("overlong '/' (C0 AF)", b"\xc0\xaf", True),
    ("overlong 2 bytes (C1 BF)", b"\xc1\xbf", True),
    ("overlong 3 bytes (E0 80 80)", b"\xe0\x80\x80", True),
    ("overlong 3 bytes (E0 9F BF)", b"\xe0\x9f\xbf", True),
    ("overlong 4 bytes (F0 80 80 80)", b"\xf0\x80\x80\x80", True),
    ("overlong 4 bytes (F0 8F BF BF)", b"\xf0\x8f\xbf\xbf", True),
    ("surrogate U+D800", b"\xed\xa0\x80", True),
    ("surrogate U+DB7F", b"\xed\xad\xbf", True),
    ("surrogate U+DC00", b"\xed\xb0\x80", True),
    ("surrogate U+DFFF", b"\xed\xbf\xbf", True),
    ("a surrogate pair U+D800 U+DC00", b"\xed\xa0\x80\xed\xb0\x80", True),
    ("U+110000 (F4 90 80 80)", b"\xf4\x90\x80\x80", True),
    ("U+1FFFFF (F7 BF BF BF)", b"\xf7\xbf\xbf\xbf", True),
    ("a 5-byte form (F8 88 80 80 80)", b"\xf8\x88\x80\x80\x80", True),
    ("a 6-byte form (FC 84 80 80 80 80)", b"\xfc\x84\x80\x80\x80\x80", True),
    ("byte F5", b"\xf5\x80\x80\x80", True),
    ("byte FE", b"\xfe", True),
    ("byte FF", b"\xff", True),
    ("a surrogate inside Greek text", "κόσμε".encode() + b"\xed\xa0\x80edited", True),
    ("truncated: C2 at the end", b"ab\xc2", False),
    ("truncated: E2 82 at the end", b"\xe2\x82", False),
    ("truncated: F0 9F 98 at the end", b"smile \xf0\x9f\x98", False),
    ("truncated: F4 8F BF at the end", b"\xf4\x8f\xbf", False),
]


def g6():
    cs = []
    for i, (name, b) in enumerate(VALID, 1):
        cs.append(Case("6.1.%d" % i, "valid: %s, one frame (5.6, 8.1)" % name,
                       [Send(F(TEXT, b)), Echo("text", b)]))
    for i, (name, b) in enumerate(VALID, 1):
        if len(b) < 2:
            continue
        splits = [Send(F(TEXT, b[:k], fin=0), F(CONT, b[k:])) for k in range(1, len(b))]
        cs.append(Case("6.2.%d" % i, "valid: %s, two fragments split at every byte (5.6, 8.1)" % name,
                       splits + [Echo("text", b)] * (len(b) - 1)))
    for i, (name, b) in enumerate(VALID, 1):
        if len(b) < 2:
            continue
        cs.append(Case("6.3.%d" % i, "valid: %s, in 1-byte fragments (5.6, 8.1)" % name,
                       [Send(frags("text", b, 1)), Echo("text", b)]))
    for i, (name, b, _) in enumerate(INVALID, 1):
        cs.append(Case("6.4.%d" % i, "invalid: %s, one frame (8.1)" % name,
                       [Send(F(TEXT, b)), Closed(1007)]))
    for i, (name, b, _) in enumerate(INVALID, 1):
        cs.append(Case("6.5.%d" % i, "invalid: %s, in 1-byte fragments (8.1)" % name,
                       [Send(frags("text", b, 1)), Closed(1007)]))
    for i, (name, b, early) in enumerate(INVALID, 1):
        if not early:
            continue
        cs.append(Case("6.6.%d" % i, "fail fast: %s in the first fragment, the rest never sent (8.1)" % name,
                       [Send(F(TEXT, b"valid start " + b, fin=0)), Closed(1007)]))
    for i, (name, b, early) in enumerate(INVALID[:6] + INVALID[13:14] + INVALID[18:19], 1):
        body = b"ok " + b
        cs.append(Case("6.7.%d" % i, "fail fast: %s early in a frame whose rest is held back (8.1)" % name,
                       [Send(lambda client, body=body: F(TEXT, body + b"x" * 1000).wire(client)[:-1000]),
                        Closed(1007)]))
    big = text(65536)
    cs += [
        Case("6.8.1", "64 KiB of text with an invalid byte at the end (8.1)",
             [Send(F(TEXT, big[:-1] + b"\xff")), Closed(1007)]),
        Case("6.8.2", "64 KiB of text with an invalid byte first (8.1)",
             [Send(F(TEXT, b"\xff" + big[1:])), Closed(1007)]),
        Case("6.8.3", "an echoed message, then a fragment with a surrogate (8.1)",
             [Send(F(TEXT, b"fine")), Echo("text", b"fine"), Send(F(TEXT, b"\xed\xbf\xbf", fin=0)), Closed(1007)]),
        Case("6.8.4", "invalid UTF-8 in a binary message is not checked (5.6)",
             [Send(F(BINARY, b"\xff\xed\xa0\x80\xc0\x80")), Echo("binary", b"\xff\xed\xa0\x80\xc0\x80")]),
    ]
    return cs


def g7():
    split = halves(close(1001, "κόσμε".encode()), 9)
    cs = [
        Case("7.1.1", "close 1000: echoed, then TCP ends (5.5.1, 7.1.2)",
             [Send(close(1000)), Closed(1000)]),
        Case("7.1.2", "close without payload: a close without a code or 1000 (5.5.1, 7.1.5)",
             [Send(F(CLOSE)), Closed(None, 1000)]),
        Case("7.1.3", "close 1000 with a reason (5.5.1)",
             [Send(close(1000, b"bye")), Closed(1000)]),
        Case("7.1.4", "close with a 123-byte reason, the longest (5.5)",
             [Send(close(1000, b"r" * 123)), Closed(1000)]),
        Case("7.1.5", "close with a 124-byte reason: 126 bytes of payload (5.5)",
             [Send(close(1000, b"r" * 124)), Closed(1002)]),
        Case("7.1.6", "close with a 1-byte payload (5.5.1)",
             [Send(F(CLOSE, b"\x03")), Closed(1002)]),
        Case("7.1.7", "close 3000 with a reason: the code echoed (5.5.1)",
             [Send(close(3000, "κόσμε".encode())), Closed(3000)]),
        Case("7.1.8", "close with a valid UTF-8 reason in 3-byte writes (5.5.1, 8.1)",
             [Send(close(1000, "κόσμε κόσμε κόσμε".encode()), chop=3, pace=0.002), Closed(1000)]),
        Case("7.1.9", "close 1000 in 1-byte writes (5.5.1)",
             [Send(close(1000, b"chopped"), chop=1, pace=PACE), Closed(1000)]),
        Case("7.1.10", "close with a 123-byte UTF-8 reason in 1-byte writes (5.5.1, 8.1)",
             [Send(close(1000, text(123)), chop=1, pace=PACE), Closed(1000)]),
        Case("7.1.11", "a message and half a close frame, the rest later (5.5.1)",
             [Send(F(TEXT, b"first"), split[0]), Sleep(0.05), Send(split[1]), Closed(1001, skip_data=True)]),
    ]
    for i, code in enumerate((1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999), 1):
        cs.append(Case("7.2.%d" % i, "close with valid code %d: echoed (7.4)" % code,
                       [Send(close(code)), Closed(code)]))
    for i, code in enumerate((0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535), 1):
        cs.append(Case("7.3.%d" % i, "close with invalid code %d (7.4)" % code,
                       [Send(close(code)), Closed(1002)]))
    bad = "κόσμε".encode() + b"\xed\xa0\x80edited"
    cs += [
        Case("7.4.1", "close with a reason that is not UTF-8 (5.5.1, 8.1)",
             [Send(close(1000, bad)), Closed(1007)]),
        Case("7.4.2", "close with a reason that is not UTF-8, in 1-byte writes (5.5.1, 8.1)",
             [Send(close(1000, bad), chop=1, pace=PACE), Closed(1007)]),
        Case("7.4.3", "close with a reason cut inside a character (5.5.1, 8.1)",
             [Send(close(1000, "κόσμε".encode()[:-1])), Closed(1007)]),
        Case("7.5.1", "a message after the close: ignored (5.5.1)",
             [Send(close(1000), F(TEXT, b"after the close")), Closed(1000)]),
        Case("7.5.2", "a ping after the close: no pong (5.5.1)",
             [Send(close(1000), F(PING, b"after the close")), Closed(1000)]),
        Case("7.5.3", "a second close after the close (5.5.1)",
             [Send(close(1000), close(1001)), Closed(1000)]),
        Case("7.5.4", "an echoed message, then the close (7.1.2)",
             [Send(F(TEXT, b"before")), Echo("text", b"before"), Send(close(1000)), Closed(1000)]),
        Case("7.5.5", "the close handshake: the server ends TCP first, the client waits for it (7.1.1)",
             [Send(close(1000)), Closed(1000, client_waits=True)]),
    ]
    return cs


def g9():
    m1 = text(MIB)
    b1 = binary(MIB)
    many = [b"%016d" % i for i in range(100000)]
    manyb = [bytes([i & 255]) * 16 for i in range(10000)]
    return [
        Case("9.1.1", "text of 1 MiB, as large as --max-message 1M (10.4)",
             [Send(F(TEXT, m1)), Echo("text", m1)], opts=SMALL, timeout=30),
        Case("9.1.2", "binary of 1 MiB (10.4)",
             [Send(F(BINARY, b1)), Echo("binary", b1)], opts=SMALL, timeout=30),
        Case("9.1.3", "text of 1 MiB in 64 KiB fragments (10.4)",
             [Send(frags("text", m1, 65536)), Echo("text", m1)], opts=SMALL, timeout=30),
        Case("9.1.4", "binary of 1 MiB in 4 fragments (10.4)",
             [Send(frags("binary", b1, MIB // 4)), Echo("binary", b1)], opts=SMALL, timeout=30),
        Case("9.2.1", "text of 1 MiB + 1 byte, one frame: 1009 (7.4.1, 10.4)",
             [Send(F(TEXT, m1 + b"a")), Closed(1009)], opts=SMALL, timeout=30),
        Case("9.2.2", "binary of 1 MiB + 1 byte, one frame: 1009 (10.4)",
             [Send(F(BINARY, b1 + b"b")), Closed(1009)], opts=SMALL, timeout=30),
        Case("9.2.3", "binary of 1 MiB, then a 1-byte fragment: 1009 (10.4)",
             [Send(F(BINARY, b1, fin=0), F(CONT, b"b")), Closed(1009)], opts=SMALL, timeout=30),
        Case("9.2.4", "text in 16 fragments of 64 KiB and one of 1 byte: 1009 (10.4)",
             [Send(lambda c: b"".join(F(TEXT if i == 0 else CONT, m1[i * 65536:(i + 1) * 65536], fin=0).wire(c)
                                      for i in range(16)), F(CONT, b"a")), Closed(1009)],
             opts=SMALL, timeout=30),
        Case("9.2.5", "a frame header announcing 4 GiB: 1009 before the payload (10.4)",
             [Send(F(BINARY, b"", length=1 << 32)), Closed(1009)], opts=SMALL),
        Case("9.2.6", "text of 16 MiB + 1 byte with the default limit: 1009 (10.4)",
             [Send(F(TEXT, text(16 * MIB + 1))), Closed(1009)], heavy=True, timeout=60),
        Case("9.3.1", "100000 text messages of 16 bytes in one write, echoed in order",
             [Send(lambda c: b"".join(wire.frame(TEXT, d, mask=c) for d in many)), Many("text", many)],
             heavy=True, timeout=60),
        Case("9.3.2", "10000 binary messages of 16 bytes, echoed in order",
             [Send(lambda c: b"".join(wire.frame(BINARY, d, mask=c) for d in manyb)), Many("binary", manyb)],
             timeout=30),
    ]


def g10():
    cs = []
    for i, (size, name) in enumerate(((1, "1-byte"), (1000, "1000-byte"), (65536, "64 KiB")), 1):
        for j, kind in enumerate(("text", "binary"), 1):
            data = msg(kind, MIB)
            cs.append(Case("10.%d.%d" % (i, j), "%s of 1 MiB in %s fragments, echoed whole (5.4)" % (kind, name),
                           [Send(frags(kind, data, size)), Echo(kind, data)], heavy=size == 1, timeout=60))
    return cs


GROUPS = [
    (1, "framing", g1),
    (2, "pings and pongs", g2),
    (3, "reserved bits", g3),
    (4, "reserved opcodes", g4),
    (5, "fragmentation", g5),
    (6, "UTF-8", g6),
    (7, "close handling", g7),
    (9, "limits", g9),
    (10, "auto-fragmentation", g10),
]
