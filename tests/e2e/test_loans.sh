#!/usr/bin/env bash
# End-to-end: loans (借阅) and watermarked exports through `dangan serve`, with real OS
# users: a teacher (clearance 1) asks to read a level-2 personnel record, a leader
# approves, the teacher reads it, the due date passes (the test clock) and access ends by
# itself; a request for one's own or a relative's personnel file is refused; a paper
# original goes out and comes back and `show` says so; ID numbers are masked for all but
# archivists; an export carries the reader's watermark (OCR finds the login, the reference
# code and the access-log entry id of the export on the page; a pixel comparison with the
# unwatermarked page shows the mark is there and the page's own text is still read); the
# register prints as CSV and PDF.
#
# Needs root (to create OS users), tesseract, mutool and ImageMagick; otherwise SKIP.
. "$(dirname "$0")/lib.sh"
need_root_and tesseract mutool convert compare

# No underscores in the logins: the watermark's login is read back by OCR.
RUN_ID=$(( $$ % 100000 ))
U_OWNER=dgown$RUN_ID U_TEACH=dgteach$RUN_ID U_LEAD=dglead$RUN_ID U_ARCH=dgarch$RUN_ID
os_users $U_OWNER $U_TEACH $U_LEAD $U_ARCH
AS_ENV=(TZ=UTC)
for u in $U_TEACH $U_LEAD $U_ARCH; do
    mkdir "$T/$u" && chown "$u": "$T/$u" && chmod 0700 "$T/$u"
done

# start_server [DANGAN_TEST_NOW value]: the server, as the archive's owner.
start_server() {
    local before
    before=$(grep -c "listening on" "$T/serve.log" 2>/dev/null)
    as_prefix $U_OWNER
    "${AS[@]}" DANGAN_TEST_NOW="${1:-}" "$D" serve --archive "$ARCH" --socket "$SOCK" \
        --workers 2 --overdue-mail "cat > $T/run/mailed.txt" >>"$T/serve.log" 2>&1 &
    SERVER_PID=$!
    await_server "$before"
}
stop_server() {
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
}

# ---- setup: the owner files the records and keeps the accounts, directly ---------------
OWN() { as $U_OWNER "$D" --archive "$ARCH" "$@"; }
expect_exit 0 OWN init --fonds X001 --name "Loan Test"
expect_exit 0 OWN user add $U_TEACH --name 张老师 --clearance 1 --role staff
expect_exit 0 OWN user add $U_LEAD --name 李校长 --clearance 3 --role staff,leader
expect_exit 0 OWN user add $U_ARCH --name 赵档案 --clearance 3 --role staff,archivist
expect_exit 0 OWN user relate $U_TEACH 张小明 --relation 子女

mkdir -p "$T/srv/batch" && chown $U_OWNER: "$T/srv/batch"
convert -size 1240x1754 xc:white -font DejaVu-Sans -pointsize 30 -fill black \
    -draw "text 100,300 'Annual appraisal of Wang Wu'" \
    -draw "text 100,400 'Rating excellent PAGEWORD'" "$T/srv/batch/appraisal.png" ||
    fail "convert"
printf 'files,title,date,category,level\nappraisal.png,王五 年度考核,2024-03-12,personnel,2\n' \
    >"$T/srv/batch/manifest.csv"
printf '张老师 职称评审 材料\n' >"$T/srv/own.txt"
printf '张小明 学籍 材料\n' >"$T/srv/rel.txt"
chown $U_OWNER: "$T/srv/batch/"* "$T/srv/"*.txt
expect_exit 0 OWN ingest "$T/srv/batch" --manifest "$T/srv/batch/manifest.csv"
expect_exit 0 OWN --json search PAGEWORD
REF=$(echo "$OUT" | json 'j["hits"][0]["refcode"]')
contains "$REF" "X001-RS·2024" "the appraisal was filed as a personnel record"
expect_exit 0 OWN add "$T/srv/own.txt" --title "张老师 职称评审材料" --category personnel \
    --date 2019-05-01 --level 2
OWNFILE=$(echo "$OUT" | awk '{print $1}')
expect_exit 0 OWN add "$T/srv/rel.txt" --title "张小明 学籍材料" --category personnel \
    --date 2019-06-01 --level 2
RELFILE=$(echo "$OUT" | awk '{print $1}')

start_server

