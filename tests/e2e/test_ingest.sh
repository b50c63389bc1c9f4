#!/usr/bin/env bash
# End-to-end: ingest real scanned-looking pages through the binary — OCR'd text is
# searchable in both scripts, bad files land in quarantine with their reason while the
# rest goes on, a rerun files nothing twice, kill -9 midway and a rerun leaves exactly one
# record per file, and manifest errors name their row and field.
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/e2e/lib.sh"

bash "$ROOT/tests/fixtures/make-fixtures.sh" "$T/fx" >/dev/null 2>&1 || fail "fixture generation failed"
mkdir -p batch/good batch/bad
cp "$T/fx/sim.png" "$T/fx/trad.png" "$T/fx/eng.jpg" "$T/fx/text-layer.pdf" "$T/fx/plain.txt" batch/good/
cp "$T/fx/empty.png" "$T/fx/truncated.png" "$T/fx/random.bin" "$T/fx/bomb.png" \
   "$T/fx/encrypted.pdf" "$T/fx/broken.pdf" batch/bad/

expect_exit 0 "$DANGAN" init --fonds X001
expect_exit 1 "$DANGAN" ingest batch --json --jobs 2
for f in empty.png truncated.png random.bin bomb.png encrypted.pdf broken.pdf; do
    contains "$ERR$OUT" "bad/$f" "quarantined file named"
done
[ "$(echo "$OUT" | json 'j["filed"]')" = 5 ] || fail "expected 5 filed: $OUT"
[ "$(echo "$OUT" | json 'j["quarantined"]')" = 6 ] || fail "expected 6 quarantined: $OUT"
expect_exit 0 "$DANGAN" quarantine list
contains "$OUT" "empty file" "empty reason"
contains "$OUT" "over the limit" "bomb reason"
contains "$OUT" "encrypted" "encrypted reason"
contains "$OUT" "unknown file type" "unknown type reason"
[ -f "$DANGAN_ARCHIVE/quarantine/000002-truncated.png" ] || ls "$DANGAN_ARCHIVE/quarantine" | grep -q truncated.png || fail "no quarantined copy"

# OCR'd text is searchable, across scripts.
expect_exit 0 "$DANGAN" search 寒假 --json
[ "$(echo "$OUT" | json 'j["total"]')" -ge 1 ] || fail "simplified page not searchable"
expect_exit 0 "$DANGAN" search 档案管理 --json
contains "$OUT" "檔案" "simplified query finds the traditional page"
expect_exit 0 "$DANGAN" search laboratory --json
[ "$(echo "$OUT" | json 'j["total"]')" -ge 1 ] || fail "English page not searchable"
expect_exit 0 "$DANGAN" search catalogued --json
[ "$(echo "$OUT" | json 'j["total"]')" = 1 ] || fail "PDF text layer not searchable"

# A rerun files nothing twice.
expect_exit 1 "$DANGAN" ingest batch --json
[ "$(echo "$OUT" | json 'j["filed"]')" = 0 ] || fail "rerun filed again: $OUT"
[ "$(echo "$OUT" | json 'j["duplicates"]')" = 5 ] || fail "rerun should see 5 duplicates"
expect_exit 0 "$DANGAN" search --json --limit 100
[ "$(echo "$OUT" | json 'j["total"]')" = 5 ] || fail "expected exactly 5 records"

# kill -9 in the middle of a batch, then rerun until it completes: one record per file.
mkdir -p batch2
i=0
for f in sim.png trad.png eng.jpg mixed.png hard-sim.png hard-trad.png; do
    i=$((i + 1))
    # Distinct content per copy: a page of its own, not a duplicate of batch 1.
    convert "$T/fx/$f" -fill black -draw "rectangle 2,2,$((3 + i)),3" "batch2/page-$i.png" 2>/dev/null \
        || fail "convert failed"
done
for delay in 1.5 3 4.5; do
    "$DANGAN" ingest batch2 --jobs 2 >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
