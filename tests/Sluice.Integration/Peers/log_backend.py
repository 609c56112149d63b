"""An HTTP/1.1 server with fixed answers, for the traffic-log tests: the same bytes whoever asks, so that the
byte counts of Sluice's and haproxy's log lines can be compared. Prints `listening PORT`, then one line per
request and one `field NAME: VALUE` line per field of its head.

  /slow    waits 3 s before answering (a server timeout for the proxy)
  /stream  a chunked body in three parts, 300 ms apart (logasap)
  /upload  reads the whole Content-Length body, then answers
  /setcookie  answers with `Set-Cookie: SESS=server-value; path=/`
  other    200, Content-Length 5, Content-Type text/plain, "hello"
"""
import socket
import sys
import threading
import time


def answer(conn, body=b"hello", extra=b""):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(body)).encode() + b"\r\nContent-Type: text/plain\r\n" + extra + b"\r\n" + body)


def handle(conn):
    data = b""
    try:
        while True:
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, data = data.split(b"\r\n\r\n", 1)
            line = head.split(b"\r\n")[0].decode("latin-1")
            print("request " + line, flush=True)
            for field in head.split(b"\r\n")[1:]:
                print("field " + field.decode("latin-1"), flush=True)
            path = line.split(" ")[1]
            length = 0
            for field in head.split(b"\r\n")[1:]:
                name, _, value = field.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            while len(data) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    print("body cut at " + str(len(data)), flush=True)
                    return
                data += chunk
            data = data[length:]
            if path.startswith("/slow"):
                time.sleep(3)
                answer(conn)
            elif path.startswith("/stream"):
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
                for part in (b"one", b"two", b"three"):
                    conn.sendall(b"%x\r\n%s\r\n" % (len(part), part))
                    time.sleep(0.3)
                conn.sendall(b"0\r\n\r\n")
            elif path.startswith("/setcookie"):
                answer(conn, extra=b"Set-Cookie: SESS=server-value; path=/\r\n")
            else:
                answer(conn)
            if line.endswith("HTTP/1.0"):
                return
    except OSError:
        pass
    finally:
        conn.close()


def main():
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(128)
    print("listening %d" % server.getsockname()[1], flush=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
