#!/usr/bin/env bash
# End-to-end: the access log's canonical form (issue 17). An intruder who can write
# catalog.db rewrites one row so that it still serialises to the bytes its hash and its leaf
# were made from: a version off by 2^32, content moved across a field boundary, a search's
# shown hits hidden in its detail, NULL turned into the text 0x1E, a column of another type.
# Before the canonical form `log verify` called each intact, and a checkpoint could not help
# (the signed root is of the same bytes). Now each is named, with and without a checkpoint,
# `log prove` says the row is not what its proven bytes say, and Go (tests/go: the bytes
# decoded by the README's rules, independently of dangan) finds the row differs from them.
# Also: a query typed with control characters is logged with their pictures.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
set -e

V=$(go_verifier)

"$DANGAN" init --fonds X001 --name "Canonical test" >/dev/null
printf '关于期末考试安排的通知 XQZCANON\n' >n.txt
ref=$("$DANGAN" --json add n.txt --title 期末考试安排 --category administrative --year 2024 | json 'j["refcode"]')
"$DANGAN" search XQZCANON >/dev/null           # a search that showed a hit
"$DANGAN" show "$ref" >/dev/null                # a view of version 1
# A query with control characters (a tab, 0x1F, 0x1E, ESC) is logged with their pictures.
"$DANGAN" search "$(printf 'a\tb\x1fc\x1ed\x1b[2J')" >/dev/null || true
mkdir -m 700 keys
expect_exit 0 "$DANGAN" log keygen school.example/dangan-log --output keys/log.key
VK=$OUT
expect_exit 0 "$DANGAN" log checkpoint --log-key keys/log.key
printf '%s\n' "$OUT" >cp.txt
expect_exit 0 "$DANGAN" log verify
contains "$OUT" "intact" "the honest log"
expect_exit 0 "$DANGAN" log verify --checkpoint cp.txt --key "$VK"

DB="$DANGAN_ARCHIVE/log.db"
q() { sqlite3 "$DB" "$1"; }
pictured=$(q "SELECT query FROM access_log WHERE action = 'search' AND query LIKE 'a%' ORDER BY id DESC LIMIT 1")
[ "$pictured" = "a␉b␟c␞d␛[2J" ] || fail "control characters not logged as pictures: $pictured"
[ "$(q "SELECT count(*) FROM access_log WHERE instr(query, char(31)) OR instr(query, char(30)) OR instr(query, char(9))")" = 0 ] ||
    fail "a control character reached the log"

search=$(q "SELECT max(id) FROM access_log WHERE action = 'search' AND shown IS NOT NULL")
show=$(q "SELECT max(id) FROM access_log WHERE version = 1")        # the add or the view
norecord=$(q "SELECT min(id) FROM access_log WHERE refcode IS NULL") # init
[ -n "$search" ] && [ -n "$show" ] && [ -n "$norecord" ] || fail "the fixture's entries are missing"

# row_json ID: the row as stored, with each column's SQLite type, for the Go verifier.
row_json() {
    local cols="id at user_id login origin action refcode version query hits outcome detail shown"
    local sel="" c
    for c in $cols; do sel="$sel${sel:+, }$c, typeof($c) AS ${c}_type"; done
    sqlite3 -json "$1" "SELECT $sel FROM access_log WHERE id = $2"
}

# Every honest entry of the fixture: proven, and its row is its bytes, in Go.
for e in $search $show $norecord; do
    expect_exit 0 "$DANGAN" --json log prove "$e" --checkpoint cp.txt --key "$VK"
    printf '%s' "$OUT" >p.json
    json 'j["canonical"]' <p.json | grep -qx True || fail "honest entry $e not canonical"
    "$V" inclusion "$VK" cp.txt p.json >/dev/null || fail "Go: honest entry $e not included"
    row_json "$DB" "$e" >row.json
    "$V" row p.json row.json >/dev/null || fail "Go: honest entry $e is not its bytes"
done
cp -a "$DANGAN_ARCHIVE" "$T/pristine"

