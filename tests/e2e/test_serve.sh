#!/usr/bin/env bash
# End-to-end: `dangan serve` as the archive's owner, clients as other OS users.
#
# Creates OS users (so it needs root; otherwise it says SKIP and passes), named for this
# run: dgtest_owner_N owns the archive and runs the server; dgtest_staff_N (clearance 1)
# and dgtest_lead_N (clearance 3, archivist) have accounts; dgtest_nobody_N has none. Checks what a records room relies
# on: a low clearance sees no trace of a higher record, nobody but the owner can read the
# archive's files, unknown users are refused and logged, readers run beside a writer,
# broken requests never hurt the server, one user (with or without an account) cannot
# lock the others out with connections, descriptors or slow reading, names others chose
# never drive a terminal or a spreadsheet, a client never talks to a planted socket, a
# second server is refused, SIGTERM stops it cleanly, and kill -9 during writes loses
# nothing acknowledged.
. "$(dirname "$0")/lib.sh"
need_root_and perl script flock

# Names of this run only: several checkouts may run this test at once on one machine.
RUN_ID=$(( $$ % 100000 ))
U_OWNER=dgtest_owner_$RUN_ID U_STAFF=dgtest_staff_$RUN_ID U_LEAD=dgtest_lead_$RUN_ID
U_NOBODY=dgtest_nobody_$RUN_ID
os_users $U_OWNER $U_STAFF $U_LEAD $U_NOBODY -- raw_client.pl many_fds.py fd_flood.py plant_socket.py
# Raw frames come from a user with an account: one without is refused before any is read.
RAW="as $U_STAFF perl $T/bin/raw_client.pl $SOCK"
RAW_AS() { local u=$1; shift; as "$u" perl "$T/bin/raw_client.pl" "$SOCK" "$@"; }
cd "$T"

# The server gets 8192 descriptors, whatever the machine allows, so that the descriptor
# attack below meets the same budget (4096 for passed files) everywhere.
start_server() {
    local before
    before=$(grep -c "listening on" "$T/serve.log" 2>/dev/null)
    as_prefix $U_OWNER
    (ulimit -n 8192 && exec "${AS[@]}" "$D" serve --archive "$ARCH" --socket "$SOCK" \
        --workers 3 --max-clients 12 --max-per-user 8 --timeout 2) >>"$T/serve.log" 2>&1 &
    SERVER_PID=$!
    await_server "$before"
}

# Waits until the planted socket ($plant, output in $T/plant.out) listens.
wait_planted() {
    for _ in $(seq 1 600); do
        grep -qs listening "$T/plant.out" && return 0
        kill -0 "$plant" 2>/dev/null || fail "the planted socket ended: $(cat "$T/plant.out")"
        sleep 0.1
    done
    fail "the planted socket did not listen within a minute"
}

# ---- setup: the owner creates the archive and the accounts, directly ------------------
expect_exit 0 as $U_OWNER "$D" --archive "$ARCH" init --fonds X001 --name "Serve Test"
expect_exit 0 as $U_OWNER "$D" --archive "$ARCH" user add $U_STAFF --clearance 1
expect_exit 0 as $U_OWNER "$D" --archive "$ARCH" user add $U_LEAD --clearance 3 \
    --role staff,archivist,leader
[ "$(stat -c %a "$ARCH")" = 700 ] || fail "archive folder is not private: $(stat -c %a "$ARCH")"

start_server
[ "$(stat -c %a "$SOCK")" = 666 ] || fail "socket is not reachable by everyone"

# The lead's input files are private to the lead: only descriptors can carry them.
mkdir "$T/lead" && chown $U_LEAD: "$T/lead" && chmod 0700 "$T/lead"
printf '关于2024年差旅报销的通知 travel reimbursement PUBLICWORD\n' >"$T/lead/low.txt"
printf '校领导薪酬调整 报销 secret salary SECRETWORD\n' >"$T/lead/high.txt"
chown $U_LEAD: "$T/lead/"*.txt && chmod 0600 "$T/lead/"*.txt
expect_exit 0 as $U_LEAD "$D" add "$T/lead/low.txt" --title "差旅报销通知" \
    --category finance --level 1 --date 2024-03-01
LOW=$(echo "$OUT" | awk '{print $1}')
expect_exit 0 as $U_LEAD "$D" add "$T/lead/high.txt" --title "薪酬调整" \
    --category personnel --level 3 --date 2024-04-01
