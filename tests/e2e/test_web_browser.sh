#!/usr/bin/env bash
# End-to-end: the web interface in a real browser (Debian's chromium and chromium-driver,
# driven by python3-selenium, headless) against a real `dangan serve --http` on a loopback
# port. A clearance-1 teacher logs in, searches, opens a record and sees its page with the
# watermark; a level-2 record's URL gives the same page as a nonexistent one; after logout
# the back button shows nothing; the archivist accepts a review item; a leader approves a
# destruction list and two witnesses sign it in two browser sessions, each giving their
# password again; the auditor filters the log and downloads the CSV.
# With WEB_SHOTS=DIR the browser saves screenshots of the main pages there (docs/).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/e2e/lib.sh"
need_browser
command -v convert >/dev/null || { echo "SKIP: needs ImageMagick's convert for the sample scans"; exit 0; }

SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && { kill -TERM "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; }
    rm -rf "$T"
}
trap cleanup EXIT

# ---- the sample archive, with an account for every role ----
"$here/scripts/make-sample-batch.sh" "$T/batch" >/dev/null 2>&1 || fail "make-sample-batch.sh"
"$DANGAN" init --fonds X001 --name "Browser Test" >/dev/null
"$DANGAN" user add zhang --name 张老师 --clearance 1 --role staff >/dev/null
"$DANGAN" user add li --name 李档案员 --clearance 3 --role archivist >/dev/null
"$DANGAN" user add shen --name 沈审计 --clearance 1 --role auditor >/dev/null
"$DANGAN" user add wang --name 王校长 --clearance 3 --role leader >/dev/null
"$DANGAN" user add w1 --name 监销人甲 --clearance 1 --role witness >/dev/null
"$DANGAN" user add w2 --name 监销人乙 --clearance 1 --role witness >/dev/null
for u in zhang li shen wang w1 w2; do
    echo "pass-of-$u" | "$DANGAN" user passwd "$u" >/dev/null || fail "user passwd $u"
done
"$DANGAN" ingest "$T/batch" --manifest "$T/batch/manifest.csv" --unlisted file >/dev/null 2>&1
NOTICE=$("$DANGAN" search 寒假 --json | json 'j["hits"][0]["refcode"]')
HIDDEN=$("$DANGAN" search 招聘 --json | json '[h["refcode"] for h in j["hits"] if h["level"] >= 2][0]')
[ -n "$NOTICE" ] && [ -n "$HIDDEN" ] || fail "the sample batch did not give the records to test"
"$DANGAN" review list --json | json 'len(j["records"])' | grep -qv '^0$' || fail "nothing in the review queue"

# A routine notice from 2010, kept ten years: due, appraised for destruction.
YEAR=$(date +%Y)
printf '2010年运动会通知\n' >old.txt
"$DANGAN" add old.txt --title 2010年运动会通知 --category activity --date 2010-05-01 --level 0 --period D10 >/dev/null
"$DANGAN" retention review --year "$YEAR" >/dev/null || fail "retention review"
OLD=$("$DANGAN" retention list "$YEAR" --json | json 'j["items"][0]["refcode"]')
"$DANGAN" retention appraise "$OLD" --destroy --reason "期满无保存价值" --review "$YEAR" >/dev/null ||
    fail "retention appraise"

# ---- the server on a free loopback port ----
serve_http

mkdir -p "$T/downloads"
CFG=$(python3 -c 'import json,sys; a=sys.argv; print(json.dumps({"base": a[1], "notice": a[2], "hidden": a[3], "missing": a[3].rsplit("-",1)[0]+"-0999", "year": int(a[4]), "downloads": a[5], "shots": a[6] or None, "old": a[7], "pw": {u: "pass-of-"+u for u in ["zhang","li","shen","wang","w1","w2"]}}))' \
    "http://localhost:$PORT" "$NOTICE" "$HIDDEN" "$YEAR" "$T/downloads" "${WEB_SHOTS:-}" "$OLD")
timeout 600 /usr/bin/python3 "$here/tests/e2e/web_browser.py" "$CFG" || fail "the browser checks failed (server log: $(tail -n 20 "$T/serve.log"))"

# What the browser did is in the access log, from the web.
"$DANGAN" log --json | json '"\n".join(e["user"]+" "+e["action"]+" "+e["outcome"]+" "+e["origin"] for e in j["entries"])' >"$T/log.txt"
for line in "zhang search ok web 127.0.0.1" "zhang page ok web 127.0.0.1" "li review ok web 127.0.0.1" \
            "w1 web.confirm refused web 127.0.0.1" "w2 retention.witness ok web 127.0.0.1" \
            "li retention.destroy ok web 127.0.0.1"; do
    grep -qF "$line" "$T/log.txt" || fail "the log lacks '$line'"
done
stop_http
echo PASS
