#!/usr/bin/env bash
# End-to-end (issue 15, item 2): through the real server, a clearance-1 user gets exactly
# the same stdout, stderr (the code replaced) and exit code from every command on a
# reference code (the command table's own list: hidden_vs_missing.py) for a level-3
# record they may not see as for a code no record has: as an account holding every role,
# and as plain staff.
#
# Creates OS users (so it needs root; otherwise it says SKIP and passes), named for this
# run: dgtest_howner_N owns the archive and runs the server; dgtest_hall_N (clearance 1,
# every role) and dgtest_hstaff_N (clearance 1, staff) ask.
set -u
: "${DANGAN:?DANGAN must point at the dangan binary}"

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: needs root to create test users (run as root to test dangan serve)"
    exit 0
fi
for tool in useradd userdel setpriv python3; do
    command -v "$tool" >/dev/null || { echo "SKIP: needs $tool"; exit 0; }
done

RUN_ID=$(( $$ % 100000 ))
U_OWNER=dgtest_howner_$RUN_ID U_ALL=dgtest_hall_$RUN_ID U_STAFF=dgtest_hstaff_$RUN_ID
USERS="$U_OWNER $U_ALL $U_STAFF"
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/dangan-hidden-XXXXXX)
chmod 0755 "$T"
SERVER_PID=

cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    # SERVER_PID is the subshell that ran owner(); the server below it is stopped by its
    # socket's path, or it would outlive the test.
    [ -n "${SOCK:-}" ] && pkill -f -- "--socket $SOCK" 2>/dev/null
    for u in $USERS; do userdel "$u" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/serve.log" ] && { echo "--- server log:" >&2; tail -n 30 "$T/serve.log" >&2; }
    exit 1
}

for u in $USERS; do
    userdel "$u" 2>/dev/null
    useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$u" ||
        fail "useradd $u"
done

mkdir -p "$T/bin" "$T/run" "$T/srv" "$T/work"
cp "$DANGAN" "$T/bin/dangan"
cp "$here/hidden_vs_missing.py" "$T/bin/"
[ -f "$here/../lsan.supp" ] && cp "$here/../lsan.supp" "$T/bin/lsan.supp"
touch "$T/bin/lsan.supp"
chmod 0755 "$T/bin" "$T/bin/dangan" "$T/run"
chmod 0644 "$T/bin/lsan.supp" "$T/bin/hidden_vs_missing.py"
chmod 1777 "$T/work"
chown $U_OWNER: "$T/srv" "$T/run"
D=$T/bin/dangan
ARCH=$T/srv/archive
SOCK=$T/run/dangan.sock
export LSAN_OPTIONS="suppressions=$T/bin/lsan.supp:print_suppressions=0"
cd "$T"

owner() {
    setpriv --reuid=$U_OWNER --regid="$(id -g $U_OWNER)" --init-groups \
        env -i PATH=/usr/bin:/bin HOME=/ LANG=C.UTF-8 ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
        LSAN_OPTIONS="$LSAN_OPTIONS" "$@"
}

owner "$D" --archive "$ARCH" init --fonds X001 --name "Hidden Test" >/dev/null || fail "init"
owner "$D" --archive "$ARCH" user add $U_ALL --clearance 1 \
    --role staff,archivist,auditor,leader,admin >/dev/null || fail "user add $U_ALL"
owner "$D" --archive "$ARCH" user add $U_STAFF --clearance 1 >/dev/null || fail "user add"
printf '干部任免 HIDDENWORD\n' >"$T/high.txt"
printf '开放通知 OPENWORD\n' >"$T/low.txt"
chmod 0644 "$T/high.txt" "$T/low.txt"
HIDDEN=$(owner "$D" --archive "$ARCH" --json add "$T/high.txt" --title 任免 --category personnel \
    --date 2024-04-01 --level 3 | python3 -c 'import json,sys; print(json.load(sys.stdin)["refcode"])') ||
    fail "add the hidden record"
owner "$D" --archive "$ARCH" add "$T/low.txt" --title 通知 --category personnel \
    --date 2024-04-01 --level 1 >/dev/null || fail "add the open record"
# A code of the same shape and length that no record has.
MISSING=${HIDDEN%????}0999
[ "${#MISSING}" = "${#HIDDEN}" ] || fail "the missing code $MISSING is not shaped as $HIDDEN"

owner "$D" serve --archive "$ARCH" --socket "$SOCK" --workers 2 >>"$T/serve.log" 2>&1 &
SERVER_PID=$!
# Ready when it says so; a generous bound, for a loaded machine.
for _ in $(seq 1 600); do
    grep -q "listening on" "$T/serve.log" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server did not start"
    sleep 0.1
done
grep -q "listening on" "$T/serve.log" || fail "the server did not start listening"

DANGAN_SOCKET=$SOCK python3 "$T/bin/hidden_vs_missing.py" "$D" "$HIDDEN" "$MISSING" "$T/work" \
    $U_ALL $U_STAFF >"$T/report.txt" 2>&1
rc=$?
cat "$T/report.txt"
[ $rc -eq 0 ] || fail "a hidden record and a missing one are told apart (above)"
echo ok
