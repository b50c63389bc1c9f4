#!/usr/bin/env bash
# End-to-end: destroying a record the classifier learnt from leaves none of its words in
# any file of the archive — not in the classifier's saved model, not in the review
# decisions — while what the classifier learnt from the records that remain still holds
# after the model is rebuilt.
set -e
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$DANGAN" init --fonds X001 --name "Destroy forgets"
expect_exit 0 "$DANGAN" user add arch --role archivist --clearance 3
expect_exit 0 "$DANGAN" user add lead --role leader --clearance 1
expect_exit 0 "$DANGAN" user add w1 --role witness --clearance 1
expect_exit 0 "$DANGAN" user add w2 --role witness --clearance 1

model() { sqlite3 archive/catalog.db "SELECT value FROM classifier_state WHERE name = 'classifier.model'"; }
refcode() { echo "$OUT" | json 'j["refcode"]'; }

# A library loan slip, corrected to an asset transfer: a lesson that must survive.
printf '图书借阅登记\n读者：王老师\n借阅图书：《红楼梦》《三国演义》共2册\n借出日期：3月1日，应还日期：4月1日\n图书管理员签字\n' >loan.txt
expect_exit 0 "$DANGAN" --json add loan.txt --title "loan slip" --category administrative --year 2024
LOAN=$(refcode)
expect_exit 0 "$DANGAN" --as arch classify "$LOAN" asset --type transfer --reason "library loans are asset transfers"

# A record due for destruction, with a word and a phrase found nowhere else.
printf '关于翡翠鹦鹉螺旋桨的会议纪要\n出席：全体教职工\nzorblequux meeting minutes\n' >secret.txt
expect_exit 0 "$DANGAN" --json add secret.txt --title "minutes 2000" --category administrative \
    --type minutes --year 2000 --period D10
SECRET=$(refcode)
# A record filed from a batch, and found again as a duplicate in a second batch: the batch
# journal names its file (and keeps its hash) twice, and must forget both with it.
mkdir slips slips2
printf '关于荧光企鹅的会议纪要\nplughvexnote minutes\n' >slips/qwyxbatchname.txt
cp slips/qwyxbatchname.txt slips2/
printf 'files,title,date,category,type,period\nqwyxbatchname.txt,penguin minutes,2000-03-01,administrative,minutes,D10\n' >slips.csv
expect_exit 0 "$DANGAN" --json --as arch ingest slips --manifest slips.csv
SLIP=$(echo "$OUT" | json 'j["outcomes"][0]["refcode"]')
expect_exit 0 "$DANGAN" --json --as arch ingest slips2 --manifest slips.csv
[ "$(echo "$OUT" | json 'j["duplicates"]')" = 1 ] || fail "the second batch is not a duplicate: $OUT"
SLIP_SHA=$(sha256sum slips/qwyxbatchname.txt | cut -c1-64)
journal() { sqlite3 archive/catalog.db "SELECT count(*) FROM batch_files WHERE refcode = '$SLIP'"; }
[ "$(journal)" = 2 ] || fail "the batch journal should name the slip twice: $(journal)"
grep -a -r -q qwyxbatchname archive/catalog.db* || fail "the file name is not in the catalog (this test would prove nothing)"
expect_exit 0 "$DANGAN" --as arch review accept "$SECRET" --reason "minutes, as filed"
contains "$OUT" "learnt" "the classifier learnt the record"
# An archivist's own rule: typed keywords, not record content; it must be kept.
expect_exit 0 "$DANGAN" --as arch rules add xqzwidget asset --type stocktaking --weight 6

# The lesson is in the saved model (else this test would prove nothing).
model | grep -q zorblequux || fail "the token is not in the model before destruction"
model | grep -q 翠鹦 || fail "the Chinese pair is not in the model before destruction"
decisions=$(sqlite3 archive/catalog.db "SELECT count(*) FROM review_decisions")
[ "$decisions" = 2 ] || fail "expected 2 review decisions, found $decisions"

# ---- the retention steps ----
expect_exit 0 "$DANGAN" --as arch retention review --year 2026
expect_exit 0 "$DANGAN" --json retention list 2026
[ "$(echo "$OUT" | json 'sorted(i["refcode"] for i in j["items"])')" = "$(python3 -c "print(sorted(['$SECRET', '$SLIP']))")" ] \
    || fail "the review should queue the secret record and the slip: $OUT"
