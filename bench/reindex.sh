#!/usr/bin/env bash
# bench/reindex.sh N DIR [--key] — the rate of `dangan reindex` over an archive of N
# born-digital records (bench/corpus.h's records: Chinese, traditional and English text of
# about one page, five categories, years 2015-2024, levels 0-3).
#
# The archive is built once in DIR/archive (reused when there) the fast honest way: the
# records are written as batches of text files with a manifest (build/bench/batch) and
# filed with `dangan ingest DIR --manifest` (3,000 records a batch: a batch takes at most 4,000 files), which files,
# logs and indexes each batch as a records room's import would. `--key` makes the archive
# encrypted (DIR/master.key), so reindex reads sealed titles and encrypted texts.
#
# Then it times `dangan reindex` with each binary named in DANGAN (default build/dangan)
# and DANGAN_B (optional: the A/B baseline, e.g. main's binary), alternately, ROUNDS times
# (default 3), printing wall and CPU (user+sys) seconds and records per second of each.
# With DANGAN_B the archive is built by DANGAN_B and copied to DIR/archive-b before either
# runs, so each binary reindexes its own copy (a newer binary may migrate its catalog).
set -euo pipefail
N=${1:?usage: bench/reindex.sh N DIR [--key]}
DIR=${2:?usage: bench/reindex.sh N DIR [--key]}
KEY=${3:-}
here=$(cd "$(dirname "$0")/.." && pwd)
DANGAN=${DANGAN:-$here/build/dangan}
ROUNDS=${ROUNDS:-3}
mkdir -p "$DIR"
export DANGAN_ARCHIVE="$DIR/archive"
if [[ $KEY == --key ]]; then
    [[ -f $DIR/master.key ]] || "$DANGAN" keys generate "$DIR/master.key" >/dev/null
    export DANGAN_KEY_FILE="$DIR/master.key"
fi

BUILDER=${DANGAN_B:-$DANGAN}
if [[ ! -f $DIR/archive/catalog.db ]]; then
    "$BUILDER" init >/dev/null
    start=$(date +%s.%N)
    cpu=0
    for ((first = 0; first < N; first += 3000)); do
        size=$((N - first < 3000 ? N - first : 3000))
        rm -rf "$DIR/batch"
        "$here/build/bench/batch" "$DIR/batch" "$size" "$first"
        /usr/bin/time -f '%U %S' -o "$DIR/time.out" \
            "$BUILDER" ingest "$DIR/batch" --manifest "$DIR/batch/manifest.csv" | tail -1
        read -r user sys <"$DIR/time.out"
        cpu=$(echo "$cpu + $user + $sys" | bc)
    done
    rm -rf "$DIR/batch"
    wall=$(echo "$(date +%s.%N) - $start" | bc)
    printf 'archive of %d records filed in %.0f s (%.0f/s), cpu %.1f s (%.2f ms a record), load %s\n' \
        "$N" "$wall" "$(echo "$N / $wall" | bc -l)" "$cpu" "$(echo "1000 * $cpu / $N" | bc -l)" \
        "$(uptime | sed 's/.*load average: //')"
else
    echo "archive reused from $DIR/archive"
fi
if [[ -n ${DANGAN_B:-} && ! -d $DIR/archive-b ]]; then
    cp -a "$DIR/archive" "$DIR/archive-b"
fi

# One timed reindex: prints "wall cpu" in seconds (cpu: the process's user+sys).
one_run() {
    local bin=$1 wall user sys
    [[ $bin == "${DANGAN_B:-}" ]] && export DANGAN_ARCHIVE="$DIR/archive-b"
    [[ $bin == "$DANGAN" ]] && export DANGAN_ARCHIVE="$DIR/archive"
    /usr/bin/time -f '%e %U %S' -o "$DIR/time.out" "$bin" reindex >/dev/null
    read -r wall user sys <"$DIR/time.out"
    echo "$wall $(echo "$user + $sys" | bc)"
}

versions=$("$DANGAN" reindex | sed -n 's/^reindexed \([0-9]*\) versions$/\1/p')
echo "load: $(uptime | sed 's/.*load average: //')"
for ((r = 1; r <= ROUNDS; r++)); do
    for bin in "$DANGAN" ${DANGAN_B:+"$DANGAN_B"}; do
        read -r wall cpu < <(one_run "$bin")
        printf '%-40s %d versions: wall %6.1f s (%6.0f/s)  cpu %6.1f s (%6.0f/s)\n' \
            "$bin" "$versions" "$wall" "$(echo "$versions / $wall" | bc -l)" "$cpu" \
            "$(echo "$versions / $cpu" | bc -l)"
    done
done
echo "load: $(uptime | sed 's/.*load average: //')"
