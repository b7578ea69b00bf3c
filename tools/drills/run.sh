#!/usr/bin/env bash
# The drills of docs/drills.md at full length (issue 12): 20 faulted dev publishes, 10 kill trials,
# the whole bad-input table, each with its own sandbox; prints each drill's table and verdict.
#   bash tools/drills/run.sh            # full: ~25-40 min on a 2-core machine
#   DRILL_SEED=7 bash tools/drills/run.sh faults   # one drill, another seed
# The test command (bash tools/test-all.sh) runs the bad-input table; the fault and kill drills run here
# (or there too with AMEIDE_DRILLS=full: 3 publishes, 3 kills).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export PATH="$(go env GOPATH)/bin:$root/node_modules/.bin:$PATH"
export NX_DAEMON=false NX_NO_CLOUD=true
export DRILL_PUBLISHES="${DRILL_PUBLISHES:-20}" DRILL_KILLS="${DRILL_KILLS:-10}" DRILL_SEED="${DRILL_SEED:-20261125}"
drills=("${@:-faults kill bad-input}")
status=0
for d in ${drills[@]}; do
  printf '\n==> drill %s (seed %s)\n' "$d" "$DRILL_SEED"
  jest -c packages/nx-ameide-release/jest.e2e.config.js --runInBand "tests/e2e/drills-$d.spec.ts" || status=1
done
printf '\n==> drills: %s\n' "$([ $status = 0 ] && echo PASS || echo FAIL)"
exit $status
