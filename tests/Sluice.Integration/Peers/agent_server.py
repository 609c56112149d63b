"""An agent of `agent-check`: answers each connection with the content of a file the test rewrites.

Usage: agent_server.py REPLY_FILE [ADDRESS [PORT]]. Binds ADDRESS (127.0.0.1) on PORT (a free one), prints
"listening PORT"; for each connection
prints "GOT <hex>" for what arrived within 200 ms (the agent-send string), sends the file's content, closes.
"""
import socket
import sys

reply_file = sys.argv[1]
listener = socket.socket()
listener.bind((sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1", int(sys.argv[3]) if len(sys.argv) > 3 else 0))
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
