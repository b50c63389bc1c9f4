#!/usr/bin/env bash
# End-to-end: the server answers a search once its access-log entry has committed, with
# the entry's sync deferred (log.h, dg_log_group_defer_reads). A server killed with
# SIGKILL the moment each answer arrives loses none of those entries: after a restart
# every one is in the log and `log verify` finds the chain and tree whole. The server
# stores the tree's subtrees once per filing of 1,024 entries (log.c): a server killed with
# some not stored leaves a tree the next one brings up from the entries, and an audit
# through a server whose tree lags still proves the extension to today's log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
set -e
SERVER_PID=
kill_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}
trap 'kill_server; rm -rf "$T"' EXIT

"$DANGAN" init --fonds X001 --name "Log sync" >/dev/null
printf 'notice of the meeting\n' >n.txt
"$DANGAN" add n.txt --title 会议通知 --category administrative --year 2024 >/dev/null
SOCK="$T/dangan.sock"
started=0
for round in 1 2 3; do
    "$DANGAN" serve --socket "$SOCK" >>"$T/serve.log" 2>&1 &
    SERVER_PID=$!
    await_server "$started"
    started=$((started + 1))
    expect_exit 0 "$DANGAN" --socket "$SOCK" search "meeting round$round OR 会议"
    contains "$OUT" "会议通知" "search through the server, round $round"
    kill_server # at once: the entry's sync may not have happened yet
done
lacks "$(cat "$T/serve.log")" "every access-log entry syncs" "the server's log"

expect_exit 0 "$DANGAN" log --action search
for round in 1 2 3; do
    contains "$OUT" "meeting round$round OR 会议" "the log after kill -9 (round $round)"
done
expect_exit 0 "$DANGAN" log verify

# A change through the server, killed at once after its answer: its entry is there too.
"$DANGAN" serve --socket "$SOCK" >>"$T/serve.log" 2>&1 &
SERVER_PID=$!
await_server "$started"
started=$((started + 1))
printf 'budget\n' >b.txt
expect_exit 0 "$DANGAN" --socket "$SOCK" add b.txt --title 预算 --category administrative --year 2024
kill_server
expect_exit 0 "$DANGAN" log --action add
[ "$(printf '%s\n' "$OUT" | grep -c ' add .* ok ')" = 2 ] || fail "the add's entry is not there after kill -9: $OUT"
expect_exit 0 "$DANGAN" log verify

# Subtrees not stored at kill -9: a checkpoint, searches through a server killed at once,
# a second server's searches, and an audit through it against the checkpoint.
mkdir -m 700 keys
expect_exit 0 "$DANGAN" log keygen school.example/dangan-log --output keys/log.key
VK=$OUT
expect_exit 0 "$DANGAN" log checkpoint --log-key keys/log.key
printf '%s\n' "$OUT" >cp1.txt
for server in 1 2; do
    "$DANGAN" serve --socket "$SOCK" >>"$T/serve.log" 2>&1 &
    SERVER_PID=$!
    await_server "$started"
    started=$((started + 1))
    for i in 1 2 3 4 5 6; do
        expect_exit 0 "$DANGAN" --socket "$SOCK" search "会议 OR tree$server.$i"
    done
    [ "$server" = 1 ] && kill_server
done
expect_exit 0 "$DANGAN" --socket "$SOCK" --json log verify --checkpoint cp1.txt --key "$VK"
[ "$(printf '%s' "$OUT" | json 'j["extends"] and j["intact"]')" = True ] || fail "audit through the server: $OUT"
[ "$(printf '%s' "$OUT" | json 'len(j["proof"]) > 0')" = True ] || fail "no proof to today's log: $OUT"
kill_server
expect_exit 0 "$DANGAN" log --action search
for server in 1 2; do
    contains "$OUT" "tree$server.6" "server $server's last search after kill -9"
done
expect_exit 0 "$DANGAN" --json log verify
[ "$(printf '%s' "$OUT" | json 'j["intact"]')" = True ] || fail "log verify: $OUT"
expect_exit 0 "$DANGAN" --json log verify --checkpoint cp1.txt --key "$VK" --log-key keys/log.key
[ "$(printf '%s' "$OUT" | json 'j["extends"]')" = True ] || fail "audit after the servers: $OUT"
echo ok
