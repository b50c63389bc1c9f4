#!/usr/bin/env bash
# The layer rule of docs/architecture.md, checked on every #include "..." of our sources:
#
#   base  <-  index  <-  engine  <-  ingest, retention  <-  cli (the command line and the server)
#
# A file may include its own layer and the layers below it, never one above or beside it
# (ingest and retention are siblings; index is reached only through engine). Called by
# `make lint`; prints each crossing as FILE:LINE: LAYER may not include TARGET, exit 1.
set -u
cd "$(dirname "$0")/.."

allowed() { # layer -> the layers it may include
    case $1 in
        base) echo "base" ;;
        index) echo "base index" ;;
        engine) echo "base index engine" ;;
        ingest) echo "base engine ingest" ;;
        retention) echo "base engine retention" ;;
        cli) echo "base index engine ingest retention cli" ;;
    esac
}

bad=0
while IFS= read -r hit; do
    file=${hit%%:*}
    rest=${hit#*:}
    line=${rest%%:*}
    inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$rest")
    layer=${file%%/*}
    # resolve the include against the including file's folder, then the root (-I.)
    target=$(realpath -m --relative-to=. "$(dirname "$file")/$inc")
    [ -e "$target" ] || target=$(realpath -m --relative-to=. "$inc")
    tlayer=${target%%/*}
    case " $(allowed "$layer") " in
        *" $tlayer "*) ;;
        *)
            # build/gen/ holds generated sources; they belong to the layer that asked for them
            case $target in build/*) continue ;; esac
            echo "$file:$line: $layer may not include $target ($tlayer is not below $layer)"
            bad=1
            ;;
    esac
done < <(grep -rn --include='*.c' --include='*.h' --include='*.cc' -E '^[[:space:]]*#[[:space:]]*include[[:space:]]+"' \
             base index engine ingest retention cli)
if [ "$bad" -eq 0 ]; then
    echo "check-layers: every include points down"
fi
exit "$bad"
