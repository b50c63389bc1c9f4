#!/usr/bin/env bash
# End-to-end: the auditor's questions get right answers or a refusal. --since/--until in
# every accepted form (and exit 2 for anything else), --limit takes the newest, times in
# the archive's zone with the offset, a search's shown hits under log --record, and a
# failed classify logged as one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
set -e

"$DANGAN" init --fonds X001 --name "Log queries" >/dev/null
"$DANGAN" user add wang --role auditor --clearance 4 >/dev/null
"$DANGAN" user add li --role staff --clearance 2 >/dev/null
printf '人事档案 张三 身份证号 110101199001011234 XQZPERS\n' >p.txt
printf '期末考试通知 XQZPERS 相关\n' >n.txt
P=$("$DANGAN" --json add p.txt --title 张三档案 --category personnel --year 2024 --level 2 | json 'j["refcode"]')
N=$("$DANGAN" --json add n.txt --title 考试通知 --category administrative --year 2024 --level 0 | json 'j["refcode"]')

# ---- who saw what: the hits a search showed are logged with it ----
"$DANGAN" --as li search XQZPERS >/dev/null
expect_exit 0 "$DANGAN" --as wang --json log --record "$P"
printf '%s' "$OUT" | json '" ".join(e["action"] + ":" + e["user"] for e in j["entries"])' >seen.txt
grep -q "search:li" seen.txt || fail "li's search that showed $P is missing under log --record: $(cat seen.txt)"
grep -q "add:" seen.txt || fail "the record's own entries are missing under log --record"
printf '%s' "$OUT" | json '[s for e in j["entries"] if e["action"]=="search" for s in e["shown"]][0]["version"]' \
    | grep -qx 1 || fail "the shown hit's version is not logged"
expect_exit 0 "$DANGAN" --as wang log --record "$N"
contains "$OUT" "shown: " "text output names the shown hits"
# A search that shows nothing shows nothing.
"$DANGAN" --as li search XQZNOTHING >/dev/null
expect_exit 0 "$DANGAN" --as wang --json log --action search
printf '%s' "$OUT" | json '[len(e["shown"]) for e in j["entries"]][-1]' | grep -qx 0 || fail "empty search shown hits"

# ---- --since/--until: every accepted form; anything else is refused ----
for w in today yesterday tomorrow now 30d "30 days" "2 weeks ago" 2w 12h 6mo 1y this-week last-week \
    this-month last-month "last month" this-year last-year 2024 2024-06 2024-06-30 \
    2024-06-30T08:00 "2024-06-30 08:00:00" 2024-06-30T08:00:00Z 2024-06-30T08:00+08:00; do
    expect_exit 0 "$DANGAN" log --since "$w" --until now
done
for w in "next month" 2024-02-30 2024-13 06/30/2024 30x "" "last fortnight" 2024-06-30T25:00 \
    "2024-06-30 08:00 +25:00" 1e3d; do
    expect_exit 2 "$DANGAN" log --since "$w"
    contains "$ERR" "is not a date or time" "--since '$w' refused"
    expect_exit 2 "$DANGAN" log --until "$w"
done
# The bounds select what they say: nothing after now, everything since last year.
expect_exit 0 "$DANGAN" --json log --since 1y
all=$(printf '%s' "$OUT" | json 'len(j["entries"])')
[ "$all" -ge 5 ] || fail "--since 1y lost entries ($all)"
expect_exit 0 "$DANGAN" --json log --until 2000-01-01
[ "$(printf '%s' "$OUT" | json 'len(j["entries"])')" = 0 ] || fail "--until 2000 returned entries"
expect_exit 0 "$DANGAN" --json log --since today --until tomorrow
[ "$(printf '%s' "$OUT" | json 'len(j["entries"])')" -ge 5 ] || fail "today's entries are missing"

# ---- --limit takes the newest, shown oldest first ----
expect_exit 0 "$DANGAN" --json log --limit 3
ids=$(printf '%s' "$OUT" | json '",".join(str(e["id"]) for e in j["entries"])')
last=$(sqlite3 "$DANGAN_ARCHIVE/log.db" "SELECT max(id) FROM access_log")
[ "$ids" = "$((last - 3)),$((last - 2)),$((last - 1))" ] || fail "--limit 3 gave $ids, not the newest before $last"
expect_exit 2 "$DANGAN" log --limit -1

# ---- times in the archive's zone, with the offset ----
expect_exit 0 "$DANGAN" log timezone
contains "$OUT" "the system's" "no zone set"
expect_exit 4 "$DANGAN" --as wang log timezone Asia/Shanghai
expect_exit 2 "$DANGAN" log timezone Mars/Olympus
expect_exit 0 "$DANGAN" log timezone Asia/Shanghai
TZ=UTC "$DANGAN" --json log --limit 1 >t.json
python3 - t.json <<'PY' || fail "time not shown in Asia/Shanghai with its offset"
import json, sys, datetime
e = json.load(open(sys.argv[1]))["entries"][0]
utc = datetime.datetime.strptime(e["at"][:19], "%Y-%m-%dT%H:%M:%S")
want = (utc + datetime.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S") + " +08:00"
assert e["local_time"] == want, (e["local_time"], want)
PY
# A bound is read in the same zone: entries since local midnight of today.
expect_exit 0 "$DANGAN" --json log --since today --limit 1
printf '%s' "$OUT" | json 'j["since"]' | grep -q 'T16:00:00.000Z$' || fail "today is not local midnight in Asia/Shanghai"

# ---- every outcome logged as what it was ----
expect_exit 2 "$DANGAN" classify "$N" nonsense --reason test
expect_exit 0 "$DANGAN" --json log --action classify
printf '%s' "$OUT" | json 'j["entries"][-1]["outcome"]' | grep -qx invalid || fail "a failed classify is not logged as failed"

# ---- the monthly report: personnel accesses with names, refusals; CSV for Excel ----
"$DANGAN" user add zhao --name 赵老师 --role staff --clearance 1 >/dev/null
expect_exit 3 "$DANGAN" --as zhao show "$P"          # above zhao's clearance: refused
month=$(TZ=Asia/Shanghai date +%Y-%m)
expect_exit 0 "$DANGAN" --as wang log report --month "$month"
contains "$OUT" "人事档案查阅" "report heading"
contains "$OUT" "拒绝访问" "refusals heading"
contains "$OUT" "赵老师 (zhao)  show refused  $P" "a refusal by name"
contains "$OUT" "search ok" "li's search that showed the personnel record"
expect_exit 0 "$DANGAN" --as wang log report --month "$month" --csv
printf '%s' "$OUT" | head -c 3 | od -An -tx1 | grep -q "ef bb bf" || fail "report CSV lacks the BOM Excel needs"
contains "$OUT" '"refusal"' "CSV section"
expect_exit 2 "$DANGAN" log report --month 2026-13
expect_exit 4 "$DANGAN" --as li log report --month "$month"
echo ok
