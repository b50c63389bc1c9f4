#!/usr/bin/env bash
# End-to-end: nothing silent. A reindex killed with kill -9 at several points never leaves
# search with fewer records, and the next run resumes it; a killed destruction never lets
# a search total count what its hits cannot show; a record whose title an old dangan stored
# as GBK bytes cannot stop the archive: the server starts, search serves the rest, verify
# lists it and exits non-zero, and after `dangan edit` the reindex indexes the record.
set -e
. "$(dirname "$0")/lib.sh"

CAT="$DANGAN_ARCHIVE/catalog.db"
expect_exit 0 "$DANGAN" init --fonds X001 --name "Nothing silent"

N=320
mkdir batch
for i in $(seq 1 $N); do
    printf '关于第%d次预算会议的通知\n预算 budget XQZREC%dX\n2024年3月%d日\n' "$i" "$i" $((i % 28 + 1)) \
        > "batch/n$i.txt"
done
expect_exit 0 "$DANGAN" ingest batch --jobs 2
total() { "$DANGAN" --json search "$@" --limit 1 | json 'j["total"]'; }
want() { [ "$1" = "$2" ] || fail "$3: got $1, expected $2"; }
want "$(total '')" $N "records filed"
owed() { sqlite3 "$CAT" "SELECT count(*) FROM settings WHERE key = 'index_rebuild_owed'"; }

# ---- kill -9 during reindex ------------------------------------------------------------
# Kill times spread over one reindex, measured here (sanitizer builds are slower).
start=$EPOCHREALTIME
expect_exit 0 "$DANGAN" reindex
span_ms=$(( (${EPOCHREALTIME/./} - ${start/./}) / 1000 ))
mid=0
# The first kill waits until the rebuild has begun (the catalog says one is owed), so at
# least one lands in the middle whatever the machine's speed; the others at fixed fractions.
for tenth in building 2 5 8; do
    "$DANGAN" reindex >/dev/null 2>&1 &
    pid=$!
    if [ "$tenth" = building ]; then
        while kill -0 "$pid" 2>/dev/null && [ "$(owed)" = 0 ]; do sleep 0.01; done
    else
        ms=$((span_ms * tenth / 10))
        sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    fi
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    # The live index exactly as the kill left it: with the write lock held elsewhere, this
    # search resumes nothing.
    was_owed=$(owed)
    live=$(flock "$DANGAN_ARCHIVE/write.lock" "$DANGAN" --json search '' --limit 1 | json 'j["total"]')
    want "$live" $N "search right after a reindex killed at $tenth/10"
    [ "$was_owed" = 1 ] && mid=$((mid + 1))
    # The next run (here verify) resumes an owed rebuild, and cleans up after the kill.
    expect_exit 0 "$DANGAN" verify
    want "$(owed)" 0 "rebuild still owed after the next run"
    [ -e "$DANGAN_ARCHIVE/index.build" ] && fail "a half-built index was left behind"
    want "$(total '')" $N "search after the resumed rebuild"
done
[ "$mid" -ge 1 ] || fail "no kill landed in the middle of a rebuild"
echo "reindex kills: $mid of 4 in the middle of a rebuild"

# ---- a destruction stopped between its catalog and index steps -------------------------
expect_exit 0 "$DANGAN" user add arch --role archivist --clearance 3
expect_exit 0 "$DANGAN" user add lead --role leader --clearance 1
expect_exit 0 "$DANGAN" user add w1 --role witness --clearance 1
expect_exit 0 "$DANGAN" user add w2 --role witness --clearance 1
printf '2000年会议纪要 XQZOLD\n' > old.txt
expect_exit 0 "$DANGAN" --json add old.txt --title "old minutes XQZOLD" --category administrative \
    --type minutes --year 2000 --period D10
