#!/usr/bin/env bash
# End-to-end: batch-level behaviour of ingest. A page marked 机密 that the ingesting
# archivist may not file waits in quarantine while the rest of the batch goes on; a
# manifest row that is skipped files none of its pages (and fixing it files each page
# once); every entry of the folder (symlinks, FIFOs, unreadable files, a folder named like
# an image) is accounted for; files are taken in natural order; a row with a category and
# no type keeps the category's default period and waits in the review queue. With a
# manifest, a file it does not list is quarantined (or skipped, or filed, as --unlisted
# says); a copy of a record above the archivist's clearance is filed, never named.
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/e2e/lib.sh"

expect_exit 0 "$DANGAN" init --fonds X001
ME=$(id -un)
expect_exit 0 "$DANGAN" user add li --clearance 3 --role staff,archivist

# ---- a 机密 page in the middle of a clearance-3 archivist's batch ----
mkdir -p secret
printf '关于开展春季运动会的通知\n各班级：定于2024年4月10日举行春季运动会。\n校长办公室\n2024年3月1日\n' > secret/a1.txt
printf '机密★10年\n关于调整考试安全保卫方案的报告\n正文略。\n2024年3月2日\n' > secret/a2.txt
printf '关于举办读书节活动的通知\n各年级：读书节定于2024年4月23日开幕。\n2024年3月3日\n' > secret/a3.txt
expect_exit 1 "$DANGAN" --as li ingest secret --json
[ "$(echo "$OUT" | json 'j["filed"]')" = 2 ] || fail "the rest of the batch should be filed: $OUT"
[ "$(echo "$OUT" | json 'j["quarantined"]')" = 1 ] || fail "the 机密 page should be quarantined: $OUT"
WHY=$(echo "$OUT" | json '[o["reason"] for o in j["outcomes"] if o["name"]=="a2.txt"][0]')
contains "$WHY" "secrecy mark 机密 needs clearance 4" "reason names the mark and the clearance"
contains "$WHY" "an archivist with clearance 4 must ingest it" "reason says who may"
expect_exit 1 "$DANGAN" --as li ingest secret
contains "$OUT" "quarantined a2.txt: secrecy mark 机密" "plain output names the file"
contains "$OUT" "3 files: 0 filed, 2 duplicates, 1 quarantined" "summary counts it"
expect_exit 0 "$DANGAN" quarantine list
contains "$OUT" "a2.txt" "quarantine lists the file"
# An archivist of clearance 4 takes it in: level 4 (机密 is 机密级).
expect_exit 0 "$DANGAN" ingest secret --json
[ "$(echo "$OUT" | json 'j["filed"]')" = 1 ] || fail "clearance 4 files the 机密 page: $OUT"
REF=$(echo "$OUT" | json '[o["refcode"] for o in j["outcomes"] if o["outcome"]=="filed"][0]')
expect_exit 0 "$DANGAN" show "$REF" --json
[ "$(echo "$OUT" | json 'j["level"]')" = 4 ] || fail "机密 maps to level 4: $OUT"
expect_exit 0 "$DANGAN" show "$REF"
contains "$OUT" "机密级" "level 4 is named 机密级"

# ---- a skipped manifest row files nothing of its files ----
mkdir -p rows
printf '会议纪要第一页 2024年5月6日 校务会议\n' > rows/m1.txt
printf '会议纪要第二页 出席人员 张三 李四\n' > rows/m2.txt
printf '单独的通知 关于假期安排 2024年5月7日\n' > rows/solo.txt
printf 'files,title,date,category\nm1.txt;m2.txt,校务会议纪要,2024-05-06\n' > rows.csv
expect_exit 1 "$DANGAN" ingest rows --manifest rows.csv --unlisted file --json
[ "$(echo "$OUT" | json 'j["filed"]')" = 1 ] || fail "only the unnamed file is filed: $OUT"
[ "$(echo "$OUT" | json 'j["quarantined"]')" = 2 ] || fail "the row's two files go to quarantine: $OUT"
[ "$(echo "$OUT" | json 'j["skipped"]')" = 1 ] || fail "one row skipped: $OUT"
contains "$(echo "$OUT" | json '[o["reason"] for o in j["outcomes"] if o["name"]=="m2.txt"][0]')" \
    "row 2" "the file's reason is the row's error"
