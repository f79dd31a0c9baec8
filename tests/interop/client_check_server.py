#!/usr/bin/python3
"""One-connection test servers for `wsspec client` (tests/itest_client.sh).

usage: client_check_server.py MODE

echo        a python3-websockets (Debian's package) server that sends the client a text
            message, a binary one with every byte value, a fragmented text message,
            empty messages, a 300 kB message, a Ping, then Close 4001, and checks every
            echo, the Pong and the Close code echoed. Whatever permessage-deflate the
            client offers is accepted (websockets' default).
bad-accept  a raw server answering 101 with a wrong Sec-WebSocket-Accept: the client must
            close TCP without sending a byte (RFC 6455 4.1).
bad-extension  a raw server answering permessage-deflate to a client that offered none
            (run with --no-deflate): closed without a byte (4.1, RFC 7692 5).
bad-protocol   a raw server selecting a subprotocol the client never offered: closed
            without a byte (4.1).
silent      a raw server that reads the request and never answers: the client must give
            up at its --handshake-timeout and close TCP, not a byte more sent.
lingering   a raw server that sends Close 1000, reads the client's answer and keeps TCP
            open: the client must echo 1000, then close TCP itself at its
            --close-timeout (RFC 6455 7.1.1) and nothing else.
many        a raw server that sends 200,000 empty binary messages (from a second thread,
            reading the echoes meanwhile), then Close 1000: every echo must arrive, then
            the Close 1000 (run with --max-message-size 1: the smallest message limit
            still lets control frames of up to 125 bytes through).
masked      a raw server sending a masked frame, in the same write as its 101: the client
            must send Close 1002 and nothing else (5.1).
bad-utf8    a raw server sending a valid text message (to be echoed), then a text
            message that is not UTF-8: the echo, then Close 1007 and nothing else (8.1).
too-big     a raw server sending a 2000-byte binary message to a client run with
            --max-message-size 1000: Close 1009 and nothing else (10.4).

Prints "listening on PORT" once bound (the caller synchronises on it, never on a
sleep), then one "PASS ..." or "FAIL ..." line per check; exits 0 when every check
passed, 1 otherwise. Every wait has a deadline; one connection, then it stops."""
import asyncio
import base64
import hashlib
import os
import socket
import struct
import sys
import threading

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
DEADLINE = 30
failures = 0


def check(ok, what):
    global failures
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures += 1


# ------------------------------------------------------------ echo (python3-websockets)

async def echo_script(ws, path=None):
    import websockets
    check(ws.path == "/echo/path?x=1", f"request-target as given: {ws.path!r}")
    offered = ws.request_headers.get("Sec-WebSocket-Extensions", "")
    want_deflate = os.environ.get("WANT_DEFLATE") == "1"
    check(("permessage-deflate" in offered) == want_deflate,
          f"permessage-deflate offered: {offered!r} (want {want_deflate})")
    agreed = [e.name for e in ws.extensions]
    check(("permessage-deflate" in agreed) == want_deflate,
          f"permessage-deflate in use: {agreed!r} (messages compressed both ways)")
    sends = [
        ("text", "Hello, wsspec \u2713 \U0001F600"),
        ("binary with every byte value", bytes(range(256)) * 4),
        ("empty text", ""),
        ("empty binary", b""),
        ("fragmented text", ["frag", "mented ", "text \u00e9"]),
        ("300 kB binary", os.urandom(300000)),
        ("text of NULs", "\0" * 100),
    ]
    for what, msg in sends:
        await ws.send(msg)
        want = "".join(msg) if isinstance(msg, list) else msg
        got = await ws.recv()
        check(type(got) is type(want) and got == want, f"echo of {what}")
    pong = await ws.ping(b"ping-data")
    await asyncio.wait_for(pong, DEADLINE)
    check(True, "Pong answered the Ping")
    await ws.close(code=4001, reason="bye")
    check(ws.close_code == 4001, f"client echoed Close code 4001 (got {ws.close_code})")


def run_echo():
    import websockets

    async def main():
        done = asyncio.get_running_loop().create_future()

        async def handler(ws, path=None):
            try:
                await asyncio.wait_for(echo_script(ws, path), DEADLINE)
            except Exception as e:  # a failed check is a failure, not a crash
                check(False, f"echo script: {type(e).__name__}: {e}")
            if not done.done():
                done.set_result(None)

        async with websockets.serve(handler, "127.0.0.1", 0, max_size=2**25) as server:
            port = server.sockets[0].getsockname()[1]
            print(f"listening on {port}", flush=True)
            await asyncio.wait_for(done, DEADLINE * 2)

    asyncio.run(main())


# ------------------------------------------------------------ raw servers

def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk or len(data) > 16384:
            raise RuntimeError("no complete request")
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "sec-websocket-key":
            return value.strip().encode()
    raise RuntimeError("no Sec-WebSocket-Key")


