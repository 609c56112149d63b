"""An HTTP/2 server (python-h2, prior knowledge over cleartext) that reports what it received.

Binds 127.0.0.1 on a port the system chooses and prints "listening PORT", then one line per event:
"connection N" for each accepted connection, "request N METHOD PATH" for each request (N its connection),
"reset STREAM CODE" when the client resets a stream, "settings N ID=VALUE ..." for the client's SETTINGS, "closed N"
when connection N has ended.

A request is answered once its stream ends: 200, text/plain, a body of lines "name: value" for every field received
(pseudo-headers first, in order), "body: BYTES", then "trailer name: value" for each request trailer; the response
ends with the trailer "x-server-trailer: done". Some paths do something else:
  /interim      a 103 (link: </style.css>) before the answer
  /length       the answer has a content-length and no trailers
  /reset        the head and 7 bytes of body, then RST_STREAM(INTERNAL_ERROR)
  /refuse-once  the first such request is refused with RST_STREAM(REFUSED_STREAM), the next ones answered
  /goaway-once  the first such request gets GOAWAY with a last stream below it, and the connection closes
  /refuse-after-data, /goaway-after-data
                the same, once the first DATA frame of the first such request has come ("refused-after N" or
                "goaway-after N" is printed, N the bytes received)
  /slow         never answered
  /bad-head     an answer with a connection-specific field ("connection: close"), which HTTP/2 forbids
  /short-body   an answer that declares content-length: 100 and ends after 10 bytes

With --extended-connect the server's SETTINGS enable extended CONNECT (RFC 8441, SETTINGS_ENABLE_CONNECT_PROTOCOL=1).
A CONNECT, extended or not, is answered at once: "tunnel N STREAM" then "field STREAM name: value" for each field received
are printed, a 200 with "x-tunnel: open" is sent, every DATA byte comes back as it was sent, and the end of the
client's side ("tunnel-end STREAM BYTES") ends the server's.
"""
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

lock = threading.Lock()
extended_connect = "--extended-connect" in sys.argv[1:]
seen = {"connections": 0, "refuse-once": 0, "goaway-once": 0, "refuse-after-data": 0, "goaway-after-data": 0}


def say(*words):
    with lock:
        print(*words, flush=True)


def report(stream):
    lines = [b"%s: %s" % (name, value) for name, value in stream["headers"]]
    lines.append(b"body: %d" % stream["body"])
    lines.extend(b"trailer %s: %s" % (name, value) for name, value in stream["trailers"])
    return b"\n".join(lines) + b"\n"


def answer(conn, stream_id, stream):
    path = stream["path"]
    body = report(stream)
    if path == b"/interim":
        conn.send_headers(stream_id, [(b":status", b"103"), (b"link", b"</style.css>")])
    if path == b"/bad-head":
        conn.send_headers(stream_id, [(b":status", b"200"), (b"connection", b"close")], end_stream=True)
        return
    if path == b"/short-body":
        conn.send_headers(stream_id, [(b":status", b"200"), (b"content-length", b"100")])
        conn.send_data(stream_id, b"0123456789", end_stream=True)
        return
    if path == b"/length":
        conn.send_headers(stream_id, [(b":status", b"200"), (b"content-type", b"text/plain"), (b"content-length", b"%d" % len(body))])
        conn.send_data(stream_id, body, end_stream=True)
        return
    conn.send_headers(stream_id, [(b":status", b"200"), (b"content-type", b"text/plain")])
    if path == b"/reset":
        conn.send_data(stream_id, b"partial")
        conn.reset_stream(stream_id, error_code=h2.errors.ErrorCodes.INTERNAL_ERROR)
        return
    conn.send_data(stream_id, body)
    conn.send_headers(stream_id, [(b"x-server-trailer", b"done")], end_stream=True)