HIGH=$(echo "$OUT" | awk '{print $1}')
contains "$HIGH" "X001-RS" "the level-3 record was filed"

# ---- clearance through the server ---------------------------------------------------
expect_exit 0 as $U_STAFF "$D" --json search 报销
[ "$(echo "$OUT" | json 'j["total"]')" = 1 ] || fail "staff should count 1 hit: $OUT"
lacks "$OUT" "$HIGH" "staff search"
lacks "$OUT" "SECRETWORD" "staff snippets"
lacks "$OUT" '"RS"' "staff facets"
expect_exit 0 as $U_STAFF "$D" --json search SECRETWORD
[ "$(echo "$OUT" | json 'j["total"]')" = 0 ] || fail "staff found the secret word: $OUT"
expect_exit 3 as $U_STAFF "$D" show "$HIGH"
contains "$ERR" "no such record" "staff show of a higher record"
expect_exit 0 as $U_LEAD "$D" --json search 报销
[ "$(echo "$OUT" | json 'j["total"]')" = 2 ] || fail "lead should count 2 hits: $OUT"

# ---- nobody but the owner can open the archive's files ------------------------------
expect_exit 1 as $U_STAFF cat "$ARCH/catalog.db"
expect_exit 4 as $U_STAFF "$D" --archive "$ARCH" search 报销
contains "$ERR" "permission denied" "staff opening the archive directly"

# More descriptors than one SCM_RIGHTS message carries (a batch folder's worth) arrive
# whole and in order: the record is filed from the last one.
printf 'Filed through descriptor 600 MANYFDWORD\n' >"$T/lead/many.txt"
chown $U_LEAD: "$T/lead/many.txt"
expect_exit 0 as $U_LEAD python3 "$T/bin/many_fds.py" "$SOCK" "$T/lead/many.txt" 600
contains "$OUT" '"ok": true' "request with 600 descriptors"
expect_exit 0 as $U_LEAD "$D" --json search MANYFDWORD
[ "$(echo "$OUT" | json 'j["total"]')" = 1 ] || fail "the record from descriptor 600: $OUT"

# ---- the same output, errors and exit codes in both modes ---------------------------
expect_exit 0 as $U_OWNER "$D" --archive "$ARCH" search 报销
direct=$OUT
expect_exit 0 as $U_OWNER "$D" search 报销
[ "$direct" = "$OUT" ] || fail "search output differs: direct: $direct; socket: $OUT"
expect_exit 0 as $U_OWNER "$D" --archive "$ARCH" --json show "$LOW"
direct=$OUT
expect_exit 0 as $U_OWNER "$D" --json show "$LOW"
[ "$direct" = "$OUT" ] || fail "show --json differs between modes"
expect_exit 3 as $U_OWNER "$D" --archive "$ARCH" show X001-XZ·2024-D10-0999
direct=$ERR
expect_exit 3 as $U_OWNER "$D" show X001-XZ·2024-D10-0999
[ "$direct" = "$ERR" ] || fail "errors differ: direct: $direct; socket: $ERR"
expect_exit 2 as $U_OWNER "$D" --as $U_STAFF whoami
contains "$ERR" "not available through a server" "--as through a server"
expect_exit 0 as $U_LEAD "$D" whoami
contains "$OUT" "$U_LEAD" "whoami through the server"

# ---- an unknown OS user is refused, and the refusal is logged -----------------------
expect_exit 4 as $U_NOBODY "$D" whoami
contains "$ERR" "no archive account for OS user '$U_NOBODY'" "unknown user"
contains "$(cat "$T/serve.log")" "refused uid $(id -u $U_NOBODY) (login $U_NOBODY" \
    "server log of the refusal"
expect_exit 0 as $U_OWNER "$D" --archive "$ARCH" --json log --user $U_NOBODY
contains "$OUT" "refused" "access log of the refusal"
contains "$OUT" "socket pid" "origin of the refusal"

# ---- progress reaches the client's terminal -----------------------------------------
expect_exit 0 as $U_LEAD script -qec "$D reindex" /dev/null
contains "$OUT" "reindex: 3/3" "progress on the terminal"

# ---- readers beside a writer ---------------------------------------------------------
for i in $(seq 1 8); do
    printf 'Parallel notice %d PARALLELWORD\n' "$i" >"$T/lead/p$i.txt"
