#!/usr/bin/env bash
# Runs every test suite of the repository, after the set-up, and ends with one line
# `N passed, N failed` totalling them all:
#   plugin unit + integration (jest, real git, real local registries started by the tests),
#   payload packages (jest for the two npm packages, pytest, go test -race),
#   end-to-end (jest: the Nx targets against the sandbox registries),
#   actionlint (+ shellcheck) over .github/workflows and every workflow `init` can write.
# Exit status is non-zero when any test failed or any suite could not run.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash tools/setup.sh || { echo "set-up failed"; echo "0 passed, 1 failed"; exit 1; }
export PATH="$(go env GOPATH)/bin:$root/node_modules/.bin:$PATH"
export NX_DAEMON=false NX_NO_CLOUD=true
reports="$(mktemp -d /tmp/ameide-test-reports.XXXXXX)"
status=0

suite() { # <name> <command...>: runs one suite, keeps its report in $reports
  local name="$1"; shift
  printf '\n==> %s\n' "$name"
  "$@" || status=1
}

suite "plugin (jest: unit + integration)" \
  jest -c packages/nx-ameide-release/jest.config.js --json --outputFile="$reports/jest-plugin.json"
suite "layering (dependency-cruiser: packages/nx-ameide-release/.dependency-cruiser.cjs)" \
  bash -c 'cd packages/nx-ameide-release && depcruise src --config .dependency-cruiser.cjs --output-type json --output-to "$0/depcruise.json"; depcruise src --config .dependency-cruiser.cjs --output-type err' "$reports"
suite "configuration (jest)" \
  jest -c packages/configuration/jest.config.js --json --outputFile="$reports/jest-configuration.json"
suite "ameide_sdk_ts (jest)" \
  jest -c packages/ameide_sdk_ts/jest.config.js --json --outputFile="$reports/jest-sdk-ts.json"
suite "ameide_sdk_python (pytest)" \
  .venv/bin/python -m pytest packages/ameide_sdk_python -q -p no:cacheprovider --junitxml="$reports/pytest.xml"
printf '\n==> ameide_sdk_go (go test -race)\n'
(cd packages/ameide_sdk_go && go test -race -json ./... > "$reports/go-test.json"; rc=$?; \
  grep -h '"Action":"output"' "$reports/go-test.json" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const l of s.split("\n")){if(!l)continue;const o=JSON.parse(l);if(/^(---|ok|FAIL|PASS)/.test(o.Output.trim()))process.stdout.write(o.Output)}})'; exit $rc) || status=1
suite "workflows (actionlint + shellcheck: .github/workflows and every workflow init writes)" \
  node tools/lint-workflows.js "$reports"
# The fault and kill drills publish many times over (about 20-40 min on 2 cores): they run with
# `bash tools/drills/run.sh`, or here too with AMEIDE_DRILLS=full. The bad-input table always runs.
long_drills=(--testPathIgnorePatterns 'drills-faults' 'drills-kill')
[ "${AMEIDE_DRILLS:-}" = full ] && long_drills=()
suite "end-to-end (jest: Nx targets against the sandbox registries)" \
  jest -c packages/nx-ameide-release/jest.e2e.config.js --runInBand "${long_drills[@]}" --json --outputFile="$reports/jest-e2e.json"

printf '\n==> totals\n'
node tools/count-results.js "$reports" || status=1
rm -rf "$reports"
exit $status
