#!/usr/bin/env bash
# End-to-end: the README demo's sample batch gets the right OCR model on every page —
# simplified pages chi_sim, the traditional page chi_tra, the English page eng, both pages
# of the two-page manifest record chi_sim — and the stored text is in the page's own
# script (the winter-break notice once came out in traditional characters).
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/e2e/lib.sh"

bash "$ROOT/scripts/make-sample-batch.sh" "$T/batch" >/dev/null 2>&1 || fail "sample batch generation failed"

expect_exit 0 "$DANGAN" init --fonds X001
# The damaged scan is quarantined, so ingest exits 1.
expect_exit 1 "$DANGAN" ingest "$T/batch" --manifest "$T/batch/manifest.csv" --unlisted file --json --jobs 2
REPORT=$OUT

lang_of() { # lang_of FILE: the model the ingest report gives for FILE
    echo "$REPORT" | json "[o.get('lang') for o in j['outcomes'] if o['name'] == 'scans/$1'][0]"
}
for spec in 01-winter-break-notice.png:chi_sim 02-records-meeting-minutes.png:chi_tra \
            03-travel-reimbursement.png:chi_sim 04-budget-report-en.png:eng \
            05-hiring-plan-p1.png:chi_sim 07-sealed-notice.png:chi_sim; do
    file=${spec%%:*}
    want=${spec#*:}
    got=$(lang_of "$file")
    [ "$got" = "$want" ] || fail "$file was read with $got, expected $want"
done

refcode_of() {
    echo "$REPORT" | json "[o['refcode'] for o in j['outcomes'] if o['name'] == 'scans/$1'][0]"
}

# Every page of the two-page record was read as simplified.
expect_exit 0 "$DANGAN" show "$(refcode_of 05-hiring-plan-p1.png)" --json
[ "$(echo "$OUT" | json "','.join(p['lang'] for p in j['pages'])")" = "chi_sim,chi_sim" ] ||
    fail "two-page record's pages were not both chi_sim: $OUT"

# The stored text is in the page's script: simplified forms, no traditional ones.
expect_exit 0 "$DANGAN" show "$(refcode_of 01-winter-break-notice.png)" --json
TEXT=$(echo "$OUT" | json "j['text']")
contains "$TEXT" "寒假放假安排的通知" "simplified title"
contains "$TEXT" "请各部门做好值班" "simplified body"
lacks "$TEXT" "門" "traditional form in a simplified notice"
expect_exit 0 "$DANGAN" show "$(refcode_of 02-records-meeting-minutes.png)" --json
TEXT=$(echo "$OUT" | json "j['text']")
contains "$TEXT" "檔案管理工作會議紀要" "traditional title"
echo "ok"