done
chown $U_LEAD: "$T/lead/"p*.txt
( for i in $(seq 1 8); do
      as $U_LEAD "$D" add "$T/lead/p$i.txt" --title "Notice $i" --category activity \
          --level 1 || exit 1
  done ) >"$T/writer.out" 2>&1 &
writer=$!
readers=()
for r in $(seq 1 6); do
    ( for _ in $(seq 1 6); do as $U_STAFF "$D" --json search 报销 || exit 1; done ) \
        >"$T/reader$r.out" 2>&1 &
    readers+=($!)
done
wait "$writer" || fail "the writer failed: $(cat "$T/writer.out")"
for p in "${readers[@]}"; do wait "$p" || fail "a reader failed: $(cat "$T"/reader*.out)"; done
grep -h '"total"' "$T"/reader*.out | grep -qv '"total": 1' && fail "a reader saw a wrong count"
expect_exit 0 as $U_STAFF "$D" --json search PARALLELWORD
[ "$(echo "$OUT" | json 'j["total"]')" = 8 ] || fail "expected 8 parallel records: $OUT"

# ---- malformed, truncated, oversized and hostile requests ---------------------------
expect_exit 0 $RAW frame 'this is not json'
contains "$OUT" '"exit":2' "garbage frame"
contains "$OUT" "bad request: not JSON" "garbage frame"
expect_exit 0 $RAW frame '{"v":2,"cmd":"whoami"}'
contains "$OUT" "protocol version 2 is not supported" "version mismatch"
expect_exit 0 $RAW frame '{"v":1,"cmd":"add","args":{"file":{"fd":0,"name":"x"}}}'
contains "$OUT" "file descriptor that was not passed" "file argument without a descriptor"
expect_exit 0 $RAW frame '{"v":1,"cmd":"rm -rf","args":{}}'
contains "$OUT" "unknown request" "unknown command"
expect_exit 0 $RAW header 5000000
contains "$OUT" "over the 4194304-byte limit" "oversized request"
expect_exit 0 $RAW header 0
contains "$OUT" "empty frame" "empty frame"
# A stuck client is cut off at the time limit, and others are served meanwhile.
$RAW partial >"$T/partial.out" 2>&1 &
partial=$!
sleep 0.3
start=$(date +%s%N)
expect_exit 0 as $U_STAFF "$D" whoami
[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 1500 ] || fail "a stuck client slowed others"
wait "$partial"
contains "$(cat "$T/partial.out")" "request timed out" "stuck client"
expect_exit 0 $RAW junk 7 60
kill -0 "$SERVER_PID" 2>/dev/null || fail "the server died on bad input"
expect_exit 0 as $U_STAFF "$D" whoami

# Numbers out of range are errors, not truncated (4294967297 was read as 1).
expect_exit 0 $RAW frame '{"v":1,"cmd":"search","args":{"query":"报销","offset":4294967297}}'
contains "$OUT" "'offset' must be a whole number from 0 to 2147483647" "offset out of range"
expect_exit 0 $RAW frame "{\"v\":1,\"cmd\":\"show\",\"args\":{\"refcode\":\"$LOW\",\"version\":4294967296}}"
contains "$OUT" "'version' must be a whole number" "version out of range"
expect_exit 0 $RAW frame '{"v":1,"cmd":"search","args":{"query":"报销","limit":-1}}'
contains "$OUT" "'limit' must be a whole number" "negative limit"
expect_exit 2 as $U_STAFF "$D" search 报销 --offset -1
contains "$ERR" "'-1' is not a whole number from 0" "negative --offset on the command line"
# A request of 40,000 keys is refused by its shape (before anything walks it).
expect_exit 0 $RAW keys 40000
contains "$OUT" "bad request: more than 32768 values" "request with 40,000 keys"

# Query cost is capped: 10,000 ORed words (quadratic for Xapian: minutes) are refused at once.
expect_exit 6 as $U_STAFF "$D" search "$(python3 -c "print(' OR '.join('w%d' % i for i in range(10000)))")"
contains "$ERR" "query too long" "a query of 10,000 ORed words"

