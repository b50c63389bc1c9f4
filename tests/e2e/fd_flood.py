#!/usr/bin/env python3
"""fd_flood.py SOCKET CONNECTIONS FDS HOLD — for test_serve.sh: the descriptor attack.
Opens CONNECTIONS connections; on each sends the header of a frame that never completes
and FDS descriptors (one open file passed again and again, 250 per message, each message
on one byte of the frame). Prints "sent N descriptors" once all are sent, then holds the
connections HOLD seconds (the server should time the frames out and release them)."""
import os
import resource
import socket
import struct
import sys
import time

path, connections, fds, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
# Descriptors in flight count against the sender's limit until the server takes them.
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
fd = os.open("/dev/null", os.O_RDONLY)
socks = []
sent = 0
for _ in range(connections):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(struct.pack(">I", 100000))
    left = fds
    try:
        while left > 0:
            batch = min(left, 250)
            socket.send_fds(s, [b"{"], [fd] * batch)
            left -= batch
            sent += batch
    except OSError as e:  # the server may already have given up on this one
        print(f"send: {e}", file=sys.stderr)
    socks.append(s)
print(f"sent {sent} descriptors", flush=True)
time.sleep(hold)
for s in socks:
    s.close()
