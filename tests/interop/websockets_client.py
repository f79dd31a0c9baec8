#!/usr/bin/python3
"""A client under test for `wsspec serve`: Debian's python3-websockets (10.4, asyncio
API) driven exactly as Autobahn's documented client driver loop drives a client
against the fuzzingserver - getCaseCount, then runCase?case=N&agent=A for every case
echoing each message it receives, then updateReports?agent=A.

usage: websockets_client.py URL AGENT [--bad-echo] [--status N] [--stop] [--deflate]
                            [--only N] [--cafile FILE]

  URL          wsspec serve's address, ws://127.0.0.1:PORT (or wss://)
  AGENT        the agent name (one report column)
  --bad-echo   break a rule on purpose: every text message is echoed with one character
               more (a client that does not echo what it got; the cases must FAIL)
  --status N   after the cases, ask getCaseStatus?case=N and print its JSON
  --only N     run case N alone (getCaseCount is still asked)
  --stop       end with stopServer
  --deflate    offer permessage-deflate (websockets' default); without it, none
  --cafile F   wss://: trust the CA certificates of PEM file F (an ssl context that
               verifies the server's certificate and name against them)
Prints "count N" and, with --status, "status {...}". Exit 0, or 1 when the URL protocol
itself failed (a command not answered as documented)."""
import asyncio
import ssl
import sys
import urllib.parse

import websockets


TLS = {}  # websockets.connect's ssl= for wss:// (--cafile), else nothing


async def command(base, path):
    """One command connection: the text message it answers with (or None)."""
    async with websockets.connect(base + path, compression=None, **TLS) as ws:
        try:
            return await asyncio.wait_for(ws.recv(), 30)
        except websockets.exceptions.ConnectionClosedOK:
            return None


async def run_case(base, n, agent, bad_echo, deflate):
    url = "%s/runCase?case=%d&agent=%s" % (base, n, urllib.parse.quote(agent))
    try:
        async with websockets.connect(
            url, max_size=None, compression="deflate" if deflate else None, **TLS
        ) as ws:
            async for msg in ws:
                if bad_echo and isinstance(msg, str):
                    msg += "x"
                await ws.send(msg)
    except websockets.exceptions.ConnectionClosed:
        pass
    except (websockets.exceptions.WebSocketException, OSError, asyncio.TimeoutError) as e:
        # the client refused the server's answer (section 19 answers badly on purpose;
        # a redirect to an http:// Location is InvalidURI, not InvalidHandshake, in
        # websockets 10.4): the server judges the case, the driver goes on
        print("case %d: %s: %s" % (n, type(e).__name__, e), file=sys.stderr)


async def main(argv):
    base, agent = argv[1].rstrip("/"), argv[2]
    opts = argv[3:]
    bad_echo = "--bad-echo" in opts
    deflate = "--deflate" in opts
    status = int(opts[opts.index("--status") + 1]) if "--status" in opts else None
    only = int(opts[opts.index("--only") + 1]) if "--only" in opts else None
    if "--cafile" in opts:
        TLS["ssl"] = ssl.create_default_context(cafile=opts[opts.index("--cafile") + 1])
    count = int(await command(base, "/getCaseCount"))
    print("count %d" % count, flush=True)
    for n in [only] if only else range(1, count + 1):
        await run_case(base, n, agent, bad_echo, deflate)
    if status is not None:
        answer = await command(
            base, "/getCaseStatus?case=%d&agent=%s" % (status, urllib.parse.quote(agent))
        )
        print("status %s" % answer, flush=True)
    await command(base, "/updateReports?agent=%s" % urllib.parse.quote(agent))
    if "--stop" in opts:
        await command(base, "/stopServer")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(asyncio.run(main(sys.argv)))