# ---- no one user can lock the others out ----------------------------------------------
# A user without an account is refused as they connect, not when (or if) they send a
# request: 20 idle connections hold no slot.
expect_exit 0 RAW_AS $U_NOBODY flood 20 5 0
contains "$OUT" "refused 20 dropped 0 open 0" "idle connections of a user without an account"
contains "$OUT" "no archive account for OS user '$U_NOBODY'" "refusal at connect"
# A user with an account gets at most --max-per-user (8) of the 12 connections, so the
# others are still served ...
RAW_AS $U_STAFF flood 12 1 1 >"$T/flood.out" 2>&1 &
flood=$!
for _ in $(seq 1 50); do grep -qs refused "$T/flood.out" && break; sleep 0.1; done
contains "$(cat "$T/flood.out")" "refused 4 " "connections beyond --max-per-user"
contains "$(cat "$T/flood.out")" "already has 8 connections open" "per-user refusal"
expect_exit 0 as $U_LEAD "$D" whoami
wait "$flood"
# ... and --max-clients still holds for everyone together (8 of staff, then 4 of lead).
RAW_AS $U_STAFF flood 8 0.3 1 >"$T/flood.out" 2>&1 &
flood=$!
for _ in $(seq 1 50); do grep -qs refused "$T/flood.out" && break; sleep 0.1; done
contains "$(cat "$T/flood.out")" "open 8" "staff's 8 connections"
expect_exit 0 RAW_AS $U_LEAD flood 8 1 0
contains "$OUT" "refused 4 " "connections beyond --max-clients"
contains "$OUT" "server busy: 12 connections are open" "connections beyond --max-clients"
wait "$flood"

# A slow reader is dropped when the time limit has passed since its response began, even
# though it keeps reading a little (it used to renew the limit with every 4 KiB).
python3 -c 'import sys; sys.stdout.write(("slowreader BIGTEXT " * 80000) + "\n")' >"$T/lead/big.txt"
chown $U_LEAD: "$T/lead/big.txt"
expect_exit 0 as $U_LEAD "$D" add "$T/lead/big.txt" --title "Big" --category activity \
    --level 1
BIG=$(echo "$OUT" | awk '{print $1}')
expect_exit 0 $RAW slowread "{\"v\":1,\"cmd\":\"show\",\"args\":{\"refcode\":\"$BIG\"}}"
contains "$OUT" "closed after" "a slow reader"
contains "$(cat "$T/serve.log")" "did not read its response within 2000 ms" "slow reader logged"

# Descriptors in flight: four frames that never complete, carrying 4,000 descriptors
# each, take at most the user's share of the server's budget; others' adds still work,
# and the descriptors are released when the frames time out.
fds_before=$(ls "/proc/$SERVER_PID/fd" | wc -l)
as $U_STAFF python3 "$T/bin/fd_flood.py" "$SOCK" 4 4000 4 >"$T/fdflood.out" 2>&1 &
fdflood=$!
for _ in $(seq 1 100); do grep -qs "^sent" "$T/fdflood.out" && break; sleep 0.1; done
contains "$(cat "$T/fdflood.out")" "sent 16000 descriptors" "descriptor flood"
printf 'Filed during the descriptor flood FDFLOODWORD\n' >"$T/lead/fdflood.txt"
chown $U_LEAD: "$T/lead/fdflood.txt"
expect_exit 0 as $U_LEAD "$D" add "$T/lead/fdflood.txt" --title "During the flood" \
    --category activity --level 1
for _ in $(seq 1 100); do
    [ "$(ls "/proc/$SERVER_PID/fd" | wc -l)" -le $((fds_before + 8)) ] && break
    sleep 0.1
done
[ "$(ls "/proc/$SERVER_PID/fd" | wc -l)" -le $((fds_before + 8)) ] ||
    fail "passed descriptors not released after the frames timed out"
wait "$fdflood"

# ---- names others chose never drive a terminal or a spreadsheet -----------------------
printf 'Escapes ESCWORD\n' >"$T/lead/esc.txt"
chown $U_LEAD: "$T/lead/esc.txt"
FORGED=$'Notice\n   99 2024-01-01T00:00:00Z dgtest_owner show     ok\e[2J\e]0;owned\a\u202e'
expect_exit 0 as $U_LEAD "$D" add "$T/lead/esc.txt" --title "$FORGED" --category activity \
    --level 1