# tampered ENTRY SAME_BYTES NAMED GO_NAMED SQL: on a fresh copy, rewrite the row outside
# dangan; the row's bytes stay the honest ones when SAME_BYTES is 1. Then every verdict: dangan
# names NAMED, Go GO_NAMED.
tampered() {
    local entry=$1 same=$2 named=$3 go_named=$4 sql=$5
    rm -rf "$T/forged" && cp -a "$T/pristine" "$T/forged"
    local fdb="$T/forged/log.db"
    expect_exit 0 "$DANGAN" --archive "$T/forged" --json log prove "$entry" --checkpoint cp.txt --key "$VK"
    local before
    before=$(json 'j["leaf_data"]' <<<"$OUT")
    sqlite3 "$fdb" "DROP TRIGGER log_is_append_only; $sql"
    # the plain check names the entry and why
    expect_exit 1 "$DANGAN" --archive "$T/forged" --json log verify
    [ "$(json 'j["first_broken"]' <<<"$OUT")" = "$entry" ] || fail "$named: not entry $entry: $OUT"
    contains "$(json 'j["reason"]' <<<"$OUT")" "is not as dangan writes it: $named" "$named: plain verify"
    # so does the audit against the checkpoint signed before
    expect_exit 1 "$DANGAN" --archive "$T/forged" log verify --checkpoint cp.txt --key "$VK"
    contains "$OUT" "DOES NOT EXTEND THE CHECKPOINT" "$named: checkpoint"
    # (the same bytes still hash to the signed root: then the row's form is the finding)
    [ "$same" = 1 ] && contains "$OUT" "$named" "$named: the checkpoint's finding"
    # log prove: the bytes (proven as before when they are the same), the row not theirs
    expect_exit 1 "$DANGAN" --archive "$T/forged" --json log prove "$entry" --checkpoint cp.txt --key "$VK"
    printf '%s' "$OUT" >p.json
    json 'j["canonical"]' <p.json | grep -qx False || fail "$named: log prove calls it canonical"
    contains "$(json 'j["finding"]' <p.json)" "$named" "$named: log prove's finding"
    if [ "$same" = 1 ]; then
        [ "$(json 'j["leaf_data"]' <p.json)" = "$before" ] || fail "$named: the bytes changed"
        "$V" inclusion "$VK" cp.txt p.json >/dev/null || fail "$named: Go: the same bytes not proven"
    fi
    expect_exit 1 "$DANGAN" --archive "$T/forged" log prove "$entry" --checkpoint cp.txt --key "$VK"
    if [ "$same" = 1 ]; then
        contains "$OUT" "NOT WHAT THESE BYTES SAY: entry $entry is not as dangan writes it: $named" \
            "$named: log prove, text"
    else
        contains "$OUT" "IS NOT PROVEN" "$named: log prove, text"
    fi
    # Go, from the README's rules alone: the row is not what the checkpointed bytes say
    row_json "$fdb" "$entry" >row.json
    if "$V" row p.json row.json 2>go.err; then fail "$named: Go takes the row for its bytes"; fi
    contains "$(cat go.err)" "$go_named" "$named: Go's reason"
}

tampered "$show" 0 "its version 4294967297 is outside 0 to 2147483647" \
    "version 4294967297, hits -1 or user_id 1 is outside what dangan writes" \
    "UPDATE access_log SET version = version + 4294967296 WHERE id = $show"
tampered "$search" 1 "its outcome holds the byte 0x1F" \
    "the row's outcome is \"ok\\x1f\\x1e\"; its proven bytes say \"ok\"" \
    "UPDATE access_log SET outcome = outcome || char(31) || coalesce(detail, char(30)), detail = shown, shown = NULL WHERE id = $search"
tampered "$search" 1 "its detail holds the byte 0x1E" "the row's detail is text; its proven bytes say NULL" \
    "UPDATE access_log SET detail = coalesce(detail, char(30)) || char(31) || shown, shown = NULL WHERE id = $search"
tampered "$norecord" 1 "its refcode holds the byte 0x1E" "the row's refcode is text; its proven bytes say NULL" \
    "UPDATE access_log SET refcode = char(30) WHERE id = $norecord"
tampered "$search" 1 "its login is a blob, where dangan stores text" \
    "the row's login is blob, where dangan stores text" \
    "UPDATE access_log SET login = CAST(login AS BLOB) WHERE id = $search"
tampered "$show" 1 "its version is a blob, where dangan stores an integer" \
    "the row's version is blob, where dangan stores integer" \
    "UPDATE access_log SET version = CAST('1' AS BLOB) WHERE id = $show"

# The untouched archive still verifies, against the same checkpoint.
expect_exit 0 "$DANGAN" --archive "$T/pristine" log verify --checkpoint cp.txt --key "$VK"
echo "ok"