# ---- an electronic loan: request, approval, reading --------------------------------
expect_exit 3 as $U_TEACH "$D" show "$REF"
expect_exit 0 as $U_TEACH "$D" --json loan request "$REF" --purpose 职称评审材料核对 \
    --method read --days 7
LOAN=$(echo "$OUT" | json 'j["id"]')
expect_exit 4 as $U_TEACH "$D" loan approve "$LOAN"            # not a leader
expect_exit 0 as $U_LEAD "$D" loan list --pending
contains "$OUT" "$REF" "the leader's queue"
contains "$OUT" "王五 年度考核" "the leader sees the title"
expect_exit 0 as $U_LEAD "$D" loan approve "$LOAN"
expect_exit 5 as $U_LEAD "$D" loan approve "$LOAN"             # decided already
expect_exit 0 as $U_TEACH "$D" show "$REF"
contains "$OUT" "王五 年度考核" "the borrower reads the record"
expect_exit 0 as $U_TEACH "$D" page "$REF" 1 --output "$T/$U_TEACH/p1.png"
# Search stays by clearance: the loan opens the record by its code, not the index.
expect_exit 0 as $U_TEACH "$D" --json search PAGEWORD
[ "$(echo "$OUT" | json 'j["total"]')" = 0 ] || fail "a loan put the record in search: $OUT"
# read does not allow copies of a level-2 record
expect_exit 4 as $U_TEACH "$D" export "$REF" --pdf "$T/$U_TEACH/no.pdf"
[ ! -e "$T/$U_TEACH/no.pdf" ] || fail "an export without copy right was written"

# A leader cannot approve their own request.
expect_exit 0 as $U_LEAD "$D" --json loan request "$OWNFILE" --purpose 核对 --method read --days 1
SELF=$(echo "$OUT" | json 'j["id"]')
expect_exit 4 as $U_LEAD "$D" loan approve "$SELF"
contains "$ERR" "requester" "approving one's own request"
expect_exit 4 as $U_LEAD "$D" loan refuse "$SELF" --reason "无需查阅"
expect_exit 2 as $U_LEAD "$D" loan refuse "$SELF" # no reason

# ---- one's own, and a relative's, personnel file ----------------------------------
expect_exit 4 as $U_TEACH "$D" loan request "$OWNFILE" --purpose 核对 --method read --days 3
contains "$ERR" "本人人事档案" "own personnel file refused"
expect_exit 4 as $U_TEACH "$D" loan request "$RELFILE" --purpose 核对 --method read --days 3
contains "$ERR" "亲属人事档案" "a relative's personnel file refused"
expect_exit 3 as $U_TEACH "$D" show "$OWNFILE"
expect_exit 0 as $U_TEACH "$D" loan list
contains "$OUT" "不予批准" "the refusal is in the teacher's list"

# The subject person (当事人) decides whose file it is; the title only when there is none.
printf '考核表\n' >"$T/srv/subj.txt"
chown $U_OWNER: "$T/srv/subj.txt"
expect_exit 0 OWN add "$T/srv/subj.txt" --title "2023年度考核表" --category personnel \
    --date 2023-12-01 --level 2 --subject $U_TEACH
BYLOGIN=$(echo "$OUT" | awk '{print $1}')
expect_exit 0 OWN add "$T/srv/subj.txt" --title "2023年度考核表 (乙)" --category personnel \
    --date 2023-12-02 --level 2 --subject "张小明 (110101200801011234)"
BYRELATIVE=$(echo "$OUT" | awk '{print $1}')
expect_exit 0 OWN add "$T/srv/subj.txt" --title "张老师 评议的 王五 考核" --category personnel \
    --date 2023-12-03 --level 2 --subject 王五
NOTHERS=$(echo "$OUT" | awk '{print $1}')
expect_exit 0 OWN show "$BYLOGIN"
contains "$OUT" "$U_TEACH" "show names the subject"
expect_exit 4 as $U_TEACH "$D" loan request "$BYLOGIN" --purpose 核对 --method read --days 3
contains "$ERR" "本人人事档案" "own file by its subject's login"
expect_exit 4 as $U_TEACH "$D" loan request "$BYRELATIVE" --purpose 核对 --method read --days 3
contains "$ERR" "亲属人事档案" "a relative's file by its subject"
# A title naming the teacher does not make someone else's file theirs.
expect_exit 0 as $U_TEACH "$D" loan request "$NOTHERS" --purpose 核对 --method read --days 3
# edit --subject corrects an older record whose title misled the rule.
expect_exit 0 OWN edit "$OWNFILE" --subject 李四 --reason "当事人为李四"
expect_exit 0 as $U_TEACH "$D" loan request "$OWNFILE" --purpose 再次核对 --method read --days 3

