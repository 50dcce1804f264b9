#!/usr/bin/env bash
# before_after.sh BEFORE_CHECKOUT AFTER_CHECKOUT [endpoints...]
# The side-by-side testbed (a patched copy of ../shared/peer-bench at $PEER_BENCH, see README.md here) run for two
# ClinicOps checkouts one right after the other, so "before" and "after" share one window. Each checkout must be a
# full clone (up.sh wants a .git directory), e.g. `git clone -q . /tmp/before && git -C /tmp/before checkout -q REV`.
# Environment: MIBO_GIT (bare clone of NithinNazar/mibo-backend), PEER_BENCH (default /tmp/peer-bench-copy),
# OUT (default /tmp/peer-ab): logs and tables per side.
set -u
before=$1; after=$2; shift 2
bench=${PEER_BENCH:-/tmp/peer-bench-copy}; out=${OUT:-/tmp/peer-ab}; mkdir -p "$out"
for side in before after; do
  if [ "$side" = before ]; then co=$before; else co=$after; fi
  echo "== $side $(git -C "$co" log --oneline -1) $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  "$bench/up.sh" "$co" >"$out/up-$side.log" 2>&1 || { echo "up.sh failed ($side): $out/up-$side.log"; exit 1; }
  . /tmp/peer/env
  AB_BENCH="$bench/ab-bench-p50" "$bench/bench.sh" "$@" >"$out/bench-$side.log" 2>&1
  tail -n 9 "$out/bench-$side.log"
  "$bench/down.sh" >/dev/null 2>&1
done