OLD=$(echo "$OUT" | json 'j["refcode"]')
expect_exit 0 "$DANGAN" --as arch retention review --year 2026
expect_exit 0 "$DANGAN" --as arch retention appraise "$OLD" --destroy --reason "expired"
expect_exit 0 "$DANGAN" --as lead retention approve 2026
expect_exit 0 "$DANGAN" --as w1 retention witness 2026
expect_exit 0 "$DANGAN" --as w2 retention witness 2026
# The state a kill between the steps leaves: catalog rows gone, index documents still there
# (the index as it was before the run, the review item 'destroying').
cp -a "$DANGAN_ARCHIVE/index" "$T/index.before"
expect_exit 0 "$DANGAN" --as arch retention destroy 2026
rm -rf "$DANGAN_ARCHIVE/index"
cp -a "$T/index.before" "$DANGAN_ARCHIVE/index"
sqlite3 "$CAT" "UPDATE review_items SET state = 'destroying' WHERE state = 'destroyed'"
# A reader that finishes nothing (the write lock is held): totals and hits agree.
agree() {
    flock "$DANGAN_ARCHIVE/write.lock" "$DANGAN" --json search '' --limit 10000 |
        json 'str(j["total"]) + " " + str(len(j["hits"]))'
}
want "$(agree)" "$N $N" "total and hits with a destruction stopped half way"
# The next run deletes the documents; verify finds no document of a destroyed record.
expect_exit 0 "$DANGAN" verify
want "$(total '')" $N "after the next run"

