#!/usr/bin/env bash
# demo.sh — the README's first command: sets up everything, builds dangan, ingests the
# bundled sample batch into a fresh archive in ./demo/archive, and searches it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
make -j"$(nproc)" >/dev/null
DANGAN="$PWD/build/dangan"
export DANGAN_ARCHIVE="$PWD/demo/archive"
# The demo archive is encrypted, as the README recommends; the key stays outside it.
export DANGAN_KEY_FILE="$PWD/demo/master.key"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { step "dangan $*"; "$DANGAN" "$@"; }

rm -rf demo
scripts/make-sample-batch.sh demo/batch
run keys generate "$DANGAN_KEY_FILE"
run init --fonds X001 --name "Demo School Archive" --key-file "$DANGAN_KEY_FILE"
run user add zhang --name 张老师 --clearance 1 --role staff
run user add li --name 李老师 --clearance 3 --role archivist,witness
# The damaged scan goes to quarantine, so ingest exits 1: that is expected here.
run ingest demo/batch --manifest demo/batch/manifest.csv --unlisted file || true
run search 寒假
step "dangan search 档案    (simplified query, traditional record)"
"$DANGAN" search 档案
run search budget
run search 报销 --category finance
step "dangan search 年度考核    (a colour notice: the red seal lies across these lines)"
"$DANGAN" search 年度考核
REF=$("$DANGAN" search 招聘 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hits"][0]["refcode"])')
run show "$REF" --version 1
step "dangan --as zhang search 招聘    (staff, clearance 1: the personnel record is level 2)"
"$DANGAN" --as zhang search 招聘
run quarantine list
run batch list
run review list
run log verify
run verify
# The restore drill (README, "Encryption at rest and backups"): a backup, the key table to
# its own place, then a restore that rebuilds the index and proves itself.
run backup demo/backup --keys-dest demo/keys-backup
run --archive demo/restored restore demo/backup --keys demo/keys-backup
step "dangan --archive demo/restored search 寒假    (the restored archive)"
"$DANGAN" --archive demo/restored search 寒假
printf '\nThe archive is in %s; try: DANGAN_ARCHIVE=%s DANGAN_KEY_FILE=%s %s search 会议\n' \
    "$DANGAN_ARCHIVE" "$DANGAN_ARCHIVE" "$DANGAN_KEY_FILE" "$DANGAN"

# The web interface (README, "The web interface"): an account for every role, each with a
# demo web password, and the one command that serves the sample archive in a browser.
"$DANGAN" user add wang --name 王校长 --clearance 3 --role leader >/dev/null
"$DANGAN" user add shen --name 沈审计 --clearance 1 --role auditor >/dev/null
"$DANGAN" user add zhao --name 赵老师 --clearance 1 --role witness >/dev/null
for u in zhang li wang shen zhao; do
    echo "demo-$u-pw" | "$DANGAN" user passwd "$u" >/dev/null
done
printf '\nServe it on the web (Ctrl-C stops it):\n  DANGAN_KEY_FILE=%s %s serve --archive %s --socket %s --http 127.0.0.1:8080\n' \
    "$DANGAN_KEY_FILE" "$DANGAN" "$DANGAN_ARCHIVE" "$PWD/demo/dangan.sock"
printf 'then open http://localhost:8080/ and log in (password demo-LOGIN-pw, e.g. demo-zhang-pw):\n'
printf '  zhang  teacher, clearance 1       li    archivist and witness\n'
printf '  wang   principal (leader)         shen  auditor\n'
printf '  zhao   second witness\n'
