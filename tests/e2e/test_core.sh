#!/usr/bin/env bash
# End-to-end: the engine core through the real binary — init, users, add, show, edit,
# history, clearance refusals that look like absence, the log and its chain, verify.
set -e
. "$(dirname "$0")/lib.sh"
ME=$(id -un)

expect_exit 0 "$DANGAN" init --fonds X001 --name "Example School Archive"
contains "$OUT" "$ME is its admin" "init"
[ "$(stat -c %a "$DANGAN_ARCHIVE")" = 700 ] || fail "archive folder is not 0700"
[ "$(stat -c %a "$DANGAN_ARCHIVE/catalog.db")" = 600 ] || fail "catalog is not 0600"
[ "$(stat -c %a "$DANGAN_ARCHIVE/log.db")" = 600 ] || fail "the access log's file is not 0600"
expect_exit 5 "$DANGAN" init --fonds X001
contains "$ERR" "already there" "second init"

expect_exit 0 "$DANGAN" user add zhang --name 张老师 --clearance 1 --role staff
expect_exit 0 "$DANGAN" user add li --clearance 3 --role archivist,witness
expect_exit 0 "$DANGAN" user add audit --clearance 0 --role auditor
expect_exit 0 "$DANGAN" user list
contains "$OUT" "张老师" "user list"
expect_exit 2 "$DANGAN" user add wang --clearance 9
expect_exit 4 "$DANGAN" --as zhang user add wang --clearance 1
expect_exit 4 "$DANGAN" --as stranger whoami
contains "$ERR" "no archive account for OS user 'stranger'" "unknown user"

printf '各位教职工：\n根据学校安排，2024年寒假自1月20日开始，2月18日正式上课。\n校长办公室\n' > notice.txt
expect_exit 0 "$DANGAN" add notice.txt --title "关于2024年寒假安排的通知" --category administrative \
    --type notice --date 2024-01-10 --level 1 --dept-code BGS --doc-number "校办〔2024〕3号"
REF=$(echo "$OUT" | awk '{print $1}')
[ "$REF" = "X001-XZ·2024-D10-BGS-0001" ] || fail "unexpected reference code $REF"
printf 'Salary adjustments for 2024: confidential figures XQZSALARY.\n' > salary.txt
expect_exit 0 "$DANGAN" add salary.txt --title "2024 salary adjustment" --category personnel --level 3 --date 2024-03-01
SECRET=$(echo "$OUT" | awk '{print $1}')
contains "$SECRET" "X001-RS·2024-Y-" "personnel defaults to permanent"
expect_exit 6 "$DANGAN" add /dev/null --title x --category finance
printf '\xff\xfe\x00bin' > binary.txt
expect_exit 6 "$DANGAN" add binary.txt --title x --category finance
contains "$ERR" "binary.txt" "bad input names the file"
expect_exit 2 "$DANGAN" add notice.txt --title x --category nonsense
contains "$ERR" "unknown category 'nonsense'" "bad category"
expect_exit 2 "$DANGAN" add notice.txt --title x --category finance --date 2024-02-30
expect_exit 2 "$DANGAN" add missing-file.txt --title x --category finance
contains "$ERR" "missing-file.txt" "missing file"

# Show, as staff and as the admin.
expect_exit 0 "$DANGAN" --as zhang show "$REF"
contains "$OUT" "关于2024年寒假安排的通知" "show title"
contains "$OUT" "2月18日正式上课" "show text"
# Above clearance: exactly like a record that does not exist.
expect_exit 3 "$DANGAN" --as zhang show "$SECRET"
ABOVE=$ERR
MISSING_REF="${SECRET%0002}0099"
expect_exit 3 "$DANGAN" --as zhang show "$MISSING_REF"
[ "${ABOVE/$SECRET/REF}" = "${ERR/$MISSING_REF/REF}" ] || fail "refusal differs from absence: '$ABOVE' vs '$ERR'"
expect_exit 0 "$DANGAN" --as zhang search XQZSALARY --json
[ "$(echo "$OUT" | json 'j["total"]')" = 0 ] || fail "staff counted a confidential record"
expect_exit 0 "$DANGAN" --as li search XQZSALARY --json
[ "$(echo "$OUT" | json 'j["total"]')" = 1 ] || fail "clearance 3 should find the record"

