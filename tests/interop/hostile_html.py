#!/usr/bin/python3
"""A WebSocket echo server whose every string is an HTML/script injection attempt, for
the HTML report test (tests/itest_html_chromium.sh). Stdlib only, loopback only.

It completes the opening handshake with a Server header (which wsspec uses as the agent
name, so it lands in the matrix header, the totals and every detail view) and extra
headers holding markup and a byte that is not UTF-8; it echoes text and binary messages
(reassembling fragments), answers pings, and closes with a reason that holds markup. It
does not validate UTF-8 and fails the connection on RSV bits with yet another markup
reason - so some cases pass and some fail (6.3.x, 6.4.x: invalid UTF-8 echoed back).

Two defects make Autobahn's verdict and the RFC's differ (the report shows both): an
empty ping is answered with a masked pong (RFC 6455 5.1 MUST: a server never masks;
Autobahn's client still counts the pong: 2.1 is OK for Autobahn, FAILED for the RFC),
and a reserved opcode fails the connection by closing TCP without a Close frame
(7.1.7 SHOULD send one: 4.1.1 is OK for Autobahn, NON-STRICT for the RFC).

Every injection does two things a test can see in the DOM: a script that sets
document.title to 'pwned', and an element with id 'xss-ran' (there only if the markup
was parsed as HTML at all, whether or not scripts may run).

Prints "listening on ws://127.0.0.1:PORT/" once ready; runs until SIGTERM."""
import base64
import hashlib
import signal
import socket
import struct
import sys
import threading

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SERVER = "<script>document.title='pwned'</script><img src=x id=xss-ran onerror=\"document.title='pwned'\">"
REASON = b"</script><img src=x id=xss-ran onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"
REASON_ERR = b"<svg id=xss-ran onload=\"document.title='pwned'\"></svg>"
assert len(REASON) <= 123 and len(REASON_ERR) <= 123


def handshake(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk or len(data) > 16384:
            return None
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    key = b""
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"sec-websocket-key:"):
            key = line.split(b":", 1)[1].strip()
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Accept: " + accept + b"\r\n"
                 b"Server: " + SERVER.encode() + b"\r\n"
                 b"X-Markup: <script>document.title='pwned'</script><b id=xss-ran>bold</b>\r\n"
                 b"X-Latin: caf\xe9 \xff</pre></td></tr></table><img src=x id=xss-ran>\r\n\r\n")
    return rest


def frame(opcode, payload, mask=None):
    n, m = len(payload), 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, m | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, m | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, m | 127, n)
    if mask:
        return head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
    return head + payload


def close(conn, code, reason):
    try:
        conn.sendall(frame(8, struct.pack("!H", code) + reason))
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(1)
        while conn.recv(65536):
            pass
    except OSError:
        pass


def serve(conn):
    try:
        conn.settimeout(30)
        buf = handshake(conn)
        if buf is None:
            return
        msg_op, msg = None, b""
        while True:
            # a whole frame in buf, or read more
            while True:
                if len(buf) >= 2:
                    b0, b1 = buf[0], buf[1]
                    n, pos = b1 & 0x7F, 2
                    if n == 126 and len(buf) >= 4:
                        n, pos = struct.unpack("!H", buf[2:4])[0], 4
                    elif n == 127 and len(buf) >= 10:
                        n, pos = struct.unpack("!Q", buf[2:10])[0], 10
                    elif n >= 126:
                        n = None
                    if n is not None and len(buf) >= pos + 4 + n:
                        break
                chunk = conn.recv(1 << 20)
                if not chunk:
                    return
                buf += chunk
            mask = buf[pos:pos + 4]
            data = bytes(c ^ mask[i % 4] for i, c in enumerate(buf[pos + 4:pos + 4 + n]))
            buf = buf[pos + 4 + n:]
            fin, rsv, op = b0 & 0x80, b0 & 0x70, b0 & 0x0F
            if rsv:
                close(conn, 1002, REASON_ERR)
                return
            if op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
                return  # no Close frame: the RFC's SHOULD (7.1.7) broken
            if op == 9 and not data:
                conn.sendall(frame(10, data, mask=b"\x01\x02\x03\x04"))  # 5.1 MUST broken
                continue
            if op == 8:
                close(conn, 1000, REASON)
                return
            if op == 9:
                conn.sendall(frame(10, data))
                continue
            if op == 10:
                continue
            if op in (1, 2):
                msg_op, msg = op, data
            else:  # continuation
                msg += data
            if fin and msg_op is not None:
                conn.sendall(frame(msg_op, msg))
                msg_op, msg = None, b""
    except OSError:
        pass
    finally:
        conn.close()


def main():
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening on ws://127.0.0.1:{ls.getsockname()[1]}/", flush=True)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


main()
