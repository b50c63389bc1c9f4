#!/usr/bin/env bash
# test_encrypt_existing.sh — an archive made without a master key is encrypted in place
# (issue 19): `keys encrypt` is killed (-9) at chosen points and run again until
# done; then no sample text or title is left in objects/ or catalog.db, every record reads
# as before (text, title, versions), verify and log verify pass, search still finds, a
# backup is refused while records are left plain and works after, and a second run has
# nothing to do.
set -eu
. "$(dirname "$0")/lib.sh"

# The old access log keeps what it said (append-only, hash-chained): the file names and
# reasons given here are not sample words, and nothing is searched before the scan.
SCAN_NEEDLES="zorblequux|翡翠鹦鹉螺旋桨|quibbleflumph|蓝鲸测试文本|glimmerwomp|砗磲标题"

expect_exit 0 "$DANGAN" init --fonds X001 --name "Plain"
[ ! -e archive/keys.db ] || fail "an archive made without a key has keys.db"
printf '关于翡翠鹦鹉螺旋桨的会议纪要\nzorblequux minutes\n' >a.txt
printf '蓝鲸测试文本 quibbleflumph\n' >b.txt
cp b.txt c.txt # the same text in two records: one plain object, two sealed ones
expect_exit 0 "$DANGAN" --json add a.txt --title "glimmerwomp minutes" --category administrative --year 2020
A=$(echo "$OUT" | json 'j["refcode"]')
expect_exit 0 "$DANGAN" --json add b.txt --title "砗磲标题 one" --category administrative --year 2021
B=$(echo "$OUT" | json 'j["refcode"]')
expect_exit 0 "$DANGAN" --json add c.txt --title "砗磲标题 two" --category administrative --year 2021
C=$(echo "$OUT" | json 'j["refcode"]')
expect_exit 0 "$DANGAN" edit "$A" --title "glimmerwomp minutes, corrected" --reason "typo"
# Words staff typed and the journals' file names, written while the archive was plain:
# keys encrypt seals them too (the log's own entries stay as written: append-only).
STAFF_NEEDLES="thrumblewick|snorkelvane|grommetlane|frobnitzquarry|quaffleburr|bramblecourt"
printf 'plain words of a notice\n' >d.txt
expect_exit 0 "$DANGAN" --json add d.txt --title "a notice" --category administrative --year 2021
D=$(echo "$OUT" | json 'j["refcode"]')
expect_exit 0 "$DANGAN" hold add "$A" --reason "thrumblewick audit"
expect_exit 0 "$DANGAN" hold add "$D" --reason "bramblecourt inquiry"
expect_exit 0 "$DANGAN" hold release "$D" --reason "bramblecourt closed"
expect_exit 0 "$DANGAN" --json loan request "$B" --purpose "snorkelvane check" --method read --days 1
expect_exit 0 "$DANGAN" review accept "$D" --reason "quaffleburr as filed"
mkdir batchin
printf 'grommetlane notice\n' >batchin/grommetlane-notice.txt
: >batchin/frobnitzquarry.txt # empty: set aside in the quarantine
expect_exit 1 "$DANGAN" ingest batchin
# staff_text: the rows that hold such text, as the catalog stores them.
staff_text() {
    sqlite3 archive/catalog.db "SELECT name, reason FROM batch_files;
        SELECT name, reason, stored_as FROM quarantine; SELECT purpose, reason FROM loans;
        SELECT reason, release_reason FROM holds; SELECT reason FROM review_decisions;
        SELECT reason FROM review_items"
}
[ "$(staff_text | grep -c -E "$STAFF_NEEDLES")" -ge 6 ] || fail "the plain archive lacks the staff text"
for ref in "$A" "$B" "$C"; do "$DANGAN" --json show "$ref" >"before-$ref.json"; done
expect_exit 0 "$DANGAN" history "$A"
before_history=$OUT

