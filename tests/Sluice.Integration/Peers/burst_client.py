"""Opens COUNT connections to each PORT at once (one thread per connection), sends one HTTP/1.1 request with
Connection: close on each and prints, per connection, `done PORT MS STATUS` with the milliseconds from the
start to the answer's status line (or `failed PORT MS ERROR`), then `finished`.

usage: burst_client.py COUNT PORT[s] [PORT[s]...]   (a port ending in `s` speaks TLS, certificate not verified)
"""
import socket
import ssl
import sys
import threading
import time

count = int(sys.argv[1])
ports = [(int(p.rstrip("s")), p.endswith("s")) for p in sys.argv[2:]]
tls_context = ssl.create_default_context()
tls_context.check_hostname = False
tls_context.verify_mode = ssl.CERT_NONE
start = time.monotonic()
lock = threading.Lock()
ready = threading.Barrier(count * len(ports))


def connect(port, tls):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    return tls_context.wrap_socket(s) if tls else s


def run(port, tls):
    try:
        ready.wait(timeout=30)
        with connect(port, tls) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: burst\r\nConnection: close\r\n\r\n")
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            ms = int((time.monotonic() - start) * 1000)
            status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "none"
            line = "done %d %d %s" % (port, ms, status)
    except Exception as e:  # a failed connection is an outcome the test counts
        line = "failed %d %d %s" % (port, int((time.monotonic() - start) * 1000), type(e).__name__)
    with lock:
        print(line, flush=True)


threads = [threading.Thread(target=run, args=p) for p in ports for _ in range(count)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("finished", flush=True)
