#!/usr/bin/env bash
# End-to-end: ingest files a batch in groups (one write lock, one catalog transaction, one
# sync of the group's objects and one index commit a group; engine/batch.h). Inside a group
# a record that fails is undone alone: a copy of a record filed earlier in the same group
# is a duplicate, a page above the archivist's clearance and an empty file wait in
# quarantine, and every other file is filed once, journalled, stored and searchable, with
# nothing left in objects/tmp and no object the catalog does not know. A kill -9 in the
# middle of a batch loses no record that was committed, and the rerun files the rest once.
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/e2e/lib.sh"

expect_exit 0 "$DANGAN" init --fonds X001
expect_exit 0 "$DANGAN" user add li --clearance 3 --role staff,archivist

# ---- failures in the middle of a group ------------------------------------------------
mkdir g
for i in $(seq -w 1 40); do
    printf '关于第%s次校务会议的通知 XQZGROUP\n各部门：会议定于2024年3月%d日举行，编号%s。\n校长办公室\n' \
        "$i" "$((10#$i % 28 + 1))" "$i" > "g/f$i.txt"
done
cp g/f05.txt g/f17.txt                                          # the same file twice
printf '机密★10年\n关于考试安全保卫方案的报告 XQZGROUP\n2024年3月2日\n' > g/f23.txt  # above clearance 3
: > g/f30.txt                                                   # empty: cannot be read
expect_exit 1 "$DANGAN" --as li ingest g --json
want() { [ "$1" = "$2" ] || fail "$3: got $1, expected $2"; }
want "$(echo "$OUT" | json 'j["filed"]')" 37 "filed"
want "$(echo "$OUT" | json 'j["duplicates"]')" 1 "duplicates"
want "$(echo "$OUT" | json 'j["quarantined"]')" 2 "quarantined"
DUP=$(echo "$OUT" | json '[o["refcode"] for o in j["outcomes"] if o["name"]=="f17.txt"][0]')
FIRST=$(echo "$OUT" | json '[o["refcode"] for o in j["outcomes"] if o["name"]=="f05.txt"][0]')
want "$DUP" "$FIRST" "the copy names the record filed earlier in its group"
BATCH=$(echo "$OUT" | json 'j["batch"]')
# Every file is journalled once, and the journal agrees with the records.
expect_exit 0 "$DANGAN" batch show "$BATCH" --json
want "$(echo "$OUT" | json 'len(j["files"])')" 40 "journal rows"
want "$(echo "$OUT" | json 'sum(1 for f in j["files"] if f["outcome"]=="filed")')" 37 "filed rows"
# Everything filed is searchable once the batch returns, and the archive is whole.
expect_exit 0 "$DANGAN" --json search XQZGROUP --limit 100
want "$(echo "$OUT" | json 'j["total"]')" 37 "search total"
expect_exit 0 "$DANGAN" verify
contains "$OUT" "37 versions and 37 index documents" "verify counts every record once"
want "$(ls "$DANGAN_ARCHIVE/objects/tmp" | wc -l)" 0 "files left in objects/tmp"
[ ! -e "$DANGAN_ARCHIVE/writing" ] || fail "the writing mark was left behind"
# The same batch again: all of it known, nothing filed twice.
expect_exit 1 "$DANGAN" --as li ingest g --json
want "$(echo "$OUT" | json 'j["filed"]')" 0 "filed on the rerun"
want "$(echo "$OUT" | json 'j["duplicates"]')" 38 "duplicates on the rerun"

# ---- kill -9 in the middle of a batch ---------------------------------------------------
mkdir k
N=1000
for i in $(seq 1 $N); do
    printf '关于第%d项工作安排的通知 XQZKILL\n各部门：请于2024年5月%d日前完成第%d项工作。\n' \
        "$i" "$((i % 28 + 1))" "$i" > "k/k$i.txt"
done
CAT="$DANGAN_ARCHIVE/catalog.db"
count() { sqlite3 "$CAT" "SELECT count(*) FROM records WHERE id > $BEFORE" 2>/dev/null || echo 0; }
BEFORE=$(sqlite3 "$CAT" "SELECT max(id) FROM records")
"$DANGAN" ingest k >/dev/null 2>&1 &
PID=$!
# Kill it once a first group is committed and before the batch ends.
for _ in $(seq 1 600); do
    [ "$(count)" -gt 0 ] && break
    kill -0 $PID 2>/dev/null || break
    sleep 0.05
done
kill -9 $PID 2>/dev/null || true
wait $PID 2>/dev/null || true
KEPT=$(count)
[ "$KEPT" -gt 0 ] && [ "$KEPT" -lt $N ] || fail "the kill should come between two groups: $KEPT of $N kept"
echo "killed with $KEPT of $N records committed"
expect_exit 0 "$DANGAN" ingest k --json
want "$(echo "$OUT" | json 'j["filed"] + j["duplicates"]')" $N "filed or known on the rerun"
want "$(echo "$OUT" | json 'j["duplicates"]')" "$KEPT" "every record committed before the kill is kept"
expect_exit 0 "$DANGAN" --json search XQZKILL --limit 1
want "$(echo "$OUT" | json 'j["total"]')" $N "each file filed once after the kill"
expect_exit 0 "$DANGAN" verify
want "$(ls "$DANGAN_ARCHIVE/objects/tmp" | wc -l)" 0 "files left in objects/tmp after the kill"
echo "batch groups e2e: ok"