ESC_REF=$(echo "$OUT" | awk '{print $1}')
expect_exit 0 as $U_LEAD "$D" search $'ESCWORD\n   98 forged line\e[31m'
expect_exit 0 as $U_LEAD "$D" search '=HYPERLINK("http://x","报销")'
for view in "show $ESC_REF" "search ESCWORD" "log"; do
    expect_exit 0 as $U_OWNER "$D" $view
    case "$OUT" in *$'\e'*|*$'\a'*|*$'\u202e'*) fail "$view printed a control character: $OUT" ;; esac
    case "$OUT" in *$'\n   9'[89]' '*) fail "$view let a forged line through: $OUT" ;; esac
done
# the log stores each control character as its Unicode picture (engine/log.c pictured_text)
contains "$OUT" 'query="ESCWORD␊   98 forged line␛[31m"' "control characters pictured in the log"
expect_exit 0 as $U_OWNER "$D" --json show "$ESC_REF"
[ "$(echo "$OUT" | json 'j["version"]["title"]')" = "$FORGED" ] || fail "--json is not exact"
expect_exit 0 as $U_OWNER "$D" log --action search --csv
[ "$(head -c 3 "$T/.out" | od -An -tx1 | tr -d ' ')" = efbbbf ] || fail "CSV without a BOM"
[ "$(grep -c $'\r$' "$T/.out")" -ge 3 ] || fail "CSV without CRLF line ends"
contains "$OUT" "\"'=HYPERLINK(\"\"http://x\"\",\"\"报销\"\")\"" "formula neutralised in the CSV"

# ---- a client never talks to a socket someone else planted ----------------------------
mkdir -m 1777 "$T/shared"
# The planted socket waits up to 120 s for its client and ends when the client hangs up;
# the test waits for it to listen (a generous bound: python starts slowly on a loaded
# machine), so nothing here depends on how fast the machine is.
as $U_STAFF python3 "$T/bin/plant_socket.py" "$T/shared/dangan.sock" 120 >"$T/plant.out" 2>&1 &
plant=$!
wait_planted
as_prefix $U_LEAD
expect_exit 8 "${AS[@]}" DANGAN_SOCKET="$T/shared/dangan.sock" "$D" add "$T/lead/low.txt" \
    --title "Planted" --category activity --level 1
contains "$ERR" "refusing to trust the server" "planted socket in a shared folder"
contains "$ERR" "DANGAN_SERVER_USER" "planted socket in a shared folder"
wait "$plant"
contains "$(cat "$T/plant.out")" "received 0 bytes and 0 descriptors" "what the planted socket got"
# Named explicitly (DANGAN_SERVER_USER), the server's account is what counts.
mkdir "$T/staffdir" && chown $U_STAFF: "$T/staffdir"
as $U_STAFF python3 "$T/bin/plant_socket.py" "$T/staffdir/dangan.sock" 120 >"$T/plant.out" 2>&1 &
plant=$!
wait_planted
expect_exit 8 "${AS[@]}" DANGAN_SOCKET="$T/staffdir/dangan.sock" DANGAN_SERVER_USER=$U_OWNER \
    "$D" whoami
contains "$ERR" "it runs as $U_STAFF, not as $U_OWNER; nothing was sent" "wrong server user"
wait "$plant"
contains "$(cat "$T/plant.out")" "received 0 bytes" "what the planted socket got"
expect_exit 0 "${AS[@]}" DANGAN_SERVER_USER=$U_OWNER "$D" whoami
contains "$OUT" "$U_LEAD" "the real server, named by DANGAN_SERVER_USER"

# A request whose client hangs up while it waits is not run: here an add queued behind
# another process's write lock (the writer is busy with the first one meanwhile).
printf 'First in the queue\n' >"$T/lead/first.txt"
printf 'Never filed: its client left GONEWORD\n' >"$T/lead/gone.txt"
chown $U_LEAD: "$T/lead/first.txt" "$T/lead/gone.txt"
as $U_OWNER flock "$ARCH/write.lock" sh -c "while [ ! -e '$T/release' ]; do sleep 0.1; done" &
holder=$!
for _ in $(seq 1 50); do as $U_OWNER flock -n "$ARCH/write.lock" true || break; sleep 0.1; done
as $U_LEAD "$D" add "$T/lead/first.txt" --title "First" --category activity --level 1 \
    >"$T/first.out" 2>&1 &
