"""A gRPC client for grpc_echo_server.py, through whatever listens on 127.0.0.1:PORT (prior-knowledge HTTP/2).

    grpc_echo_client.py PORT unary TEXT         prints the answer, or "error CODE DETAILS"
    grpc_echo_client.py PORT server-stream N    prints "received N" and the last message
    grpc_echo_client.py PORT client-stream N SIZE   sends N messages of SIZE bytes, prints the server's "COUNT BYTES"
    grpc_echo_client.py PORT bidi N             sends N messages at once, checks each echo, prints "bidi N ok"
    grpc_echo_client.py PORT parallel N         N unary calls at once, each checked, prints "parallel N ok"
    grpc_echo_client.py PORT ping-pong N [GAP]  sends a message, waits for its echo before the next one (GAP seconds
                                                later), prints "ping-pong N ok"
"""
import queue
import sys
import time

import grpc

TIMEOUT = 120


def main():
    port, mode = sys.argv[1], sys.argv[2]
    channel = grpc.insecure_channel("127.0.0.1:" + port, options=[("grpc.max_send_message_length", 8 << 20)])
    try:
        if mode == "unary":
            try:
                print(channel.unary_unary("/test.Echo/Unary")(sys.argv[3].encode(), timeout=TIMEOUT).decode())
            except grpc.RpcError as error:
                print("error", error.code().name, error.details())
        elif mode == "server-stream":
            count, last = 0, b""
            for message in channel.unary_stream("/test.Echo/ServerStream")(sys.argv[3].encode(), timeout=TIMEOUT):
                count, last = count + 1, message
            print("received", count, last.decode())
        elif mode == "client-stream":
            n, size = int(sys.argv[3]), int(sys.argv[4])
            chunk = b"x" * size
            answer = channel.stream_unary("/test.Echo/ClientStream")((chunk for _ in range(n)), timeout=TIMEOUT)
            print(answer.decode())
        elif mode == "bidi":
            n = int(sys.argv[3])
            replies = channel.stream_stream("/test.Echo/Bidi")((b"bidi %d" % i for i in range(n)), timeout=TIMEOUT)
            count = 0
            for reply in replies:
                if reply != b"bidi %d" % count:
                    print("out of order at", count, reply)
                    return 1
                count += 1
            print("bidi", count, "ok" if count == n else "short")
        elif mode == "parallel":
            n = int(sys.argv[3])
            unary = channel.unary_unary("/test.Echo/Unary")
            calls = [unary.future(b"call %d" % i, timeout=TIMEOUT) for i in range(n)]
            for i, call in enumerate(calls):
                if call.result() != b"echo:call %d" % i:
                    print("wrong answer for", i)
                    return 1
            print("parallel", n, "ok")
        elif mode == "ping-pong":
            n = int(sys.argv[3])
            gap = float(sys.argv[4]) if len(sys.argv) > 4 else 0
            outgoing = queue.Queue()

            def messages():
                while True:
                    message = outgoing.get()
                    if message is None:
                        return
                    yield message

            replies = channel.stream_stream("/test.Echo/Bidi")(messages(), timeout=TIMEOUT)
            for i in range(n):
                # The next message leaves only once this one came back: any buffering on the way would hang here.
                outgoing.put(b"ping %d" % i)
                reply = next(replies)
                if reply != b"ping %d" % i:
                    print("unexpected", reply)
                    return 1
                if gap:
                    time.sleep(gap)
            outgoing.put(None)
            for _ in replies:
                pass
            print("ping-pong", n, "ok")
        else:
            print("unknown mode", mode)
            return 2
    finally:
        channel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
