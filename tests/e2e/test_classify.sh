#!/usr/bin/env bash
# End-to-end: automatic classification and the archivist's review — records arrive
# classified and dated, uncertain ones wait in the review queue (within clearance), a
# correction is a new version with who and why, and the next ingest of a similar record
# follows it; accept, rules, --explain and --eval (10,000 labelled records).
set -e
CORPUS="$(cd "$(dirname "$0")/../.." && pwd)/ingest/corpus/heldout.jsonl"
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$DANGAN" init --fonds X001 --name "Classification Test"
expect_exit 0 "$DANGAN" user add li --name 李老师 --clearance 3 --role archivist
expect_exit 0 "$DANGAN" user add low --clearance 1 --role archivist
expect_exit 0 "$DANGAN" user add zhang --clearance 3 --role staff

# A library loan slip: not a kind of record the starter corpus knows. Undated, too.
mkdir -p batch1 batch2
printf '图书借阅登记\n读者：王老师\n借阅图书：《红楼梦》《三国演义》共2册\n借出日期：3月1日，应还日期：4月1日\n图书管理员签字\n' \
    > batch1/loan-1.txt
printf '关于2024年寒假安排的通知\n各位教职工：\n根据学校安排，2024年寒假自1月20日开始，2月18日正式上课。\n校长办公室\n2024年1月10日\n' \
    > batch1/notice.txt
printf '差旅费报销单\n报销人：张明\n出差事由：参加市教研会议\n交通费 320元，住宿费 600元，合计 920元\n附发票3张\n财务处审核\n2024年3月5日\n' \
    > batch1/expenses.txt
expect_exit 0 "$DANGAN" --as li ingest batch1
contains "$OUT" "3 filed" "ingest"

# Records arrive classified, dated and titled.
expect_exit 0 "$DANGAN" --as li search 寒假 --json
[ "$(echo "$OUT" | json 'j["hits"][0]["category"]')" = administrative ] || fail "notice not administrative"
[ "$(echo "$OUT" | json 'j["hits"][0]["date"]')" = 2024-01-10 ] || fail "notice date not extracted"
expect_exit 0 "$DANGAN" --as li search 差旅费 --json
[ "$(echo "$OUT" | json 'j["hits"][0]["category"]')" = finance ] || fail "expense claim not finance"

# The loan slip is uncertain (and undated): it waits for review, least confident first.
expect_exit 0 "$DANGAN" --as li review list --json
LOAN=$(echo "$OUT" | json '[r["refcode"] for r in j["records"] if r["source_file"] == "loan-1.txt"][0]')
FIRST=$(echo "$OUT" | json 'j["records"][0]["refcode"]')
[ "$LOAN" = "$FIRST" ] || fail "the least confident record is not listed first"
echo "$OUT" | json '[r["reasons"] for r in j["records"] if r["refcode"] == "'"$LOAN"'"][0]' | grep -q "no date found" \
    || fail "the undated record does not say why it waits"
echo "$OUT" | json '[r["confidence"] for r in j["records"]] == sorted(r["confidence"] for r in j["records"])' \
    | grep -q True || fail "queue not sorted by confidence"
expect_exit 0 "$DANGAN" --as li review list
contains "$OUT" "$LOAN" "review list text"
contains "$OUT" "no date found" "review list reasons"
LOAN_CATEGORY=$("$DANGAN" --as li show "$LOAN" --json | json 'j["version"]["category"]')
[ "$LOAN_CATEGORY" != asset ] || fail "the starter model already files loans as assets: the test proves nothing"

# Clearance: an archivist with clearance 1 never sees a level-2 record in the queue.
LOAN_LEVEL=$("$DANGAN" --as li show "$LOAN" --json | json 'j["level"]')
if [ "$LOAN_LEVEL" -ge 2 ]; then
    expect_exit 0 "$DANGAN" --as low review list --json
    lacks "$OUT" "$LOAN" "queue above clearance"
    expect_exit 3 "$DANGAN" --as low review accept "$LOAN"
fi
# Staff do not review.
expect_exit 4 "$DANGAN" --as zhang review list
expect_exit 4 "$DANGAN" --as zhang classify "$LOAN" asset --type transfer --reason x
expect_exit 4 "$DANGAN" --as zhang rules list

# --explain names the deciding words.
expect_exit 0 "$DANGAN" --as li classify --explain "$LOAN"
contains "$OUT" "probabilities" "explain"
contains "$OUT" "$LOAN is filed as $LOAN_CATEGORY" "explain names the filing"

# Bad corrections are refused with the reason.
expect_exit 2 "$DANGAN" --as li classify "$LOAN" asset --type voucher --reason x
contains "$ERR" "not a asset type" "type outside the category"
expect_exit 2 "$DANGAN" --as li classify "$LOAN" nonsense --type transfer --reason x
expect_exit 2 "$DANGAN" --as li classify "$LOAN" asset --type transfer
contains "$ERR" "reason" "a correction needs a reason"

