#!/usr/bin/env python3
"""fuzzers/corpus_split.py - cut recorded connections into seeds for every fuzz target.

usage: corpus_split.py WIRE_DIR WSSPEC_JSON CASES_DIR CORPUS_DIR

WIRE_DIR holds one file per connection as wire_record.h writes them: server-*.bin (what
the echo endpoint received: a request, then masked frames) and client-*.bin (what the
test peer received: a 101, then unmasked frames). Each seed is written to
CORPUS_DIR/<target>/<sha1 of its bytes>, in the input format the target's header
comment describes (control bytes first, then data). Control bytes are chosen so that
each seed is a plain, cheap run - the fuzzer varies them itself.

Seeds are kept small: single frames are cut to MAX_PAYLOAD payload bytes (the header
still says the real length, which the decoders handle as "more to come"), whole
connections to MAX_STREAM bytes. Minimisation is `make corpus-merge`'s job.
"""
import base64
import hashlib
import json
import os
import re
import struct
import sys

MAX_PAYLOAD = 1024
MAX_STREAM = 16 * 1024
# What ws_conn's client sends with an all-zero random source, and its accept: the key
# conn_fuzzer and handshake_response_fuzzer use.
FUZZ_KEY = b"AAAAAAAAAAAAAAAAAAAAAA=="
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
FUZZ_ACCEPT = base64.b64encode(hashlib.sha1(FUZZ_KEY + GUID).digest())
CHOP_WHOLE = b"\0\0\0\0"  # fuzz_input.h: a chop byte of 0 means "all the rest"
# and a schedule that cuts inside headers, UTF-8 sequences and payloads (7, 1, 3 bytes,
# then 512): whole-input seeds alone would never split a payload, so a replay of the
# corpus would not exercise the mask phase or the decoders' resumption
CHOP_CUTS = b"\x07\x01\x03\x81"

seeds = {}  # target -> set of bytes


def add(target, data):
    seeds.setdefault(target, set()).add(bytes(data))


def split_block(stream):
    """(header block, rest) or (None, stream) when there is no complete block."""
    m = re.search(rb"\r?\n\r?\n", stream)
    if not m:
        return None, stream
    return stream[: m.end()], stream[m.end():]


def frames(data):
    """Yield (fin, rsv, opcode, masked, key, declared_len, header, payload) for each
    frame whose header is complete; the payload is unmasked and may be cut short."""
    pos = 0
    while pos + 2 <= len(data):
        b0, b1 = data[pos], data[pos + 1]
        masked, len7 = bool(b1 & 0x80), b1 & 0x7F
        hlen = 2
        if len7 == 126:
            if pos + 4 > len(data):
                return
            (n,) = struct.unpack(">H", data[pos + 2: pos + 4])
            hlen = 4
        elif len7 == 127:
            if pos + 10 > len(data):
                return
            (n,) = struct.unpack(">Q", data[pos + 2: pos + 10])
            hlen = 10
        else:
            n = len7
        key = b""
        if masked:
            if pos + hlen + 4 > len(data):
                return
            key = data[pos + hlen: pos + hlen + 4]
            hlen += 4
        header = data[pos: pos + hlen]
        payload = bytearray(data[pos + hlen: pos + hlen + n])
        if masked:
            for i in range(len(payload)):
                payload[i] ^= key[i & 3]
        yield b0 >> 7, (b0 >> 4) & 7, b0 & 15, masked, key, n, header, bytes(payload)
        if pos + hlen + n > len(data):
            return
        pos += hlen + n


