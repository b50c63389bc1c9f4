#!/usr/bin/env bash
# End-to-end: the smaller points of the command line — a reference code typed with '.',
# '・' or '•' finds the record; edit --date moves the record's year (its code keeps the
# year it was filed under, and edit says so); hold list, and show shows a hold; help for
# command groups (review, hold) and every command; --version; what a user without a server
# or an archive is told.
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/e2e/lib.sh"

expect_exit 0 "$DANGAN" init --fonds X001
echo '关于开学的通知 2024年2月1日' > n.txt
expect_exit 0 "$DANGAN" add n.txt --title 开学通知 --category finance --type voucher --date 2023-02-01 --json
REF=$(echo "$OUT" | json 'j["refcode"]')
contains "$REF" "X001-CW·2023-D30-" "filed under 2023"
for sep in . ・ • ．; do
    TYPED=${REF/·/$sep}
    expect_exit 0 "$DANGAN" show "$TYPED" --json
    [ "$(echo "$OUT" | json 'j["refcode"]')" = "$REF" ] || fail "'$TYPED' finds $REF"
done
expect_exit 0 "$DANGAN" history "${REF/·/.}"
expect_exit 0 "$DANGAN" log --record "${REF/·/.}" --json
contains "$OUT" "$REF" "log --record accepts a typed code"

# edit --date: the year follows the date; the code keeps its year, and edit says so.
expect_exit 0 "$DANGAN" edit "${REF/·/.}" --date 2021-09-01 --reason "date misread"
contains "$OUT" "year 2021" "edit reports the new year"
contains "$OUT" "the reference code keeps 2023" "edit says the code keeps its year"
expect_exit 0 "$DANGAN" show "$REF" --json
[ "$(echo "$OUT" | json 'j["version"]["year"]')" = 2021 ] || fail "the record's year follows the date: $OUT"
[ "$(echo "$OUT" | json 'j["refcode"]')" = "$REF" ] || fail "the code is stable"
expect_exit 0 "$DANGAN" search --year 2021 --json
[ "$(echo "$OUT" | json 'j["total"]')" = 1 ] || fail "search by the new year finds it: $OUT"

# holds: listed, and shown with the record.
expect_exit 0 "$DANGAN" hold list
contains "$OUT" "no record is on hold" "empty hold list"
expect_exit 0 "$DANGAN" hold add "${REF/·/•}" --reason "2025年财务审计"
expect_exit 0 "$DANGAN" hold list --json
[ "$(echo "$OUT" | json 'j["holds"][0]["refcode"]')" = "$REF" ] || fail "hold list: $OUT"
expect_exit 0 "$DANGAN" hold list
contains "$OUT" "2025年财务审计" "hold list shows the reason"
expect_exit 0 "$DANGAN" show "$REF"
contains "$OUT" "Hold:" "show shows the hold"
contains "$OUT" "2025年财务审计" "with its reason"
expect_exit 0 "$DANGAN" hold release "$REF" --reason "审计结束"
expect_exit 0 "$DANGAN" show "$REF"
lacks "$OUT" "Hold:" "a released hold is not shown"

# help for groups and for every command; --version.
for group in review hold user batch schedule retention rules; do
    expect_exit 0 "$DANGAN" "$group" --help
    contains "$OUT" "subcommands:" "$group --help lists its subcommands"
done
expect_exit 0 "$DANGAN" log --help
contains "$OUT" "log verify" "log --help points at log verify"
expect_exit 2 "$DANGAN" review
contains "$ERR" "needs a subcommand" "a bare group says what it needs"
"$DANGAN" --help | sed -n '/^commands:/,/^$/p' | tail -n +2 | awk 'NF {print $1, $2}' > cmds
[ -s cmds ] || fail "no command list"
while read -r a b; do
    case "$b" in list|add|set|show|import|release|verify|accept|threshold|due|review|appraise|approve|witness|destroy|remove|reset|--eval|--explain) words="$a $b" ;; *) words="$a" ;; esac
    # shellcheck disable=SC2086
    expect_exit 0 "$DANGAN" $words --help
    contains "$OUT" "usage:" "$words --help"
done < cmds
expect_exit 0 "$DANGAN" --version
contains "$OUT" "dangan " "--version prints the version"

# No server and no archive: say both ways, not only 'dangan init'.
mkdir -p elsewhere && cd elsewhere
expect_exit 3 env -u DANGAN_SOCKET -u DANGAN_ARCHIVE "$DANGAN" whoami
contains "$ERR" "DANGAN_SOCKET" "points at the server"
contains "$ERR" "--archive" "and at an archive folder"
echo ok
