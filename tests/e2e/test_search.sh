#!/usr/bin/env bash
# End-to-end: full-text search through the real binary — both scripts and full-width
# digits, phrases, document numbers, filters, sorting, paging, versions, level changes,
# level-4 grants, what a staff user may count, malformed and empty queries, the search
# log, reindex (also after the index folder is deleted) and a crash between the catalog
# commit and the index commit.
set -e
. "$(dirname "$0")/lib.sh"

# total QUERY [ARGS...]: the total of a JSON search (as the archive owner unless --as).
total() {
    expect_exit 0 "$DANGAN" "$@" --json
    echo "$OUT" | json 'j["total"]'
}
# refs ARGS...: the reference codes of a JSON search's hits, one line each, in order.
refs() {
    expect_exit 0 "$DANGAN" "$@" --json
    echo "$OUT" | json '"\n".join(h["refcode"] for h in j["hits"])'
}
add() { # add FILE ARGS...: prints the new reference code
    expect_exit 0 "$DANGAN" add "$@"
    echo "$OUT" | awk '{print $1; exit}'
}
want() { # want GOT EXPECTED WHAT
    [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

expect_exit 0 "$DANGAN" init --fonds X001
expect_exit 0 "$DANGAN" user add zhang --clearance 1 --role staff
expect_exit 0 "$DANGAN" user add wang --clearance 1 --role staff
expect_exit 0 "$DANGAN" user add li --clearance 2 --role staff

# ---- a small archive ------------------------------------------------------------------
printf '差旅費報銷須經部門負責人簽字，第１２條另有規定。\n' > trad.txt
TRAD=$(add trad.txt --title "報銷管理辦法" --category finance --type regulation \
    --date 2021-03-01 --level 1 --doc-number "校办〔2021〕7号")
printf '本次会议纪要记录了2023年预算调整的讨论情况。\n' > minutes.txt
MIN=$(add minutes.txt --title "2023年第三次校长办公会会议纪要" --category administrative \
    --type minutes --date 2023-05-10 --level 0 --doc-number "校办〔2024〕12号")
printf '会议决定：纪要另行印发。2023年度工作安排。\n' > split.txt
SPLIT=$(add split.txt --title "工作安排" --category administrative --type notice \
    --date 2023-06-01 --level 0)
printf '档案管理工作检查通知，请各部门做好准备。\n' > simp.txt
SIMP=$(add simp.txt --title "关于档案管理检查的通知" --category administrative --type notice \
    --date 2019-09-01 --level 1 --period D10)
printf 'The committee reviewed the annual budget report and approved the plan.\n' > budget.txt
BUDGET=$(add budget.txt --title "Annual budget 2022" --category finance --type report \
    --date 2022-12-20 --level 1)
printf '教职工权限调整方案（人事）。权限分级管理。\n' > p1.txt
P1=$(add p1.txt --title "权限调整方案" --category personnel --date 2020-04-01 --level 1)
printf '人事权限变更记录，XQZPERSON。\n' > p2.txt
P2=$(add p2.txt --title "权限变更记录" --category personnel --date 2023-02-01 --level 2)
printf '机密人事权限记录 XQZSECRET4 绝不外传。\n' > p4.txt
P4=$(add p4.txt --title "涉密权限名单" --category personnel --date 2022-01-01 --level 4)

# ---- both scripts, full-width digits ---------------------------------------------------
want "$(total search 报销)" 1 "simplified query finds traditional text"
want "$(total search 報銷)" 1 "traditional query finds it too"
expect_exit 0 "$DANGAN" search 报销
contains "$OUT" "$TRAD" "hit shows the reference code"
contains "$OUT" "報銷管理辦法" "hit shows the title in its own script"
contains "$OUT" "finance" "hit shows the category"
contains "$OUT" "2021-03-01" "hit shows the date"
contains "$OUT" "version 1" "hit shows the version"
contains "$OUT" "level 1" "hit shows the level"
contains "$OUT" "[報銷]" "snippet highlights the match in the original script"
contains "$OUT" "category  CW:1" "facets after the hits"
contains "$OUT" "1-1 of 1 records" "total"
want "$(total search 檔案管理)" 1 "traditional query finds simplified text"
expect_exit 0 "$DANGAN" search 檔案管理 --json
want "$(echo "$OUT" | json 'j["hits"][0]["refcode"]')" "$SIMP" "the simplified record"
want "$(total search 第12条)" 1 "ASCII digits find full-width ones"
want "$(total search 第１２条)" 1 "full-width digits in the query"

# ---- phrases ------------------------------------------------------------------------
want "$(total search 会议 纪要)" 2 "both words anywhere"
want "$(total search '"会议纪要"')" 1 "the phrase needs the words together"
want "$(refs search '"会议纪要" 2023')" "$MIN" "phrase and a year"
want "$(total search '"budget report"')" 1 "English phrase"
want "$(total search '"report budget"')" 0 "English phrase in the wrong order"
want "$(total search reports)" 1 "stemming: reports finds report"

# ---- document numbers ------------------------------------------------------------------
want "$(refs search 校办〔2024〕12号)" "$MIN" "document number with its brackets"
want "$(refs search '校办[2024]12号')" "$MIN" "document number with ASCII brackets"
want "$(refs search 12号)" "$MIN" "a part of the document number"
want "$(total search 校办〔2024〕7号)" 0 "a different number matches nothing"
want "$(refs search no:7号)" "$TRAD" "no: searches document numbers"

# ---- filters, sorting, paging ----------------------------------------------------------
want "$(total search 权限)" 3 "owner (clearance 4) sees all three personnel records"
want "$(total search 权限 --category personnel --year 2019..2023)" 3 "category and year range"
want "$(total search 权限 --category personnel --year 2021..2022)" 1 "narrower year range"
want "$(refs search 权限 --category personnel --year 2019..2023 --sort date)" \
    "$P2"$'\n'"$P4"$'\n'"$P1" "sort by date, newest first"
want "$(refs search 权限 --sort date-asc)" "$P1"$'\n'"$P4"$'\n'"$P2" "sort by date, oldest first"
want "$(total search 权限 --level 2)" 1 "level filter"
want "$(total search --category administrative)" 3 "browse a category without a query"
want "$(total search --category administrative --period D10)" 2 "period filter"
want "$(total search --category administrative --type notice)" 2 "type filter"
want "$(total search --type minutes)" 1 "type filter alone"
want "$(total search --year 2023)" 3 "one year"
expect_exit 2 "$DANGAN" search x --year 2023..2019
expect_exit 2 "$DANGAN" search x --category nonsense
expect_exit 0 "$DANGAN" search --json --limit 100
ALL=$(echo "$OUT" | json '"\n".join(h["refcode"] for h in j["hits"])')
want "$(echo "$OUT" | json 'j["total"]')" 8 "everything"
PAGED=""
for off in 0 3 6; do
    PAGED="$PAGED$(refs search --limit 3 --offset $off)"$'\n'
done
want "${PAGED%$'\n'}" "$ALL" "three pages of three are the whole list"
expect_exit 0 "$DANGAN" search --limit 3 --offset 3
contains "$OUT" "4-6 of 8 records" "page footer"
expect_exit 0 "$DANGAN" search --limit 3 --offset 30
contains "$OUT" "8 records (none on this page)" "page past the end"

# ---- what a staff user may count ------------------------------------------------------
expect_exit 0 "$DANGAN" --as zhang search 权限 --json
want "$(echo "$OUT" | json 'j["total"]')" 1 "staff counts only the level-1 record"
want "$(echo "$OUT" | json 'j["facets"]["category"]')" "{'RS': 1}" "staff category facet"
want "$(echo "$OUT" | json 'sorted(j["facets"]["year"].items())')" "[('2020', 1)]" "staff year facet"
want "$(echo "$OUT" | json 'sum(j["facets"]["period"].values())')" 1 "staff period facet"
want "$(total --as zhang search XQZPERSON)" 0 "level 2 hidden from clearance 1"
want "$(total --as li search XQZPERSON)" 1 "level 2 seen by clearance 2"
expect_exit 0 "$DANGAN" --as zhang search
want "$(echo "$OUT" | grep -c '^X001-')" 6 "staff browses six records"
lacks "$OUT" "涉密" "no level-4 title"
lacks "$OUT" "RS:3" "no count of hidden records"

# ---- level 4 and grants ----------------------------------------------------------------
want "$(total --as li search XQZSECRET4)" 0 "level 4 hidden from clearance 2"
expect_exit 0 "$DANGAN" grant "$P4" zhang
want "$(total --as zhang search XQZSECRET4)" 1 "a grant opens a level-4 record"
want "$(total --as wang search XQZSECRET4)" 0 "only to the granted user"
expect_exit 0 "$DANGAN" --as zhang search XQZSECRET4
contains "$OUT" "[XQZSECRET4]" "granted user sees the snippet"
expect_exit 0 "$DANGAN" revoke "$P4" zhang
want "$(total --as zhang search XQZSECRET4)" 0 "revoked"

# ---- versions ------------------------------------------------------------------------
printf '差旅费报销须经部门负责人和财务处签字。新增条款 XQZREVISED。\n' > trad2.txt
expect_exit 0 "$DANGAN" edit "$TRAD" --text trad2.txt --title "报销管理办法（修订）" --reason "revised"
contains "$OUT" "version 2" "edit makes version 2"
want "$(total search 报销)" 1 "only the newest version by default"
expect_exit 0 "$DANGAN" search 报销 --json
want "$(echo "$OUT" | json 'j["hits"][0]["version"]')" 2 "the hit is version 2"
want "$(total search 報銷 --all-versions)" 2 "both versions with --all-versions"
expect_exit 0 "$DANGAN" search 报销 --all-versions
contains "$OUT" "version 1 (superseded)" "the old version is marked superseded"
want "$(total search 第12条)" 0 "text only in version 1 is not found by default"
want "$(total search 第12条 --all-versions)" 1 "but with --all-versions"
want "$(total --as zhang search 报销 --all-versions)" 2 "staff sees both level-1 versions"
expect_exit 0 "$DANGAN" edit "$TRAD" --level 3 --reason "contains bank details"
want "$(total --as zhang search 报销)" 0 "raised level hides the record"
want "$(total --as zhang search 报销 --all-versions)" 0 "and every old version"
want "$(total --as zhang search 第12条 --all-versions)" 0 "old text too"
want "$(total search 报销 --all-versions)" 3 "the owner still sees all three versions"
expect_exit 0 "$DANGAN" search 报销 --all-versions --json
want "$(echo "$OUT" | json 'sorted(h["level"] for h in j["hits"])')" "[3, 3, 3]" "every version re-tagged"

# ---- malformed and empty queries, the log ---------------------------------------------
expect_exit 6 "$DANGAN" search '"会议纪要 2023'
contains "$ERR" "quotation mark is not closed" "unclosed quote"
expect_exit 6 "$DANGAN" search '(budget'
contains "$ERR" "'('" "unbalanced parenthesis"
expect_exit 6 "$DANGAN" search 'title:'
expect_exit 6 "$DANGAN" search 'budget OR'
expect_exit 0 "$DANGAN" search XQZNOTHINGHERE
contains "$OUT" "no records match: XQZNOTHINGHERE" "no hits"
expect_exit 0 "$DANGAN" --as zhang search XQZPERSON
contains "$OUT" "no records match" "hidden looks like nothing"
expect_exit 0 "$DANGAN" log --action search --json
LOGGED=$(echo "$OUT" | json '"\n".join("%s|%s|%s|%s" % (e["user"], e["query"], e["hits"], e["outcome"]) for e in j["entries"])')
contains "$LOGGED" "|XQZNOTHINGHERE|0|ok" "an empty search is logged with 0 hits"
contains "$LOGGED" "zhang|XQZPERSON|0|ok" "staff search logged with its permitted count"
contains "$LOGGED" "li|XQZPERSON|1|ok" "search logged with its hit count"
contains "$LOGGED" '|"会议纪要 2023|None|bad_query' "a malformed query is logged as such"

# ---- reindex ---------------------------------------------------------------------------
snapshot() { # the JSON of a fixed set of searches, as two users
    for q in 报销 权限 会议纪要 budget XQZSECRET4 ""; do
        "$DANGAN" search "$q" --all-versions --json --limit 50
        "$DANGAN" --as zhang search "$q" --json --limit 50
    done
}
BEFORE=$(snapshot)
expect_exit 0 "$DANGAN" reindex
contains "$OUT" "reindexed 10 versions" "reindex counts every version"
want "$(snapshot)" "$BEFORE" "results are identical after reindex"
expect_exit 4 "$DANGAN" --as zhang reindex
rm -rf "$DANGAN_ARCHIVE/index"
want "$(snapshot)" "$BEFORE" "results are identical after the index folder was deleted"
[ -f "$DANGAN_ARCHIVE/index/L0/iamglass" ] || fail "the index was not rebuilt"
# An index of the single-database layout of dangan before index format 3 (here: one
# level's database moved to the top of the folder) is rebuilt by level on the next run.
mv "$DANGAN_ARCHIVE/index/L1/"* "$DANGAN_ARCHIVE/index/"
rm -rf "$DANGAN_ARCHIVE"/index/L?
want "$(snapshot)" "$BEFORE" "results are identical after the old single-database index was rebuilt"
[ -f "$DANGAN_ARCHIVE/index/L0/iamglass" ] && [ ! -e "$DANGAN_ARCHIVE/index/iamglass" ] ||
    fail "the old single-database index was not rebuilt by level"

# ---- crash between the catalog commit and the index commit ------------------------------
# First the exact state, made by hand: the catalog has the version (and its queue row),
# the index is as it was before the add.
cp -a "$DANGAN_ARCHIVE/index" "$T/index.before"
printf 'Stale index test XQZSTALE.\n' > stale.txt
STALE=$(add stale.txt --title "stale" --category asset --level 0)
rm -rf "$DANGAN_ARCHIVE/index"
mv "$T/index.before" "$DANGAN_ARCHIVE/index"
sqlite3 "$DANGAN_ARCHIVE/catalog.db" \
    "INSERT INTO index_queue(version_id) SELECT max(id) FROM versions"
want "$(refs search XQZSTALE)" "$STALE" "a queued version is indexed on the next open"
want "$(total search XQZSTALE)" 1 "exactly once"
# Killing `dangan add` at random moments leaves some adds uncommitted, some committed and
# indexed, and some committed but not indexed (the index commit comes after the catalog's).
# After the next open every committed record must be found exactly once.
python3 - <<'PY'
import random
random.seed(7)
words = ["预算", "会议", "报销", "资产", "培训", "budget", "minutes", "report"]
for i in range(10):
    with open("crash%d.txt" % i, "w") as f:
        f.write("XQZCRASH%dX " % i)
        for _ in range(20000):
            f.write(random.choice(words) + " ")
PY
# Kill times spread over one add's duration, measured here (sanitizer builds are slower).
start=$EPOCHREALTIME
sed 's/XQZCRASH9X/XQZREFERENCE/' crash9.txt > crashref.txt
expect_exit 0 "$DANGAN" add crashref.txt --title "crash reference" --category asset --level 0
span_ms=$(( (${EPOCHREALTIME/./} - ${start/./}) * 15 / 10000 ))
RANDOM=11
window=0
for i in $(seq 0 9); do
    "$DANGAN" add "crash$i.txt" --title "crash $i" --category finance --level 0 --year 2024 \
        >/dev/null 2>&1 &
    pid=$!
    ms=$((RANDOM * span_ms / 32768))
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    queued=$(sqlite3 "$DANGAN_ARCHIVE/catalog.db" "SELECT count(*) FROM index_queue q
        JOIN versions v ON v.id = q.version_id WHERE v.title = 'crash $i'")
    [ "$queued" = 0 ] || window=$((window + 1))
done
committed=0
for i in $(seq 0 9); do
    in_catalog=$(sqlite3 "$DANGAN_ARCHIVE/catalog.db" "SELECT count(*) FROM versions WHERE title = 'crash $i'")
    found=$(total search "XQZCRASH${i}X")
    want "$found" "$in_catalog" "crash $i: found $found times, catalog has $in_catalog"
    committed=$((committed + in_catalog))
done
want "$(total search --category finance --year 2024)" "$committed" "every committed crash record, once"
[ "$(sqlite3 "$DANGAN_ARCHIVE/catalog.db" "SELECT count(*) FROM index_queue")" = 0 ] ||
    fail "the index queue was not emptied"
echo "crash test: $committed of 10 adds committed, $window killed between catalog and index commit"
echo "search e2e: ok"