printf 'files,title,date,category\nm1.txt;m2.txt,校务会议纪要,2024-05-06,administrative\n' > rows.csv
expect_exit 0 "$DANGAN" ingest rows --manifest rows.csv --unlisted file --json
[ "$(echo "$OUT" | json 'j["filed"]')" = 1 ] || fail "the fixed row files one record: $OUT"
[ "$(echo "$OUT" | json 'j["filed_files"]')" = 2 ] || fail "of two files: $OUT"
expect_exit 0 "$DANGAN" search 出席人员 --json
[ "$(echo "$OUT" | json 'j["total"]')" = 1 ] || fail "page 2 is in exactly one record: $OUT"
# Two rows naming the same file: the second is refused, the page is never in two records.
mkdir -p twice
printf '第一份 2024年6月1日 通知\n' > twice/p.txt
printf 'files,title,category\np.txt,甲,administrative\np.txt,乙,administrative\n' > twice.csv
expect_exit 1 "$DANGAN" ingest twice --manifest twice.csv --json
[ "$(echo "$OUT" | json 'j["filed"]')" = 1 ] || fail "one of the rows files it: $OUT"
contains "$OUT" "is already in row 2" "the second row says why"

# ---- category without type: the category's default period, and the review queue ----
mkdir -p cv
printf '履历表\n姓名 王晓明 性别 男 出生年月 1985年3月\n工作经历 2008年至今 任教\n填表日期 2024年1月5日\n' > cv/cv.txt
printf 'files,title,category\ncv.txt,王晓明履历表,personnel\n' > cv.csv
expect_exit 0 "$DANGAN" ingest cv --manifest cv.csv --json
[ "$(echo "$OUT" | json 'j["outcomes"][0]["type"]')" = None ] || fail "no type guessed: $OUT"
CV=$(echo "$OUT" | json 'j["outcomes"][0]["refcode"]')
contains "$CV" "-RS·2024-Y-" "personnel default period Y"
expect_exit 0 "$DANGAN" review list --json
contains "$OUT" "$CV" "the record waits in the review queue"
contains "$OUT" "no type" "because it has no type"

# ---- files the manifest does not list: quarantined unless --unlisted says otherwise ----
mkdir -p listed
printf '关于开展春季卫生大扫除的通知 2024年6月3日\n' > listed/l1.txt
printf '未列入清单的文件 2024年6月4日 zqunlisted\n' > listed/extra.txt
printf 'files,title,category,level\nl1.txt,大扫除安排,administrative,3\n' > listed/manifest.csv
expect_exit 1 "$DANGAN" ingest listed --manifest listed/manifest.csv --json
[ "$(echo "$OUT" | json 'j["files"]')" = 2 ] || fail "the manifest itself is no input: $OUT"
[ "$(echo "$OUT" | json 'j["filed"]')" = 1 ] || fail "only the listed file is filed: $OUT"
[ "$(echo "$OUT" | json 'j["quarantined"]')" = 1 ] || fail "the unlisted file waits: $OUT"
[ "$(echo "$OUT" | json 'j["unlisted"]')" = 1 ] || fail "the summary counts it: $OUT"
[ "$(echo "$OUT" | json '[o["reason"] for o in j["outcomes"] if o["name"]=="extra.txt"][0]')" = \
  "not listed in the manifest listed/manifest.csv; use --unlisted file to file it" ] ||
    fail "the reason names the manifest and the way out: $OUT"
expect_exit 0 "$DANGAN" search zqunlisted --json
[ "$(echo "$OUT" | json 'j["total"]')" = 0 ] || fail "the unlisted file was filed: $OUT"
expect_exit 1 "$DANGAN" ingest listed --manifest listed/manifest.csv
contains "$OUT" "1 not listed in the manifest" "plain summary counts it"
expect_exit 1 "$DANGAN" ingest listed --manifest listed/manifest.csv --unlisted skip --json
[ "$(echo "$OUT" | json '[o["outcome"] for o in j["outcomes"] if o["name"]=="extra.txt"][0]')" = \
  skipped ] || fail "--unlisted skip skips it: $OUT"
