"""An agent of `agent-check`: answers each connection with the content of a file the test rewrites.

Usage: agent_server.py REPLY_FILE. Binds 127.0.0.1 on a free port, prints "listening PORT"; for each connection
prints "GOT <hex>" for what arrived within 200 ms (the agent-send string), sends the file's content, closes.
"""
import socket
import sys

reply_file = sys.argv[1]
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(64)
print("listening", listener.getsockname()[1], flush=True)
while True:
    connection, _ = listener.accept()
    try:
        connection.settimeout(0.2)
        try:
            print("GOT", connection.recv(256).hex(), flush=True)
        except socket.timeout:
            pass
        with open(reply_file, "rb") as reply:
            connection.sendall(reply.read())
    except OSError:
        pass
    finally:
        connection.close()