def frame_seeds(role, body):
    """Seeds from the frames of one connection; role: the receiver (0 server, 1 client)."""
    text, binary_op = bytearray(), None
    for fin, rsv, op, masked, key, n, header, payload in frames(body):
        cut = payload[:MAX_PAYLOAD]
        wire = bytearray(cut)
        if masked:
            for i in range(len(wire)):
                wire[i] ^= key[i & 3]
        # frame_fuzzer: rules byte (role), whole-stream chop, one frame.
        add("frame", bytes([role]) + CHOP_WHOLE + header + bytes(wire))
        # frame_roundtrip_fuzzer: FIN/RSV/opcode, flags (masked), key, declared length.
        add("frame_roundtrip",
            bytes([fin << 7 | rsv << 4 | op, 1 if masked else 0])
            + (key if masked else b"\0\0\0\0") + bytes(8) + cut)
        if op == 8:
            add("close", payload)
        if op == 1 or (op == 0 and binary_op == 1):
            text += payload
            binary_op = 1
        elif op in (0, 2):
            binary_op = op or binary_op
        if fin and op in (0, 1, 2):
            if binary_op == 1 and text:
                add("utf8", CHOP_WHOLE + bytes(text[:MAX_PAYLOAD]))
                add("utf8", CHOP_CUTS + bytes(text[:MAX_PAYLOAD]))
            text, binary_op = bytearray(), None
    # the whole frame stream of the connection, as the decoder saw it, whole and cut
    if body:
        add("frame", bytes([role]) + CHOP_WHOLE + body[:MAX_STREAM])
        add("frame", bytes([role]) + CHOP_CUTS + body[:MAX_STREAM])


def server_side(stream):
    """What the echo endpoint received: request, then masked frames."""
    block, body = split_block(stream)
    if block:
        add("handshake_request", b"\0\x80" + block)
        # pmd_fuzzer: zero preferences, the offers the request made
        for m in re.finditer(rb"(?im)^Sec-WebSocket-Extensions:[ \t]*([^\r\n]*?)[ \t]*\r?$",
                             block):
            add("pmd", b"\0\0" + m.group(1))
    # conn_fuzzer, server role, no synthesized handshake, echo + drain: b0 = 0x18
    add("conn", b"\x18\0\0" + CHOP_WHOLE + stream[:MAX_STREAM])
    add("conn", b"\x18\0\0" + CHOP_CUTS + stream[:MAX_STREAM])
    if block:
        # the same frames behind conn_fuzzer's own handshake (b0 bit 1)
        add("conn", b"\x1a\0\0" + CHOP_WHOLE + body[:MAX_STREAM])
        frame_seeds(0, body)


def client_side(stream):
    """What the test peer received: a 101 (made to carry FUZZ_KEY's accept), frames."""
    stream = re.sub(rb"(?im)^(Sec-WebSocket-Accept:[ \t]*)[A-Za-z0-9+/=]+",
                    lambda m: m.group(1) + FUZZ_ACCEPT, stream, count=1)
    block, body = split_block(stream)
    if block:
        add("handshake_response", b"\0\x80" + block)
    add("conn", b"\x19\0\0" + CHOP_WHOLE + stream[:MAX_STREAM])
    add("conn", b"\x19\0\0" + CHOP_CUTS + stream[:MAX_STREAM])
    if block:
        add("conn", b"\x1b\0\0" + CHOP_WHOLE + body[:MAX_STREAM])
        frame_seeds(1, body)


