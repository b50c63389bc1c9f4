#!/usr/bin/env bash
# The layer rule (docs/architecture.md) holds: no include of base/, index/, engine/, ingest/,
# retention/ or cli/ points up or sideways. The same check `make lint` runs first; here so
# that `make check`, and so CI, fails on a crossing.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
exec "$here/scripts/check-layers.sh"
