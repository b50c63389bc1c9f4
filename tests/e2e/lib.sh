# lib.sh — helpers for end-to-end tests that drive the real dangan binary.
# Each test sources this, gets a fresh temp dir in $T, and calls `fail` on a broken
# expectation. $DANGAN is the binary under test (set by scripts/run-tests.sh).
set -u
: "${DANGAN:?DANGAN must point at the dangan binary}"
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) # this folder, before the cd below
T=$(mktemp -d /tmp/dangan-e2e-XXXXXX)
export DANGAN_ARCHIVE="$T/archive"
trap 'rm -rf "$T"' EXIT
cd "$T"

# A test through a server shows the end of the server's log with its failure.
fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/serve.log" ] && { echo "--- server log:" >&2; tail -n 30 "$T/serve.log" >&2; }
    exit 1
}

# expect_exit CODE CMD...: runs CMD, keeps stdout in $OUT and stderr in $ERR (and leaves
# set -e as the test had it).
expect_exit() {
    local want=$1 errexit=0; shift
    case $- in *e*) errexit=1 ;; esac
    set +e
    "$@" >"$T/.out" 2>"$T/.err"
    local got=$?
    [ $errexit = 1 ] && set -e
    OUT=$(cat "$T/.out")
    ERR=$(cat "$T/.err")
    [ "$got" -eq "$want" ] || fail "$* exited $got, expected $want; stderr: $ERR; stdout: $OUT"
}

contains() { # contains HAYSTACK NEEDLE WHAT
    case "$1" in *"$2"*) ;; *) fail "$3: expected to find '$2' in: $1" ;; esac
}

lacks() {
    case "$1" in *"$2"*) fail "$3: did not expect '$2' in: $1" ;; esac
}

# json FIELD-EXPRESSION: reads JSON on stdin, prints a Python expression over it (j).
json() {
    python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"
}

# ---- tests through `dangan serve`, with real OS users --------------------------------

# need_root_and TOOL...: SKIP (and pass) unless run as root with every tool installed.
need_root_and() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP: needs root to create test users"
        exit 0
    fi
    for tool in useradd userdel setpriv python3 "$@"; do
        command -v "$tool" >/dev/null || { echo "SKIP: needs $tool"; exit 0; }
    done
}

