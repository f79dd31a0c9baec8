#!/usr/bin/python3
"""Echo server on python3-aiohttp (Debian's package), with aiohttp's defaults: a
WebSocketResponse that sends every text and binary message back. Prints "listening on
PORT" once bound, so the caller synchronises on that line, never on a sleep. Stops on
SIGTERM/SIGINT."""
import asyncio
import signal
import sys

from aiohttp import WSMsgType, web


async def echo(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    app = web.Application()
    app.router.add_get("/", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = runner.addresses[0][1]
    print(f"listening on {bound}", flush=True)
    await stop
    await runner.cleanup()


asyncio.run(main())
