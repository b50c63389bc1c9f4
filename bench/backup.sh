#!/usr/bin/env bash
# bench/backup.sh [RECORDS] [NEW] [RUNS] — the costs of encryption at rest and of backups
# (issue 19, "Performance"), on the normal build (build/dangan, or $DANGAN):
#
#   1. ingest: the sample batch of scans (scripts/make-sample-batch.sh: OCR) filed into a
#      fresh archive with a master key and into one without, in turn, RUNS times each;
#   2. `dangan page`: one scanned page written out, keyed archive against plain;
#   3. born-digital text (no OCR, so the crypto's share is largest): RECORDS text files of
#      about 20 KB (the classifier corpus, numbered) ingested, keyed against plain, once;
#   4. a full backup of that keyed archive beside `cp -a` of the archive folder, and a
#      restore beside `cp -a` of the backup, with MB/s; then the reindex that follows a
#      restore (the index is not in a backup, and restore does not build it), on its own;
#   5. NEW more records filed, then the incremental backup that takes them, and one with
#      nothing new.
#
# Every time is a whole command's wall time (date +%s.%N around it); A/B pairs alternate
# so that drift on a shared machine hits both. Prints `uptime` first and last: quote it.
# ONLY_BACKUP=1 skips 1, 2 and the plain half of 3 (the backup and restore numbers only).
#
# BIG=ARCHIVE (a copy you own, with DANGAN_KEY_FILE set; e.g. a copy of the 100,000-record
# bench archive built by bench/batch through `dangan ingest --manifest`) measures that
# archive instead, RUNS times each, and nothing of 1-3: `keys encrypt` on it (an archive
# from before keyed source hashes gets them here), a full backup beside `cp -a` of the
# archive folder, a restore --files-only beside `cp -a` of the backup and a syncfs, then NEW
# born-digital records (bench/batch, one page each) filed through a manifest and the
# incremental backup that takes them, and one with nothing new. Needs `make bench`.
# Use RUNS=1 at 100,000 records: each further run first deletes some 300,000 files, and
# ext4 then creates files more slowly for a while (it skips recently deleted inodes), which
# the next restore pays and the copies after it do not. The README's 100,000-record
# figures were taken step by step, restore and `cp -a` in turn in both orders.
set -euo pipefail
BIG_KEY_FILE=${DANGAN_KEY_FILE:-}
RECORDS=${1:-2000}
NEW=${2:-1000}
RUNS=${3:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
DANGAN=${DANGAN:-$here/build/dangan}
work=$(mktemp -d /tmp/dg-bench-backup-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
uptime

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; } # secs START END
mb() { du -sb "$1" | awk '{ printf "%.1f", $1 / 1048576 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

"$DANGAN" keys generate "$work/master.key" >/dev/null
# fresh DIR KEYED: a new archive in DIR, with the master key when KEYED is 1.
fresh() {
    rm -rf "$1"
    if [ "$2" = 1 ]; then
        "$DANGAN" --archive "$1" init --fonds X001 --name bench --key-file "$work/master.key" >/dev/null
    else
        "$DANGAN" --archive "$1" init --fonds X001 --name bench >/dev/null
    fi
}
export DANGAN_KEY_FILE=$work/master.key

# ---- BIG: the backup numbers on a large archive ----
if [ -n "${BIG:-}" ]; then
    [ -n "$BIG_KEY_FILE" ] || { echo "BIG needs DANGAN_KEY_FILE" >&2; exit 2; }
    export DANGAN_KEY_FILE=$BIG_KEY_FILE
    a=$(cd "$BIG" && pwd)
    big_work=$(dirname "$a")/bench-backup-work
    rm -rf "$big_work" && mkdir "$big_work"
    cd "$big_work"
    records=$(sqlite3 "$a/catalog.db" "SELECT count(*) FROM records WHERE state = 'live'")
    echo "archive $a: $records records, $(mb "$a") MB ($(mb "$a/index") MB of it the index, $(mb "$a/objects") MB objects)"
    t0=$(now)
    /usr/bin/time -f '%e s wall, %U+%S s CPU' "$DANGAN" --archive "$a" keys encrypt 2>&1 | tail -2
    t1=$(now)
    printf 'keys encrypt (schema migration and keying of the source hashes): %.2f s\n' "$(secs "$t0" "$t1")"
    : >backup.txt; : >cp-archive.txt; : >restore.txt; : >cp-backup.txt; : >restore-files.txt
    for run in $(seq 1 "$RUNS"); do
        rm -rf bk kb copy restored bkcopy
        sync
        t0=$(now)
        "$DANGAN" --archive "$a" backup bk --keys-dest kb >/dev/null 2>&1
        sync -f bk
        t1=$(now)
        cp -a "$a" copy && sync -f copy
        t2=$(now)
        secs "$t0" "$t1" >>backup.txt
        secs "$t1" "$t2" >>cp-archive.txt
        rm -rf copy
        t0=$(now)
        "$DANGAN" --archive restored restore bk --keys kb --files-only >restore-out.txt 2>&1
        t1=$(now)
        sed -n 's/.* MB in \([0-9.]*\) s (.*/\1/p' restore-out.txt >>restore-files.txt
        cp -a bk bkcopy && sync -f bkcopy
        t2=$(now)
        secs "$t0" "$t1" >>restore.txt
        secs "$t1" "$t2" >>cp-backup.txt
    done
    bm=$(mb bk); am=$(mb "$a")
    fb=$(median <backup.txt); fc=$(median <cp-archive.txt)
    fr=$(median <restore.txt); fcb=$(median <cp-backup.txt); rf=$(median <restore-files.txt)
    printf 'full backup: %s MB in %.2f s = %.1f MB/s; cp -a of the archive folder (%s MB) and a syncfs: %.2f s = %.1f MB/s (median of %d)\n' \
        "$bm" "$fb" "$(echo "$bm / $fb" | bc -l)" "$am" "$fc" "$(echo "$am / $fc" | bc -l)" "$RUNS"
    printf 'restore --files-only: %.2f s = %.1f MB/s (file phase %.2f s = %.1f MB/s); cp -a of the backup and a syncfs: %.2f s = %.1f MB/s (median of %d)\n' \
        "$fr" "$(echo "$bm / $fr" | bc -l)" "$rf" "$(echo "$bm / $rf" | bc -l)" "$fcb" "$(echo "$bm / $fcb" | bc -l)" "$RUNS"
    rm -rf restored bkcopy
    first=$(sqlite3 "$a/catalog.db" "SELECT count(*) FROM records")
    "$here/build/bench/batch" more "$NEW" $((first + 1000000)) >/dev/null
    t0=$(now)
    "$DANGAN" --archive "$a" ingest more --manifest more/manifest.csv | tail -1
    t1=$(now)
    printf 'filing %d new born-digital records (%s MB) through a manifest: %.1f s\n' "$NEW" "$(mb more)" "$(secs "$t0" "$t1")"
    t0=$(now)
    /usr/bin/time -f '%e s wall, %U+%S s CPU' "$DANGAN" --archive "$a" backup bk 2>&1 | tail -2
    t1=$(now)
    printf 'incremental backup after %d new one-page records on %d: %.2f s\n' "$NEW" "$records" "$(secs "$t0" "$t1")"
    t0=$(now)
    /usr/bin/time -f '%e s wall, %U+%S s CPU' "$DANGAN" --archive "$a" backup bk 2>&1 | tail -2
    t1=$(now)
    printf 'backup with nothing new: %.2f s\n' "$(secs "$t0" "$t1")"
    uptime
    exit 0
fi

# ---- 1. ingest with OCR, and 2. dangan page ----
if [ "${ONLY_BACKUP:-0}" != 1 ]; then
"$here/scripts/make-sample-batch.sh" "$work/sample" >/dev/null
scans=$work/sample/scans
: >ingest-keyed.txt
: >ingest-plain.txt
for run in $(seq 1 "$RUNS"); do
    for keyed in 1 0; do
        fresh "a$keyed" "$keyed"
        t0=$(now)
        "$DANGAN" --archive "a$keyed" ingest "$scans" --jobs 1 >/dev/null 2>&1 || true
        t1=$(now)
        if [ "$keyed" = 1 ]; then secs "$t0" "$t1" >>ingest-keyed.txt; else secs "$t0" "$t1" >>ingest-plain.txt; fi
    done
done
ik=$(median <ingest-keyed.txt)
ip=$(median <ingest-plain.txt)
pages=$(sqlite3 a1/catalog.db "SELECT count(*) FROM pages")
printf 'ingest of the sample batch (%s pages, OCR, 1 thread): keyed %.2f s, plain %.2f s, +%.1f%% (median of %d)\n' \
    "$pages" "$ik" "$ip" "$(echo "($ik / $ip - 1) * 100" | bc -l)" "$RUNS"

ref=$(sqlite3 a1/catalog.db "SELECT r.refcode FROM records r JOIN versions v ON v.record_id = r.id
    JOIN pages p ON p.version_id = v.id WHERE p.mime LIKE 'image/%' LIMIT 1")
: >page-keyed.txt
: >page-plain.txt
for run in $(seq 1 $((RUNS * 5))); do
    for keyed in 1 0; do
        t0=$(now)
        "$DANGAN" --archive "a$keyed" page "$ref" 1 --output "$work/page.png" >/dev/null 2>&1
        t1=$(now)
        if [ "$keyed" = 1 ]; then secs "$t0" "$t1" >>page-keyed.txt; else secs "$t0" "$t1" >>page-plain.txt; fi
    done
done
pk=$(median <page-keyed.txt)
pp=$(median <page-plain.txt)
printf 'dangan page (one scanned page, watermarked): keyed %.3f s, plain %.3f s, +%.1f%% (median of %d)\n' \
    "$pk" "$pp" "$(echo "($pk / $pp - 1) * 100" | bc -l)" $((RUNS * 5))
fi

# ---- 3. born-digital text: the crypto's largest share ----
# texts DIR FIRST COUNT: COUNT text files of about 20 KB, numbered from FIRST.
texts() {
    mkdir -p "$1"
    python3 - "$here/ingest/corpus/train.jsonl" "$1" "$2" "$3" <<'PY'
import json, sys
docs = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
out, first, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for i in range(first, first + count):
    body, k = [f"bench record {i}"], i
    while sum(len(b.encode()) for b in body) < 20000:
        body.append(docs[k % len(docs)])
        k += 7
    open(f"{out}/r{i:06d}.txt", "w", encoding="utf-8").write("\n\n".join(body) + "\n")
PY
}
texts base 1 "$RECORDS"
sides="1 0"
[ "${ONLY_BACKUP:-0}" != 1 ] || sides=1
for keyed in $sides; do
    fresh "b$keyed" "$keyed"
    t0=$(now)
    "$DANGAN" --archive "b$keyed" ingest base --jobs 1 >/dev/null 2>&1 || true
    t1=$(now)
    eval "bt$keyed=$(secs "$t0" "$t1")"
done
if [ "${ONLY_BACKUP:-0}" != 1 ]; then
    printf 'ingest of %d text files (%s MB, no OCR): keyed %.1f s, plain %.1f s, +%.1f%% (one run each)\n' \
        "$RECORDS" "$(mb base)" "$bt1" "$bt0" "$(echo "($bt1 / $bt0 - 1) * 100" | bc -l)"
else
    printf 'ingest of %d text files (%s MB, no OCR), keyed: %.1f s\n' "$RECORDS" "$(mb base)" "$bt1"
fi
rm -rf b0

# ---- 4. full backup and restore beside cp -a ----
: >backup.txt
: >cp-archive.txt
: >restore.txt
: >cp-backup.txt
: >restore-files.txt
for run in $(seq 1 "$RUNS"); do
    rm -rf bk kb copy
    t0=$(now)
    "$DANGAN" --archive b1 backup bk --keys-dest kb >/dev/null 2>&1
    t1=$(now)
    cp -a b1 copy
    t2=$(now)
    secs "$t0" "$t1" >>backup.txt
    secs "$t1" "$t2" >>cp-archive.txt
    rm -rf restored bkcopy
    t0=$(now)
    "$DANGAN" --archive restored restore bk --keys kb --files-only >restore-out.txt 2>&1
    t1=$(now)
    # restore's own count of its file phase: "… MB in S s (… MB/s), … s in all"
    sed -n 's/.* MB in \([0-9.]*\) s (.*/\1/p' restore-out.txt >>restore-files.txt
    cp -a bk bkcopy && sync -f bkcopy # restore ends with one syncfs too
    t2=$(now)
    secs "$t0" "$t1" >>restore.txt
    secs "$t1" "$t2" >>cp-backup.txt
done
bm=$(mb bk)
am=$(mb b1)
im=$(mb b1/index)
fb=$(median <backup.txt)
fc=$(median <cp-archive.txt)
fr=$(median <restore.txt)
fcb=$(median <cp-backup.txt)
t0=$(now)
"$DANGAN" --archive restored reindex >/dev/null 2>&1
t1=$(now)
ri=$(secs "$t0" "$t1")
printf 'full backup: %s MB in %.2f s = %.1f MB/s; cp -a of the archive folder (%s MB, %s MB of it the index): %.2f s = %.1f MB/s (median of %d)\n' \
    "$bm" "$fb" "$(echo "$bm / $fb" | bc -l)" "$am" "$im" "$fc" "$(echo "$am / $fc" | bc -l)" "$RUNS"
printf 'restore (files checked and copied, no index): %.2f s = %.1f MB/s; cp -a of the backup and a syncfs: %.2f s = %.1f MB/s (median of %d)\n' \
    "$fr" "$(echo "$bm / $fr" | bc -l)" "$fcb" "$(echo "$bm / $fcb" | bc -l)" "$RUNS"
rf=$(median <restore-files.txt)
printf 'of which the file phase (restore'"'"'s own count: every file read once, hashed, checked, written): %.2f s = %.1f MB/s\n' \
    "$rf" "$(echo "$bm / $rf" | bc -l)"
printf 'the reindex that follows a restore: %.2f s\n' "$ri"

# ---- 5. incremental backups ----
texts more $((RECORDS + 1)) "$NEW"
"$DANGAN" --archive b1 ingest more --jobs 1 >/dev/null 2>&1 || true
t0=$(now)
"$DANGAN" --archive b1 backup bk >/dev/null 2>&1
t1=$(now)
printf 'incremental backup after %d new records (%s MB new) on %d: %.2f s\n' \
    "$NEW" "$(mb more)" $((RECORDS + NEW)) "$(secs "$t0" "$t1")"
t0=$(now)
"$DANGAN" --archive b1 backup bk >/dev/null 2>&1
t1=$(now)
printf 'backup with nothing new: %.2f s\n' "$(secs "$t0" "$t1")"
uptime
