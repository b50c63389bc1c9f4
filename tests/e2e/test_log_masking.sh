#!/usr/bin/env bash
# End-to-end (issue 15, item 4): what the access log, batch show and the web log page show
# an auditor of clearance 1 about a level-3 record is withheld — who, when, action and
# outcome stay — in every form (text, JSON, CSV, report); an auditor of clearance 4 sees
# every entry whole; log verify still checks the stored entries.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
set -e

"$DANGAN" init --fonds X001 --name "Log masking" >/dev/null
"$DANGAN" user add audit1 --role auditor --clearance 1 >/dev/null
"$DANGAN" user add audit4 --role auditor --clearance 4 >/dev/null
"$DANGAN" user add lead --role staff --clearance 3 >/dev/null
printf '绝密预案 XQZHIDDENWORD 内容\n' >s.txt
printf '公开通知 XQZPUBLICWORD\n' >p.txt
S=$("$DANGAN" --json add s.txt --title 秘密方案XQZTITLE --category personnel --year 2024 --level 3 | json 'j["refcode"]')
P=$("$DANGAN" --json add p.txt --title 公开通知 --category administrative --year 2024 --level 0 | json 'j["refcode"]')
"$DANGAN" --as lead search XQZHIDDENWORD >/dev/null
"$DANGAN" --as lead show "$S" >/dev/null
"$DANGAN" --as lead search XQZPUBLICWORD >/dev/null
mkdir batch
printf '人事任免 XQZBATCHWORD\n' >batch/secret-file-name.txt
# A file the manifest does not list waits in quarantine at no known level: its name, in a
# batch that filed a level-3 record, must not reach clearance 1 either.
printf '另一份 XQZUNLISTEDWORD\n' >batch/unlisted-file-name.txt
printf 'files,title,date,category,level\nsecret-file-name.txt,任免XQZBATCHTITLE,2024-05-06,personnel,3\n' >m.csv
"$DANGAN" ingest batch --manifest m.csv --json >/dev/null || true
BATCH=$("$DANGAN" batch list --json | json 'j["batches"][-1]["id"]' 2>/dev/null || echo 1)

# An archivist of clearance 1 may not file a level-3 row: it waits in quarantine, its level kept.
"$DANGAN" user add arc1 --role archivist --clearance 1 >/dev/null
mkdir waits
printf '干部考察 XQZWAITWORD\n' >waits/waiting-file-name.txt
printf 'files,title,date,category,level\nwaiting-file-name.txt,考察XQZWAITTITLE,2024-05-06,personnel,3\n' >w.csv
"$DANGAN" --as arc1 ingest waits --manifest w.csv --json >/dev/null || true
WAIT=$("$DANGAN" batch list --json | json 'j["batches"][0]["id"]')
# A level-3 row whose file cannot be read waits in quarantine at the row's level, even in a
# batch that filed nothing: its name is not shown to clearance 1.
mkdir broken
printf '%%PDF-1.4\n1 0 obj broken\n' >broken/broken-file-name.pdf
printf 'files,title,date,category,level\nbroken-file-name.pdf,损坏XQZBROKENTITLE,2024-05-06,personnel,3\n' >b.csv
"$DANGAN" ingest broken --manifest b.csv --json >/dev/null || true
expect_exit 0 "$DANGAN" --as audit1 --json quarantine list
case "$OUT" in *waiting-file-name*|*XQZWAIT*|*broken-file-name*) fail "quarantine list shows clearance 1 a level-3 file: $OUT";; esac
contains "$OUT" "已隐去" "the quarantine list says what is withheld"
expect_exit 0 "$DANGAN" --as audit1 --json batch show "$WAIT"
case "$OUT" in *waiting-file-name*|*XQZWAIT*) fail "batch show shows clearance 1 a level-3 file: $OUT";; esac
expect_exit 0 "$DANGAN" --as audit1 --json quarantine list
case "$OUT" in *unlisted-file-name*) fail "quarantine list names a file of a batch that filed a level-3 record: $OUT";; esac
expect_exit 0 "$DANGAN" --as audit1 --json batch show "$BATCH"
case "$OUT" in *unlisted-file-name*) fail "batch show names a file of a batch that filed a level-3 record: $OUT";; esac
# ... while who ran a batch still sees the names of the files they gave it
expect_exit 0 "$DANGAN" --as arc1 --json quarantine list
contains "$OUT" "waiting-file-name" "the archivist who ran the batch sees their quarantined file"
expect_exit 0 "$DANGAN" --as audit4 --json quarantine list
contains "$OUT" "waiting-file-name" "clearance 4 sees the quarantined file"
contains "$OUT" "unlisted-file-name" "clearance 4 sees the unlisted file"
contains "$OUT" "broken-file-name" "clearance 4 sees the file that could not be read"
expect_exit 0 "$DANGAN" --as audit4 --json batch show "$WAIT"
contains "$OUT" "waiting-file-name" "clearance 4 sees it in the batch"

secrets() { # fails when any of the hidden record's words is in $1
    for w in "$S" XQZHIDDENWORD XQZTITLE 秘密方案 secret-file-name XQZBATCH waiting-file-name XQZWAIT \
        unlisted-file-name broken-file-name XQZBROKEN; do
        case "$1" in *"$w"*) fail "$2: '$w' shown to clearance 1";; esac
    done
}

