#!/usr/bin/env bash
# End-to-end: a full disk. On a small tmpfs (root only; skipped otherwise): readers keep
# working when the disk is 100% full; an ingest that hits the full disk names the file and
# says the disk is full, leaves no orphan object behind (verify passes once space is back),
# and a rerun after space is freed files the rest, each file once.
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/e2e/lib.sh"

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: disk-full test needs root to mount a small tmpfs"
    exit 0
fi
mkdir -p "$T/small"
mount -t tmpfs -o size=48m tmpfs "$T/small" || { echo "SKIP: cannot mount tmpfs"; exit 0; }
trap 'umount "$T/small" 2>/dev/null; rm -rf "$T"' EXIT
export DANGAN_ARCHIVE="$T/small/archive"

expect_exit 0 "$DANGAN" init --fonds X001
echo '关于开学的通知 2024年2月1日 全体师生' > n.txt
expect_exit 0 "$DANGAN" add n.txt --title 开学通知 --category administrative --date 2024-02-01
mkdir -p batch
python3 - <<'PY'
import os
for i in range(3):
    with open(f"batch/big{i}.txt", "w") as f:
        f.write("关于期末考试安排的通知 %d 2024年6月1日\n" % i)
        # Random hex, one word (cheap to index) that compresses only to about half: 1.6 MB
        # stored each, so a record of two does not fit in the 4 MB space reserve.
        f.write(os.urandom(1500000).hex())
PY
# One record of two files: the first is stored before the second no longer fits.
printf 'files,title,category\nbig0.txt;big1.txt,期末考试安排,administrative\n' > two.csv
# Fill the disk to the last byte.
dd if=/dev/zero of="$T/small/filler" bs=1M count=100 2>/dev/null || true
[ "$(df --output=avail "$T/small" | tail -1)" -lt 100 ] || fail "the disk is not full"

# Readers keep working on a full disk.
expect_exit 0 "$DANGAN" whoami
expect_exit 0 "$DANGAN" search 开学 --json
[ "$(echo "$OUT" | json 'j["total"]')" = 1 ] || fail "search on a full disk: $OUT"
expect_exit 0 "$DANGAN" show "$(echo "$OUT" | json 'j["hits"][0]["refcode"]')"

# A write that hits the full disk: named, "the disk is full", non-zero.
set +e
"$DANGAN" ingest batch --manifest two.csv --unlisted file >"$T/.out" 2>"$T/.err"
rc=$?
set -e
ERR=$(cat "$T/.err")
[ "$rc" -ne 0 ] || fail "ingest onto a full disk exited 0"
contains "$ERR" "big" "the failing input file is named"
contains "$ERR" "the disk is full" "the reason says the disk is full"
lacks "$ERR" "(null)" "no (null)"

# Objects the failed write stored are gone at once, not only after the next run.
KNOWN=$(python3 -c "import sqlite3,sys; print(sqlite3.connect('file:$DANGAN_ARCHIVE/catalog.db?mode=ro', uri=True).execute('select count(*) from objects').fetchone()[0])")
STORED=$(find "$DANGAN_ARCHIVE/objects" -path '*/tmp' -prune -o -type f -print | wc -l)
[ "$KNOWN" = "$STORED" ] || fail "orphans after the failed write: $STORED files, $KNOWN known"
[ ! -e "$DANGAN_ARCHIVE/writing" ] || fail "the failed write left its writing mark"

# Space comes back: no orphan is left, and the rerun files everything exactly once.
rm -f "$T/small/filler"
expect_exit 0 "$DANGAN" verify
expect_exit 0 "$DANGAN" ingest batch --manifest two.csv --unlisted file --json
echo "$OUT" | json 'j["filed_files"] + j["duplicates"] == 3 or sys.exit(1)' >/dev/null \
    || fail "the rerun accounts for all three files: $OUT"
expect_exit 0 "$DANGAN" search 期末考试 --json
[ "$(echo "$OUT" | json 'j["total"]')" = 2 ] || fail "two records, each filed once: $OUT"
expect_exit 0 "$DANGAN" verify
[ -f "$DANGAN_ARCHIVE/space.reserve" ] || fail "the space reserve is made again"
echo ok
