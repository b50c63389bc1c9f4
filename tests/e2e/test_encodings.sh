#!/usr/bin/env bash
# End-to-end: the encodings a Chinese school office really produces. A GBK manifest (Excel
# on Chinese Windows), a Big5 manifest (Taiwan, Hong Kong), Excel's "Unicode text"
# (UTF-16LE, tab separated), text files in GBK, GB18030, Big5 and UTF-16, file names that
# are not UTF-8; invalid UTF-8 through a command argument and through the server protocol
# is refused. After all that the archive stays fully usable: a restarted server serves
# searches that find the decoded titles, and `dangan verify` exits 0.
# Fixtures are made here from UTF-8 strings with iconv.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
set -e
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null; rm -rf "$T"' EXIT

gbk() { iconv -f UTF-8 -t GBK; }
big5() { iconv -f UTF-8 -t BIG5; }
refs() { "$DANGAN" search --json "$@" | json '" ".join(h["refcode"] for h in j["hits"])'; }
title_of() { "$DANGAN" show --json "$1" | json 'j["version"]["title"]'; }
field_of() { "$DANGAN" show --json "$1" | json "j['version']['$2']"; }
text_of() { "$DANGAN" show --json "$1" | json 'j["text"]'; }

"$DANGAN" init --fonds X001 --name "测试学校" >/dev/null

# ---- the issue's reproduction: a GBK manifest once bricked the archive ---------------------
mkdir b
echo '关于开学的通知 2024年2月1日' > b/x.txt
printf 'files,title,department,location\nx.txt,开学通知,教务处,档案室A柜3层\n' | gbk > b/m.csv
expect_exit 0 "$DANGAN" ingest b --manifest b/m.csv
contains "$OUT" "开学通知" "the GBK manifest's title, decoded"
expect_exit 0 "$DANGAN" verify
expect_exit 0 "$DANGAN" whoami
GBK_REF=$(refs 开学通知)
[ -n "$GBK_REF" ] || fail "the GBK manifest's record is not found by its title"
[ "$(title_of "$GBK_REF")" = "开学通知" ] || fail "title: $(title_of "$GBK_REF")"
[ "$(field_of "$GBK_REF" department)" = "教务处" ] || fail "department not decoded"
[ "$(field_of "$GBK_REF" location)" = "档案室A柜3层" ] || fail "location not decoded"

# ---- a Big5 manifest from Taiwan: found by a simplified query ------------------------------
mkdir tw
echo '臺北市立國民中學 開學通知 中華民國113年2月1日' | big5 > tw/notice.txt
printf 'files,title,department,location\nnotice.txt,開學典禮通知,教務處,檔案室B櫃2層\n' | big5 > tw/m.csv
expect_exit 0 "$DANGAN" ingest tw --manifest tw/m.csv
BIG5_REF=$(refs 开学典礼)
[ -n "$BIG5_REF" ] || fail "a simplified query does not find the Big5 manifest's record"
[ "$(title_of "$BIG5_REF")" = "開學典禮通知" ] || fail "Big5 title: $(title_of "$BIG5_REF")"
[ "$(field_of "$BIG5_REF" location)" = "檔案室B櫃2層" ] || fail "Big5 location"
contains "$(text_of "$BIG5_REF")" "臺北市立國民中學" "the Big5 text file, decoded"

# ---- Excel's "Unicode text": UTF-16LE with a BOM, tab separated ----------------------------
mkdir xl
echo '会议纪要 2024年3月1日 校长办公室' > xl/minutes.txt
printf 'files\ttitle\tdepartment\r\nminutes.txt\t行政会议纪要\t校长办公室\r\n' |
    iconv -f UTF-8 -t UTF-16 > xl/m.txt
expect_exit 0 "$DANGAN" ingest xl --manifest xl/m.txt
XL_REF=$(refs 行政会议纪要)
[ -n "$XL_REF" ] || fail "the UTF-16 manifest's record"
[ "$(field_of "$XL_REF" department)" = "校长办公室" ] || fail "UTF-16 department"

# ---- a manifest forced to the wrong encoding names row, column and encoding ---------------
expect_exit 6 "$DANGAN" ingest b --manifest b/m.csv --encoding utf-8
contains "$ERR" "m.csv: row 2, column 2 (title): not valid UTF-8 text" "row and column"
contains "$ERR" "--encoding" "the hint"
expect_exit 2 "$DANGAN" ingest b --manifest b/m.csv --encoding latin1
contains "$ERR" "--encoding 'latin1'" "unknown encoding name"

# ---- text files in every encoding, and file names that are not UTF-8 -----------------------
mkdir t
echo '关于寒假安排的通知 财务处 2024年1月5日 XQZGBK' | gbk > t/gbk.txt
echo '關於校慶活動的通知 總務處 2024年5月6日 XQZBIGFIVE' | big5 > t/big5.txt
echo '学籍档案 吉𠮷同学 2023年9月1日 XQZFOURBYTE' | iconv -f UTF-8 -t GB18030 > t/gb18030.txt
echo '培训计划 2024年3月2日 人事处 XQZUTFLE' | iconv -f UTF-8 -t UTF-16LE > t/u16le.txt
echo '资产清查报告 2024年3月3日 总务处 XQZUTFBOM' | iconv -f UTF-8 -t UTF-16 > t/u16bom.txt
printf '\xef\xbb\xbf预算报告 2024年 财务处 XQZUTFEIGHTBOM\n' > t/u8bom.txt
GBK_NAME=$(printf '学生手册' | gbk)
echo '学生手册 2024年 教务处 XQZGBKNAME' > "t/$GBK_NAME.txt"
echo 'plain scan note XQZBADNAME' > "t/$(printf 'scan\xff')-1.txt"
printf 'abc\x80\x80\x80\xff\xff\n' > t/junk.txt
printf 'xyz\x80\x80\x80\xff\xff\n' > "t/$(printf 'bad\xfe')-2.txt"
expect_exit 1 "$DANGAN" ingest t --json
for tag in XQZGBK XQZBIGFIVE XQZFOURBYTE XQZUTFLE XQZUTFBOM XQZUTFEIGHTBOM XQZGBKNAME XQZBADNAME; do
    [ -n "$(refs "$tag")" ] || fail "the text file with $tag was not filed and found"