expect_exit 0 "$DANGAN" --as arch retention appraise "$SECRET" --destroy --reason "no further value"
expect_exit 0 "$DANGAN" --as arch retention appraise "$SLIP" --destroy --reason "no further value"
expect_exit 0 "$DANGAN" --as lead retention approve 2026
expect_exit 0 "$DANGAN" --as w1 retention witness 2026
expect_exit 0 "$DANGAN" --as w2 retention witness 2026
expect_exit 0 "$DANGAN" --as arch retention destroy 2026
contains "$OUT" "2 records destroyed" "destroy"

# No file under the archive folder still holds the record's words, in any form the
# classifier or the index keeps them (whole words, character pairs).
no_trace() { # WHEN
    for tok in zorblequux ZORBLEQUUX 翡翠鹦鹉螺旋桨 翠鹦 鹦鹉 螺旋桨 plughvexnote 荧光企鹅 \
        qwyxbatchname; do
        if grep -r -a -l -- "$tok" archive/; then fail "'$tok' survives $1"; fi
    done
}
no_trace "destruction"
[ "$(journal)" = 0 ] || fail "the batch journal still names the destroyed record's file"
[ -z "$(find archive -name "*$SLIP_SHA*")" ] || fail "a file is still named by the slip's hash"
# The file's hash is the hash of its one page, which the register keeps on purpose (the
# content hashes of what was destroyed); nowhere else.
[ "$(sqlite3 archive/catalog.db "SELECT count(*) FROM batch_files WHERE sha256 = '$SLIP_SHA'")" = 0 ] \
    || fail "the batch journal keeps the destroyed file's hash"
expect_exit 0 "$DANGAN" batch show 1
lacks "$OUT" "qwyxbatchname" "batch show after destruction"
[ -z "$(model)" ] || fail "the model was not forgotten"
left=$(sqlite3 archive/catalog.db "SELECT count(*) FROM review_decisions d JOIN records r ON r.id = d.record_id WHERE r.refcode = '$SECRET'")
[ "$left" = 0 ] || fail "the destroyed record's review decisions remain"
[ "$(sqlite3 archive/catalog.db "SELECT count(*) FROM review_decisions")" = 1 ] \
    || fail "the other record's decision went too"
expect_exit 0 "$DANGAN" --as arch rules list --own
contains "$OUT" "xqzwidget" "the archivist's rules are kept"
expect_exit 0 "$DANGAN" log --action classifier
contains "$OUT" "model forgotten" "forgetting is logged"
expect_exit 0 "$DANGAN" verify
expect_exit 0 "$DANGAN" log verify

# ---- the next ingest rebuilds the model; the loan lesson still holds ----
mkdir batch
printf '图书借阅登记\n读者：李同学\n借阅图书：《西游记》1册\n借出日期：5月8日，应还日期：6月8日\n管理员签字\n' >batch/loan-2.txt
expect_exit 0 "$DANGAN" --as arch ingest batch
LOAN2=$(echo "$OUT" | awk '/loan-2.txt/ {print $3}')
expect_exit 0 "$DANGAN" --as arch show "$LOAN2" --json
[ "$(echo "$OUT" | json 'j["version"]["category"]')" = asset ] || fail "a similar loan is no longer filed as an asset"
[ "$(echo "$OUT" | json 'j["version"]["type"]')" = transfer ] || fail "a similar loan is no longer a transfer"
expect_exit 0 "$DANGAN" log --action classifier
contains "$OUT" "model rebuilt from 1 remaining review decisions" "the rebuild is logged"
[ -n "$(model)" ] || fail "the rebuilt model was not saved"
model | grep -q 借阅 || fail "the rebuilt model lacks the loan lesson"
no_trace "the rebuild"

# Reviews go on as before on the rebuilt model.
expect_exit 0 "$DANGAN" --as arch review accept "$LOAN2"
contains "$OUT" "learnt" "a review after the rebuild"
no_trace "the next review"
echo "destroy-forgets e2e: ok"
