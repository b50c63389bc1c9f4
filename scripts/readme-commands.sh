#!/usr/bin/env bash
# readme-commands.sh DANGAN README [--check]
#
# The README's command list is made from the command table (cli/commands.c): this puts
# the output of `DANGAN help --markdown` between the README's two "commands" markers
# (`make readme`), or with --check only says whether they already agree (exit 1 and a
# diff when not; tests/e2e/test_readme.sh).
set -euo pipefail
dangan=$1
readme=$2
begin='<!-- commands: made by `dangan help --markdown` (make readme); do not edit by hand -->'
end='<!-- end of commands -->'

grep -qxF "$begin" "$readme" && grep -qxF "$end" "$readme" ||
    { echo "readme-commands: $readme: no command list markers" >&2; exit 2; }
table=$(mktemp)
made=$(mktemp)
trap 'rm -f "$table" "$made"' EXIT
"$dangan" help --markdown >"$table"
awk -v begin="$begin" -v end="$end" -v table="$table" '
    $0 == begin { print; while ((getline line < table) > 0) print line; skip = 1; next }
    $0 == end { skip = 0 }
    !skip { print }
' "$readme" >"$made"
if [ "${3:-}" = --check ]; then
    diff -u "$readme" "$made" || { echo "readme-commands: $readme's command list differs from the command table; run make readme" >&2; exit 1; }
else
    cat "$made" >"$readme"
fi
