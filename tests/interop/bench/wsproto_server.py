#!/usr/bin/python3
"""Echo server on python3-wsproto (Debian's package; sans-IO: bytes in, events and bytes
out, no socket of its own), for the comparison of tests/bench-echo: an asyncio.Protocol
per connection that feeds wsproto what the socket gives and writes back what wsproto
hands out. Each text or binary message is sent back whole, with its type, once its last
fragment has come (wsproto gives a message in pieces, as its frames and our reads cut
it); messages up to 64 MiB (1009 above, as the other servers' limits), no compression
(no extension is offered to wsproto), pings answered, a close answered and the
connection closed. Reading pauses while asyncio's write buffer is over its high-water
mark, so a client that does not read cannot grow it without bound.

usage: wsproto_server.py [PORT]

Prints "listening on PORT" once bound, so the caller synchronises on that line, never on
a sleep. Stops on SIGTERM/SIGINT."""
import asyncio
import signal
import sys

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Request,
    TextMessage,
)
from wsproto.utilities import RemoteProtocolError

MAX_MESSAGE = 64 << 20  # as beast_server.cpp and gorilla_server.go
READ_SIZE = 256 * 1024


class Echo(asyncio.BufferedProtocol):
    """One connection: socket bytes -> wsproto -> events -> bytes to write."""

    def __init__(self):
        self.ws = WSConnection(ConnectionType.SERVER)
        self.buf = bytearray(READ_SIZE)
        self.parts = []  # the message being reassembled
        self.size = 0
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def get_buffer(self, sizehint):
        return self.buf

    def buffer_updated(self, nbytes):
        self.ws.receive_data(bytes(memoryview(self.buf)[:nbytes]))  # one copy
        self.handle_events()

    def eof_received(self):
        return False  # close our side too

    def pause_writing(self):
        self.transport.pause_reading()

    def resume_writing(self):
        self.transport.resume_reading()

    def handle_events(self):
        try:
            for event in self.ws.events():
                if not self.handle(event):
                    return
        except RemoteProtocolError as exc:  # a bad handshake: the HTTP answer wsproto suggests
            self.transport.write(self.ws.send(exc.event_hint))
            self.transport.close()

    def handle(self, event):
        """Acts on one event; False once the connection is being closed."""
        if isinstance(event, Request):
            self.transport.write(self.ws.send(AcceptConnection()))
        elif isinstance(event, (TextMessage, BytesMessage)):
            return self.message_part(event)
        elif isinstance(event, Ping):
            self.transport.write(self.ws.send(event.response()))
        elif isinstance(event, CloseConnection):
            self.close(event.code, event.reason)
            return False
        return True

    def message_part(self, event):
        self.parts.append(event.data)
        self.size += len(event.data)
        if self.size > MAX_MESSAGE:
            self.close(1009, "message too big")
            return False
        if event.message_finished:
            data = "".join(self.parts) if isinstance(event, TextMessage) else b"".join(self.parts)
            self.parts, self.size = [], 0
            self.transport.write(self.ws.send(type(event)(data=data)))
        return True

    def close(self, code, reason):
        if self.ws.state in (ConnectionState.OPEN, ConnectionState.REMOTE_CLOSING):
            self.transport.write(self.ws.send(CloseConnection(code=code, reason=reason)))
        self.transport.close()


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set_result, None)
    server = await loop.create_server(Echo, "127.0.0.1", port)
    print(f"listening on {server.sockets[0].getsockname()[1]}", flush=True)
    await stop
    server.close()


asyncio.run(main())