def frame(opcode, payload, mask=None):
    head = bytes([0x80 | opcode])
    n = len(payload)
    mbit = 0x80 if mask else 0
    if n < 126:
        head += bytes([mbit | n])
    elif n < 65536:
        head += bytes([mbit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack("!Q", n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


def read_to_eof(conn, limit=1 << 20):
    """Everything the client sends until it closes TCP (bounded by the socket timeout
    and limit bytes)."""
    rest = b""
    while len(rest) < limit:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return rest


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_frame(conn):
    """(opcode, payload, masked) of the client's next frame, None at EOF."""
    h = read_exact(conn, 2)
    if h is None:
        return None
    n = h[1] & 0x7F
    if n == 126:
        n = struct.unpack("!H", read_exact(conn, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", read_exact(conn, 8))[0]
    masked = bool(h[1] & 0x80)
    mask = read_exact(conn, 4) if masked else b"\0\0\0\0"
    payload = read_exact(conn, n) if n else b""
    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return h[0] & 0x0F, payload, masked


def frames_until_close(conn):
    """The client's frames up to and including its Close (then we close TCP, as a
    server should), or up to EOF."""
    got = []
    while True:
        f = read_frame(conn)
        if f is None:
            return got, False
        got.append(f)
        if f[0] == 8:
            return got, True


def expect_close(frames, closed, code, before=()):
    want = [(op, p) for op, p in before]
    seen = [(op, p) for op, p, _ in frames[:-1]] if closed else [(op, p) for op, p, _ in frames]
    check(seen == want, f"client sent {seen!r} before its Close, want {want!r}")
    check(all(m for _, _, m in frames), "every client frame is masked")
    if not closed:
        check(False, "client sent no Close")
        return
    payload = frames[-1][1]
    got = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
    check(got == code, f"client's Close code {got}, want {code}")


def run_raw(mode):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(DEADLINE)
    print(f"listening on {srv.getsockname()[1]}", flush=True)
    conn, _ = srv.accept()
    conn.settimeout(DEADLINE)
    key = read_request(conn)
    if mode == "silent":
        check(read_to_eof(conn) == b"", "client closed TCP without a byte more")
        conn.close()
        srv.close()
        return
    accept = base64.b64encode(hashlib.sha1((b"x" if mode == "bad-accept" else key) + GUID).digest())
    extra = {"bad-extension": b"Sec-WebSocket-Extensions: permessage-deflate\r\n",
             "bad-protocol": b"Sec-WebSocket-Protocol: chat\r\n"}.get(mode, b"")
    response = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n" + extra +
                b"\r\n")
    if mode == "masked":  # the frame pipelined right behind the 101, in one write
        response += frame(1, b"masked!", mask=b"\x11\x22\x33\x44")
    conn.sendall(response)
    if mode in ("bad-accept", "bad-extension", "bad-protocol"):
        rest = read_to_eof(conn)
        check(rest == b"", f"client closed TCP without sending a byte (sent {rest[:40]!r})")
    elif mode == "many":
        n = 200000
        sender = threading.Thread(target=lambda: conn.sendall(b"\x82\x00" * n + frame(8, struct.pack("!H", 1000))))
        sender.start()
        rest = read_to_eof(conn, limit=6 * n + 8)  # then close, as a server should
        sender.join(DEADLINE)
        echoes = rest[:6 * n]
        check(len(rest) == 6 * n + 8 and all(echoes[i:i + 2] == b"\x82\x80" for i in range(0, 6 * n, 6)),
              f"{n} empty binary echoes, masked ({len(rest)} bytes, want {6 * n + 8})")
        check(rest[6 * n:6 * n + 2] == b"\x88\x82", "then the client's Close")
    elif mode == "lingering":
        conn.sendall(frame(8, struct.pack("!H", 1000)))
        expect_close(*frames_until_close(conn), 1000)
        rest = read_to_eof(conn)
        check(rest == b"", f"client closed TCP, nothing after its Close (sent {rest[:40]!r})")
    elif mode == "masked":
        expect_close(*frames_until_close(conn), 1002)
    elif mode == "bad-utf8":
        conn.sendall(frame(1, "ok \u00e9".encode()))
        conn.sendall(frame(1, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"))
        expect_close(*frames_until_close(conn), 1007, before=[(1, "ok \u00e9".encode())])
    elif mode == "too-big":
        conn.sendall(frame(2, b"\xab" * 2000))
        expect_close(*frames_until_close(conn), 1009)
    else:
        sys.exit(f"client_check_server.py: unknown mode {mode!r}")
    conn.close()
    srv.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    if sys.argv[1] == "echo":
        run_echo()
    else:
        run_raw(sys.argv[1])
    sys.exit(1 if failures else 0)
