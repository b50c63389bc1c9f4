#!/usr/bin/env python3
"""plant_socket.py PATH SECONDS — for test_serve.sh: a socket planted by another user.
Listens on PATH, accepts one connection within SECONDS and records what the client sent
before it hung up: prints "received N bytes and F descriptors" (or "no client")."""
import os
import socket
import sys

path, seconds = sys.argv[1], float(sys.argv[2])
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
os.chmod(path, 0o777)  # anyone may connect, as to the real server's socket
server.listen(4)
server.settimeout(seconds)
print("listening", flush=True)
try:
    conn, _ = server.accept()
except socket.timeout:
    print("no client", flush=True)
    sys.exit(0)
conn.settimeout(seconds)
got = fds = 0
try:
    while True:
        data, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(4 * 253))
        for level, kind, blob in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds += len(blob) // 4
        if not data:
            break
        got += len(data)
except (socket.timeout, OSError):
    pass
print(f"received {got} bytes and {fds} descriptors", flush=True)
