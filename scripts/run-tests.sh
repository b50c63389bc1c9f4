#!/usr/bin/env bash
# Runs every unit test program and every end-to-end test against the sanitizer build.
# Called by `make check`; BUILD names the build folder (default build/check).
set -u
BUILD=${BUILD:-build/check}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMP_THREAD_LIMIT=1

passed=0
failed=0
failed_names=()

run() {
    local name=$1; shift
    local log="$BUILD/logs/$name.log"
    mkdir -p "$(dirname "$log")"
    local start=$SECONDS
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        printf 'PASS %-40s %3ss\n' "$name" $((SECONDS - start))
    else
        failed=$((failed + 1))
        failed_names+=("$name")
        printf 'FAIL %-40s %3ss  (log: %s)\n' "$name" $((SECONDS - start)) "$log"
        tail -n 40 "$log" | sed 's/^/    /'
    fi
}

for t in "$BUILD"/tests/test_*; do
    case "$t" in *.o|*.d) continue ;; esac
    [ -x "$t" ] || continue
    run "unit/$(basename "$t")" "$t"
done

for t in tests/e2e/test_*.sh; do
    [ -f "$t" ] || continue
    run "e2e/$(basename "$t" .sh)" env DANGAN="$here/$BUILD/dangan" bash "$t"
done

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
