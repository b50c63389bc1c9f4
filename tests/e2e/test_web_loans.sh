#!/usr/bin/env bash
# End-to-end: loans (借阅) in a real browser (Debian's chromium through python3-selenium,
# headless) against `dangan serve --http`. A clearance-1 teacher finds a level-2 record's
# page "not found" exactly as a missing one, asks for a loan from it, and is refused their
# own personnel file (by its subject, 当事人); a leader sees the request in the queue and
# approves it giving their password again (a wrong one is refused); the teacher then reads
# the record, its page (an original kept as a file) as watermarked sheets of its text, "sheet
# k of n" with no link past the last, sees the loan's state and kind in the page's language
# (zh-Hans, zh-Hant, en) and hands it back early, after which the record is closed again; the
# archivist hands the paper original over and takes it back, and downloads the register as
# CSV and PDF. The access log has every step, from the web.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/e2e/lib.sh"
need_browser

SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && { kill -TERM "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; }
    rm -rf "$T"
}
trap cleanup EXIT

"$DANGAN" init --fonds X001 --name "Loan Browser Test" >/dev/null
"$DANGAN" user add zhang --name 张老师 --clearance 1 --role staff >/dev/null
"$DANGAN" user add wang --name 王校长 --clearance 3 --role leader >/dev/null
"$DANGAN" user add li --name 李档案员 --clearance 3 --role archivist >/dev/null
for u in zhang wang li; do
    echo "pass-of-$u" | "$DANGAN" user passwd "$u" >/dev/null || fail "user passwd $u"
done
# long enough for two sheets of its text (32 lines a sheet), so the record page pages them
{ printf 'Annual appraisal of Wang Wu\nRating excellent WEBLOANWORD\n'
  for i in $(seq 1 40); do printf '第 %d 项 考核记录 appraisal item\n' "$i"; done; } >appraisal.txt
expect_exit 0 "$DANGAN" add appraisal.txt --title "王五 年度考核" --category personnel \
    --date 2024-03-12 --level 2 --subject 王五
REF=$(echo "$OUT" | awk '{print $1}')
printf '职称评审材料\n' >own.txt
expect_exit 0 "$DANGAN" add own.txt --title "职称评审材料" --category personnel \
    --date 2019-05-01 --level 2 --subject zhang
OWN=$(echo "$OUT" | awk '{print $1}')

serve_http
mkdir -p "$T/downloads"
CFG=$(python3 -c 'import json,sys; a=sys.argv; print(json.dumps({"base": a[1], "ref": a[2], "own": a[3], "missing": a[2].rsplit("-",1)[0]+"-0999", "downloads": a[4], "shots": a[5] or None, "year": int(a[6]), "pw": {u: "pass-of-"+u for u in ["zhang","wang","li"]}}))' \
    "http://localhost:$PORT" "$REF" "$OWN" "$T/downloads" "${WEB_SHOTS:-}" "$(date +%Y)")
timeout 600 /usr/bin/python3 "$here/tests/e2e/web_loans.py" "$CFG" ||
    fail "the browser checks failed (server log: $(tail -n 20 "$T/serve.log"))"

"$DANGAN" log --json | json '"\n".join(e["user"]+" "+e["action"]+" "+e["outcome"]+" "+e["origin"]+" "+(e.get("detail") or "") for e in j["entries"])' >"$T/log.txt"
for line in "zhang loan ok web 127.0.0.1 request" "zhang loan refused web 127.0.0.1 request" \
            "wang web.confirm refused web 127.0.0.1" "wang loan ok web 127.0.0.1 approve" \
            "zhang page ok web 127.0.0.1" "zhang loan ok web 127.0.0.1 return" \
            "li loan ok web 127.0.0.1 paper out" \
            "li loan ok web 127.0.0.1 return"; do
    grep -qF "$line" "$T/log.txt" || fail "the log lacks '$line': $(cat "$T/log.txt")"
done
stop_http
echo "web loans: ok"
