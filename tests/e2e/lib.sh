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