# ---- a provisional code kept as an alias names the record for a loan ----------------
printf '未注日期的材料 ALIASWORD\n' >"$T/srv/undated.txt"
chown $U_OWNER: "$T/srv/undated.txt"
expect_exit 0 OWN add "$T/srv/undated.txt" --title 未注日期的考核 --category personnel --level 2
PROVISIONAL=$(echo "$OUT" | awk '{print $1}')
contains "$PROVISIONAL" "待定" "filed under a provisional code"
expect_exit 0 OWN --json edit "$PROVISIONAL" --year 2020 --reason 年度已核实
FINAL=$(echo "$OUT" | json 'j["refcode"]')
expect_exit 0 as $U_TEACH "$D" --json loan request "$PROVISIONAL" --purpose 核对 --method read --days 3
ALIASED=$(echo "$OUT" | json 'j["id"]')
expect_exit 0 as $U_LEAD "$D" loan approve "$ALIASED"
expect_exit 0 as $U_TEACH "$D" show "$FINAL"
contains "$OUT" "未注日期的考核" "a loan asked by the provisional code opens the record"
expect_exit 0 as $U_LEAD "$D" loan list --record "$FINAL"
contains "$OUT" "$PROVISIONAL" "the loan listed under the record's final code"

# ---- a copy loan and a watermarked export -----------------------------------------
expect_exit 0 as $U_TEACH "$D" --json loan request "$REF" --purpose 复印存档 --method copy --days 2
COPY=$(echo "$OUT" | json 'j["id"]')
expect_exit 0 as $U_LEAD "$D" loan approve "$COPY"
expect_exit 0 as $U_TEACH "$D" export "$REF" --pdf "$T/$U_TEACH/out.pdf"
contains "$OUT" "watermarked" "export"
ENTRY=$(echo "$OUT" | sed -n 's/.*access log entry \([0-9]*\).*/\1/p')
expect_exit 0 OWN --json log --action export --user $U_TEACH
LOGGED=$(echo "$OUT" | json '[e["id"] for e in j["entries"] if e["outcome"] == "ok"][-1]')
[ "$ENTRY" = "$LOGGED" ] || fail "the export's entry is $LOGGED, the PDF says $ENTRY"
# 1240 px over 595 pt: 150 dpi gives the page back at its own size.
mutool draw -q -r 150 -o "$T/export.png" "$T/$U_TEACH/out.pdf" 1 2>/dev/null ||
    fail "mutool could not render the export"
convert "$T/export.png" -resize '1240x1754!' "$T/export-sized.png"
tesseract "$T/export-sized.png" "$T/ocr" >/dev/null 2>&1 || fail "tesseract"
OCR=$(tr -d ' ' <"$T/ocr.txt")
contains "$OCR" "$U_TEACH" "the reader's login on the exported page"
# The reference code: "·" reads back as any one character.
python3 - "$REF" "$OCR" <<'PY' || fail "the reference code on the exported page: $OCR"
import re, sys
ref, text = sys.argv[1], sys.argv[2]
pattern = ".?".join(re.escape(part) for part in ref.split("·"))
sys.exit(0 if re.search(pattern, text) else 1)
PY
contains "$OCR" "#$ENTRY" "the log entry id on the exported page"
contains "$OCR" "PAGEWORD" "the page's own text is still read under the mark"
# The mark is in the pixels: the page differs from the filed one, in its foot band
# (opaque) and in its body (the translucent tiles), while the white page stays white.
diff_of() { compare -metric AE -fuzz 20% "$1" "$2" null: 2>&1 >/dev/null | awk '{print int($1)}'; }
convert "$T/srv/batch/appraisal.png" -crop 1240x200+0+1554 +repage "$T/orig-foot.png"
convert "$T/export-sized.png" -crop 1240x200+0+1554 +repage "$T/mark-foot.png"
[ "$(diff_of "$T/orig-foot.png" "$T/mark-foot.png")" -gt 2000 ] || fail "no mark at the foot"
convert "$T/srv/batch/appraisal.png" -crop 1240x800+0+500 +repage "$T/orig-body.png"
convert "$T/export-sized.png" -crop 1240x800+0+500 +repage "$T/mark-body.png"
[ "$(diff_of "$T/orig-body.png" "$T/mark-body.png")" -gt 1000 ] || fail "no tiles in the body"

