# lib.sh — helpers for end-to-end tests that drive the real dangan binary.
# Each test sources this, gets a fresh temp dir in $T, and calls `fail` on a broken
# expectation. $DANGAN is the binary under test (set by scripts/run-tests.sh).
set -u
: "${DANGAN:?DANGAN must point at the dangan binary}"
T=$(mktemp -d /tmp/dangan-e2e-XXXXXX)
export DANGAN_ARCHIVE="$T/archive"
trap 'rm -rf "$T"' EXIT
cd "$T"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# expect_exit CODE CMD...: runs CMD, keeps stdout in $OUT and stderr in $ERR.
expect_exit() {
    local want=$1; shift
    set +e
    "$@" >"$T/.out" 2>"$T/.err"
    local got=$?
    set -e
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
