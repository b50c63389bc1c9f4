#!/usr/bin/env bash
# End-to-end: a server holding the log's key (--log-key, --checkpoints) signs checkpoints
# into a file outside the archive — on request through the socket and at shutdown — and
# each opens with Go's sumdb/note and is extended by the log after it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
set -e
SERVER_PID=
stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}
trap 'stop_server; rm -rf "$T"' EXIT

go_verifier >/dev/null

"$DANGAN" init --fonds X001 --name "Serve checkpoints" >/dev/null
mkdir -m 700 keys
VK=$("$DANGAN" log keygen school.example/log --output keys/log.key)
SOCK="$T/dangan.sock"
# A key others can read stops the server before it serves.
cp keys/log.key keys/open.key && chmod 644 keys/open.key
expect_exit 4 "$DANGAN" serve --socket "$SOCK" --log-key keys/open.key
contains "$ERR" "0600" "server with a loose key"

"$DANGAN" serve --socket "$SOCK" --log-key keys/log.key --checkpoints "$T/keys/checkpoints.txt" \
    >"$T/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    grep -q "listening on" "$T/serve.log" && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server did not start: $(cat "$T/serve.log")"
    sleep 0.1
done
printf 'notice\n' >n.txt
"$DANGAN" --socket "$SOCK" add n.txt --title 通知 --category administrative --year 2024 >/dev/null
"$DANGAN" --socket "$SOCK" search 通知 >/dev/null
# Through the server, `log checkpoint` is signed with the server's key and kept in its file.
expect_exit 0 "$DANGAN" --socket "$SOCK" log checkpoint
printf '%s\n' "$OUT" >cp1.txt
"$T/verifier" open "$VK" cp1.txt >/dev/null || fail "Go rejects the server's checkpoint"
[ "$(grep -c '^— school.example/log ' keys/checkpoints.txt)" = 1 ] || fail "not kept by the server"
"$DANGAN" --socket "$SOCK" search 通知 >/dev/null
stop_server
# At shutdown the server signs the final head.
[ "$(grep -c '^— school.example/log ' keys/checkpoints.txt)" = 2 ] || fail "no checkpoint at shutdown"
lacks "$(cat "$T/serve.log")" "not signed" "server checkpoint errors"
tail -n 6 keys/checkpoints.txt | sed '$d' >cp2.txt   # the last note, without the separator
"$T/verifier" open "$VK" cp2.txt >/dev/null || fail "Go rejects the shutdown checkpoint"
[ "$(sed -n 2p cp2.txt)" -gt "$(sed -n 2p cp1.txt)" ] || fail "the shutdown checkpoint is not newer"
for cp in cp1.txt cp2.txt; do
    expect_exit 0 "$DANGAN" log verify --checkpoint "$cp" --key "$VK"
done
echo ok