# ---- a write whose version cannot be indexed -------------------------------------------
# The second record's text is the same object as the first's, which is damaged: it is filed,
# the add says it could not be indexed and exits non-zero, verify lists it, and once the
# object is restored, reindex indexes it.
printf 'XQZDAMAGED 档案\n' > dmg.txt
expect_exit 0 "$DANGAN" add dmg.txt --title "damaged one" --category administrative
SHA=$(sqlite3 "$CAT" "SELECT text_sha256 FROM versions WHERE title = 'damaged one'")
OBJ="$DANGAN_ARCHIVE/objects/${SHA:0:2}/${SHA:2}"
cp "$OBJ" "$T/saved-object"
truncate -s 10 "$OBJ"
expect_exit 8 "$DANGAN" add dmg.txt --title "damaged two" --category administrative
TWO=$(sqlite3 "$CAT" "SELECT r.refcode FROM versions v JOIN records r ON r.id = v.record_id
    WHERE v.title = 'damaged two'")
[ -n "$TWO" ] || fail "the record was not filed"
contains "$ERR" "saved, but cannot be indexed: $TWO version 1" "add names what it could not index"
contains "$ERR" "corrupt object" "add says why"
# The same in a batch: a two-page record whose joined text is a damaged object is filed and
# reported, and the batch goes on.
printf 'alpha XQZJOINED\n\nbeta' > joined.txt
expect_exit 0 "$DANGAN" add joined.txt --title "joined" --category administrative
SHA2=$(sqlite3 "$CAT" "SELECT text_sha256 FROM versions WHERE title = 'joined'")
OBJ2="$DANGAN_ARCHIVE/objects/${SHA2:0:2}/${SHA2:2}"
cp "$OBJ2" "$T/saved-object2"
truncate -s 10 "$OBJ2"
mkdir b2
printf 'alpha XQZJOINED' > b2/p1.txt
printf 'beta' > b2/p2.txt
printf 'after XQZJOINED\n' > b2/z.txt
printf 'files,title,category\np1.txt;p2.txt,two pages,administrative\n' > b2/m.csv
expect_exit 1 "$DANGAN" ingest b2 --manifest b2/m.csv --unlisted file
contains "$OUT" "saved, but cannot be indexed" "ingest reports the record it could not index"
contains "$OUT" "filed       z.txt" "the batch goes on after it"
expect_exit 1 "$DANGAN" verify
contains "$OUT" "$TWO version 1  could not be indexed" "verify lists the queued version"
cp "$T/saved-object" "$OBJ"
cp "$T/saved-object2" "$OBJ2"
expect_exit 0 "$DANGAN" reindex
expect_exit 0 "$DANGAN" verify
want "$(total XQZDAMAGED)" 2 "both found after the object was restored"
want "$(total XQZJOINED)" 3 "the batch's record found after the object was restored"

# ---- a record bricked by the GBK bug of old ----------------------------------------------
# Its title is stored as GBK bytes (开学通知) and it waits in the index queue, as an older
# dangan left it.
VID=$(sqlite3 "$CAT" "SELECT v.id FROM versions v JOIN records r ON r.id = v.record_id
    WHERE r.state = 'live' ORDER BY v.id LIMIT 1")
BAD=$(sqlite3 "$CAT" "SELECT r.refcode FROM versions v JOIN records r ON r.id = v.record_id
    WHERE v.id = $VID")
trigger=$(sqlite3 "$CAT" "SELECT sql FROM sqlite_master WHERE name = 'versions_are_immutable'")
sqlite3 "$CAT" "DROP TRIGGER versions_are_immutable;
    UPDATE versions SET title = CAST(X'BFAACAA7CDA8D6AA' AS TEXT) WHERE id = $VID;
    $trigger;
    INSERT INTO index_queue(version_id) VALUES($VID);"
# The server starts, and serves the rest.
SOCK=$T/dangan.sock
"$DANGAN" serve --archive "$DANGAN_ARCHIVE" --socket "$SOCK" >"$T/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
    grep -q "listening on" "$T/serve.log" 2>/dev/null && break
    kill -0 "$SERVER" 2>/dev/null || fail "the server did not start: $(cat "$T/serve.log")"
    sleep 0.1
done
grep -q "listening on" "$T/serve.log" || fail "the server did not start"
expect_exit 0 env DANGAN_SOCKET="$SOCK" "$DANGAN" --json search budget --limit 1
want "$(echo "$OUT" | json 'j["total"]')" $N "search through the server"
expect_exit 1 env DANGAN_SOCKET="$SOCK" "$DANGAN" verify
contains "$OUT" "queued" "verify through the server lists the record"
kill -TERM "$SERVER"
wait "$SERVER" || true
# Direct mode: every command works and names what failed; none says (null).
expect_exit 0 "$DANGAN" whoami
expect_exit 1 "$DANGAN" verify
contains "$OUT" "$BAD version 1" "verify names the record"
contains "$OUT" "could not be indexed" "verify gives the reason"
lacks "$OUT$ERR" "(null)" "verify"
expect_exit 1 "$DANGAN" --json verify
echo "$OUT" | json '[p for p in j["problems"] if p["kind"] == "queued"][0]["object"]' |
    grep -qF "$BAD" || fail "verify --json lacks the queued record: $OUT"
expect_exit 1 "$DANGAN" reindex
contains "$OUT" "$BAD version 1" "reindex names the record it could not index"
lacks "$OUT$ERR" "(null)" "reindex"
want "$(total budget)" $((N - 1)) "the rest stays searchable after the reindex"
# Fixed with an edit, it is indexed (its first version keeps its bytes and stays listed).
expect_exit 0 "$DANGAN" edit "$BAD" --title "开学通知 XQZFIXED" --reason "title was GBK"
expect_exit 1 "$DANGAN" reindex
contains "$OUT" "$BAD version 1" "the old version still cannot be indexed"
lacks "$OUT" "$BAD version 2" "the new version is indexed"
[ "$("$DANGAN" --json search XQZFIXED | json '[h["refcode"] for h in j["hits"]]')" = "['$BAD']" ] ||
    fail "the fixed record is not found"
want "$(total budget)" $N "every record searchable again"
expect_exit 1 "$DANGAN" verify
contains "$OUT" "an earlier version: only --all-versions searches miss it" "verify says what it costs"
echo "nothing-silent e2e: ok"
