#!/usr/bin/env bash
# bench/memory.sh — peak memory of `dangan ingest` on four 100-megapixel pages
# (10,000 x 10,000 greyscale PNGs, nearly blank so OCR is quick), with the default memory
# budget and with a budget large enough not to limit anything (the behaviour before the
# budget). Needs the optimised build (make) and GNU time (/usr/bin/time). Not part of
# `make check`: it takes a few minutes.
#
#   bench/memory.sh [JOBS]       (default 4)
#
# Measured (2 cores shared with other work, 23 GB RAM, so a 1.4 GB default budget):
#   default budget (1/16 of RAM)       --jobs 4: peak RSS   825 MB, 2:06.85 wall
#   no effective budget (--memory 64G) --jobs 4: peak RSS  2201 MB, 1:33.80 wall
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
DANGAN=${DANGAN:-$here/build/dangan}
JOBS=${1:-4}
T=$(mktemp -d /tmp/dangan-memory-XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/big"
python3 - "$T/big" <<'PY'
import struct, sys, zlib
def png(path, w, h, seed):
    white = b"\x00" + b"\xff" * w
    mark = bytearray(white)
    mark[1 + 1000 + seed * 37] = 0  # one dark pixel: four different files, not duplicates
    raw = bytearray()
    for y in range(h):
        raw += mark if y == 500 else white
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + chunk(b"IEND", b"")
    open(path, "wb").write(data)
for i in range(4):
    png(f"{sys.argv[1]}/page{i + 1}.png", 10000, 10000, i + 1)
PY
run() { # run LABEL ARGS...
    local label=$1; shift
    rm -rf "$T/archive"
    "$DANGAN" --archive "$T/archive" init >/dev/null
    OMP_THREAD_LIMIT=1 /usr/bin/time -v "$DANGAN" --archive "$T/archive" ingest "$T/big" \
        --jobs "$JOBS" "$@" >/dev/null 2>"$T/time.log"
    local kb secs
    kb=$(awk -F: '/Maximum resident/ {gsub(/ /, "", $2); print $2}' "$T/time.log")
    secs=$(awk -F'): ' '/Elapsed/ {print $2}' "$T/time.log")
    printf '%-34s --jobs %s: peak RSS %5.0f MB, %s wall\n' "$label" "$JOBS" "$((kb / 1024))" "$secs"
}
run "default budget (1/16 of RAM)"
run "no effective budget (--memory 64G)" --memory 64G
