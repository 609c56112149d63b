"""An HTTP/2 client over TLS that is slow to say hello: connects, waits, then handshakes (ALPN h2) and sends one
GET after the other on the connection, each after an idle time.

Usage: h2_delayed_client.py PORT HOST CA_FILE HELLO_DELAY_MS IDLE_MS PATH... Prints "PATH STATUS" per answer.
"""
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events

port, host, ca_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
hello_delay, idle = int(sys.argv[4]) / 1000, int(sys.argv[5]) / 1000
paths = sys.argv[6:]

raw = socket.create_connection(("127.0.0.1", port), timeout=10)
time.sleep(hello_delay)
context = ssl.create_default_context(cafile=ca_file)
context.set_alpn_protocols(["h2"])
tls = context.wrap_socket(raw, server_hostname=host)
connection = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
connection.initiate_connection()
tls.sendall(connection.data_to_send())
stream_id = 1
for path in paths:
    time.sleep(idle)
    connection.send_headers(stream_id, [(":method", "GET"), (":scheme", "https"), (":authority", host), (":path", path)], end_stream=True)
    tls.sendall(connection.data_to_send())
    done = False
    status = None
    while not done:
        data = tls.recv(65536)
        if not data:
            sys.exit("connection closed")
        for event in connection.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream_id:
                status = dict(event.headers).get(b":status", b"").decode()
            if isinstance(event, h2.events.StreamEnded) and event.stream_id == stream_id:
                done = True
        tls.sendall(connection.data_to_send())
    print(path, status, flush=True)
    stream_id += 2
tls.close()