done
contains "$(text_of "$(refs XQZFOURBYTE)")" "吉𠮷同学" "GB18030 four-byte character"
contains "$(text_of "$(refs XQZBIGFIVE)")" "關於校慶活動的通知" "Big5 text"
contains "$(text_of "$(refs XQZUTFLE)")" "培训计划" "UTF-16LE text without a BOM"
contains "$OUT" '"name": "学生手册.txt"' "a GBK file name, decoded"
contains "$OUT" '"name": "scan\\xFF-1.txt"' "an undecodable file name, escaped"
contains "$OUT" "junk.txt" "the undecodable text file is reported"
REASON=$(echo "$OUT" | json '[o["reason"] for o in j["outcomes"] if o["name"]=="junk.txt"][0]')
contains "$REASON" "cannot tell the text's encoding" "the quarantine reason"
contains "$REASON" "--encoding" "the quarantine reason's hint"
expect_exit 0 "$DANGAN" quarantine list
contains "$OUT" "junk.txt" "quarantined"
contains "$OUT" 'bad\xFE-2.txt' "quarantined under its escaped name"
ls "$DANGAN_ARCHIVE"/quarantine | grep -q 'bad\\xFE-2.txt' || fail "the quarantined copy: $(ls "$DANGAN_ARCHIVE"/quarantine)"

# ---- dangan add: detected, forced, and a wrong forced encoding -----------------------------
echo '关于举办运动会的通知 体育组 XQZADDGBK' | gbk > add-gbk.txt
expect_exit 0 "$DANGAN" add add-gbk.txt --title "运动会通知" --category activity
ADD_REF=$(refs XQZADDGBK)
contains "$(text_of "$ADD_REF")" "关于举办运动会的通知" "add decodes GBK"
echo '关于举办春季运动会的通知 体育组 XQZEDITGBK' | gbk > corrected.txt
expect_exit 0 "$DANGAN" edit "$ADD_REF" --text corrected.txt --reason "更正文本"
contains "$(text_of "$ADD_REF")" "关于举办春季运动会的通知" "edit --text decodes GBK"
echo '會議記錄 XQZADDBIG' | big5 > add-big5.txt
expect_exit 0 "$DANGAN" add add-big5.txt --title "會議記錄" --category administrative --encoding big5
[ -n "$(refs XQZADDBIG)" ] || fail "add --encoding big5"
expect_exit 6 "$DANGAN" add add-gbk.txt --title "x" --category activity --encoding utf-8
contains "$ERR" "add-gbk.txt: not valid UTF-8 text" "a wrong --encoding names the file"

# ---- invalid UTF-8 in command arguments is refused at the door -----------------------------
expect_exit 2 "$DANGAN" add add-big5.txt --title "$(printf '\xbf\xaa\xd1\xa7')" --category activity
contains "$ERR" "--title: not valid UTF-8" "the argument is named"
expect_exit 2 "$DANGAN" edit "$GBK_REF" --location "$(printf 'A\xff')" --reason fix
contains "$ERR" "--location: not valid UTF-8" "edit argument"
expect_exit 2 "$DANGAN" search "$(printf '\xb2\xe2\xca\xd4')"
contains "$ERR" "query: not valid UTF-8" "search query"
lacks "$ERR" "(null)" "no (null)"

# ---- through the server: invalid UTF-8 in a raw frame, then a restart ----------------------
SOCK=$T/dangan.sock
start_server() {
    : > "$T/serve.log" # emptied here, not by the child: the wait below must not see the last start
    "$DANGAN" serve --socket "$SOCK" > "$T/serve.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        grep -q "listening on" "$T/serve.log" 2>/dev/null && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || fail "the server did not start: $(cat "$T/serve.log")"
        sleep 0.1
    done
    fail "the server did not start listening"
}
stop_server() {
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || fail "the server did not stop cleanly: $(cat "$T/serve.log")"
    SERVER_PID=
}
RAW="perl $here/raw_client.pl $SOCK"
start_server
expect_exit 0 $RAW frame "$(printf '{"v":1,"cmd":"search","args":{"query":"\xbf\xaa\xd1\xa7"}}')"
contains "$OUT" "not valid UTF-8 at byte" "a raw frame with GBK bytes"
contains "$OUT" '"exit":2' "refused as a usage error"
expect_exit 0 $RAW frame '{"v":1,"cmd":"search","args":{"query":"\udc80"}}'
contains "$OUT" '"ok":false' "a lone surrogate escape"
export DANGAN_SOCKET=$SOCK
contains "$(refs 开学典礼)" "$BIG5_REF" "the server finds the Big5 record"
stop_server
start_server
contains "$(refs 开学通知)" "$GBK_REF" "after a restart, the GBK record"
contains "$(refs 开学典礼)" "$BIG5_REF" "after a restart, the Big5 record"
expect_exit 0 "$DANGAN" verify
stop_server
unset DANGAN_SOCKET
expect_exit 0 "$DANGAN" verify
contains "$OUT" "0 problems" "verify"
echo "PASS test_encodings"
