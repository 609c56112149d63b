"""WebSocket echo server for the integration tests (python3-websockets from Debian).

    /usr/bin/python3 ws_echo_server.py PORT [--subprotocol NAME]

Listens on 127.0.0.1:PORT and prints, one line each, flushed at once:
    ready PORT                         once listening
    open {"path": ..., "headers": [[name, value], ...]}    for each handshake
    close {"path": ..., "messages": N, "code": C}         when a connection ends
Every message (text or binary) is sent back as it came. Runs until killed.
"""
import asyncio
import json
import sys

import websockets


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def request_of(ws):
    # websockets 10-12 (legacy server): ws.path and ws.request_headers; 13+: ws.request.
    request = getattr(ws, "request", None)
    if request is not None and hasattr(request, "headers"):
        return request.path, request.headers
    return ws.path, ws.request_headers


async def echo(ws, *_):
    path, headers = request_of(ws)
    say("open " + json.dumps({"path": path, "headers": [[k, v] for k, v in headers.raw_items()]}))
    count = 0
    try:
        async for message in ws:
            count += 1
            await ws.send(message)
    except websockets.exceptions.ConnectionClosed:
        pass
    say("close " + json.dumps({"path": path, "messages": count, "code": ws.close_code}))


async def main():
    port = int(sys.argv[1])
    subprotocols = None
    if "--subprotocol" in sys.argv:
        subprotocols = [sys.argv[sys.argv.index("--subprotocol") + 1]]
    async with websockets.serve(echo, "127.0.0.1", port, max_size=None, subprotocols=subprotocols):
        say("ready %d" % port)
        await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except OSError as e:
        sys.stderr.write("cannot listen: %s\n" % e)
        sys.exit(3)
    except KeyboardInterrupt:
        pass