done
expect_exit 0 "$DANGAN" ingest batch2 --jobs 2 --json
expect_exit 0 "$DANGAN" search --json --limit 100
[ "$(echo "$OUT" | json 'j["total"]')" = 11 ] || fail "after kill and resume expected 11 records, got $(echo "$OUT" | json 'j["total"]')"
expect_exit 0 "$DANGAN" batch list --json
python3 - "$DANGAN" <<'PY' || fail "a file of batch2 was filed twice or never"
import json, subprocess, sys
dangan = sys.argv[1]
batches = json.loads(subprocess.run([dangan, "batch", "list", "--json"], capture_output=True, check=True).stdout)["batches"]
filed = {}
for b in batches:
    if b["label"] != "batch2":
        continue
    show = json.loads(subprocess.run([dangan, "batch", "show", str(b["id"]), "--json"], capture_output=True, check=True).stdout)
    for f in show["files"]:
        if f["outcome"] == "filed":
            filed[f["name"]] = filed.get(f["name"], 0) + 1
assert sorted(filed) == [f"page-{i}.png" for i in range(1, 7)], filed
assert all(n == 1 for n in filed.values()), filed
PY
expect_exit 0 "$DANGAN" verify
expect_exit 0 "$DANGAN" log verify

# Manifest: rows group files; bad rows name their row and field; the rest goes on.
mkdir -p batch3/scans
convert "$T/fx/sim.png" -fill black -draw "rectangle 2,6,1,7" batch3/scans/p1.png
convert "$T/fx/trad.png" -fill black -draw "rectangle 2,6,2,7" batch3/scans/p2.png
convert "$T/fx/eng.jpg" -fill black -draw "rectangle 2,6,3,7" batch3/scans/p3.png
cat > batch3/manifest.csv <<'CSV'
files,title,date,category,level
scans/p1.png;scans/p2.png,Two-page record,2024-03-12,finance,2
scans/p3.png,Bad date,2024-13-01,finance,1
../outside.png,Outside,2024-01-01,finance,1
scans/missing.png,Missing file,2024-01-01,asset,1
scans/p3.png,Bad category,2024-01-01,nonsense,1
CSV
expect_exit 1 "$DANGAN" ingest batch3 --manifest batch3/manifest.csv --json
contains "$OUT" "row 3, date" "bad date row"
contains "$OUT" "row 4, files" "outside path row"
contains "$OUT" "missing.png" "missing file row"
contains "$OUT" "row 6, category" "bad category row"
expect_exit 0 "$DANGAN" search 'title:"Two-page record"' --json
[ "$(echo "$OUT" | json 'j["total"]')" = 1 ] || fail "manifest record not found"
REF=$(echo "$OUT" | json 'j["hits"][0]["refcode"]')
contains "$REF" "-CW·2024-" "manifest category and year"
expect_exit 0 "$DANGAN" show "$REF" --json
[ "$(echo "$OUT" | json 'len(j["pages"])')" = 2 ] || fail "manifest record should have 2 pages"
[ "$(echo "$OUT" | json 'j["level"]')" = 2 ] || fail "manifest level"
expect_exit 0 "$DANGAN" log --action ingest --json
contains "$OUT" "filed" "ingest logged with counts"

# A colour scan of an official notice with a red header and a seal over its body: the
# record is filed under the body's title, with the issuing body its header names, and the
# lines under the seal are searchable.
mkdir -p batch4
cp "$T/fx/sealed.png" batch4/
expect_exit 0 "$DANGAN" ingest batch4 --json
REF=$(echo "$OUT" | json 'j["outcomes"][0]["refcode"]')
expect_exit 0 "$DANGAN" show "$REF" --json
[ "$(echo "$OUT" | json 'j["version"]["department"]')" = "某某市第一中学" ] || fail "department from the red header: $OUT"
contains "$(echo "$OUT" | json 'j["version"]["title"]')" "考核工作的通知" "title of the sealed notice"
expect_exit 0 "$DANGAN" search '"现将本年度考核"' --json
[ "$(echo "$OUT" | json 'j["total"]')" = 1 ] || fail "line under the seal not searchable: $OUT"
echo "ingest e2e: ok"
