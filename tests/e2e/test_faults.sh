#!/usr/bin/env bash
# End-to-end: the fault suite (tests/e2e/faults.py) in its short form. Injected failures
# at a sample of the fault points each operation hits (init, add, ingest, edit, search,
# show, reindex, verify, hold, destruction, log verify; a full disk at an object write and
# at a catalog write), kill -9 during ingest, edit, destruction and reindex, and a damaged
# catalog page, a truncated object and a truncated WAL. After each: a named error and a
# non-zero exit, `verify` passes exactly when search equals a fresh rebuild, and nothing
# committed is lost or twice. bench/faults runs the long version.
set -e
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

# The suite needs the test build's fault points (make check builds with them).
DANGAN_FAULT_LOG="$T/probe.log" "$DANGAN" --archive "$T/none" whoami >/dev/null 2>&1 || true
[ -s "$T/probe.log" ] || fail "$DANGAN has no fault points: build it with 'make check'"

rc=0
python3 "$here/faults.py" "$DANGAN" inject --seed 13 || rc=1
python3 "$here/faults.py" "$DANGAN" kill --trials 2 --seed 13 || rc=1
python3 "$here/faults.py" "$DANGAN" damage --trials 1 --seed 13 || rc=1
[ "$rc" = 0 ] || fail "the fault suite found failures (see above)"
echo "faults e2e: ok"
