"""The first exchange of a protocol whose real server is too heavy for the tests, as health checks meet it.

Usage: check_protocol_server.py KIND. Binds 127.0.0.1 on a free port, prints "listening PORT", then for each
connection plays KIND and prints "GOT <hex>" for what the check sent:
  smtp       220 greeting; 250 (multi-line) to HELO/EHLO; 221 to QUIT (RFC 5321 4.2, 4.1.1.10)
  smtpbad    554 greeting (RFC 5321 3.1: no service)
  mysql      a protocol 10 handshake packet; an OK packet after the client's authentication packet
  mysqldeny  the same handshake; an error packet 1045 (access denied) after the authentication
  ldap       a bindResponse with resultCode success (RFC 4511 4.2.2)
  ldapbad    a bindResponse with resultCode invalidCredentials (49)
  junk       "hello there" after the first bytes received
  httpflap   HTTP: 200 and 500 in turn, one per connection (a flapping server)
  silent     reads and never answers
"""
import socket
import struct
import sys
import threading

KIND = sys.argv[1]
FLAPS = 0


def packet(sequence, payload):
    return struct.pack("<I", len(payload))[:3] + bytes([sequence]) + payload


def handshake():
    payload = (b"\x0a" + b"8.0.36-check-peer\x00" + struct.pack("<I", 7) + b"abcdefgh\x00"
               + b"\xff\xf7" + b"\x21" + b"\x02\x00" + b"\xff\x81" + b"\x15" + b"\x00" * 10
               + b"ijklmnopqrst\x00" + b"mysql_native_password\x00")
    return packet(0, payload)


def received(conn):
    data = conn.recv(4096)
    print("GOT", data.hex(), flush=True)
    return data


def serve(conn):
    try:
        if KIND == "smtp":
            conn.sendall(b"220 mail.test ESMTP ready\r\n")
            received(conn)
            conn.sendall(b"250-mail.test hello\r\n250 SIZE 1000\r\n")
            received(conn)
            conn.sendall(b"221 mail.test closing\r\n")
        elif KIND == "smtpbad":
            conn.sendall(b"554 no service here\r\n")
        elif KIND in ("mysql", "mysqldeny"):
            conn.sendall(handshake())
            received(conn)
            if KIND == "mysql":
                conn.sendall(packet(2, b"\x00\x00\x00\x02\x00\x00\x00"))
            else:
                conn.sendall(packet(2, b"\xff\x15\x04#28000Access denied for user 'haproxy'"))
        elif KIND in ("ldap", "ldapbad"):
            received(conn)
            code = "00" if KIND == "ldap" else "31"
            conn.sendall(bytes.fromhex("300c02010161070a01" + code + "04000400"))
        elif KIND == "junk":
            received(conn)
            conn.sendall(b"hello there\r\n")
        elif KIND == "httpflap":
            received(conn)
            global FLAPS
            FLAPS += 1
            status = b"200 OK" if FLAPS % 2 else b"500 Internal Server Error"
            conn.sendall(b"HTTP/1.1 " + status + b"\r\ncontent-length: 4\r\nconnection: close\r\n\r\nflap")
        elif KIND == "silent":
            received(conn)
            threading.Event().wait(60)
    except OSError:
        pass
    finally:
        conn.close()


listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(64)
print("listening", listener.getsockname()[1], flush=True)
while True:
    connection, _ = listener.accept()
    threading.Thread(target=serve, args=(connection,), daemon=True).start()
