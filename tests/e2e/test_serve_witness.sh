#!/usr/bin/env bash
# End-to-end: two witnesses sign a destruction through the server as themselves. The
# server knows each signer only from the kernel (SO_PEERCRED): nobody can sign for
# someone else, and the register names the OS users who actually signed.
# Needs root to create OS users; otherwise it says SKIP and passes.
. "$(dirname "$0")/lib.sh"
need_root_and
os_users dgw_owner dgw_arch dgw_lead dgw_w1 dgw_w2

owner() { as dgw_owner "$D" --archive "$ARCH" "$@"; }
expect() { # expect CODE USER ARGS...: through the server as USER
    local want=$1 user=$2
    shift 2
    as "$user" "$D" "$@" >"$T/out" 2>"$T/err"
    local got=$?
    [ "$got" -eq "$want" ] || fail "as $user: dangan $* exited $got, expected $want: $(cat "$T/err")"
}

owner init --fonds X001 >/dev/null || fail "init"
owner user add dgw_arch --clearance 3 --role archivist >/dev/null || fail "user"
owner user add dgw_lead --clearance 3 --role leader >/dev/null || fail "user"
owner user add dgw_w1 --clearance 0 --role witness >/dev/null || fail "user"
owner user add dgw_w2 --clearance 0 --role witness >/dev/null || fail "user"
printf 'Canteen menu of May 2010, no further value. WITNESSTOKEN\n' > "$T/old.txt"
chmod 0644 "$T/old.txt"
owner add "$T/old.txt" --title "Canteen menu 2010" --category activity --date 2010-05-01 \
    --period D10 >/dev/null || fail "add"

as_prefix dgw_owner
"${AS[@]}" "$D" serve --archive "$ARCH" --socket "$SOCK" >"$T/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || fail "server did not start"

# A search through the server opens a reader, which must let go of the old index once the
# record is destroyed.
expect 0 dgw_arch search canteen --json
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"])' "$T/out")" = 1 ] ||
    fail "the record to destroy is not found before: $(cat "$T/out")"
expect 0 dgw_arch retention review --year 2026
REF=$(as dgw_arch "$D" retention list 2026 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["refcode"])') ||
    fail "retention list"
expect 0 dgw_arch retention appraise "$REF" --destroy --reason "no further value"
expect 0 dgw_lead retention approve 2026
expect 0 dgw_w1 retention witness 2026
expect 5 dgw_w1 retention witness 2026      # the same person cannot sign twice
expect 4 dgw_arch retention witness 2026    # not a witness: nobody signs for another
expect 5 dgw_arch retention destroy 2026    # one signature is not enough
expect 0 dgw_w2 retention witness 2026
expect 0 dgw_arch retention destroy 2026
as dgw_arch "$D" register list --json > "$T/register.json" || fail "register list"
python3 - "$T/register.json" <<'PY' || fail "register does not name the two OS users who signed"
import json, sys
entries = json.load(open(sys.argv[1]))["entries"]
assert len(entries) == 1, entries
assert {entries[0]["witness1"], entries[0]["witness2"]} == {"dgw_w1", "dgw_w2"}, entries[0]
PY
grep -r -a -l WITNESSTOKEN "$ARCH" && fail "destroyed text still on disk"
# Nor in files the server still holds open after their deletion (a reader's old index).
for _ in $(seq 1 50); do
    ls -l "/proc/$SERVER_PID/fd" 2>/dev/null | grep -q '(deleted)' || break
    sleep 0.1
done
ls -l "/proc/$SERVER_PID/fd" | grep '(deleted)' && fail "the server holds deleted files open"
expect 0 dgw_arch search canteen --json
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"])' "$T/out")" = 0 ] ||
    fail "the destroyed record is still found through the server: $(cat "$T/out")"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "server did not stop cleanly"
SERVER_PID=
echo "serve witness e2e: ok"