# ---- clearance 1: masked everywhere, who/when/action/outcome kept ----
expect_exit 0 "$DANGAN" --as audit1 --json log
secrets "$OUT" "log --json"
printf '%s' "$OUT" | json '"\n".join("%s|%s|%s|%s" % (e["user"], e["action"], e["record"], e["outcome"]) for e in j["entries"])' >rows.txt
grep -q "lead|show|已隐去 withheld|ok" rows.txt || fail "the withheld show keeps who, action and outcome: $(cat rows.txt)"
grep -q "lead|search|None|ok" rows.txt || fail "the searches stay listed: $(cat rows.txt)"
printf '%s' "$OUT" | json '[e["query"] for e in j["entries"] if e["action"]=="search"]' >queries.txt
grep -q "已隐去 withheld" queries.txt || fail "the search that showed the hidden record keeps its query: $(cat queries.txt)"
grep -q "XQZPUBLICWORD" queries.txt || fail "a search that showed only visible records is withheld: $(cat queries.txt)"
printf '%s' "$OUT" | json '"\n".join(str(e["detail"]) for e in j["entries"] if e["action"]=="ingest")' >ingests.txt
grep -q "batch $BATCH:" ingests.txt && fail "the counts of a batch that filed a level-3 record are shown: $(cat ingests.txt)"
grep -q "已隐去 withheld" ingests.txt || fail "the batch entry says its detail is withheld: $(cat ingests.txt)"
expect_exit 0 "$DANGAN" --as audit1 log
secrets "$OUT" "log (text)"
contains "$OUT" "已隐去" "text output says what is withheld"
expect_exit 0 "$DANGAN" --as audit1 log --csv
secrets "$OUT" "log --csv"
expect_exit 0 "$DANGAN" --as audit1 --json log --record "$S"
[ "$(printf '%s' "$OUT" | json 'len(j["entries"])')" = 0 ] || fail "log --record of a hidden record lists entries"
expect_exit 0 "$DANGAN" --as audit1 --json log --record X001-RS·2099-Y-9999
[ "$(printf '%s' "$OUT" | json 'len(j["entries"])')" = 0 ] || fail "a missing record differs"
expect_exit 0 "$DANGAN" --as audit1 --json log report --month "$(date -u +%Y-%m)"
secrets "$OUT" "log report"
expect_exit 0 "$DANGAN" --as audit1 --json batch show "$BATCH"
secrets "$OUT" "batch show"
expect_exit 0 "$DANGAN" --as audit1 log verify

# A proof that the withheld show entry is in a signed checkpoint still proves; its bytes
# (record, query, detail) are withheld from clearance 1, not from clearance 4.
mkdir keys
"$DANGAN" log keygen school.example/dangan-log --output keys/log.key >keys/vkey.txt
VK=$(cat keys/vkey.txt)
"$DANGAN" log checkpoint --log-key keys/log.key --checkpoints keys/checkpoints.txt >cp.txt
SHOWN=$("$DANGAN" --as audit4 --json log --action show | json '[e["id"] for e in j["entries"] if e["record"]=="'"$S"'"][0]')
expect_exit 0 "$DANGAN" --as audit1 --json log prove "$SHOWN" --checkpoint cp.txt --key "$VK"
[ "$(printf '%s' "$OUT" | json 'j["included"]')" = True ] || fail "the proof of a withheld entry does not prove"
printf '%s' "$OUT" | json '__import__("base64").b64decode(j["leaf_data"]).decode()' >leaf1.txt
secrets "$(cat leaf1.txt)" "log prove"
expect_exit 0 "$DANGAN" --as audit4 --json log prove "$SHOWN" --checkpoint cp.txt --key "$VK"
printf '%s' "$OUT" | json '__import__("base64").b64decode(j["leaf_data"]).decode()' >leaf4.txt
grep -q "$S" leaf4.txt || fail "clearance 4 gets the entry's bytes in its proof"

# ---- clearance 4: the full audit ----
expect_exit 0 "$DANGAN" --as audit4 --json log
contains "$OUT" "$S" "clearance 4 sees the record"
contains "$OUT" "XQZHIDDENWORD" "clearance 4 sees the query"
expect_exit 0 "$DANGAN" --as audit4 --json log --record "$S"
[ "$(printf '%s' "$OUT" | json 'len(j["entries"])')" -ge 3 ] || fail "clearance 4: log --record lists the record's entries"
expect_exit 0 "$DANGAN" --as audit4 --json batch show "$BATCH"
contains "$OUT" "secret-file-name" "clearance 4 sees the batch's file names"
expect_exit 0 "$DANGAN" --as audit4 --json log --action quarantine
contains "$OUT" "waiting-file-name" "clearance 4 sees the quarantine entry whole"
expect_exit 0 "$DANGAN" --as audit4 log verify

# ---- nothing more withheld than that: a batch that filed only what clearance 1 may see ----
mkdir open
printf '开放通知 XQZOPENWORD\n' >open/open-file-name.txt
printf '另一份开放 XQZOPENOTHER\n' >open/open-unlisted-name.txt
printf 'files,title,date,category,level\nopen-file-name.txt,开放XQZOPENTITLE,2024-05-06,administrative,1\n' >o.csv
"$DANGAN" --as arc1 ingest open --manifest o.csv --json >/dev/null || true
OPEN=$("$DANGAN" batch list --json | json 'max(b["id"] for b in j["batches"])')
expect_exit 0 "$DANGAN" --as audit1 --json log
contains "$OUT" "open-unlisted-name.txt: not listed" "clearance 1 sees the quarantine entry of an open batch"
contains "$OUT" "batch $OPEN: 1 filed" "clearance 1 sees the counts of an open batch"
expect_exit 0 "$DANGAN" --as audit1 --json quarantine list
contains "$OUT" "open-unlisted-name" "clearance 1 sees the quarantined file of an open batch"
expect_exit 0 "$DANGAN" --as audit1 --json batch show "$OPEN"
contains "$OUT" "open-file-name" "clearance 1 sees the files of an open batch"
echo ok
