#!/usr/bin/python3
"""Echo server on python3-tornado (Debian's package), with tornado's defaults: a
WebSocketHandler that sends every message back with its type. Prints "listening on
PORT" once bound, so the caller synchronises on that line, never on a sleep. Stops on
SIGTERM/SIGINT."""
import asyncio
import signal
import sys

import tornado.web
import tornado.websocket


class Echo(tornado.websocket.WebSocketHandler):
    def on_message(self, message):
        self.write_message(message, binary=isinstance(message, bytes))


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    server = tornado.web.Application([(r"/", Echo)]).listen(port, "127.0.0.1")
    bound = next(iter(server._sockets.values())).getsockname()[1]
    print(f"listening on {bound}", flush=True)
    await stop
    server.stop()


asyncio.run(main())
