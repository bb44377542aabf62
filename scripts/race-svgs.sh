#!/usr/bin/env bash
# Regenerates the pictures of the seed races in docs/races/ (R1.svg ... R5.svg): for each race, the
# cell of `pagelab races` on its last buggy kernel where the race's own fix alone closes the
# window; the shrunk schedule that cell writes is replayed with `replay --svg`. A race not found on
# its cell within the budget gets no picture (a stale one is removed) and a line saying so.
# Idempotent; runs from any directory; takes about a minute.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CELLS="R1:2.6.5 R2:2.6.19 R3:2.6.20 R4:2.6.22 R5:2.6.27"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p docs/races

for cell in $CELLS; do
  race=${cell%%:*}
  kernel=${cell#*:}
  status=0
  ./pagelab races --race "$race" --kernel "$kernel" --out "$work" >"$work/$race.txt" 2>&1 || status=$?
  if [ "$status" -gt 1 ]; then # 1: a cell differs from history (then it has no schedule); more: an error
    cat "$work/$race.txt" >&2
    exit "$status"
  fi
  schedule="$work/$race-$kernel.min.schedule"
  if [ -f "$schedule" ]; then
    ./pagelab replay "$schedule" --svg "docs/races/$race.svg" >"$work/$race.replay"
    echo "docs/races/$race.svg: $race on $kernel ($(grep '^page ' "$work/$race.replay" | sed 's/^page *//'))"
  else
    rm -f "docs/races/$race.svg"
    echo "docs/races/$race.svg: none, $race is not found on $kernel within the budget"
  fi
done
