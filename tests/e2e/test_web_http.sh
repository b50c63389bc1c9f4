#!/usr/bin/env bash
# End-to-end: the web interface of `dangan serve --http`, at the HTTP level with curl.
#
# Checks what a records room's web security rests on: cookie flags, security headers on
# every response, CSRF refusal, login failures that never tell an unknown login from a
# wrong password, back-off per account and address (logged), session expiry, logout,
# a password change ending every session, a record above the viewer's clearance answered
# exactly like one that does not exist, outside text shown as text, X-Forwarded-For
# believed only from the configured proxy, and every web request in the access log with
# origin "web <address>"; uploads (caps, progress, outcomes), my own activity, HTTPS with
# --tls-cert/--tls-key.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
command -v curl >/dev/null || { echo "SKIP: needs curl"; exit 0; }

SERVER_PID=
SERVER_RC=0
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
        SERVER_RC=$?
        SERVER_PID=
    fi
}
trap 'stop_server; rm -rf "$T"' EXIT

# ---- an archive with a teacher, an auditor, and records at levels 1 and 2 ----
"$DANGAN" init --fonds X001 --name "Web Test" >/dev/null
"$DANGAN" user add zhang --name 张老师 --clearance 1 --role staff >/dev/null
"$DANGAN" user add shen --name 审计员 --clearance 1 --role auditor >/dev/null
printf '关于2024年寒假放假安排的通知\n寒假自1月20日开始。\n' >notice.txt
printf '2024年教师招聘方案（人事）\n招聘三名教师。\n' >hire.txt
printf 'x "quoted" & <b>bold</b> 寒假 \x01 control\n' >evil.txt
"$DANGAN" add notice.txt --title 关于寒假安排的通知 --category administrative --date 2024-01-10 --level 1 >/dev/null
"$DANGAN" add hire.txt --title 教师招聘方案 --category personnel --date 2024-03-01 --level 2 >/dev/null
"$DANGAN" add evil.txt --title '<script>alert("x")</script> 寒假 & co' --category administrative --date 2024-02-01 --level 1 >/dev/null
# No date and no year: a provisional record (年度待定), whose year the pages never show as 0.
printf '图书馆借阅规则说明 ZQXLIBRULES\n借阅图书请持学生证。\n' >undated.txt
"$DANGAN" add undated.txt --title 图书馆借阅规则说明 --category administrative --level 1 >/dev/null
UNDATED=$("$DANGAN" search ZQXLIBRULES --json | json 'j["hits"][0]["refcode"]')
NOTICE=$("$DANGAN" search 放假 --json | json 'j["hits"][0]["refcode"]')
HIDDEN=$("$DANGAN" search 招聘 --json | json 'j["hits"][0]["refcode"]')
MISSING=${HIDDEN%-*}-0999
echo 'teacher-pass-1' | "$DANGAN" user passwd zhang >/dev/null
echo 'auditor-pass-1' | "$DANGAN" user passwd shen >/dev/null

