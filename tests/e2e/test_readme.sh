#!/usr/bin/env bash
# The README's command list is the command table's: `dangan help --markdown` prints it
# from cli/commands.c, and this fails when the README says otherwise (run `make readme`).
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"
set -e

expect_exit 0 "$DANGAN" help --markdown
contains "$OUT" '| `dangan retention review` | archivist |' "the list names a command with its role"
contains "$OUT" '| `dangan init` |' "and the commands that are not requests"
lacks "$OUT" 'log keygen' "but not an unlisted one"
# Every command the overview lists is in the Markdown list, and nothing else.
"$DANGAN" --help | sed -n '/^commands:/,/^$/p' | tail -n +2 | cut -c3-21 | sed 's/ *$//' |
    grep . > listed
echo "$OUT" | tail -n +3 | sed 's/^| `dangan \([^`]*\)`.*/\1/' > marked
diff listed marked || fail "help --markdown and --help list different commands"
# Every listed command's --help opens with its own usage line (global options, in
# brackets or not, may come before its name), not with another command's of its group.
while read -r c; do
    # shellcheck disable=SC2086 # the command's words as separate arguments
    expect_exit 0 "$DANGAN" $c --help
    first=$(echo "$OUT" | head -n 1)
    echo "$first" | grep -qE "^usage: dangan( \[[^]]*\]| --[a-z-]+ [A-Z]+)* $c( |\$)" ||
        fail "'dangan $c --help' does not open with its own usage line: $first"
done < listed

expect_exit 0 "$here/scripts/readme-commands.sh" "$DANGAN" "$here/README.md" --check
# A README that drifted from the table is caught.
sed 's/| `dangan show` |  |/| `dangan show` | archivist |/' "$here/README.md" > drifted.md
expect_exit 1 "$here/scripts/readme-commands.sh" "$DANGAN" drifted.md --check
contains "$ERR" "differs from the command table" "a drifted README is named"
echo ok
