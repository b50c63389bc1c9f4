#!/usr/bin/env python3
"""forge_log.py — what an intruder who can write the log's file (log.db) does to the access log, done
thoroughly: after changing rows, every later entry's chain hash is recomputed and the stored
Merkle tree rebuilt from scratch, so the log is self-consistent and `dangan log verify`
(without a checkpoint) calls it intact. Only a checkpoint kept elsewhere can catch it.

    forge_log.py DB truncate N     remove the last N entries
    forge_log.py DB rewrite ID     change entry ID's detail (and re-chain everything after)
    forge_log.py DB fork ID N      replace entries from ID on with N invented ones

The entry bytes, chain hash and tree follow engine/log.c and engine/log_tree.c (written
here independently of them, from the format they document).
"""
import hashlib
import sqlite3
import sys

COLS = ("id, at, user_id, login, origin, action, refcode, version, query, hits, outcome, "
        "detail, shown")


def entry_bytes(row):
    (id_, at, user_id, login, origin, action, refcode, version, query, hits, outcome,
     detail, shown) = row
    out = bytearray()

    def text(v):
        out.extend(v.encode() if v is not None else b"\x1e")
        out.extend(b"\x1f")

    def num(v):
        text(str(v if v is not None else 0))

    num(id_); text(at); num(user_id); text(login); text(origin); text(action); text(refcode)
    num(version); text(query); num(hits); text(outcome); text(detail)
    if shown is not None:
        text(shown)
    return bytes(out)


def rechain(db):
    prev = "0" * 64
    for row in db.execute(f"SELECT {COLS} FROM access_log ORDER BY id").fetchall():
        h = hashlib.sha256(prev.encode() + b"\x1f" + entry_bytes(row)).hexdigest()
        db.execute("UPDATE access_log SET prev_hash = ?, hash = ? WHERE id = ?", (prev, h, row[0]))
        prev = h


def rebuild_tree(db):
    db.execute("DELETE FROM log_tree")
    stack = []  # (level, hash) of complete subtrees
    n = 0
    for row in db.execute(f"SELECT {COLS} FROM access_log ORDER BY id").fetchall():
        h = hashlib.sha256(b"\x00" + entry_bytes(row)).digest()
        index, level = n, 0
        db.execute("INSERT INTO log_tree(level, idx, hash) VALUES(?, ?, ?)", (0, index, h))
        while index & 1:
            _, left = stack.pop()
            h = hashlib.sha256(b"\x01" + left + h).digest()
            index >>= 1
            level += 1
            db.execute("INSERT INTO log_tree(level, idx, hash) VALUES(?, ?, ?)", (level, index, h))
        stack.append((level, h))
        n += 1


def main():
    db = sqlite3.connect(sys.argv[1])
    for t in ("log_is_append_only", "log_is_never_deleted", "log_tree_is_append_only",
              "log_tree_is_never_deleted"):
        db.execute(f"DROP TRIGGER IF EXISTS {t}")
    what = sys.argv[2]
    if what == "truncate":
        last = db.execute("SELECT MAX(id) FROM access_log").fetchone()[0]
        db.execute("DELETE FROM access_log WHERE id > ?", (last - int(sys.argv[3]),))
    elif what == "rewrite":
        db.execute("UPDATE access_log SET detail = 'nothing to see' WHERE id = ?",
                   (int(sys.argv[3]),))
    elif what == "fork":
        start, count = int(sys.argv[3]), int(sys.argv[4])
        template = db.execute(f"SELECT {COLS} FROM access_log WHERE id = ?", (start,)).fetchone()
        db.execute("DELETE FROM access_log WHERE id >= ?", (start,))
        for i in range(count):
            # as dangan writes an entry (its canonical form: version 0, hits -1 for none)
            db.execute("INSERT INTO access_log(id, at, user_id, login, origin, action, version, "
                       "hits, outcome, prev_hash, hash) "
                       "VALUES(?, ?, ?, ?, 'cli', 'whoami', 0, -1, 'ok', '', '')",
                       (start + i, template[1], template[2], template[3]))
    else:
        sys.exit(f"unknown forgery {what}")
    rechain(db)
    rebuild_tree(db)
    db.commit()


main()
