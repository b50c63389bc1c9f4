#!/usr/bin/env python3
"""Random requests against the web interface's HTTP layer: N requests (default 10,000) of
random methods, paths (record codes, percent escapes, invalid UTF-8, traversal), query
strings, cookies (random and well-formed-looking session tokens), headers and bodies
(forms, multipart, oversized, truncated), plus raw garbage. The server must answer each
with an HTTP status or close the connection, and still serve a login page afterwards.
Usage: web_fuzz.py HOST PORT [N] [SEED] [SESSION]: with a live session token, half the
requests carry it, so the pages behind the login are reached too."""
import random
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
count = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 18)
session = sys.argv[5] if len(sys.argv) > 5 else None

PATHS = ["/", "/login", "/logout", "/search", "/record/X001-XZ%C2%B72024-D10-0001",
         "/page/X001-XZ%C2%B72024-D10-0001/1", "/page/x/0", "/page//-1", "/log", "/log.csv",
         "/review", "/review/accept", "/retention", "/retention/approve", "/retention/witness",
         "/me", "/me/password", "/lang", "/static/app.css", "/static/app.js", "/static/../x",
         "/record/%FF%FE", "/record/%00", "/record/" + "A" * 3000, "/%", "/%zz"]
KEYS = ["q", "category", "type", "year_from", "year_to", "period", "level", "sort", "page",
        "v", "user", "action", "record", "since", "until", "to", "back", "year", "csrf"]


def junk(n):
    return bytes(rng.randrange(256) for _ in range(n))


def word():
    choice = rng.randrange(6)
    if choice == 0:
        return "".join(rng.choice("%0123456789ABCDEFabcdef&=+") for _ in range(rng.randrange(12)))
    if choice == 1:
        return "%E5%AF%92%E5%81%87"
    if choice == 2:
        return str(rng.randrange(-10, 100000))
    if choice == 3:
        return "<script>x</script>"
    if choice == 4:
        return "%FF%C0%80" * rng.randrange(4)
    return "".join(rng.choice("abcdefghij-_.~") for _ in range(rng.randrange(40)))


def request():
    if rng.random() < 0.05:
        return junk(rng.randrange(1, 400))
    method = rng.choice(["GET", "GET", "GET", "POST", "POST", "HEAD", "PUT", "GE T"])
    path = rng.choice(PATHS)
    if rng.random() < 0.7:
        path += "?" + "&".join("%s=%s" % (rng.choice(KEYS), word()) for _ in range(rng.randrange(6)))
    headers = ["Host: x"]
    if session and rng.random() < 0.5:
        headers.append("Cookie: dangan_session=" + session)
    elif rng.random() < 0.6:
        token = "".join(rng.choice("0123456789abcdef") for _ in range(64))
        headers.append("Cookie: dangan_session=%s; dangan_login=%s; lang=%s" %
                       (rng.choice([token, word()]), token, rng.choice(["en", "zh-Hant", word()])))
    if rng.random() < 0.3:
        headers.append("Accept-Language: " + rng.choice(["zh-TW", "en;q=0.5,zh", word(), "*"]))
    if rng.random() < 0.2:
        headers.append("X-Forwarded-For: " + rng.choice(["1.2.3.4", word(), "::1, 10.0.0.1"]))
    body = b""
    if method == "POST":
        kind = rng.randrange(4)
        if kind == 0:
            body = "&".join("%s=%s" % (rng.choice(KEYS + ["login", "password", "new", "again",
                                                          "refcode", "reason"]), word())
                            for _ in range(rng.randrange(80))).encode()
            headers.append("Content-Type: application/x-www-form-urlencoded")
        elif kind == 1:
            body = (b"--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + junk(50) +
                    b"\r\n--b--\r\n")
            headers.append("Content-Type: multipart/form-data; boundary=b")
        elif kind == 2:
            body = junk(rng.choice([10, 1000, 70000]))
            headers.append("Content-Type: application/x-www-form-urlencoded")
        else:
            body = junk(100)
        claimed = len(body) if rng.random() < 0.9 else len(body) + rng.randrange(1, 50)
        headers.append("Content-Length: %d" % claimed)
    head = "%s %s HTTP/1.1\r\n%s\r\nConnection: close\r\n\r\n" % (method, path, "\r\n".join(headers))
    return head.encode("utf-8", "surrogateescape") + body


def send(data):
    s = socket.create_connection((host, port), timeout=30)
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        reply = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
        return reply
    except (ConnectionResetError, BrokenPipeError, socket.timeout):
        return b""
    finally:
        s.close()


statuses = {}
for i in range(count):
    reply = send(request())
    status = reply[9:12].decode("ascii", "replace") if reply.startswith(b"HTTP/1.") else "closed"
    statuses[status] = statuses.get(status, 0) + 1
final = send(b"GET /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
if not final.startswith(b"HTTP/1.1 200"):
    print("FAIL: the server no longer serves the login page after %d random requests" % count)
    sys.exit(1)
print("statuses:", dict(sorted(statuses.items())))