# page images are marked too, with their own entry
expect_exit 0 as $U_TEACH "$D" --json page "$REF" 1
PAGE_ENTRY=$(echo "$OUT" | json 'j["log_entry"]')
[ "$PAGE_ENTRY" -gt "$ENTRY" ] || fail "the page view has no entry of its own: $PAGE_ENTRY"

# ---- an original kept as a file leaves only as its marked rendering ---------------
# A level-4 text record granted to the teacher (clearance 1): page gives the watermarked
# sheet of its text (OCR reads the text and the reader's login); the file itself stays
# with readers whose own clearance covers it. A hidden record answers --original as a
# missing one does.
printf 'Minutes of the board GRANTWORD\nsecond line of the minutes\n' >"$T/srv/minutes.txt"
printf 'Another level four paper HIDDENWORD\n' >"$T/srv/hidden.txt"
chown $U_OWNER: "$T/srv/minutes.txt" "$T/srv/hidden.txt"
expect_exit 0 OWN add "$T/srv/minutes.txt" --title 董事会纪要 --category administrative \
    --date 2024-05-01 --level 4
MINUTES=$(echo "$OUT" | awk '{print $1}')
expect_exit 0 OWN add "$T/srv/hidden.txt" --title 另一份 --category administrative \
    --date 2024-05-02 --level 4
HIDDEN=$(echo "$OUT" | awk '{print $1}')
expect_exit 0 OWN grant "$MINUTES" $U_TEACH
expect_exit 0 as $U_TEACH "$D" page "$MINUTES" 1 --output "$T/$U_TEACH/minutes.png"
tesseract "$T/$U_TEACH/minutes.png" "$T/minutes" >/dev/null 2>&1 || fail "tesseract"
OCR=$(tr -d ' ' <"$T/minutes.txt")
contains "$OCR" "GRANTWORD" "the original's text on its rendering"
contains "$OCR" "$U_TEACH" "the reader's login on the original's rendering"
cmp -s "$T/$U_TEACH/minutes.png" "$T/srv/minutes.txt" && fail "the original left unmarked"
expect_exit 4 as $U_TEACH "$D" page "$MINUTES" 1 --original --output "$T/$U_TEACH/raw.txt"
contains "$ERR" "clearance" "the original refused to a grant holder"
[ ! -s "$T/$U_TEACH/raw.txt" ] || fail "the original was written for a grant holder"
expect_exit 3 as $U_TEACH "$D" page "$HIDDEN" 1 --original --output "$T/$U_TEACH/raw.txt"
HIDDEN_ERR=$ERR
MISSING="${HIDDEN%-*}-0999"
expect_exit 3 as $U_TEACH "$D" page "$MISSING" 1 --original --output "$T/$U_TEACH/raw.txt"
[ "${HIDDEN_ERR/$HIDDEN/REF}" = "${ERR/$MISSING/REF}" ] || fail "hidden and missing differ: '$HIDDEN_ERR' vs '$ERR'"
expect_exit 0 OWN page "$MINUTES" 1 --original --output "$T/srv/raw.txt"
cmp -s "$T/srv/raw.txt" "$T/srv/minutes.txt" || fail "the owner's original is not the file"
# An export of it holds the marked sheets (clearance 4 may copy).
expect_exit 0 OWN export "$MINUTES" --pdf "$T/srv/minutes.pdf"
mutool draw -q -r 120 -o "$T/minutes-export.png" "$T/srv/minutes.pdf" 1 2>/dev/null ||
    fail "mutool could not render the original's export"
tesseract "$T/minutes-export.png" "$T/minutes-export" >/dev/null 2>&1 || fail "tesseract"
contains "$(tr -d ' ' <"$T/minutes-export.txt")" "GRANTWORD" "the original's text in its export"

# ---- paper: out and back, shown in show; ID numbers masked ------------------------
DUE=$(date -u -d '+10 days' +%Y-%m-%d)
expect_exit 4 as $U_TEACH "$D" loan out "$REF" --borrower "王某 (区教育局)" --purpose 审计 \
    --due "$DUE" --approver $U_LEAD
