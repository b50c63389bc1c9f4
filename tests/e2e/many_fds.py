#!/usr/bin/env python3
"""many_fds.py SOCKET FILE COUNT [leave] — for test_serve.sh: files a text record through
the server with COUNT descriptors attached to the request (more than one SCM_RIGHTS message
can carry), the real file being the last one. Prints the server's response; with "leave",
hangs up as soon as the request is sent instead (a client that went away)."""
import json
import os
import socket
import struct
import sys
import time

path, text_file, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(count - 1)]
fds.append(os.open(text_file, os.O_RDONLY))
request = {"v": 1, "cmd": "add", "fds": count, "progress": False,
           "args": {"file": {"fd": count - 1, "name": os.path.basename(text_file)},
                    "title": "Many descriptors", "category": "activity", "level": "1"}}
body = json.dumps(request).encode()
frame = struct.pack(">I", len(body)) + body
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
if len(sys.argv) > 4 and sys.argv[4] == "leave":
    time.sleep(0.3)  # usually admitted by then: the request is queued, then abandoned
sent = 0
for start in range(0, count, 250):  # the kernel takes at most 253 per message
    batch = fds[start:start + 250]
    last = start + 250 >= count
    chunk = frame[sent:] if last else frame[sent:sent + 1]
    sent += socket.send_fds(s, [chunk], batch)
if sent < len(frame):
    s.sendall(frame[sent:])
for fd in fds:
    os.close(fd)
if len(sys.argv) > 4 and sys.argv[4] == "leave":
    s.close()
    print("sent and left")
    sys.exit(0)


def read_exactly(n):
    data = b""
    while len(data) < n:
        more = s.recv(n - len(data))
        if not more:
            sys.exit("the server closed the connection")
        data += more
    return data


while True:
    (length,) = struct.unpack(">I", read_exactly(4))
    answer = json.loads(read_exactly(length))
    if "ok" in answer:
        print(json.dumps(answer, ensure_ascii=False))
        break
