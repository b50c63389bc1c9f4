#!/usr/bin/env bash
# bench/retention.sh [N] — times the annual review over N catalog records (default
# 1,000,000), generated straight into a fresh archive's catalog with sqlite3: formation
# years 1980-2025, periods Y / D30 / D10 in turn, one version each, a few hundred on hold.
# Prints the wall and CPU time of `dangan retention review` and the machine's load; the
# target (issue 21) is under 2 seconds at 1,000,000 records. The rows are those the engine
# writes for a filed record (records, its one version, holds), made with SQL for speed.
set -euo pipefail
N=${1:-1000000}
here=$(cd "$(dirname "$0")/.." && pwd)
DANGAN=${DANGAN:-$here/build/dangan}
work=$(mktemp -d /tmp/dg-bench-retention-XXXXXX)
trap 'rm -rf "$work"' EXIT
export DANGAN_ARCHIVE="$work/archive"
"$DANGAN" init >/dev/null

start=$(date +%s.%N)
sqlite3 "$work/archive/catalog.db" <<SQL
PRAGMA journal_mode=WAL;
PRAGMA synchronous=OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO records(id, refcode, fonds, category, year, period, item, level, current_version,
                    created_at, created_by)
SELECT i, printf('X001-XZ·%d-%s-%07d', 1980 + i % 46, CASE i % 3 WHEN 0 THEN 'Y'
       WHEN 1 THEN 'D30' ELSE 'D10' END, i), 'X001', 'administrative', 1980 + i % 46,
       CASE i % 3 WHEN 0 THEN 'Y' WHEN 1 THEN 'D30' ELSE 'D10' END, i, i % 4, 1,
       '2025-01-01T00:00:00.000Z', 1 FROM n;
INSERT INTO versions(id, record_id, number, created_at, author_id, reason, title, year,
                     category, record_type, level, period, page_count)
SELECT id, id, 1, created_at, 1, 'generated', 'record ' || id, year, category, 'notice',
       level, period, 1 FROM records;
INSERT INTO holds(record_id, reason, placed_by, placed_at)
SELECT id, 'bench', 1, '2025-01-01' FROM records WHERE id % 3001 = 2;
COMMIT;
SQL
printf 'generated %d records in %.1f s\n' "$N" "$(echo "$(date +%s.%N) - $start" | bc)"

echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
TIMEFORMAT='wall %R s, cpu %U s user + %S s sys'
echo "retention review over $N records (target < 2 s):"
time "$DANGAN" retention review --year 2026
echo "second run (idempotent):"
time "$DANGAN" retention review --year 2026
