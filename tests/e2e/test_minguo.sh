#!/usr/bin/env bash
# End-to-end (issue 12, item 3): scans of a Taiwan 函 dated 中華民國112年6月21日 with its
# 發文字號, and of a school 公告 dated with a bare 112年8月25日, are filed under 2023 (their
# dates, reference codes and formation years), with the 函's own document number — not the
# ministry letter it cites — and the 主旨 line, not the letterhead, as title.
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/e2e/lib.sh"

# page FONT TEXT FILE ANGLE: a scanned-looking page, as scripts/make-sample-batch.sh makes.
page() {
    convert -seed 5 -density 300 -units PixelsPerInch -background white -fill black \
        -font "$1" -pointsize 12 -interline-spacing 20 label:"$2" -bordercolor white -border 70 \
        -background white -rotate "$4" -blur 0x0.6 -attenuate 0.35 +noise Gaussian \
        +repage -colorspace Gray -depth 8 -define png:exclude-chunks=date,time "$3"
}
mkdir -p batch
page Noto-Serif-CJK-TC '臺北市政府教育局　函
受文者：臺北市立大安國民中學
發文日期：中華民國112年6月21日
發文字號：北市教中字第1123054321號
主旨：有關本市國民中學新生編班作業事宜，請查照。
說明：依據教育部112年5月30日臺教國署學字
第1120076543號函辦理。' batch/tw-letter.png 0.6 || fail "convert failed"
page Noto-Serif-CJK-TC '臺北市立大安國民中學　公告
主旨：本校112學年度開學典禮，請全體師生出席。
說明：開學典禮訂於112年8月30日上午8時舉行。
學務處
112年8月25日' batch/tw-notice.png -0.5 || fail "convert failed"

expect_exit 0 "$DANGAN" init --fonds X001
expect_exit 0 "$DANGAN" ingest batch --json
REPORT=$OUT
refcode_of() {
    echo "$REPORT" | json "[o['refcode'] for o in j['outcomes'] if o['name'] == '$1'][0]"
}

REF=$(refcode_of tw-letter.png)
contains "$REF" "·2023-" "the 函's reference code carries its Minguo year"
expect_exit 0 "$DANGAN" show "$REF" --json
V=$(echo "$OUT" | json "json.dumps(j['version'], ensure_ascii=False)")
[ "$(echo "$V" | json "j['date']")" = 2023-06-21 ] || fail "函 date: $V"
[ "$(echo "$V" | json "j['year']")" = 2023 ] || fail "函 year: $V"
[ "$(echo "$V" | json "j['doc_number']")" = "北市教中字第1123054321號" ] || fail "函 number: $V"
[ "$(echo "$V" | json "j['title']")" = "有關本市國民中學新生編班作業事宜" ] || fail "函 title: $V"

REF=$(refcode_of tw-notice.png)
contains "$REF" "·2023-" "the 公告's reference code carries its bare Minguo year"
expect_exit 0 "$DANGAN" show "$REF" --json
V=$(echo "$OUT" | json "json.dumps(j['version'], ensure_ascii=False)")
[ "$(echo "$V" | json "j['date']")" = 2023-08-25 ] || fail "公告 date: $V"
[ "$(echo "$V" | json "j['doc_number']")" = None ] || fail "公告 has no number of its own: $V"
[ "$(echo "$V" | json "j['title']")" = "本校112學年度開學典禮" ] || fail "公告 title: $V"
echo "minguo e2e: ok"
