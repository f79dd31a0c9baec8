"""interop_websockets.py - a stock client (the Python websockets package, as Debian ships
it: python3-websockets 10.4) against an echo endpoint.

    /usr/bin/python3 tests/interop_websockets.py ws://127.0.0.1:PORT/

Checks, each printed as PASS/FAIL: the opening handshake; text echoed as text (non-ASCII
included); binary echoed as binary; a fragmented text message echoed whole; a 16 MiB
binary message echoed intact; ping answered by a pong; a clean close with code 1000
answered with 1000. Every wait is bounded (asyncio.wait_for). Exit 0 if all pass,
1 otherwise, 77 if websockets is not importable.
"""

import asyncio
import os
import sys

try:
    import websockets
except ImportError:
    print("skip: the websockets package is not installed for", sys.executable,
          "(apt-get install python3-websockets)")
    sys.exit(77)

TIMEOUT = 30.0  # seconds per step; the server may run under ASan+UBSan
BIG = 16 * 1024 * 1024

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("PASS " if ok else "FAIL ") + name + ("" if ok or not detail else ": " + detail),
          flush=True)


async def echo(ws, message):
    await asyncio.wait_for(ws.send(message), TIMEOUT)
    return await asyncio.wait_for(ws.recv(), TIMEOUT)


async def run(url):
    # max_size raised for the 16 MiB echo; no keepalive pings of websockets' own, so
    # the only ping on the wire is the one checked below
    ws = await asyncio.wait_for(
        websockets.connect(url, max_size=2 * BIG, ping_interval=None, close_timeout=TIMEOUT),
        TIMEOUT)
    check("handshake with websockets " + websockets.__version__, ws.open)

    text = "h\u00e9llo w\u00f6rld \u2713 \U0001F600"
    got = await echo(ws, text)
    check("text echoed as text (non-ASCII)", got == text, "got %r" % (got,))

    data = bytes(range(256)) * 4
    got = await echo(ws, data)
    check("binary echoed as binary", got == data,
          "got %s of %d bytes" % (type(got).__name__, len(got)))

    # an iterable of str is sent as one fragmented text message
    got = await echo(ws, ["frag", "men", "ted \u00e9"])
    check("fragmented text echoed whole", got == "fragmented \u00e9", "got %r" % (got,))

    big = os.urandom(BIG)
    got = await echo(ws, big)
    check("16 MiB binary echoed intact", got == big,
          "got %s of %d bytes" % (type(got).__name__, len(got)))

    pong = await asyncio.wait_for(ws.ping(b"interop-ping"), TIMEOUT)
    try:
        await asyncio.wait_for(pong, TIMEOUT)
        check("ping answered by a pong", True)
    except asyncio.TimeoutError:
        check("ping answered by a pong", False, "no pong within %ds" % TIMEOUT)

    await asyncio.wait_for(ws.close(code=1000, reason="interop done"), TIMEOUT)
    check("close 1000 answered with 1000", ws.close_code == 1000,
          "close code %r reason %r" % (ws.close_code, ws.close_reason))


def main():
    if len(sys.argv) != 2:
        print("usage: interop_websockets.py ws://HOST:PORT/", file=sys.stderr)
        return 2
    try:
        asyncio.run(run(sys.argv[1]))
    except Exception as e:  # a broken step must fail the check, never hang or crash
        check("interop run", False, "%s: %s" % (type(e).__name__, e))
    passed = sum(results)
    print("websockets interop: %d passed, %d failed" % (passed, len(results) - passed))
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
