"""Long-lived websockets and gRPC bidirectional streams kept busy for a while (python3-websockets, python3-grpcio).

    long_streams_client.py --ws URL N --grpc PORT N --duration SECONDS [--gap SECONDS]

Opens N websockets to URL (an echo server behind) and N bidirectional gRPC streams to test.Echo/Bidi through
127.0.0.1:PORT, prints "ready" once every one has had its first echo, then keeps sending a numbered message on each
every GAP seconds (default 0.1) until DURATION seconds have passed, checking every echo. Each stream is then closed
normally. Prints "ok WS_STREAMS WS_MESSAGES GRPC_STREAMS GRPC_MESSAGES" and exits 0, or prints "error ..." and
exits 1 at the first broken stream, wrong echo or failed close.
"""
import asyncio
import sys
import time

import grpc
import websockets


class Broken(Exception):
    pass


async def websocket_stream(url, index, ready, deadline, gap):
    sent = 0
    async with websockets.connect(url, compression=None, open_timeout=10) as ws:
        while True:
            message = "ws %d message %d" % (index, sent)
            await ws.send(message)
            echo = await ws.recv()
            if echo != message:
                raise Broken("websocket %d: echo %r for %r" % (index, echo, message))
            sent += 1
            if sent == 1:
                ready.release()
            if time.monotonic() >= deadline:
                return sent
            await asyncio.sleep(gap)


async def grpc_stream(channel, index, ready, deadline, gap):
    call = channel.stream_stream("/test.Echo/Bidi")()
    sent = 0
    while True:
        message = b"grpc %d message %d" % (index, sent)
        await call.write(message)
        echo = await call.read()
        if echo != message:
            raise Broken("grpc stream %d: echo %r for %r" % (index, echo, message))
        sent += 1
        if sent == 1:
            ready.release()
        if time.monotonic() >= deadline:
            break
        await asyncio.sleep(gap)
    await call.done_writing()
    if await call.read() != grpc.aio.EOF:
        raise Broken("grpc stream %d: a message after the end" % index)
    if await call.code() != grpc.StatusCode.OK:
        raise Broken("grpc stream %d: status %s" % (index, await call.code()))
    return sent


async def announce_ready(ready, total):
    for _ in range(total):
        await ready.acquire()
    print("ready", flush=True)


async def run(ws_url, ws_count, grpc_port, grpc_count, duration, gap):
    ready = asyncio.Semaphore(0)
    deadline = time.monotonic() + duration
    async with grpc.aio.insecure_channel("127.0.0.1:%d" % grpc_port) as channel:
        ws_tasks = [asyncio.create_task(websocket_stream(ws_url, i, ready, deadline, gap)) for i in range(ws_count)]
        grpc_tasks = [asyncio.create_task(grpc_stream(channel, i, ready, deadline, gap)) for i in range(grpc_count)]
        announcer = asyncio.create_task(announce_ready(ready, ws_count + grpc_count))
        ws_sent = await asyncio.gather(*ws_tasks)
        grpc_sent = await asyncio.gather(*grpc_tasks)
        await announcer
    return len(ws_sent), sum(ws_sent), len(grpc_sent), sum(grpc_sent)


def main():
    args = sys.argv[1:]
    ws_url, ws_count, grpc_port, grpc_count, duration, gap = None, 0, 0, 0, 10.0, 0.1
    while args:
        flag = args.pop(0)
        if flag == "--ws":
            ws_url, ws_count = args.pop(0), int(args.pop(0))
        elif flag == "--grpc":
            grpc_port, grpc_count = int(args.pop(0)), int(args.pop(0))
        elif flag == "--duration":
            duration = float(args.pop(0))
        elif flag == "--gap":
            gap = float(args.pop(0))
        else:
            print("error: unknown argument", flag, flush=True)
            sys.exit(2)
    try:
        counts = asyncio.run(asyncio.wait_for(run(ws_url, ws_count, grpc_port, grpc_count, duration, gap), duration + 60))
    except (Broken, OSError, asyncio.TimeoutError, grpc.RpcError, websockets.exceptions.WebSocketException) as e:
        print("error: %s: %s" % (type(e).__name__, e), flush=True)
        sys.exit(1)
    print("ok %d %d %d %d" % counts, flush=True)


if __name__ == "__main__":
    main()