expect_exit 2 as $U_ARCH "$D" loan out "$REF" --borrower "王某 (区教育局)" --purpose 审计 \
    --due 2027-13-45 --approver $U_LEAD
expect_exit 0 as $U_ARCH "$D" --json loan out "$REF" --borrower "王某 (区教育局)" \
    --id-number 110101199001011234 --purpose 审计 --method loan --due "$DUE" --approver $U_LEAD
PAPER=$(echo "$OUT" | json 'j["id"]')
expect_exit 5 as $U_ARCH "$D" loan out "$REF" --borrower 又一人 --purpose 审计 --due "$DUE" \
    --approver $U_LEAD
expect_exit 0 as $U_LEAD "$D" show "$REF"
contains "$OUT" "纸质原件已借出" "show of a record whose original is out"
contains "$OUT" "王某 (区教育局)" "who has the original"
expect_exit 0 as $U_LEAD "$D" loan list
contains "$OUT" "110***********1234" "the ID number, masked for a leader"
lacks "$OUT" "110101199001011234" "the leader's listing"
expect_exit 0 as $U_ARCH "$D" loan list
contains "$OUT" "110101199001011234" "the archivist's listing"
expect_exit 2 as $U_ARCH "$D" loan return "$PAPER"           # no condition
expect_exit 0 as $U_ARCH "$D" loan return "$PAPER" --condition 完好
expect_exit 0 as $U_LEAD "$D" show "$REF"
lacks "$OUT" "纸质原件已借出" "show after the return"

# ---- the register ----------------------------------------------------------------
YEAR=$(date -u +%Y)
expect_exit 0 as $U_ARCH "$D" loan register --year "$YEAR" --csv
[ "$(printf '%s' "$OUT" | head -c 3 | od -An -tx1 | tr -d ' ')" = efbbbf ] ||
    fail "the register CSV has no byte-order mark"
contains "$OUT" '"借阅人","单位","证件号码"' "the register's headings"
contains "$OUT" "完好" "the return's condition in the register"
expect_exit 0 as $U_ARCH "$D" loan register --year "$YEAR" --pdf "$T/$U_ARCH/register.pdf"
mutool draw -q -F txt -o "$T/register.txt" "$T/$U_ARCH/register.pdf" 2>/dev/null
contains "$(cat "$T/register.txt")" "档案借阅登记簿" "the register PDF's title"
# (a narrow column's heading wraps: read the text without its line breaks)
contains "$(tr -d '\n ' <"$T/register.txt")" "借阅人签字" "the register PDF's signature column"
contains "$(cat "$T/register.txt")" "档案员" "the register PDF's signature line"

# ---- the due date passes: access ends with nobody acting ----------------------------
# The test clock (base/clock.h) exists in the test build only; elsewhere this part is
# not run.
LATER=$(date -u -d '+9 days' +%Y-%m-%dT%H:%M:%SZ)
as_prefix $U_OWNER
"${AS[@]}" DANGAN_TEST_NOW="$LATER" "$D" --archive "$ARCH" --json loan overdue >"$T/probe" 2>&1
if [ "$(json 'len(j["loans"])' <"$T/probe")" = 0 ]; then
    echo "note: not a test build (no DANGAN_TEST_NOW): the expiry part is not run"
    exit 0
fi
stop_server
start_server "$LATER"
expect_exit 3 as $U_TEACH "$D" show "$REF"
expect_exit 3 as $U_TEACH "$D" page "$REF" 1 --output "$T/$U_TEACH/late.png"
expect_exit 0 as $U_LEAD "$D" loan overdue
contains "$OUT" "$REF" "the expired loan is overdue"
contains "$OUT" "days overdue" "days overdue"
grep -q "借阅逾期通知" "$T/serve.log" || fail "the server wrote no overdue notice"
grep -q "loan $LOAN electronic" "$T/serve.log" || fail "the notice does not name loan $LOAN"
grep -q "loan $LOAN electronic" "$T/run/mailed.txt" || fail "the notice was not piped to the mail command"
lacks "$(cat "$T/run/mailed.txt")" "110101199001011234" "the mailed notice"
expect_exit 0 OWN --json log --action loan
contains "$OUT" "approve $LOAN" "the approval is logged"
contains "$OUT" "refused" "the refusals are logged"
stop_server
echo "ok: loans and watermarked exports"