def serve(sock, number):
    # python-h2 wants :path even on a plain CONNECT, which RFC 9113 §8.5 forbids: its checks are off for tunnels.
    config = h2.config.H2Configuration(client_side=False, header_encoding=None, validate_outbound_headers=False,
                                       normalize_outbound_headers=False, validate_inbound_headers=not extended_connect)
    conn = h2.connection.H2Connection(config=config)
    if extended_connect:
        conn.local_settings = h2.settings.Settings(client=False, initial_values={h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL: 1})
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    streams = {}
    tunnels = {}
    closing = False
    try:
        while not closing:
            data = sock.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    fields = dict(event.headers)
                    path = fields.get(b":path", b"")
                    say("request", number, fields.get(b":method", b"").decode(), path.decode())
                    if b":protocol" in fields or fields.get(b":method") == b"CONNECT":
                        say("tunnel", number, event.stream_id)
                        for name, value in event.headers:
                            say("field", event.stream_id, "%s: %s" % (name.decode(), value.decode()))
                        tunnels[event.stream_id] = 0
                        conn.send_headers(event.stream_id, [(b":status", b"200"), (b"x-tunnel", b"open")])
                        continue
                    streams[event.stream_id] = {"path": path, "headers": event.headers, "body": 0, "trailers": []}
                    name = path.decode().lstrip("/")
                    if name in ("refuse-once", "goaway-once"):
                        with lock:
                            seen[name] += 1
                            first = seen[name] == 1
                        if first and name == "refuse-once":
                            conn.reset_stream(event.stream_id, error_code=h2.errors.ErrorCodes.REFUSED_STREAM)
                            streams.pop(event.stream_id)
                        elif first:
                            conn.close_connection(error_code=h2.errors.ErrorCodes.NO_ERROR, last_stream_id=max(0, event.stream_id - 2))
                            closing = True
                            break
                elif isinstance(event, h2.events.DataReceived):
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    if event.stream_id in tunnels:
                        tunnels[event.stream_id] += len(event.data)
                        conn.send_data(event.stream_id, event.data)
                        continue
                    stream = streams.get(event.stream_id)
                    if stream is None:
                        continue
                    stream["body"] += len(event.data)
                    name = stream["path"].decode().lstrip("/")
                    if name in ("refuse-after-data", "goaway-after-data"):
                        with lock:
                            seen[name] += 1
                            first = seen[name] == 1
                        if first and name == "refuse-after-data":
                            say("refused-after", stream["body"])
                            conn.reset_stream(event.stream_id, error_code=h2.errors.ErrorCodes.REFUSED_STREAM)
                            streams.pop(event.stream_id)
                        elif first:
                            say("goaway-after", stream["body"])
                            conn.close_connection(error_code=h2.errors.ErrorCodes.NO_ERROR, last_stream_id=max(0, event.stream_id - 2))
                            closing = True
                            break
                elif isinstance(event, h2.events.TrailersReceived):
                    if event.stream_id in streams:
                        streams[event.stream_id]["trailers"] = event.headers
                elif isinstance(event, h2.events.StreamEnded) and event.stream_id in tunnels:
                    say("tunnel-end", event.stream_id, tunnels.pop(event.stream_id))
                    conn.end_stream(event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    stream = streams.pop(event.stream_id, None)
                    if stream is not None and stream["path"] != b"/slow":
                        answer(conn, event.stream_id, stream)
                elif isinstance(event, h2.events.RemoteSettingsChanged):
                    say("settings", number, *["%d=%d" % (int(k), v.new_value) for k, v in sorted(event.changed_settings.items())])
                elif isinstance(event, h2.events.StreamReset):
                    say("reset", event.stream_id, int(event.error_code))
                    streams.pop(event.stream_id, None)
                elif isinstance(event, h2.events.ConnectionTerminated):
                    closing = True
            out = conn.data_to_send()
            if out:
                sock.sendall(out)
    except (OSError, h2.exceptions.ProtocolError) as error:
        say("error", number, repr(error))
    finally:
        sock.close()
        say("closed", number)


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print("listening", listener.getsockname()[1], flush=True)
    while True:
        sock, _ = listener.accept()
        with lock:
            seen["connections"] += 1
            number = seen["connections"]
        say("connection", number)
        threading.Thread(target=serve, args=(sock, number), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