# Hand-written seeds for what the catalogue does not send yet: extension offers
# (permessage-deflate arrives with its own issue) and Autobahn configs.
EXT_VALUES = [
    b"permessage-deflate",
    b"permessage-deflate; client_max_window_bits",
    b"permessage-deflate; client_max_window_bits; server_max_window_bits=10",
    b'permessage-deflate; server_max_window_bits="10", permessage-deflate',
    b"x-webkit-deflate-frame, , foo; bar=\"b\\az\"",
    b"mux; max-channels=4; flow-control, deflate-stream",
]
# pmd_fuzzer: two preference bytes, offers, optionally "\n" and a response (the layout
# of pmd_fuzzer.c): Autobahn's offers (12.x, 13.1-13.7), a browser's, preferences that
# ask for windows or are invalid, invalid offers before a valid one, and responses at
# the edges the client's check judges.
AUTOBAHN_13 = b"permessage-deflate; client_no_context_takeover; client_max_window_bits"
PMD_SEEDS = [
    b"\0\0permessage-deflate",
    b"\0\0" + AUTOBAHN_13,
    b"\0\0" + AUTOBAHN_13 + b"; server_no_context_takeover",
    b"\0\0" + AUTOBAHN_13 + b"; server_max_window_bits=9",
    b"\0\0" + AUTOBAHN_13 + b"; server_no_context_takeover; server_max_window_bits=15",
    b"\0\0" + AUTOBAHN_13 + b"; server_no_context_takeover; server_max_window_bits=9, "
    + AUTOBAHN_13 + b"; server_no_context_takeover, " + AUTOBAHN_13,
    b"\x18\xa8permessage-deflate; client_max_window_bits",
    b"\x07\0permessage-deflate; client_max_window_bits",
    b'\0\x37permessage-deflate; client_max_window_bits="10"',
    b'\0\xffpermessage-deflate; server_max_window_bits="\\1\\2"; client_max_window_bits=8',
    b"\0\0permessage-deflate; foo, permessage-deflate; server_max_window_bits=16, "
    b"x-webkit-deflate-frame, permessage-deflate; client_max_window_bits=08, "
    b"permessage-deflate; server_no_context_takeover; server_no_context_takeover, "
    b"permessage-deflate; server_max_window_bits, "
    b"permessage-deflate; client_no_context_takeover=1",
    b"\0\0permessage-deflate; server_max_window_bits=10, permessage-deflate\n"
    b"permessage-deflate; server_max_window_bits=12",
    b"\0\0permessage-deflate; server_no_context_takeover; client_max_window_bits=9\n"
    b"permessage-deflate; client_max_window_bits=10",
    b"\0\0permessage-deflate; client_max_window_bits=9\n"
    b"permessage-deflate; client_max_window_bits=10",
    b"\0\0x-webkit-deflate-frame\nfoo, permessage-deflate, permessage-deflate",
    b"\0\0permessage-deflate\npermessage-deflate; client_max_window_bits=10; "
    b"server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8",
    b"\0\0permessage-deflate; client_max_window_bits\n"
    b"permessage-deflate; client_max_window_bits",
    b"\0\0permessage-deflate; server_max_window_bits=100, "
    b"permessage-deflate; client_max_window_bits=1x, "
    b"permessage-deflate; server_max_window_bits=+9\n"
    b"permessage-deflate; server_max_window_bits=015",
]
CONFIGS = [
    b'{"servers": [{"agent": "AutobahnPython", "url": "ws://127.0.0.1:9001"}],'
    b' "cases": ["*"], "exclude-cases": ["9.*", "12.*", "13.*"],'
    b' "exclude-agent-cases": {}}',
    b'{"outdir": "./reports/servers", "servers": [{"url": "ws://127.0.0.1:9001",'
    b' "agent": "a", "options": {"version": 18, "openHandshakeTimeout": 10}},'
    b' {"url": "wss://localhost:9443/path?q=1", "protocols": ["chat", "v2"],'
    b' "origin": "http://x", "hostname": "localhost"}],'
    b' "options": {"failByDrop": false, "autoPingInterval": 1},'
    b' "cases": ["1.1.1", "6.*"], "exclude-agent-cases": {"a*": ["7.1.*"]},'
    b' "webport": 8080}',
]


def main():
    wire_dir, report, cases_dir, out = sys.argv[1:5]
    for name in sorted(os.listdir(wire_dir)):
        with open(os.path.join(wire_dir, name), "rb") as f:
            stream = f.read()
        if name.startswith("server-"):
            server_side(stream)
        elif name.startswith("client-"):
            client_side(stream)
    for name in sorted(os.listdir(cases_dir)):
        if not name.endswith(".wsc"):
            continue
        with open(os.path.join(cases_dir, name), "rb") as f:
            text = f.read()
        add("case_parse", text)
        # each case on its own, and the file's templates/tables with it
        for m in re.finditer(rb"(?ms)^case .*?^end\n", text):
            add("case_parse", m.group(0))
    for v in EXT_VALUES:
        add("ext", b"\x10" + v)
    for v in PMD_SEEDS:
        add("pmd", v)
    for c in CONFIGS:
        add("config", b"\x03" + c)
    if os.path.exists(report):
        # The run's own wsspec.json, cut to its first 1, 3 and 12 cases (the whole one
        # is hundreds of KiB; every case has the same shape), compact.
        with open(report, "rb") as f:
            doc = json.load(f)
        for k in (1, 3, 12):
            small = dict(doc)
            small["cases"] = doc.get("cases", [])[:k]
            add("baseline", b"\x03" + json.dumps(small, separators=(",", ":")).encode())
    for target, items in sorted(seeds.items()):
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for data in items:
            with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
                f.write(data)
        print(f"corpus-seed: {target}: {len(items)} seeds")


if __name__ == "__main__":
    main()
