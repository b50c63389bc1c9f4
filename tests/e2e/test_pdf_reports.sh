#!/usr/bin/env bash
# End-to-end: the printable PDFs. An auditor's log report (month and year) and the
# destruction register (销毁清册) after a real, witnessed destruction are printed with
# --pdf, and read back with MuPDF's own tools as a reader would: `mutool draw -F txt` must
# show the Chinese headings, people's names (not logins), local times, reference codes and
# titles; `mutool info` the page count dangan reported and an embedded Type0 (CID) font.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
command -v mutool >/dev/null || fail "mutool (mupdf-tools) is needed: scripts/install-deps.sh"

# The text of a PDF with every space and line break taken out: a table cell's text may be
# split over lines, and extraction puts spaces between runs of glyphs.
pdf_text() { mutool draw -q -F txt -o - "$1" 2>/dev/null | tr -d ' \n\r\t'; }
squeeze() { printf '%s' "$1" | tr -d ' \n\r\t'; }
has() { # has PDF TEXT WHAT
    case "$(pdf_text "$1")" in *"$(squeeze "$2")"*) ;; *) fail "$3: '$2' not in $1" ;; esac
}
pages_of() { mutool info "$1" 2>/dev/null | sed -n 's/^Pages: *//p'; }
# The number of pages dangan said it printed ("FILE: N pages (PDF)").
said_pages() { sed -n 's/.*: \([0-9]*\) pages\{0,1\} (PDF)$/\1/p' <<<"$OUT"; }
# (Outputs are read whole before matching: `grep -q` closing a pipe early would fail the
# writer with SIGPIPE under pipefail.)
embeds_cid_font() { # the font is a Type0 font whose program is in the file
    local fonts objects
    fonts=$(mutool info -F "$1" 2>/dev/null)
    objects=$(mutool show "$1" grep 2>/dev/null)
    case "$fonts" in *Type0*) ;; *) fail "$1: no Type0 font: $fonts" ;; esac
    case "$objects" in *"/FontFile2"* | *"/FontFile3"*) ;; *) fail "$1: font not embedded" ;; esac
}

"$DANGAN" init --fonds X001 --name "育才中学档案室" >/dev/null
"$DANGAN" log timezone Asia/Shanghai >/dev/null
"$DANGAN" user add hr --name 张老师 --role staff --clearance 2 >/dev/null
"$DANGAN" user add staff --name 刘干事 --role staff --clearance 1 >/dev/null
# Clearance 4: a full audit (a lower clearance sees entries about records above it withheld).
"$DANGAN" user add audit --name 孙审计 --role auditor --clearance 4 >/dev/null
"$DANGAN" user add arch --name 李档案员 --role archivist --clearance 3 >/dev/null
"$DANGAN" user add lead --name 王校长 --role leader --clearance 3 >/dev/null
"$DANGAN" user add w1 --name 赵监销 --role witness --clearance 1 >/dev/null
"$DANGAN" user add w2 --role witness --clearance 1 >/dev/null   # no name: printed as login
mkdir keys && chmod 700 keys
"$DANGAN" log keygen school.example/dangan-log --output keys/log.key >/dev/null

# ---- what the report lists: personnel records seen, a refusal, an export ----
printf '张三 人事档案 入职登记\n' >p.txt
P=$("$DANGAN" --json add p.txt --title 张三入职登记表 --category personnel --year 2024 --level 2 | json 'j["refcode"]')
"$DANGAN" --as hr show "$P" >/dev/null
expect_exit 0 "$DANGAN" --as hr page "$P" 1 --output page.out
expect_exit 4 "$DANGAN" --as staff log --limit 1                 # a refusal, by name
# Enough searches that showed the personnel record to fill more than one page.
for i in $(seq 1 45); do "$DANGAN" --as hr search 张三 >/dev/null; done
"$DANGAN" --as hr search 入职登记 >/dev/null

month=$(TZ=Asia/Shanghai date +%Y-%m)
year=$(TZ=Asia/Shanghai date +%Y)
expect_exit 0 "$DANGAN" --as audit log report --month "$month" --pdf report.pdf
n=$(said_pages)
[ -n "$n" ] && [ "$n" -ge 2 ] || fail "the report should run over pages: $OUT"
[ "$(pages_of report.pdf)" = "$n" ] || fail "mutool counts $(pages_of report.pdf) pages, dangan said $n"
embeds_cid_font report.pdf
for text in 访问日志月度报告 育才中学档案室 "期间：$month" 类别 "时间（本地）" 姓名 操作 档号 结果 说明 \
    人事档案查阅 拒绝访问 导出 张老师 刘干事 "$P" "+08:00" "审计人：" "第 1 页 / 共 $n 页" \
    "第 $n 页 / 共 $n 页"; do
    has report.pdf "$text" "log report"
