#!/usr/bin/env bash
# End-to-end: a batch's records are indexed on a second thread while the next ones are
# filed (engine/index_pipe.h), and an encrypted archive commits a group's data keys in one
# keys.db transaction before the catalog commit that names them (engine/keys.h). A kill -9
# anywhere in that order (inside the index thread, after a group's keys committed and before
# its catalog commit, before a group's keys committed) and a failed group commit lose no
# committed record, file none twice, leave no index document the catalog does not have and
# no record without its key: the rerun of the batch files the rest once, and every record
# is readable and found. Needs the test build's fault points (make check).
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/e2e/lib.sh"

DANGAN_FAULT_LOG="$T/probe.log" "$DANGAN" --archive "$T/none" whoami >/dev/null 2>&1 || true
[ -s "$T/probe.log" ] || fail "$DANGAN has no fault points: build it with 'make check'"

want() { [ "$1" = "$2" ] || fail "$3: got $1, expected $2"; }
N=600
# make_batch DIR TAG: N one-page notices, each text its own
make_batch() {
    mkdir "$1"
    for i in $(seq 1 $N); do
        printf '关于第%d项%s工作安排的通知 %s\n各部门：请于2024年5月%d日前完成第%d项工作。\n' \
            "$i" "$2" "$2" "$((i % 28 + 1))" "$i" > "$1/n$i.txt"
    done
}
# whole TAG WHAT: the archive holds every file of the batch once, found, readable, and
# verify agrees (as many index documents as versions, every object and key in place)
whole() {
    expect_exit 0 "$DANGAN" --json search "$1" --limit 1
    want "$(echo "$OUT" | json 'j["total"]')" $N "$2: each file found once"
    expect_exit 0 "$DANGAN" verify
    contains "$OUT" "versions and" "$2: verify"
    V=$(echo "$OUT" | sed -n 's/.* \([0-9]*\) versions and \([0-9]*\) index documents.*/\1 \2/p')
    [ -n "$V" ] && [ "${V% *}" = "${V#* }" ] || fail "$2: versions and index documents differ: $OUT"
    want "$(ls "$DANGAN_ARCHIVE/objects/tmp" | wc -l)" 0 "$2: files left in objects/tmp"
    REF=$(sqlite3 "$DANGAN_ARCHIVE/catalog.db" "SELECT max(refcode) FROM records")
    expect_exit 0 "$DANGAN" show "$REF"
    want "$(sqlite3 "$DANGAN_ARCHIVE/catalog.db" "SELECT count(*) FROM index_queue")" 0 \
        "$2: versions left in the index queue"
}
# killed_then_rerun DIR TAG FAULT WHAT: the ingest dies at FAULT, the rerun files the rest
killed_then_rerun() {
    local before kept
    before=$(sqlite3 "$DANGAN_ARCHIVE/catalog.db" "SELECT count(*) FROM records")
    set +e
    DANGAN_FAULT="$3" "$DANGAN" ingest "$1" >/dev/null 2>"$T/killed.err"
    local rc=$?
    set -e
    [ $rc = 137 ] || fail "$4: the ingest should be killed at $3 (exit $rc): $(cat "$T/killed.err")"
    kept=$(( $(sqlite3 "$DANGAN_ARCHIVE/catalog.db" "SELECT count(*) FROM records") - before ))
    [ "$kept" -gt 0 ] && [ "$kept" -lt $N ] || fail "$4: $kept of $N kept by the kill"
    echo "$4: killed with $kept of $N records committed"
    expect_exit 0 "$DANGAN" ingest "$1" --json
    want "$(echo "$OUT" | json 'j["duplicates"]')" "$kept" "$4: every committed record kept"
    want "$(echo "$OUT" | json 'j["filed"]')" $((N - kept)) "$4: the rest filed on the rerun"
    whole "$2" "$4"
}

# ---- plain archive: kill -9 inside the index thread -----------------------------------
expect_exit 0 "$DANGAN" init --fonds X001
make_batch p1 XQZPIPEA
# The second document put dies with the process: the first group was committed before it,
# the index had not committed it, and the filing thread was still filing the next groups.
# (A later put can come after the last group's commit: the workers read and decide faster
# than the index thread puts, and the 300th put once found all 600 records committed.)
killed_then_rerun p1 XQZPIPEA index.put:2:kill "plain, kill in the index thread"

# ---- a group commit that fails: its records are undone and never reach the index -------
make_batch p2 XQZPIPEB
before=$(sqlite3 "$DANGAN_ARCHIVE/catalog.db" "SELECT count(*) FROM records")
set +e
DANGAN_FAULT=batch.commit:2 "$DANGAN" ingest p2 --json >"$T/failed.out" 2>"$T/failed.err"
rc=$?
set -e
[ $rc != 0 ] || fail "a failed group commit should fail the ingest"
contains "$(cat "$T/failed.err")" "were not filed" "the failed commit says so"
kept=$(( $(sqlite3 "$DANGAN_ARCHIVE/catalog.db" "SELECT count(*) FROM records") - before ))
expect_exit 0 "$DANGAN" --json search XQZPIPEB --limit 1
want "$(echo "$OUT" | json 'j["total"]')" "$kept" "only the committed group is found after a failed commit"
expect_exit 0 "$DANGAN" ingest p2 --json
want "$(echo "$OUT" | json 'j["filed"] + j["duplicates"]')" $N "filed or known after the failed commit"
whole XQZPIPEB "plain, failed group commit"
rm -rf "$DANGAN_ARCHIVE"

# ---- encrypted archive: one keys.db transaction a group ---------------------------------
expect_exit 0 "$DANGAN" keys generate "$T/master.key"
export DANGAN_KEY_FILE="$T/master.key"
expect_exit 0 "$DANGAN" init --fonds X001 --key-file "$T/master.key"
make_batch e1 XQZPIPEC
# after the second group's keys committed, before its catalog commit: its keys stay unused
killed_then_rerun e1 XQZPIPEC batch.commit:2:kill "encrypted, kill between keys and catalog"
make_batch e2 XQZPIPED
# before the second group's keys committed: its keys and its records go together
killed_then_rerun e2 XQZPIPED keys.commit:2:kill "encrypted, kill before the keys commit"
make_batch e3 XQZPIPEE
killed_then_rerun e3 XQZPIPEE index.put:2:kill "encrypted, kill in the index thread"
# every record has its key, and one key a group's sync: no more keys than records filed
# and the groups' leftovers
RECS=$(sqlite3 "$DANGAN_ARCHIVE/catalog.db" "SELECT count(*) FROM records")
MISSING=$(sqlite3 "$DANGAN_ARCHIVE/catalog.db" "ATTACH '$DANGAN_ARCHIVE/keys.db' AS k;
    SELECT count(*) FROM records r WHERE r.key_id IS NULL
    OR NOT EXISTS (SELECT 1 FROM k.data_keys d WHERE d.id = r.key_id)")
want "$MISSING" 0 "records without their data key"
KEYS=$(sqlite3 "$DANGAN_ARCHIVE/keys.db" "SELECT count(*) FROM data_keys")
[ "$KEYS" -ge "$RECS" ] || fail "$KEYS keys for $RECS records"
echo "ingest pipe e2e: ok"
