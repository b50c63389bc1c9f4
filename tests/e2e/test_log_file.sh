#!/usr/bin/env bash
# End-to-end: the access log in its own file (log.db, engine/catalog.h). A search's entry
# commits to log.db alone, so catalog.db does not change; a change's entry commits with the
# change in catalog.db's log_pending and then goes on to log.db (log.h). Checked here: the
# file is private; a process killed with SIGKILL between the catalog's commit and the log's
# (the fault point log.pending) leaves the entry pending, and the next open appends it,
# exactly once, the chain and tree whole; a log file that cannot take the entry (a full
# disk, the fault point log.flush) keeps it pending, the log's readers refuse until it is
# appended, and nothing is lost; the log verifies and extends a checkpoint signed before.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

# Fault points exist in the test build only (base/fault.h).
"$DANGAN" init --fonds X001 --name "Log file" >/dev/null
[ -f "$DANGAN_ARCHIVE/log.db" ] || fail "no log.db"
[ "$(stat -c %a "$DANGAN_ARCHIVE/log.db")" = 600 ] || fail "log.db is not 0600"
printf 'notice of the meeting\n' >n.txt
expect_exit 0 "$DANGAN" add n.txt --title 会议通知 --category administrative --year 2024
A=$(echo "$OUT" | grep -o 'X001-[^ ]*' | head -1)
[ -n "$A" ] || fail "no reference code in: $OUT"
cat_db="$DANGAN_ARCHIVE/catalog.db"
log_db="$DANGAN_ARCHIVE/log.db"
q() { sqlite3 "$1" "$2"; }
files_hash() { for f in "$@"; do [ ! -f "$f" ] || cat "$f"; done | sha256sum; }
[ "$(q "$cat_db" "SELECT count(*) FROM sqlite_schema WHERE name = 'access_log'")" = 0 ] ||
    fail "the catalog still has the log's table"

# A search's entry leaves catalog.db as it was (its WAL included).
before=$(files_hash "$cat_db" "$cat_db-wal")
entries=$(q "$log_db" "SELECT count(*) FROM access_log")
expect_exit 0 "$DANGAN" search meeting
[ "$(q "$log_db" "SELECT count(*) FROM access_log")" = $((entries + 1)) ] || fail "no search entry"
[ "$(files_hash "$cat_db" "$cat_db-wal")" = "$before" ] ||
    fail "a search's entry changed catalog.db"

mkdir -p keys
expect_exit 0 "$DANGAN" log keygen school.example/log --output keys/log.key
expect_exit 0 "$DANGAN" log checkpoint --log-key keys/log.key
printf '%s\n' "$OUT" >cp.txt

# kill -9 between the change's commit and its entry's append.
printf 'minutes of the board\n' >m.txt
set +e
DANGAN_FAULT=log.pending:1:kill "$DANGAN" add m.txt --title 董事会纪要 --category administrative \
    --year 2024 >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 137 ] || fail "the change was not killed at log.pending (exit $rc)"
B=$(q "$cat_db" "SELECT refcode FROM records ORDER BY id DESC LIMIT 1")
[ "$B" != "$A" ] || fail "the killed change did not commit"
[ "$(q "$cat_db" "SELECT count(*) FROM log_pending WHERE refcode = '$B'")" = 1 ] ||
    fail "the change's entry is not pending in the catalog"
[ "$(q "$log_db" "SELECT count(*) FROM access_log WHERE refcode = '$B'")" = 0 ] ||
    fail "the entry reached the log before the kill"
# The next open appends it, once; later opens do not again.
expect_exit 0 "$DANGAN" whoami
expect_exit 0 "$DANGAN" show "$B"
[ "$(q "$log_db" "SELECT count(*) FROM access_log WHERE refcode = '$B' AND action = 'add'")" = 1 ] ||
    fail "the pending entry is not in the log exactly once"
expect_exit 0 "$DANGAN" log --record "$B"
[ "$(printf '%s\n' "$OUT" | grep -c ' add ')" = 1 ] || fail "log --record: $OUT"
[ "$(q "$log_db" "SELECT count(*) FROM log_changes")" -ge 2 ] || fail "log_changes"
expect_exit 0 "$DANGAN" log verify
contains "$OUT" "intact" "the log after the kill"

# The log's file cannot take a change's entry (a full disk): the change stands, its entry
# stays pending, the log's readers refuse, and nothing is lost once it can.
printf 'budget of the year\n' >b.txt
expect_exit 0 env DANGAN_FAULT=log.flush:1+:full "$DANGAN" add b.txt --title 年度预算 \
    --category finance --year 2024
C=$(q "$cat_db" "SELECT refcode FROM records ORDER BY id DESC LIMIT 1")
[ "$(q "$cat_db" "SELECT count(*) FROM log_pending WHERE refcode = '$C'")" = 1 ] ||
    fail "the change's entry is not pending in the catalog"
[ "$(q "$log_db" "SELECT count(*) FROM access_log WHERE refcode = '$C'")" = 0 ] ||
    fail "the entry reached a log file that could not take it"
expect_exit 8 env DANGAN_FAULT=log.flush:1+:full "$DANGAN" log --action add
contains "$ERR" "the disk is full" "a log read with an entry pending on a full disk"
contains "$ERR" "pending" "the refusal says an entry is pending"
expect_exit 0 "$DANGAN" log --action add
contains "$OUT" "$C" "the pending entry, once the disk has room"
[ "$(q "$log_db" "SELECT count(*) FROM access_log WHERE refcode = '$C' AND action = 'add'")" = 1 ] ||
    fail "the entry is not in the log exactly once"
# A later change's transaction drops the pending rows already appended.
expect_exit 0 "$DANGAN" add n.txt --title 会议通知二 --category administrative --year 2024
[ "$(q "$cat_db" "SELECT count(*) FROM log_pending")" -le 1 ] || fail "appended rows stay pending"

expect_exit 0 "$DANGAN" log verify --checkpoint cp.txt
contains "$OUT" "access log extends the checkpoint" "the log extends the one signed before the kill"
lacks "$OUT" "DOES NOT EXTEND" "the log extends the checkpoint signed before the kill"
echo ok