done
# Names, not logins: the login of a named account is not printed in the name column.
case "$(pdf_text report.pdf)" in *"（账号）hr"*) fail "a named account printed by login" ;; esac
# Headings repeated on every page.
for p in $(seq 1 "$n"); do
    page=$(mutool draw -q -F txt -o - report.pdf "$p" 2>/dev/null | tr -d ' \n')
    case "$page" in *"类别时间（本地）姓名操作档号结果说明"*) ;; *) fail "page $p of the report has no headings" ;; esac
done
# The same as text and CSV (the PDF is an addition, not a replacement).
expect_exit 0 "$DANGAN" --as audit log report --month "$month"
contains "$OUT" "张老师" "text report"
expect_exit 0 "$DANGAN" --as audit log report --year "$year" --pdf year.pdf
has year.pdf 访问日志年度报告 "year report"
has year.pdf "期间：$year全年" "year report"
has year.pdf 张老师 "year report"
# Refused: no period, both periods, a bad month, a file that cannot be written.
expect_exit 2 "$DANGAN" --as audit log report --pdf x.pdf
expect_exit 2 "$DANGAN" --as audit log report --month "$month" --year "$year" --pdf x.pdf
expect_exit 2 "$DANGAN" --as audit log report --month 2026-13 --pdf x.pdf
[ ! -e x.pdf ] || fail "a refused report wrote a file"
set +e
"$DANGAN" --as audit log report --month "$month" --pdf /nonexistent-dir/r.pdf >/dev/null 2>err.txt
code=$?
set -e
[ "$code" -ne 0 ] || fail "an unwritable --pdf file exited 0"
grep "dangan: /nonexistent-dir/r.pdf: " err.txt >/dev/null || fail "no reason for the unwritable file: $(cat err.txt)"
# Only auditors (and admins) get the report, as PDF or not.
expect_exit 4 "$DANGAN" --as staff log report --month "$month" --pdf staff.pdf
[ ! -e staff.pdf ] || fail "a refused report wrote a file"

# ---- the destruction register after a real, witnessed destruction ----
add_old() { # title year
    printf '%s\n' "$1 正文" >old.txt
    "$DANGAN" --json add old.txt --title "$1" --category administrative --year "$2" --period D10 | json 'j["refcode"]'
}
A=$(add_old 关于二〇一〇年寒假安排的通知 2010)
B=$(add_old 二〇一二年运动会秩序册 2012)
"$DANGAN" --as arch retention review --year 2026 >/dev/null
for r in "$A" "$B"; do "$DANGAN" --as arch retention appraise "$r" --destroy --reason "无保存价值" >/dev/null; done
"$DANGAN" --as lead retention approve 2026 >/dev/null
"$DANGAN" --as w1 retention witness 2026 >/dev/null
"$DANGAN" --as w2 retention witness 2026 >/dev/null
DANGAN_LOG_KEY=keys/log.key DANGAN_CHECKPOINTS="$T/keys/checkpoints.txt" \
    "$DANGAN" --as arch --json retention destroy 2026 >destroy.json
size=$(json 'j["checkpoint"].split("\n")[1]' <destroy.json)

expect_exit 0 "$DANGAN" --as lead register list --year 2026 --pdf register.pdf
n=$(said_pages)
[ "$(pages_of register.pdf)" = "$n" ] || fail "register: mutool counts $(pages_of register.pdf) pages, dangan said $n"
embeds_cid_font register.pdf
for text in 销毁清册 "全宗单位：育才中学档案室" "鉴定年度：2026" "共 2 件" 序号 档号 题名 年度 应保管期限 \
    已保管期限 页数 备注 "$A" "$B" 关于二〇一〇年寒假安排的通知 二〇一二年运动会秩序册 10年 \
    "鉴定人 李档案员" "批准人 王校长" "监销人 赵监销、w2" "销毁时间 $year-" "+08:00" \
    "销毁后的日志检查点" "school.example/dangan-log" "$size" \
    "鉴定人：" "批准人：" "监销人：" "日期：" "第 1 页 / 共 $n 页"; do
    has register.pdf "$text" "register"
done
# The checkpoint printed is the one signed after the destruction: it verifies.
root=$(json 'j["checkpoint"].split("\n")[2]' <destroy.json)
case "$(pdf_text register.pdf)" in *"$root"*) ;; *) fail "the register does not print the checkpoint's root" ;; esac
# Every review year at once, and refused for those who may not read the register.
expect_exit 0 "$DANGAN" --as audit register list --pdf all.pdf
has all.pdf "$A" "whole register"
expect_exit 4 "$DANGAN" --as staff register list --pdf staff.pdf
[ ! -e staff.pdf ] || fail "a refused register wrote a file"
# The printed file is the client's: created by it, readable only by it.
[ "$(stat -c %a register.pdf)" = 600 ] || fail "register.pdf is not mode 0600"
echo "ok"
