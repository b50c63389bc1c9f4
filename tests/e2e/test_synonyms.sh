#!/usr/bin/env bash
# End-to-end: queries as people type them, and synonyms — an unspaced query finds its words
# apart (差旅报销 finds 差旅费报销) with the record holding it as typed first; a quoted query
# stays a phrase; the shipped thesaurus finds another region's words (班主任 finds 導師);
# `synonyms add/remove/list` (archivist only, each change in the access log, stored in the
# catalog) change what searches find, and survive a reindex and a deleted index folder.
set -e
. "$(dirname "$0")/lib.sh"

total() {
    expect_exit 0 "$DANGAN" "$@" --json
    echo "$OUT" | json 'j["total"]'
}
refs() {
    expect_exit 0 "$DANGAN" "$@" --json
    echo "$OUT" | json '"\n".join(h["refcode"] for h in j["hits"])'
}
add() {
    expect_exit 0 "$DANGAN" add "$@"
    echo "$OUT" | awk '{print $1; exit}'
}
want() {
    [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

expect_exit 0 "$DANGAN" init --fonds X001
expect_exit 0 "$DANGAN" user add li --clearance 3 --role archivist
expect_exit 0 "$DANGAN" user add zhang --clearance 3 --role staff

printf '各部门：差旅费报销须附行程单，报销时限为返校后十日内。\n' > apart.txt
APART=$(add apart.txt --title "关于规范财务管理的通知" --category finance --date 2024-03-01)
printf '差旅报销一律线上办理。\n' > typed.txt
TYPED=$(add typed.txt --title "线上办理通知" --category finance --date 2024-03-02)
printf '本學期導師應每月與家長聯繫一次。\n' > tw.txt
TW=$(add tw.txt --title "導師輔導工作要點" --category administrative --date 2024-03-03)
printf '请各处室于周五前提交领用单，由后勤处统一采购。\n' > mainland.txt
ML=$(add mainland.txt --title "办公用品领用" --category asset --date 2024-03-04)

# ---- unspaced words, ranking, phrases --------------------------------------------------
want "$(total search 差旅报销)" 2 "unspaced query finds its words apart too"
want "$(refs search 差旅报销 | head -1)" "$TYPED" "the record holding the query as typed comes first"
want "$(total search '"差旅报销"')" 1 "a quoted query stays a phrase"

# ---- the shipped thesaurus ---------------------------------------------------------------
want "$(total search 班主任)" 1 "班主任 finds 導師 (shipped thesaurus)"
want "$(refs search 班主任)" "$TW" "the Taiwan record"
want "$(total search 總務處)" 1 "總務處 finds 后勤处"
expect_exit 0 "$DANGAN" synonyms list 报销
contains "$OUT" "报销 = 核銷" "list shows the shipped pair"

# ---- the archive's own synonyms ---------------------------------------------------------
want "$(total search 线上申领)" 0 "no synonym yet"
expect_exit 4 "$DANGAN" --as zhang synonyms add 办理 申领
contains "$ERR" "dangan: synonyms add: only archivists" "staff may not change the thesaurus"
expect_exit 0 "$DANGAN" --as li synonyms add 办理 申领
contains "$OUT" "added 办理 = 申领" "add says what it did"
want "$(total search 线上申领)" 1 "the archive's synonym finds the record"
expect_exit 0 "$DANGAN" synonyms list 申领 --json
want "$(echo "$OUT" | json 'j["pairs"][0]["shipped"]')" False "listed as the archive's own"
expect_exit 5 "$DANGAN" --as li synonyms add 辦理 申領
contains "$ERR" "are synonyms already" "the same pair in the other script is one pair"
expect_exit 2 "$DANGAN" --as li synonyms add 办理 '申领"OR'
contains "$ERR" "letters, digits" "query syntax in a synonym is refused"

# a shipped pair removed, then restored
expect_exit 0 "$DANGAN" --as li synonyms remove 班主任 導師
want "$(total search 班主任)" 0 "a removed shipped pair no longer expands"
expect_exit 3 "$DANGAN" --as li synonyms remove 班主任 導師
contains "$ERR" "are not synonyms" "removing twice says so"

# ---- survives reindex and a lost index ------------------------------------------------------
expect_exit 0 "$DANGAN" --as li reindex
want "$(total search 线上申领)" 1 "the archive's synonym survives a reindex"
want "$(total search 班主任)" 0 "and so does a removal"
want "$(total search 總務處)" 1 "and the shipped thesaurus"
rm -rf "$DANGAN_ARCHIVE/index"
expect_exit 0 "$DANGAN" --as li reindex
want "$(total search 线上申领)" 1 "the catalog is the source of truth: a lost index gets them back"
expect_exit 0 "$DANGAN" --as li synonyms add 班主任 導師
want "$(total search 班主任)" 1 "adding a removed shipped pair restores it"

# ---- every change is in the access log -----------------------------------------------------
expect_exit 0 "$DANGAN" log --action "synonyms add" --json
want "$(echo "$OUT" | json 'sum(1 for e in j["entries"] if e["outcome"] == "ok")')" 2 "two additions logged"
expect_exit 0 "$DANGAN" log --action "synonyms remove" --json
want "$(echo "$OUT" | json 'sum(1 for e in j["entries"] if e["outcome"] == "ok")')" 1 "one removal logged"
contains "$OUT" "班主任 = 導師" "the log names the pair"
echo "ok"
