#!/usr/bin/python3
"""Echo server on python3-websockets (Debian's package), configured the way that
project's own Autobahn compliance server is: max_size raised to 2**25, no compression
(sections 12/13 are not in the catalogue yet). Prints "listening on PORT" once bound, so
the caller synchronises on that line, never on a sleep. Stops on SIGTERM/SIGINT."""
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


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with websockets.serve(echo, "127.0.0.1", port, max_size=2**25,
                                compression=None) as server:
        bound = server.sockets[0].getsockname()[1]
        print(f"listening on {bound}", flush=True)
        await stop


asyncio.run(main())
