"""WebSocket client for the integration tests (python3-websockets from Debian).

    /usr/bin/python3 ws_client.py URL N [--size BYTES] [--binary] [--header NAME:VALUE]...
                                         [--subprotocol NAME] [--timeout SECONDS] [--deflate]

Connects to URL, sends N messages of BYTES bytes each (distinct contents, numbered), one at a time,
checks that each echo is identical, closes normally and prints "ok N". Prints "error ..." and
exits 1 on a mismatch or a failed handshake or connection, 2 on usage errors, and 4 when the
whole run exceeds the timeout (default 10 s). permessage-deflate is offered only with --deflate, so
that by default the frames on the wire carry the messages as they are.
"""
import asyncio
import inspect
import sys

import websockets


class Mismatch(Exception):
    pass


def fail(code, text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
    sys.exit(code)


def payload(i, size, binary):
    stem = ("%d:" % i).encode()
    body = (stem + bytes((i * 7 + j) % 251 for j in range(max(size - len(stem), 0))))[:size] if size else b""
    if binary:
        return body
    return body.hex()[:size] if size else ""


async def run(url, count, size, binary, headers, subprotocol, deflate):
    kwargs = {"max_size": None, "open_timeout": 5}
    if not deflate:
        kwargs["compression"] = None
    if headers:
        params = inspect.signature(websockets.connect).parameters
        name = "additional_headers" if "additional_headers" in params else "extra_headers"
        kwargs[name] = headers
    if subprotocol:
        kwargs["subprotocols"] = [subprotocol]
    async with websockets.connect(url, **kwargs) as ws:
        if subprotocol and ws.subprotocol != subprotocol:
            raise Mismatch("subprotocol %r, expected %r" % (ws.subprotocol, subprotocol))
        for i in range(count):
            message = payload(i, size, binary)
            await ws.send(message)
            echo = await ws.recv()
            if echo != message:
                raise Mismatch("message %d: echo differs (sent %d, got %d)" % (i, len(message), len(echo)))
    return count


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        fail(2, "usage: ws_client.py URL N [--size BYTES] [--binary] [--header NAME:VALUE]... "
                "[--subprotocol NAME] [--timeout SECONDS] [--deflate]")
    url, count = args[0], int(args[1])
    size, binary, headers, subprotocol, timeout, deflate = 32, False, [], None, 10.0, False
    rest = args[2:]
    while rest:
        flag = rest.pop(0)
        if flag == "--size":
            size = int(rest.pop(0))
        elif flag == "--deflate":
            deflate = True
        elif flag == "--binary":
            binary = True
        elif flag == "--header":
            name, _, value = rest.pop(0).partition(":")
            headers.append((name.strip(), value.strip()))
        elif flag == "--subprotocol":
            subprotocol = rest.pop(0)
        elif flag == "--timeout":
            timeout = float(rest.pop(0))
        else:
            fail(2, "error: unknown argument %s" % flag)
    try:
        done = asyncio.run(asyncio.wait_for(run(url, count, size, binary, headers, subprotocol, deflate), timeout))
    except Mismatch as e:
        fail(1, "error: %s" % e)
    except asyncio.TimeoutError:
        fail(4, "error: timeout after %.1f s" % timeout)
    except (OSError, websockets.exceptions.WebSocketException) as e:
        fail(1, "error: %s: %s" % (type(e).__name__, e))
    fail(0, "ok %d" % done)


if __name__ == "__main__":
    main()
