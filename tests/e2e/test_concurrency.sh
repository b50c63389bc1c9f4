#!/usr/bin/env bash
# End-to-end: several dangan processes on one archive at once. Writers queue behind each
# other and every one of them lands; readers keep answering; the log chain stays whole.
set -e
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$DANGAN" init --fonds X001
for i in $(seq 1 12); do
    printf 'Notice number %d about the sports meeting PARALLELTOKEN.\n' "$i" > "n$i.txt"
done

pids=()
for i in $(seq 1 12); do
    "$DANGAN" add "n$i.txt" --title "Notice $i" --category activity --date 2024-05-0$(( (i % 9) + 1 )) \
        >"$T/add$i.out" 2>"$T/add$i.err" &
    pids+=($!)
done
readers=()
for i in $(seq 1 8); do
    "$DANGAN" search PARALLELTOKEN --json >"$T/search$i.out" 2>"$T/search$i.err" &
    readers+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a writer failed: $(cat "$T"/add*.err)"; done
for p in "${readers[@]}"; do wait "$p" || fail "a reader failed: $(cat "$T"/search*.err)"; done

expect_exit 0 "$DANGAN" search PARALLELTOKEN --json --limit 50
[ "$(echo "$OUT" | json 'j["total"]')" = 12 ] || fail "expected 12 records, got: $OUT"
codes=$(echo "$OUT" | json '"\n".join(sorted(h["refcode"] for h in j["hits"]))' | sort -u | wc -l)
[ "$codes" = 12 ] || fail "reference codes are not unique"
expect_exit 0 "$DANGAN" log verify
contains "$OUT" "intact" "log chain under concurrency"
expect_exit 0 "$DANGAN" verify
echo "concurrency e2e: ok"