start_server() { # start_server [serve options...]: sets SERVER_PID and B (base URL)
    "$DANGAN" serve --socket "$T/dangan.sock" --http 127.0.0.1:0 "$@" >"$T/serve.log" 2>&1 &
    SERVER_PID=$!
    local port=
    for _ in $(seq 1 600); do
        port=$(grep -o 'web interface on 127.0.0.1:0 (port [0-9]*' "$T/serve.log" | grep -o '[0-9]*$' || true)
        [ -n "$port" ] && [ -S "$T/dangan.sock" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$T/serve.log" >&2; fail "the server did not start"; }
        sleep 0.1
    done
    [ -n "$port" ] || fail "no web port in the server log"
    B=http://127.0.0.1:$port
}

# req METHOD PATH [curl args...]: status in $CODE, headers in $T/h, body in $T/b.
req() {
    local method=$1 path=$2; shift 2
    CODE=$(curl -s -X "$method" -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" "$B$path")
    HDR=$(tr -d '\r' <"$T/h")
    BODY=$(cat "$T/b")
}
header() { printf '%s\n' "$HDR" | grep -i "^$1:" | head -n 1 | cut -d' ' -f2- ; }
cookie_value() { printf '%s\n' "$HDR" | grep -i "^set-cookie: $1=" | head -n 1 | sed "s/^[^=]*=\([^;]*\).*/\1/I"; }

login_token() { # a fresh login form: its token in $LT
    req GET /login
    LT=$(cookie_value dangan_login)
    [ -n "$LT" ] || fail "the login form set no token cookie"
}
login() { # login USER PASSWORD: the session token in $S (empty when refused)
    login_token
    req POST /login -H "Cookie: dangan_login=$LT" --data-urlencode "csrf=$LT" \
        --data-urlencode "login=$1" --data-urlencode "password=$2"
    S=$(cookie_value dangan_session)
}
csrf_of() { # the CSRF token of the page in $BODY
    printf '%s' "$BODY" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -n 1 | grep -o '[0-9a-f]\{64\}'
}

start_server

# ---- headers on every response ----
check_security_headers() {
    local what=$1
    contains "$(header Content-Security-Policy)" "default-src 'none'" "$what: CSP"
    contains "$(header Content-Security-Policy)" "script-src 'self'" "$what: CSP script"
    lacks "$(header Content-Security-Policy)" "unsafe-inline" "$what: CSP"
    [ "$(header X-Frame-Options)" = DENY ] || fail "$what: X-Frame-Options is '$(header X-Frame-Options)'"
    [ "$(header Referrer-Policy)" = no-referrer ] || fail "$what: Referrer-Policy"
    [ "$(header X-Content-Type-Options)" = nosniff ] || fail "$what: nosniff"
}
req GET /login
[ "$CODE" = 200 ] || fail "login form: $CODE"
check_security_headers "login form"
[ "$(header Cache-Control)" = no-store ] || fail "login form: Cache-Control"
lacks "$BODY" "<script>" "no inline script on the login page"
req GET /search
[ "$CODE" = 303 ] && [ "$(header Location)" = /login ] || fail "signed out: /search should go to /login, got $CODE"
check_security_headers "redirect"

# ---- languages: Simplified by default, Traditional and English from Accept-Language ----
req GET /login
contains "$BODY" '<html lang="zh-Hans">' "no Accept-Language: Simplified Chinese"
req GET /login -H "Accept-Language: zh-TW,zh;q=0.8"
contains "$BODY" '<html lang="zh-Hant">' "zh-TW: Traditional Chinese"
contains "$BODY" "登入" "zh-TW: Traditional words"
req GET /login -H "Accept-Language: en-GB,en;q=0.9"
contains "$BODY" "Log in" "en-GB: English"

# ---- CSRF on the login form; unknown login and wrong password answer alike ----
login_token
req POST /login -H "Cookie: dangan_login=$LT" --data-urlencode login=zhang --data-urlencode password=teacher-pass-1
[ "$CODE" = 403 ] || fail "a login without its form token: $CODE, expected 403"
[ -z "$(cookie_value dangan_session)" ] || fail "a login without its token got a session"
login zhang wrong-password
[ "$CODE" = 401 ] && [ -z "$S" ] || fail "wrong password: $CODE"
WRONG=$(printf '%s' "$BODY" | sed 's/[0-9a-f]\{64\}/TOKEN/g')
login nosuchuser wrong-password
[ "$CODE" = 401 ] || fail "unknown login: $CODE"
UNKNOWN=$(printf '%s' "$BODY" | sed 's/[0-9a-f]\{64\}/TOKEN/g')
[ "$WRONG" = "$UNKNOWN" ] || fail "an unknown login reads differently from a wrong password"

# ---- a session: cookie flags ----
login zhang teacher-pass-1
[ "$CODE" = 303 ] && [ -n "$S" ] || fail "login as zhang: $CODE"
SETC=$(printf '%s\n' "$HDR" | grep -i '^set-cookie: dangan_session=')
for flag in HttpOnly Secure SameSite=Strict Path=/; do
    contains "$SETC" "; $flag" "session cookie flag $flag"
done
[ ${#S} -eq 64 ] || fail "session token is not 256 bits of hex: $S"
C="Cookie: dangan_session=$S"

# ---- search, and outside text shown as text ----
req GET "/search?q=%E5%AF%92%E5%81%87" -H "$C"
[ "$CODE" = 200 ] || fail "search: $CODE"
check_security_headers "search"
[ "$(header Cache-Control)" = no-store ] || fail "search: Cache-Control"
contains "$BODY" "$NOTICE" "search finds the notice"
contains "$BODY" '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;' "a title with markup is escaped"
lacks "$BODY" '<script>alert' "a title never becomes markup"
lacks "$BODY" "$HIDDEN" "search never shows a level-2 record to clearance 1"
req GET "/search?q=%E6%8B%9B%E8%81%98" -H "$C"
lacks "$BODY" "$HIDDEN" "search 招聘 shows nothing of the level-2 record"
contains "$BODY" 'id="total">共 0 件' "no count of a hidden record"

# ---- record pages: hidden == missing ----
enc() { python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
views() { "$DANGAN" log --action show --record "$NOTICE" --json | json 'len(j["entries"])'; }
VIEWS_BEFORE=$(views)
req GET "/record/$(enc "$NOTICE")" -H "$C"
[ "$CODE" = 200 ] || fail "record page: $CODE"
[ "$(header Cache-Control)" = no-store ] || fail "record page: Cache-Control"
contains "$BODY" "寒假自1月20日开始" "record page shows the text"
contains "$BODY" "?v=1\">1</a>" "record page lists the record's versions"
# The page reads the record and its versions as one view: one entry in the log, not two.
[ $(( $(views) - VIEWS_BEFORE )) = 1 ] || fail "one record page view wrote $(( $(views) - VIEWS_BEFORE )) show entries, expected 1"
req GET "/record/$(enc "$UNDATED")" -H "$C"
[ "$CODE" = 200 ] || fail "provisional record page: $CODE"
contains "$BODY" "<td>待定</td>" "a provisional record's year shows as 待定"
lacks "$BODY" "<td>0</td>" "a provisional record's year is never 0"
req GET "/search?q=ZQXLIBRULES" -H "$C"
contains "$BODY" "$UNDATED" "search finds the provisional record"
lacks "$BODY" "year_from=0" "no year facet 0"
req GET "/record/$(enc "$HIDDEN")" -H "$C"
H_CODE=$CODE
H_BODY=$(printf '%s' "$BODY" | sed -e "s/$HIDDEN/REF/g" -e "s/$(enc "$HIDDEN")/REF/g")
req GET "/record/$(enc "$MISSING")" -H "$C"
M_BODY=$(printf '%s' "$BODY" | sed -e "s/$MISSING/REF/g" -e "s/$(enc "$MISSING")/REF/g")
[ "$H_CODE" = 404 ] && [ "$CODE" = 404 ] || fail "hidden $H_CODE / missing $CODE: both must be 404"
[ "$H_BODY" = "$M_BODY" ] || fail "a hidden record's page differs from a missing one's"
req GET "/page/$(enc "$HIDDEN")/1" -H "$C"
[ "$CODE" = 404 ] || fail "a hidden record's page image: $CODE"

# ---- state-changing forms need the session's CSRF token ----
req POST /logout -H "$C" --data-urlencode csrf=0000000000000000000000000000000000000000000000000000000000000000
[ "$CODE" = 403 ] || fail "logout with a wrong CSRF token: $CODE"
req GET /search -H "$C"
[ "$CODE" = 200 ] || fail "a refused logout must leave the session alone: $CODE"
CSRF=$(csrf_of)
[ -n "$CSRF" ] || fail "no CSRF token in the page"
req POST /me/password -H "$C" --data-urlencode password=teacher-pass-1 \
    --data-urlencode new=another-pass-2 --data-urlencode again=another-pass-2
[ "$CODE" = 403 ] || fail "a password change without the CSRF token: $CODE"

# ---- too large a form ----
req POST /logout -H "$C" --data-urlencode "csrf=$CSRF" --data-urlencode "x=$(head -c 100000 /dev/zero | tr '\0' a)"
[ "$CODE" = 413 ] || fail "a 100 KB form: $CODE, expected 413"

# ---- the log: every web request, origin web and the address; X-Forwarded-For not believed ----
req GET "/search?q=%E9%80%9A%E7%9F%A5" -H "$C" -H "X-Forwarded-For: 10.9.9.9"
"$DANGAN" log --action search --json >"$T/log.json"
ORIGIN=$(json 'j["entries"][-1]["origin"]' <"$T/log.json")
[ "$ORIGIN" = "web 127.0.0.1" ] || fail "search logged from '$ORIGIN', expected 'web 127.0.0.1'"
"$DANGAN" log --user zhang --json | json '"\n".join(e["action"]+" "+e["outcome"]+" "+e["origin"] for e in j["entries"])' >"$T/zhang.log"
contains "$(cat "$T/zhang.log")" "show refused web 127.0.0.1" "the hidden record's view is logged as refused"
contains "$(cat "$T/zhang.log")" "web.login ok web 127.0.0.1" "the login is logged"
contains "$(cat "$T/zhang.log")" "web.csrf refused" "a form without its token is logged"

# ---- logout ends the session ----
req POST /logout -H "$C" --data-urlencode "csrf=$CSRF"
[ "$CODE" = 303 ] || fail "logout: $CODE"
contains "$(printf '%s\n' "$HDR" | grep -i '^set-cookie: dangan_session=')" "Max-Age=0" "logout clears the cookie"
req GET /search -H "$C"
[ "$CODE" = 303 ] && [ "$(header Location)" = /login ] || fail "after logout the old cookie still works: $CODE"

# ---- a password change (here by the admin, through another process) ends every session ----
login zhang teacher-pass-1
C1="Cookie: dangan_session=$S"
login zhang teacher-pass-1
C2="Cookie: dangan_session=$S"
req GET /search -H "$C1"
[ "$CODE" = 200 ] || fail "first session: $CODE"
echo 'teacher-pass-2' | "$DANGAN" user passwd zhang >/dev/null
for c in "$C1" "$C2"; do
    req GET /search -H "$c"
    [ "$CODE" = 303 ] || fail "a session survived the password change: $CODE"
done
login zhang teacher-pass-1
[ "$CODE" = 401 ] || fail "the old password still logs in: $CODE"
login zhang teacher-pass-2
[ "$CODE" = 303 ] || fail "the new password does not log in: $CODE"

# ---- a disabled account's session ends ----
C="Cookie: dangan_session=$S"
"$DANGAN" user set zhang --disable >/dev/null
req GET /search -H "$C"
[ "$CODE" = 303 ] || fail "a disabled account's session still works: $CODE"
"$DANGAN" user set zhang --enable >/dev/null

# ---- the auditor's log page and CSV ----
login shen auditor-pass-1
CA="Cookie: dangan_session=$S"
req GET "/log?user=zhang&action=show" -H "$CA"
[ "$CODE" = 200 ] || fail "auditor log page: $CODE"
contains "$BODY" 'id="log-state">登记链完整' "the log page shows the log's verification"
# The refused view was of a record above the auditor's clearance (1): listed, withheld.
contains "$BODY" "已隐去" "the auditor sees the refused view in the log, withheld"
case "$BODY" in *"$HIDDEN"*) fail "the web log page shows clearance 1 a record above it";; esac
req GET "/log.csv?user=zhang&action=show" -H "$CA"
[ "$CODE" = 200 ] || fail "log CSV: $CODE"
contains "$(header Content-Disposition)" "attachment" "the CSV downloads"
contains "$BODY" "web 127.0.0.1" "the CSV has the origin"

# ---- my recent activity: my own entries only, for any account (web and command line) ----
req GET /me -H "$CA"
[ "$CODE" = 200 ] || fail "me page: $CODE"
contains "$BODY" 'id="my-activity"' "the me page shows my activity"
contains "$BODY" "log.read" "the auditor's own log reads are in their activity"
lacks "$BODY" "寒假" "another user's searches are not in my activity"
"$DANGAN" --as zhang log mine --json >"$T/mine.json" || fail "log mine for a teacher: exit $?"
json '" ".join(sorted(set(e["user"] for e in j["entries"])))' <"$T/mine.json" | grep -qx zhang ||
    fail "log mine shows other users: $(cat "$T/mine.json")"
json '"\n".join((e["query"] or "") for e in j["entries"])' <"$T/mine.json" | grep -q 寒假 ||
    fail "log mine lacks the teacher's own search"
"$DANGAN" --as zhang log --limit 1 >/dev/null 2>&1 && fail "a teacher read the whole log"
"$DANGAN" --as zhang log mine --limit 1001 >/dev/null 2>&1 && fail "log mine --limit 1001 was accepted"
"$DANGAN" log --action log.mine --json | json 'j["entries"][-1]["user"]' | grep -qx zhang ||
    fail "log mine is not itself logged"
login_token
req GET /log -H "Cookie: dangan_session=$(printf '%s' "$C1" | cut -d= -f2)"
[ "$CODE" = 303 ] || fail "an ended session reads the log: $CODE"

# ---- random requests never crash the HTTP layer (WEB_FUZZ_COUNT, default 10,000) ----
python3 "$here/web_fuzz.py" 127.0.0.1 "${B##*:}" "${WEB_FUZZ_COUNT:-10000}" 18 "${CA#*=}" \
    >"$T/fuzz.out" 2>&1 || fail "fuzzer: $(tail -n 5 "$T/fuzz.out")"
kill -0 "$SERVER_PID" 2>/dev/null || fail "the server died under random requests"
stop_server
[ "$SERVER_RC" -eq 0 ] || fail "the server exited $SERVER_RC: $(tail -n 30 "$T/serve.log")"

# ---- uploading a small batch: archivists only, CSRF, caps, progress, per-file outcomes ----
"$DANGAN" user add li --name 李档案员 --clearance 2 --role archivist >/dev/null
echo 'archivist-pass-1' | "$DANGAN" user passwd li >/dev/null
mkdir -p "$T/tmp" up
printf '关于2024年春季运动会的通知\n运动会于4月举行。\n' >up/sports.txt
printf '机密★10年\n关于调整考试安全保卫方案的报告\n正文略。\n' >up/secret.txt
printf 'files,title,category,level\nsports.txt,春季运动会通知,administrative,1\n' >up/manifest.csv
TMPDIR="$T/tmp" start_server
login zhang teacher-pass-2
req GET /upload -H "Cookie: dangan_session=$S"
[ "$CODE" = 403 ] || fail "a teacher got the upload form: $CODE"
login li archivist-pass-1
C="Cookie: dangan_session=$S"
req GET /upload -H "$C"
[ "$CODE" = 200 ] || fail "upload form: $CODE"
contains "$BODY" 'enctype="multipart/form-data"' "the upload form is multipart"
CSRF=$(csrf_of)
req POST /upload -H "$C" -F csrf=0000000000000000000000000000000000000000000000000000000000000000 -F files=@up/sports.txt
[ "$CODE" = 403 ] || fail "an upload without its token answered $CODE"
many=()
for i in $(seq 1 51); do many+=(-F "files=@up/sports.txt;filename=s$i.txt"); done
req POST /upload -H "$C" -F "csrf=$CSRF" "${many[@]}"
[ "$CODE" = 413 ] || fail "51 files answered $CODE"
contains "$BODY" "too many files" "51 files: the error says why"
req POST /upload -H "$C" -F "csrf=$CSRF" -F files=@up/sports.txt -F files=@up/secret.txt -F manifest=@up/manifest.csv
[ "$CODE" = 303 ] || fail "upload: $CODE $BODY"
JOB=$(header Location)
case "$JOB" in /upload/job\?id=[0-9]*) ;; *) fail "upload went to '$JOB'" ;; esac
STATUS=/upload/status?id=${JOB##*=}
state=running
for _ in $(seq 1 600); do
    req GET "$STATUS" -H "$C"
    [ "$CODE" = 200 ] || fail "upload status: $CODE"
    state=$(printf '%s' "$BODY" | json 'j["state"]')
    [ "$state" = done ] && break
    sleep 0.2
done
[ "$state" = done ] || fail "the upload never finished"
[ "$(header Content-Type)" = application/json ] || fail "status Content-Type"
req GET "$JOB" -H "$C"
[ "$CODE" = 200 ] || fail "upload job page: $CODE"
contains "$BODY" "春季运动会通知" "the manifest's title is used"
contains "$BODY" "secret.txt" "each file is listed"
contains "$BODY" "quarantined" "a file the manifest does not list is quarantined"
contains "$BODY" "not listed in the manifest" "with its reason"
contains "$BODY" 'id="upload-summary"' "the summary links the batch"
lacks "$BODY" "<script>" "no inline script on the upload page"
"$DANGAN" search 运动会 --json | json 'j["hits"][0]["title"]' | grep -q 春季运动会通知 || fail "the uploaded file is not searchable"
"$DANGAN" log --action ingest --json | json 'j["entries"][-1]["origin"]' | grep -q '^web 127.0.0.1$' || fail "the ingest is not logged as from the web"
[ -z "$(ls -A "$T/tmp")" ] || fail "temporary upload files were left: $(ls -A "$T/tmp")"
login zhang teacher-pass-2
req GET "$JOB" -H "Cookie: dangan_session=$S"
[ "$CODE" = 404 ] || fail "another user saw the upload job: $CODE"
stop_server
[ "$SERVER_RC" -eq 0 ] || fail "the server exited $SERVER_RC: $(tail -n 30 "$T/serve.log")"

# ---- HTTPS directly: --tls-cert/--tls-key, the key closed to others ----
command -v openssl >/dev/null || fail "needs openssl (scripts/install-deps.sh installs it)"
{
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 -keyout "$T/tls.key" -out "$T/tls.crt" 2>/dev/null ||
        fail "openssl could not make a test certificate"
    chmod 644 "$T/tls.key"
    "$DANGAN" serve --socket "$T/tls.sock" --http 127.0.0.1:0 --tls-cert "$T/tls.crt" \
        --tls-key "$T/tls.key" >/dev/null 2>"$T/tls.err" && fail "a key others can read was taken"
    contains "$(cat "$T/tls.err")" "chmod 600" "a key others can read is refused, saying what to do"
    "$DANGAN" serve --socket "$T/tls.sock" --tls-cert "$T/tls.crt" --tls-key "$T/tls.key" \
        >/dev/null 2>"$T/tls.err" && fail "TLS without --http was taken"
    contains "$(cat "$T/tls.err")" "need --http" "TLS without --http is refused"
    chmod 600 "$T/tls.key"
    start_server --tls-cert "$T/tls.crt" --tls-key "$T/tls.key"
    grep -q "over TLS" "$T/serve.log" || fail "the server does not say it serves TLS"
    B=https://127.0.0.1:${B##*:}
    export CURL_CA_BUNDLE="$T/tls.crt"
    req GET /login
    [ "$CODE" = 200 ] || fail "the login page over HTTPS: $CODE"
    check_security_headers "HTTPS login form"
    login zhang teacher-pass-2
    [ "$CODE" = 303 ] && [ -n "$S" ] || fail "no login over HTTPS: $CODE"
    contains "$(printf '%s\n' "$HDR" | grep -i '^set-cookie: dangan_session=')" "; Secure" "Secure cookie over HTTPS"
    curl -s -o /dev/null "http://127.0.0.1:${B##*:}/login" && fail "plain HTTP answered on the TLS port"
    unset CURL_CA_BUNDLE
    stop_server
    [ "$SERVER_RC" -eq 0 ] || fail "the server exited $SERVER_RC: $(tail -n 30 "$T/serve.log")"
}

# ---- a trusted proxy's X-Forwarded-For; idle expiry; back-off ----
start_server --http-proxy 127.0.0.1 --session-idle 1
login zhang teacher-pass-2
C="Cookie: dangan_session=$S"
req GET "/search?q=%E9%80%9A%E7%9F%A5" -H "$C" -H "X-Forwarded-For: 198.51.100.7, 10.9.9.9"
[ "$CODE" = 200 ] || fail "search behind the proxy: $CODE"
ORIGIN=$("$DANGAN" log --action search --json | json 'j["entries"][-1]["origin"]')
[ "$ORIGIN" = "web 10.9.9.9" ] || fail "behind the trusted proxy the origin is '$ORIGIN'"
sleep 3 # idle longer than --session-idle 1
req GET /search -H "$C"
[ "$CODE" = 303 ] || fail "a session idle past its limit still works: $CODE"

# Failures of one login slow down until even the right password waits (429), and say so.
# On a server whose clock stands still (the test build's DANGAN_TEST_NOW): a wait of one
# second must not run out while a loaded machine answers the next attempt.
stop_server
[ "$SERVER_RC" -eq 0 ] || fail "the server exited $SERVER_RC: $(tail -n 30 "$T/serve.log")"
export DANGAN_TEST_NOW=2026-03-02T08:00:00Z
start_server
unset DANGAN_TEST_NOW
got429=
for _ in $(seq 1 12); do
    login zhang wrong-password
    if [ "$CODE" = 429 ]; then got429=1; break; fi
    [ "$CODE" = 401 ] || fail "a failed login answered $CODE"
done
[ -n "$got429" ] || fail "twelve failed logins never slowed down"
login zhang teacher-pass-2
[ "$CODE" = 429 ] && [ -z "$S" ] || fail "during back-off the right password logged in: $CODE"
"$DANGAN" log --action web.login --json | json '"\n".join((e["detail"] or "") for e in j["entries"])' >"$T/logins"
contains "$(cat "$T/logins")" "back-off" "a login refused for back-off is logged"
contains "$(cat "$T/logins")" "wrong password" "a wrong password is logged"
contains "$(cat "$T/logins")" "no active account with a web password" "an unknown login is logged"
stop_server
[ "$SERVER_RC" -eq 0 ] || fail "the server exited $SERVER_RC: $(tail -n 30 "$T/serve.log")"
grep -q "Sanitizer\|runtime error" "$T/serve.log" && fail "sanitizer report in the server log"
echo "PASS"