# os_users OWNER USER... [-- FILE...]: creates this run's OS users (fixed names, so one run per
# set at a time across checkouts: see the lock; the first owns the archive and runs the server), and
# puts the binary, the sanitizer suppressions and the FILEs (helpers in this folder) where
# every one of them can reach them: $D the binary, $ARCH the archive (in the owner's
# $T/srv), $SOCK the socket (in $T/run). On exit the server ($SERVER_PID) and the test's
# background jobs are killed, by pid, and the users removed.
os_users() {
    USERS=
    while [ $# -gt 0 ] && [ "$1" != -- ]; do USERS="$USERS $1"; shift; done
    [ $# -gt 0 ] && shift
    local owner u
    owner=${USERS# }
    owner=${owner%% *}
    SERVER_PID=
    # The users are machine-wide: the same test run from two checkouts at once would delete
    # each other's users. A lock per user set (kept until this shell exits) makes the second
    # run wait for the first; a run still waiting after 15 minutes fails, named.
    exec 9>"/tmp/dangan-e2e-users-$owner.lock" || fail "lock for OS users $USERS"
    flock -w 900 9 || fail "OS users $USERS: another run has held them for 15 minutes"
    trap os_users_cleanup EXIT
    chmod 0755 "$T"
    for u in $USERS; do
        userdel "$u" 2>/dev/null # left over from an interrupted run
        useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$u" ||
            fail "useradd $u"
    done
    mkdir -p "$T/bin" "$T/run" "$T/srv"
    cp "$DANGAN" "$T/bin/dangan"
    for u in "$@"; do cp "$E2E_DIR/$u" "$T/bin/" && chmod 0644 "$T/bin/$u"; done
    [ -f "$E2E_DIR/../lsan.supp" ] && cp "$E2E_DIR/../lsan.supp" "$T/bin/lsan.supp"
    touch "$T/bin/lsan.supp"
    chmod 0755 "$T/bin" "$T/bin/dangan" "$T/run"
    chmod 0644 "$T/bin/lsan.supp"
    chown "$owner": "$T/srv" "$T/run"
    D=$T/bin/dangan
    ARCH=$T/srv/archive
    SOCK=$T/run/dangan.sock
}

os_users_cleanup() {
    [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null
    for job in $(jobs -p); do kill -9 "$job" 2>/dev/null; done
    wait 2>/dev/null
    for u in $USERS; do userdel "$u" 2>/dev/null; done
    rm -rf "$T"
}

# as USER CMD...: runs CMD as that OS user, with only the environment the test gives it
# (and the variables in the array AS_ENV, e.g. AS_ENV=(TZ=UTC)). as_prefix USER sets AS to
# the same prefix, for a background command whose $! must be the command's own pid
# (setpriv and env exec, so the pid carries through).
AS_ENV=()
as_prefix() {
    AS=(setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups
        env -i PATH=/usr/bin:/bin HOME=/ LANG=C.UTF-8 "${AS_ENV[@]}"
        ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}"
        LSAN_OPTIONS="suppressions=$T/bin/lsan.supp:print_suppressions=0"
        DANGAN_SOCKET="$SOCK")
}
as() {
    as_prefix "$1"
    shift
    "${AS[@]}" "$@"
}

# await_server BEFORE: waits until the server ($SERVER_PID) says it listens for the
# (BEFORE+1)th time in $T/serve.log (a killed server's stale socket file may still be
# there, so the file is no sign).
await_server() {
    for _ in $(seq 1 100); do
        [ "$(grep -c "listening on" "$T/serve.log")" -gt "${1:-0}" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || fail "the server did not start"
        sleep 0.1
    done
    fail "the server did not start listening"
}

# ---- tests through the web interface --------------------------------------------------

# need_browser: SKIP (and pass) without Debian's chromium, chromium-driver and
# python3-selenium (the browser tests use /usr/bin/python3, where apt puts selenium).
need_browser() {
    for f in /usr/bin/chromium /usr/bin/chromedriver; do
        [ -x "$f" ] || { echo "SKIP: $f is not installed (apt-get install chromium chromium-driver)"; exit 0; }
    done
    /usr/bin/python3 -c 'import selenium' 2>/dev/null ||
        { echo "SKIP: python3-selenium is not installed"; exit 0; }
}

# serve_http: `dangan serve` on the archive with the web interface on a free loopback port;
# sets SERVER_PID and PORT once the server says which port it got.
serve_http() {
    "$DANGAN" serve --socket "$T/dangan.sock" --http 127.0.0.1:0 >"$T/serve.log" 2>&1 &
    SERVER_PID=$!
    PORT=
    for _ in $(seq 1 600); do
        PORT=$(grep -o 'web interface on 127.0.0.1:0 (port [0-9]*' "$T/serve.log" | grep -o '[0-9]*$')
        [ -n "$PORT" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || fail "the server did not start: $(cat "$T/serve.log")"
        sleep 0.1
    done
    fail "no web port in the server log"
}

# stop_http: SIGTERM to the server; fails on an unclean exit or a sanitizer report.
stop_http() {
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID"
    local rc=$?
    SERVER_PID=
    [ "$rc" -eq 0 ] || fail "the server exited $rc: $(tail -n 30 "$T/serve.log")"
    grep -q "Sanitizer\|runtime error" "$T/serve.log" && fail "sanitizer report in the server log"
    return 0
}

# scan_clean WHAT PATH...: no file under PATH (or PATH itself) holds any of the words in
# $SCAN_NEEDLES (separated by |), raw or zlib-inflated from any offset (catches a plaintext
# or merely compressed object or catalog page).
scan_clean() {
    local what=$1; shift
    SCAN_NEEDLES=$SCAN_NEEDLES python3 - "$what" "$@" <<'PY' || fail "$what: sample text found"
import os, sys, zlib
needles = [s.encode() for s in os.environ["SCAN_NEEDLES"].split("|")]
found = []
# A file is scanned itself (os.walk would yield nothing for it), a folder file by file.
paths = []
for root in sys.argv[2:]:
    if os.path.isfile(root):
        paths.append(root)
    for d, _, files in os.walk(root):
        paths.extend(os.path.join(d, name) for name in files)
for path in paths:
    data = open(path, "rb").read()
    blobs = [data]
    for i in range(len(data) - 1):
        if data[i] == 0x78 and (data[i] * 256 + data[i + 1]) % 31 == 0:
            try:
                blobs.append(zlib.decompressobj().decompress(data[i:], 1 << 24))
            except zlib.error:
                pass
    for b in blobs:
        for n in needles:
            if n in b:
                found.append((path, n.decode()))
if found:
    print(sys.argv[1], "leaks:", found[:5], file=sys.stderr)
    sys.exit(1)
PY
}

# go_verifier: builds the independent log verifier (tests/go/verifier.go, on Debian's
# golang-golang-x-mod-dev: sumdb/note and sumdb/tlog, code nobody here wrote) into
# $T/verifier, the path it prints.
go_verifier() {
    GOCACHE="$T/gocache" GO111MODULE=off GOPATH=/usr/share/gocode \
        go build -o "$T/verifier" "$E2E_DIR/../go/verifier.go" || fail "the Go verifier does not build"
    echo "$T/verifier"
}