[ "$(echo "$OUT" | json 'j["quarantined"]')" = 0 ] || fail "and keeps nothing: $OUT"
expect_exit 2 "$DANGAN" ingest listed --manifest listed/manifest.csv --unlisted maybe
contains "$ERR" "--unlisted: 'maybe' is not one of file, skip, quarantine" "a bad value is refused"
expect_exit 2 "$DANGAN" ingest listed --unlisted file
contains "$ERR" "--unlisted: only with --manifest" "--unlisted without a manifest is refused"
expect_exit 0 "$DANGAN" ingest listed --manifest listed/manifest.csv --unlisted file --json
[ "$(echo "$OUT" | json '[o["outcome"] for o in j["outcomes"] if o["name"]=="extra.txt"][0]')" = \
  filed ] || fail "--unlisted file files it: $OUT"

# ---- a copy of a record above the archivist's clearance is not named as its duplicate ----
expect_exit 0 "$DANGAN" user add zhao --clearance 1 --role staff,archivist
mkdir -p copy
cp listed/l1.txt copy/l1.txt
expect_exit 0 "$DANGAN" --as zhao ingest copy --json
[ "$(echo "$OUT" | json 'j["duplicates"]')" = 0 ] || fail "a hidden record is not a duplicate: $OUT"
[ "$(echo "$OUT" | json 'j["filed"]')" = 1 ] || fail "the copy is zhao's own filing: $OUT"
lacks "$OUT" "大扫除安排" "the hidden record's title is not shown"
expect_exit 0 "$DANGAN" --as li ingest copy --json
[ "$(echo "$OUT" | json 'j["duplicates"]')" = 1 ] || fail "li may see it: a duplicate: $OUT"

# ---- every entry of the folder is accounted for; natural order ----
mkdir -p odd/scan.png odd/locked
printf '第十周工作安排 2024年5月10日\n' > odd/week10.txt
printf '第二周工作安排 2024年3月1日\n' > odd/week2.txt
printf '图片文件夹里的文本 2024年3月5日\n' > odd/scan.png/inner.txt
printf 'outside the batch 2024\n' > outside.txt
ln -s "$T/outside.txt" odd/link.txt
mkfifo odd/pipe
printf 'secret 2024\n' > odd/locked/unreadable.txt
if [ "$(id -u)" != 0 ]; then chmod 000 odd/locked/unreadable.txt; fi
expect_exit 1 timeout 60 "$DANGAN" ingest odd --json
NAMES=$(echo "$OUT" | json '" ".join(o["name"] for o in j["outcomes"])')
contains "$NAMES" "scan.png/inner.txt" "a folder named scan.png is walked"
contains "$OUT" "symbolic link to" "the symlink is reported"
contains "$OUT" "not followed" "and not followed"
contains "$OUT" "named pipe" "the FIFO is reported"
W2=$(echo "$OUT" | json '[o["refcode"] for o in j["outcomes"] if o["name"]=="week2.txt"][0]')
W10=$(echo "$OUT" | json '[o["refcode"] for o in j["outcomes"] if o["name"]=="week10.txt"][0]')
python3 - "$NAMES" <<'PY' || fail "week2 before week10: $NAMES"
import sys
n = sys.argv[1].split()
assert n.index("week2.txt") < n.index("week10.txt"), n
PY
echo "$OUT" | json 'j["files"] == j["filed_files"] + j["duplicates"] + j["quarantined"] or sys.exit(1)' \
    >/dev/null || fail "counts add up: $OUT"
[ "$(echo "$OUT" | json 'j["files"]')" = 6 ] || fail "six entries found: $OUT"
expect_exit 0 "$DANGAN" search outside --json
[ "$(echo "$OUT" | json 'j["total"]')" = 0 ] || fail "the symlink's target was read: $OUT"
# A batch of only such entries is not "no files in the batch".
mkdir -p only
ln -s /etc/hostname only/host
mkfifo only/fifo
expect_exit 1 timeout 60 "$DANGAN" ingest only
contains "$OUT" "2 files: 0 filed, 0 duplicates, 2 quarantined" "both accounted for"
lacks "$ERR" "no files in the batch" "not reported as empty"
echo "ok"