# Each filed file's SHA-256 is in the plain catalog (versions and batch journal).
PLAIN_HASHES=$(sqlite3 archive/catalog.db "SELECT source_sha256 FROM versions WHERE source_sha256 IS NOT NULL
    UNION SELECT sha256 FROM batch_files WHERE outcome = 'filed'")
[ "$(echo "$PLAIN_HASHES" | grep -c -E '^[0-9a-f]{64}$')" -ge 4 ] || fail "the plain archive lacks source hashes: $PLAIN_HASHES"
expect_exit 0 "$DANGAN" keys generate master.key
export DANGAN_KEY_FILE=$T/master.key
expect_exit 2 "$DANGAN" keys encrypt extra
if DANGAN_FAULT=store.write:2:kill "$DANGAN" keys encrypt \
    >/dev/null 2>&1; then
    fail "a run killed at its 2nd object write succeeded (is this the test build?)"
fi
# Killed part way: the archive is encrypted already, some records are left plain.
[ -f archive/keys.db ] || fail "the killed run made no keys.db"
expect_exit 4 env -u DANGAN_KEY_FILE "$DANGAN" show "$A"
contains "$ERR" "the archive is encrypted and no master key was given" "the key is needed at once"
expect_exit 0 "$DANGAN" show "$B"
contains "$OUT" "quibbleflumph" "a record still plain reads during the migration"
expect_exit 5 "$DANGAN" backup bk
contains "$ERR" "are not encrypted yet" "no backup of a half-encrypted archive"
# Killed again, in the catalog this time, then left to finish.
DANGAN_FAULT=catalog.step:40:kill "$DANGAN" keys encrypt >/dev/null 2>&1 || true
expect_exit 0 "$DANGAN" keys encrypt
contains "$OUT" "records encrypted" "the run that finishes"
[ "$(sqlite3 archive/catalog.db "SELECT count(*) FROM records WHERE key_id IS NULL")" = 0 ] \
    || fail "records left without a key"
[ "$(sqlite3 archive/catalog.db "SELECT count(*) FROM sealing_in_progress")" = 0 ] \
    || fail "records left half sealed"

expect_exit 0 "$DANGAN" verify
expect_exit 0 "$DANGAN" log verify
scan_clean "objects and catalog after encryption" archive/objects archive/catalog.db*
if staff_text | grep -E "$STAFF_NEEDLES"; then fail "staff text left in the clear"; fi
# The source hashes are keyed: none of the plain ones is left in the catalog, and a copy of
# a filed file is still found as a duplicate by its keyed hash.
for h in $PLAIN_HASHES; do
    if grep -a -q "$h" archive/catalog.db*; then fail "a plain source hash is left: $h"; fi
done
[ "$(sqlite3 archive/catalog.db "SELECT count(*) FROM versions WHERE source_sha256 IS NOT NULL
    AND source_sha256 NOT LIKE 'kh1:%'")" = 0 ] || fail "versions keep plain source hashes"
mkdir batchagain
cp batchin/grommetlane-notice.txt batchagain/again.txt
expect_exit 0 "$DANGAN" --json ingest batchagain
[ "$(echo "$OUT" | json 'j["duplicates"]')" = 1 ] || fail "a copy is not found by its keyed hash: $OUT"
# Versions stay immutable: a keyed hash is never changed again, nor made plain.
if sqlite3 archive/catalog.db "UPDATE versions SET source_sha256 = 'kh1:forged'
    WHERE source_sha256 IS NOT NULL" 2>/dev/null; then
    fail "a keyed source hash was changed"
fi
hold=$(sqlite3 archive/catalog.db "SELECT h.reason FROM holds h JOIN records r ON r.id = h.record_id
    WHERE r.refcode = '$A'")
case $hold in "dgs1:$(sqlite3 archive/catalog.db "SELECT key_id FROM records WHERE refcode = '$A'"):"*) ;;
    *) fail "a hold's reason is not sealed under its record's key: $hold" ;; esac
expect_exit 0 "$DANGAN" hold list
contains "$OUT" "thrumblewick audit" "the sealed hold reason reads back"
expect_exit 0 "$DANGAN" loan list
contains "$OUT" "snorkelvane check" "the sealed loan purpose reads back"
expect_exit 0 "$DANGAN" quarantine list
contains "$OUT" "frobnitzquarry.txt" "the sealed quarantine name reads back"
# A final decision lets its reason be sealed once, and nothing else be changed.
if sqlite3 archive/catalog.db "UPDATE review_decisions SET reason = 'dgs1:forged'" 2>/dev/null; then
    fail "a sealed decision's reason was changed"
fi
if sqlite3 archive/catalog.db "UPDATE review_decisions SET decision = 'corrected'" 2>/dev/null; then
    fail "a decision was changed"
fi
for ref in "$A" "$B" "$C"; do
    "$DANGAN" --json show "$ref" >"after-$ref.json"
    python3 - "before-$ref.json" "after-$ref.json" <<'PY' || fail "$ref: reads differently"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for k in ("text", "title", "refcode", "level"):
    if a.get(k) != b.get(k):
        sys.exit(f"{k}: {a.get(k)!r} != {b.get(k)!r}")
PY
done
expect_exit 0 "$DANGAN" history "$A"
[ "$OUT" = "$before_history" ] || fail "history differs: $OUT"
expect_exit 0 "$DANGAN" search 翡翠
contains "$OUT" "glimmerwomp minutes, corrected" "search after encryption"
expect_exit 0 "$DANGAN" log --action keys.encrypt
contains "$OUT" "keys.encrypt" "the runs are logged"

# Done: a second run has nothing to do; a backup now works and restores.
expect_exit 0 "$DANGAN" keys encrypt
contains "$OUT" "0 records encrypted" "a second run"
expect_exit 0 "$DANGAN" backup bk --keys-dest kb
expect_exit 0 "$DANGAN" --archive restored restore bk --keys kb
expect_exit 0 "$DANGAN" --archive restored show "$C"
contains "$OUT" "砗磲标题 two" "the restored archive"
echo "test_encrypt_existing: ok"
