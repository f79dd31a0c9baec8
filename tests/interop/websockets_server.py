#!/usr/bin/python3
"""Echo server on python3-websockets (Debian's package), configured the way that
project's own Autobahn compliance server is.

usage: websockets_server.py [PORT] [deflate]

Without "deflate": max_size raised to 2**25, no compression (compression=None), for the
sections without compression (tests/itest_interop_websockets.sh). With "deflate": as
that project's compliance/test_server.py of the 10.x releases serves it for sections 12
and 13 - max_size=2**25, max_queue=1 and compression left at its default, "deflate",
which in 10.4 accepts permessage-deflate with server_max_window_bits=12 and
client_max_window_bits=12 (tests/itest_interop_deflate.sh). Prints "listening on PORT"
once bound, so the caller synchronises on that line, never on a sleep. Stops on
SIGTERM/SIGINT."""
import asyncio
import signal
import sys

import websockets


async def echo(ws, path=None):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.exceptions.ConnectionClosed:
        pass


def serve_options(mode):
    if mode == "deflate":
        return {"max_size": 2**25, "max_queue": 1}
    if mode is None:
        return {"max_size": 2**25, "compression": None}
    sys.exit(f"websockets_server.py: unknown mode {mode!r} (expected: deflate)")


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    options = serve_options(sys.argv[2] if len(sys.argv) > 2 else None)
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with websockets.serve(echo, "127.0.0.1", port, **options) as server:
        bound = server.sockets[0].getsockname()[1]
        print(f"listening on {bound}", flush=True)
        await stop


asyncio.run(main())
