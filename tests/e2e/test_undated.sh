#!/usr/bin/env bash
# End-to-end (issue 16): a born-digital text in which no date is found is not filed under a
# guessed year. It waits under a provisional code (待定 in place of the year), is listed by
# `dangan undated`, never falls due for destruction, and gets its final code — the next
# number of the confirmed year's series — when an archivist gives the year. The provisional
# code still finds it (show, edit, log, search with ref:); no other record's code changes.
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/e2e/lib.sh"

expect_exit 0 "$DANGAN" init --fonds X001
expect_exit 0 "$DANGAN" user add li --clearance 3 --role archivist
# Clearance 4: the log shows a lower clearance entries about records above it withheld.
expect_exit 0 "$DANGAN" user add audit --clearance 4 --role auditor

# No date anywhere in the text: filed by ingest (extraction, classifier) under a
# provisional code, never the current year.
mkdir batch
printf '关于图书馆借阅规则的说明\n各位同学：借阅图书请持学生证，按期归还。ZQXUNDATED\n图书馆\n' >batch/undated.txt
expect_exit 0 "$DANGAN" ingest batch --json
PROV=$(echo "$OUT" | json "[o['refcode'] for o in j['outcomes'] if o['name'] == 'undated.txt'][0]")
contains "$PROV" "·待定-" "a record without a date waits under a provisional code"
lacks "$PROV" "·$(date +%Y)-" "no guessed year"
CAT=$(echo "$PROV" | sed 's/^X001-\([A-Z]*\)·.*/\1/')
PERIOD=$(echo "$PROV" | sed 's/^X001-[A-Z]*·待定-\([A-Z0-9]*\)-.*/\1/')
expect_exit 0 "$DANGAN" --json show "$PROV"
[ "$(echo "$OUT" | json "j['version']['year']")" = None ] || fail "a provisional record's year is null: $OUT"
# Search says the same: the hit's year is null, and the year facet has no year 0.
expect_exit 0 "$DANGAN" --json search ZQXUNDATED
[ "$(echo "$OUT" | json "j['hits'][0]['year']")" = None ] || fail "a provisional hit's year is null: $OUT"
[ "$(echo "$OUT" | json "len(j['facets']['year'])")" = 0 ] || fail "no year facet for it: $OUT"

# A dated record of 2023 in the same series, filed after it, takes 2023's first number.
printf '关于2023年春季运动会的通知\n运动会于2023年4月12日举行。\n' >dated.txt
expect_exit 0 "$DANGAN" add dated.txt --title 春季运动会 --category "$CAT" --period "$PERIOD" --date 2023-03-20 --json
DATED=$(echo "$OUT" | json "j['refcode']")
[ "$DATED" = "X001-$CAT·2023-$PERIOD-0001" ] || fail "the dated record is filed under its year: $DATED"
# A manual add without date or year is provisional too, and says so.
expect_exit 0 "$DANGAN" add dated.txt --title 无日期 --category "$CAT" --period "$PERIOD"
contains "$OUT" "年度待定" "the archivist is told the year waits for confirmation"
contains "$OUT" "X001-$CAT·待定-$PERIOD-0002" "the provisional series counts on"
PROV2="X001-$CAT·待定-$PERIOD-0002"
expect_exit 0 "$DANGAN" undated --json
[ "$(echo "$OUT" | json "[r['refcode'] for r in j['records']]")" = "['$PROV', '$PROV2']" ] ||
    fail "undated lists exactly the provisional records: $OUT"
expect_exit 0 "$DANGAN" undated
contains "$OUT" "$PROV" "undated names it for people too"
# The dot typed as '.' finds a provisional code as it finds any other.
expect_exit 0 "$DANGAN" show "$(echo "$PROV" | sed 's/·/./')"

# It never falls due: a forecast far ahead and a review both leave it alone.
expect_exit 0 "$DANGAN" retention due --within 1000y --json
lacks "$OUT" "待定" "a record without a year never falls due"

# Confirming the year: the next number of 2023's series; the alias is kept and logged.
expect_exit 2 "$DANGAN" --as li edit "$PROV" --year 2023
expect_exit 0 "$DANGAN" --as li --json edit "$PROV" --year 2023 --reason "据借书证样式确认为2023年"
FINAL=$(echo "$OUT" | json "j['refcode']")
[ "$FINAL" = "X001-$CAT·2023-$PERIOD-0002" ] || fail "the final code is the next in 2023's series: $OUT"
[ "$(echo "$OUT" | json "j['provisional_refcode']")" = "$PROV" ] || fail "the edit names the provisional code: $OUT"
expect_exit 0 "$DANGAN" --as li edit "$FINAL" --title "图书馆借阅规则" --reason "标题"
contains "$OUT" "$FINAL" "a later edit keeps the final code"

expect_exit 0 "$DANGAN" --json show "$FINAL"
[ "$(echo "$OUT" | json "j['refcode']")" = "$FINAL" ] || fail "show by the final code: $OUT"
[ "$(echo "$OUT" | json "j['version']['year']")" = 2023 ] || fail "the year is confirmed: $OUT"
expect_exit 0 "$DANGAN" --json show "$PROV"
[ "$(echo "$OUT" | json "j['refcode']")" = "$FINAL" ] || fail "the provisional code still finds it: $OUT"
expect_exit 0 "$DANGAN" --json show "$DATED"
[ "$(echo "$OUT" | json "j['refcode']")" = "$DATED" ] || fail "no other record's code changes: $OUT"
expect_exit 0 "$DANGAN" undated --json
[ "$(echo "$OUT" | json "[r['refcode'] for r in j['records']]")" = "['$PROV2']" ] ||
    fail "only the other provisional record waits: $OUT"
expect_exit 0 "$DANGAN" --json show "$PROV2"
[ "$(echo "$OUT" | json "j['refcode']")" = "$PROV2" ] || fail "the other provisional code is unchanged: $OUT"
expect_exit 0 "$DANGAN" show "$PROV2"
contains "$OUT" "待定 / to be confirmed" "show says the year waits, not year 0"

# Search finds it by its words and by both codes; the hit shows the final code.
expect_exit 0 "$DANGAN" --json search ZQXUNDATED
[ "$(echo "$OUT" | json "[h['refcode'] for h in j['hits']]")" = "['$FINAL']" ] || fail "search: $OUT"
for code in "$FINAL" "$PROV"; do
    expect_exit 0 "$DANGAN" --json search "ref:\"$code\""
    [ "$(echo "$OUT" | json "[h['refcode'] for h in j['hits']]")" = "['$FINAL']" ] ||
        fail "ref: finds it under $code: $OUT"
done

# The log: the edit names both codes; asking for either code gives the record's entries.
expect_exit 0 "$DANGAN" --as audit --json log --record "$PROV"
contains "$OUT" "year confirmed: $PROV is now $FINAL" "the confirmation is logged"
BY_PROV=$(echo "$OUT" | json "len(j['entries'])")
expect_exit 0 "$DANGAN" --as audit --json log --record "$FINAL"
[ "$(echo "$OUT" | json "len(j['entries'])")" = "$BY_PROV" ] || fail "either code gives the same entries"
contains "$OUT" "\"action\": \"add\"" "the add, logged under the provisional code, is among them"

# Now dated, it falls due like any 2023 D10 record; verify finds nothing wrong.
expect_exit 0 "$DANGAN" retention due --within 1000y --json
contains "$OUT" "$FINAL" "once confirmed it has a due year"
expect_exit 0 "$DANGAN" verify
echo "ok"