first=$!
# The writer is busy once the first add says it waits for the lock.
for _ in $(seq 1 100); do grep -qs "waiting for another" "$T/first.out" && break; sleep 0.1; done
contains "$(cat "$T/first.out")" "waiting for another dangan process" "the writer is busy"
expect_exit 0 as $U_LEAD python3 "$T/bin/many_fds.py" "$SOCK" "$T/lead/gone.txt" 1 leave
sleep 0.5 # the server sees the hang-up while the writer still waits
touch "$T/release"
wait "$holder"
wait "$first" || fail "the add ahead of the one that left failed: $(cat "$T/first.out")"
expect_exit 0 as $U_LEAD "$D" --json search GONEWORD
[ "$(echo "$OUT" | json 'j["total"]')" = 0 ] || fail "a request whose client left was run: $OUT"
contains "$(cat "$T/serve.log")" "hung up before its answer" "the client that left, logged"

# ---- one server per archive; SIGTERM stops it cleanly -------------------------------
expect_exit 7 as $U_OWNER "$D" serve --archive "$ARCH" --socket "$T/run/other.sock"
contains "$ERR" "another server is already running on $ARCH (pid $SERVER_PID)" "second server"
# A write in flight when SIGTERM comes is finished and answered. It is held up behind
# another process's write lock, so the client also hears why it waits.
printf 'Late notice LATEWORD\n' >"$T/lead/late.txt"
chown $U_LEAD: "$T/lead/late.txt"
as $U_OWNER flock "$ARCH/write.lock" sleep 2 &
holder=$!
sleep 0.3
as $U_LEAD "$D" add "$T/lead/late.txt" --title "Late" --category activity --level 1 \
    >"$T/late.out" 2>"$T/late.err" &
late=$!
sleep 1.3
kill -TERM "$SERVER_PID"
wait "$late" || fail "the write in flight at SIGTERM failed: $(cat "$T/late.err")"
contains "$(cat "$T/late.out")" "X001-HD" "the write in flight at SIGTERM"
contains "$(cat "$T/late.err")" "waiting for another dangan process" "wait message"
wait "$holder"
wait "$SERVER_PID"
rc=$?
SERVER_PID=
[ "$rc" -eq 0 ] || fail "the server exited $rc after SIGTERM"
contains "$(cat "$T/serve.log")" "finishing 1 request in flight" "SIGTERM during a write"
[ -e "$SOCK" ] && fail "the socket was left behind"
contains "$(cat "$T/serve.log")" "stopped" "clean stop"
expect_exit 8 as $U_STAFF "$D" whoami
contains "$ERR" "cannot connect" "client without a server"
contains "$ERR" "is dangan serve running?" "client without a server"

# ---- kill -9 during writes loses nothing acknowledged -------------------------------
start_server
for i in $(seq 1 40); do
    printf 'Crash test record %d CRASHWORD\n' "$i" >"$T/lead/c$i.txt"
done
chown $U_LEAD: "$T/lead/"c*.txt
( for i in $(seq 1 40); do
      as $U_LEAD "$D" add "$T/lead/c$i.txt" --title "Crash $i" --category activity \
          --level 1 2>/dev/null | awk '{print $1}'
  done ) >"$T/acked.txt" &
loop=$!
for _ in $(seq 1 100); do
    [ "$(wc -l <"$T/acked.txt")" -ge 5 ] && break
    sleep 0.1
done
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
wait "$loop"
acked=$(grep -c X001 "$T/acked.txt")
[ "$acked" -ge 5 ] || fail "too few writes before the kill ($acked)"
[ "$acked" -lt 40 ] || fail "the kill came after every write; nothing was interrupted"
start_server # over the stale socket the killed server left
expect_exit 0 as $U_LEAD "$D" verify
expect_exit 0 as $U_OWNER "$D" log verify
contains "$OUT" "intact" "log chain after kill -9"
expect_exit 0 as $U_LEAD "$D" --json search CRASHWORD --limit 100
found=$(echo "$OUT" | json 'j["total"]')
[ "$found" -ge "$acked" ] || fail "acknowledged writes lost: $acked acked, $found found"
while read -r ref; do
    expect_exit 0 as $U_LEAD "$D" show "$ref"
done <"$T/acked.txt"
kill -TERM "$SERVER_PID" && wait "$SERVER_PID"
SERVER_PID=
echo "serve e2e: ok ($acked writes acknowledged before kill -9, $found found after)"
