"""A gRPC server with raw-bytes methods (no generated code): test.Echo/Unary, ServerStream, ClientStream, Bidi.

Binds 127.0.0.1 on a port the system chooses and prints "listening PORT" once it serves. An optional argument
sets the streams a connection may carry at once (SETTINGS_MAX_CONCURRENT_STREAMS).
Unary answers "echo:" + the request, or fails with INVALID_ARGUMENT "bad input" when the request is "fail".
ServerStream sends as many messages as the request's number. ClientStream answers "COUNT BYTES" of what it got.
Bidi sends every message back as soon as it arrives.
"""
import sys
from concurrent import futures

import grpc


def unary(request, context):
    if request == b"fail":
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad input")
    return b"echo:" + request


def server_stream(request, context):
    for i in range(int(request)):
        yield b"message %d" % i


def client_stream(requests, context):
    count, total = 0, 0
    for message in requests:
        count += 1
        total += len(message)
    return b"%d %d" % (count, total)


def bidi(requests, context):
    for message in requests:
        yield message


def main():
    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
    }
    options = [("grpc.max_receive_message_length", 8 << 20)]
    if len(sys.argv) > 1:
        options.append(("grpc.max_concurrent_streams", int(sys.argv[1])))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=64), options=options)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Echo", handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("listening", port, flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    sys.exit(main())