# The correction: a new version with who and why, logged; the queue lets the record go.
expect_exit 0 "$DANGAN" --as li classify "$LOAN" asset --type transfer --reason "library loans are asset transfers"
contains "$OUT" "version 2" "correction is a new version"
expect_exit 0 "$DANGAN" --as li history "$LOAN" --json
[ "$(echo "$OUT" | json 'j["versions"][1]["category"]')" = asset ] || fail "version 2 not asset"
[ "$(echo "$OUT" | json 'j["versions"][1]["type"]')" = transfer ] || fail "version 2 not a transfer"
[ "$(echo "$OUT" | json 'j["versions"][1]["author"]')" = li ] || fail "version 2 not by li"
[ "$(echo "$OUT" | json 'j["versions"][1]["reason"]')" = "library loans are asset transfers" ] || fail "reason lost"
[ "$(echo "$OUT" | json 'j["versions"][1]["period"]')" = D30 ] || fail "period not from the schedule"
[ "$(echo "$OUT" | json 'j["versions"][0]["category"]')" = "$LOAN_CATEGORY" ] || fail "version 1 changed"
expect_exit 0 "$DANGAN" log --action review --json
contains "$OUT" "corrected asset/transfer" "the correction is logged"
contains "$OUT" "$LOAN" "the log names the record"
expect_exit 0 "$DANGAN" --as li review list --json
lacks "$OUT" "$LOAN" "a corrected record left the queue"

# The classifier learnt: a similar new record arrives as an asset transfer.
printf '图书借阅登记\n读者：李同学\n借阅图书：《西游记》1册\n借出日期：5月8日，应还日期：6月8日\n管理员签字\n' \
    > batch2/loan-2.txt
expect_exit 0 "$DANGAN" --as li ingest batch2
LOAN2=$(echo "$OUT" | awk '/loan-2.txt/ {print $3}')
contains "$LOAN2" "X001-ZC·" "the new loan is filed under assets"
expect_exit 0 "$DANGAN" --as li show "$LOAN2" --json
[ "$(echo "$OUT" | json 'j["version"]["category"]')" = asset ] || fail "new loan not asset"
[ "$(echo "$OUT" | json 'j["version"]["type"]')" = transfer ] || fail "new loan not a transfer"

# Accepting confirms as is, once; the record leaves the queue.
expect_exit 0 "$DANGAN" --as li review accept "$LOAN2" --reason "checked"
contains "$OUT" "confirmed as asset/transfer" "accept"
expect_exit 5 "$DANGAN" --as li review accept "$LOAN2"
expect_exit 0 "$DANGAN" --as li review list --json
lacks "$OUT" "$LOAN2" "accepted record left the queue"

# The threshold is the archive's and configurable.
expect_exit 0 "$DANGAN" --as li review threshold
contains "$OUT" "0.60" "default threshold"
BEFORE=$("$DANGAN" --as li review list --json | json 'j["total"]')
expect_exit 0 "$DANGAN" --as li review threshold 1
AFTER=$("$DANGAN" --as li review list --json | json 'j["total"]')
[ "$AFTER" -gt "$BEFORE" ] || fail "a higher threshold should queue more ($BEFORE -> $AFTER)"
expect_exit 2 "$DANGAN" --as li review threshold 1.5

# Archive rules: added, listed, used by the next ingest, removed; every change logged.
expect_exit 0 "$DANGAN" --as li rules add xqzwidget asset --type stocktaking --weight 6
expect_exit 0 "$DANGAN" --as li rules list --own
contains "$OUT" "xqzwidget" "own rules"
printf 'XQZWIDGET tally sheet for the science lab\n' > batch2/tally.txt
expect_exit 0 "$DANGAN" --as li ingest batch2/tally.txt
contains "$OUT" "X001-ZC·" "a rule decides the next ingest"
expect_exit 0 "$DANGAN" --as li rules remove XQZWIDGET asset --type stocktaking
expect_exit 3 "$DANGAN" --as li rules remove xqzwidget asset --type stocktaking
expect_exit 0 "$DANGAN" log --action classifier
contains "$OUT" "rule added: xqzwidget" "rule change logged"

# --eval: 10,000 labelled records, accuracy, per-category precision/recall, confusion.
for i in $(seq 1 60); do cat "$CORPUS"; done > labelled.jsonl
expect_exit 0 "$DANGAN" --as li classify --eval labelled.jsonl --json
[ "$(echo "$OUT" | json 'j["records"]')" -ge 10000 ] || fail "eval did not read 10,000 records"
echo "$OUT" | json 'j["accuracy"] >= 0.9' | grep -q True || fail "accuracy below 90%"
echo "$OUT" | json 'j["seconds"] >= 0' | grep -q True || fail "eval reports no time"
expect_exit 0 "$DANGAN" --as li classify --eval "$CORPUS"
contains "$OUT" "precision" "eval table"
contains "$OUT" "confusion" "eval confusion matrix"
printf '{"text": "x", "category": "finance"}\nnot json\n' > bad.jsonl
expect_exit 6 "$DANGAN" --as li classify --eval bad.jsonl
contains "$ERR" "line 2" "eval names the bad line"

expect_exit 0 "$DANGAN" classify --eval --help
contains "$OUT" "usage: dangan classify --eval" "help"
expect_exit 0 "$DANGAN" log verify
echo "ok"