# A page kept as its original file leaves as a watermarked sheet of its text (no
# plaintext page leaves without its mark); --original gives the file byte for byte, within
# the reader's own clearance; refused above clearance.
expect_exit 0 "$DANGAN" --as zhang page "$REF" 1 --output "$T/page1.png"
[ "$(head -c 8 "$T/page1.png" | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ] || fail "page 1 is not a PNG sheet"
cmp -s "$T/page1.png" notice.txt && fail "page 1 left unmarked"
expect_exit 0 "$DANGAN" --as zhang --json page "$REF" 1
[ "$(echo "$OUT" | json 'j["sheets"], j["mime"]')" = "1 image/png" ] || fail "the notice's text is one marked sheet: $OUT"
# show --sheets counts an original's sheets without drawing them: as many as page draws.
for i in $(seq 1 80); do echo "第 $i 行 XQZLONG line of a long circular"; done > long.txt
expect_exit 0 "$DANGAN" add long.txt --title "Long circular" --category administrative --date 2024-03-01
LONG=$(echo "$OUT" | awk '{print $1}')
expect_exit 0 "$DANGAN" --json show "$LONG" --sheets
SHEETS=$(echo "$OUT" | json 'j["pages"][0]["sheets"]')
[ "$SHEETS" = 3 ] || fail "80 lines at 32 a sheet fill 3 sheets, show says '$SHEETS'"
expect_exit 0 "$DANGAN" --json page "$LONG" 1 --sheet "$SHEETS"
[ "$(echo "$OUT" | json 'j["sheets"]')" = "$SHEETS" ] || fail "page and show --sheets disagree: $OUT"
expect_exit 3 "$DANGAN" page "$LONG" 1 --sheet $((SHEETS + 1)) --output "$T/past.png"
expect_exit 0 "$DANGAN" show "$LONG" --sheets
contains "$OUT" "page 1: 3" "show --sheets says it in text too"
expect_exit 0 "$DANGAN" --json show "$LONG"
lacks "$OUT" '"sheets"' "plain show does not count sheets"
expect_exit 0 "$DANGAN" --as zhang page "$REF" 1 --original --output "$T/page1.out"
cmp -s "$T/page1.out" notice.txt || fail "the original differs from the filed file"
expect_exit 0 "$DANGAN" log --json --user zhang
contains "$OUT" "page 1 original" "the original's export is logged as such"
expect_exit 3 "$DANGAN" --as zhang page "$SECRET" 1 --output "$T/leak.out"
[ ! -s "$T/leak.out" ] || fail "page of a record above clearance was written"

# Edit makes version 2; the old one stays.
expect_exit 0 "$DANGAN" edit "$REF" --level 2 --reason "contains staff ID numbers"
contains "$OUT" "version 2" "edit"
expect_exit 2 "$DANGAN" edit "$REF" --title "No reason given"
contains "$ERR" "reason" "edit without reason"
expect_exit 3 "$DANGAN" --as zhang show "$REF"
expect_exit 0 "$DANGAN" --as li show "$REF" --version 1
contains "$OUT" "version 1 of 2" "old version readable"
expect_exit 0 "$DANGAN" history "$REF" --json
[ "$(echo "$OUT" | json 'len(j["versions"])')" = 2 ] || fail "history should list 2 versions"
[ "$(echo "$OUT" | json 'j["versions"][1]["reason"]')" = "contains staff ID numbers" ] || fail "reason kept"

# Every command has --help.
for c in page whoami "user add" "user set" "user list" add show history edit grant revoke search reindex log "log verify" verify init; do
    # shellcheck disable=SC2086
    expect_exit 0 "$DANGAN" $c --help
    contains "$OUT" "usage: " "$c --help"
done

# The log: auditors read it, staff cannot; search is logged with its query and count.
expect_exit 4 "$DANGAN" --as zhang log
expect_exit 0 "$DANGAN" --as audit log --action search --csv
contains "$OUT" '"XQZSALARY"' "search logged with query"
expect_exit 0 "$DANGAN" --as audit log --user zhang --json
contains "$OUT" '"refused"' "refusal logged"
expect_exit 0 "$DANGAN" --as audit log verify
contains "$OUT" "intact" "log verify"
# Tamper with one row behind dangan's back: log verify names it.
sqlite3 "$DANGAN_ARCHIVE/log.db" "DROP TRIGGER log_is_append_only; UPDATE access_log SET query = 'innocent' WHERE query = 'XQZSALARY';"
expect_exit 1 "$DANGAN" --as audit log verify
contains "$OUT" "BROKEN" "tampered log"

# verify checks the log's chain too (for those who may read the log): the tampered row.
expect_exit 1 "$DANGAN" verify
contains "$OUT" "was altered" "verify sees the broken log"
# The archivist's verify does not read the log: the store, from here on.
V=(--as li)
# verify: whole, then a flipped byte, then a deleted object.
expect_exit 0 "$DANGAN" "${V[@]}" verify
contains "$OUT" "0 problems" "verify clean"
OBJ=$(find "$DANGAN_ARCHIVE/objects" -mindepth 2 -type f -regex '.*/objects/[0-9a-f][0-9a-f]/[0-9a-f]*' | head -1)
[ -n "$OBJ" ] || fail "no object files found"
cp "$OBJ" "$T/saved-object"
python3 - "$OBJ" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[len(b) // 2] ^= 0x40
open(p, 'wb').write(bytes(b))
PY
expect_exit 1 "$DANGAN" "${V[@]}" verify
contains "$OUT" "corrupt" "flipped byte"
cp "$T/saved-object" "$OBJ"
expect_exit 0 "$DANGAN" "${V[@]}" verify
rm "$OBJ"
expect_exit 1 "$DANGAN" "${V[@]}" verify
contains "$OUT" "missing" "deleted object"
cp "$T/saved-object" "$OBJ"
echo stray > "$DANGAN_ARCHIVE/objects/stray-file"
expect_exit 1 "$DANGAN" "${V[@]}" verify
contains "$OUT" "orphan" "stray file"
rm "$DANGAN_ARCHIVE/objects/stray-file"
expect_exit 0 "$DANGAN" "${V[@]}" verify
echo "core e2e: ok"
