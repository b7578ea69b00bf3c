#!/usr/bin/env bash
# The newcomer's main command: a full local release, end to end, into real registries on loopback.
#   1. set-up (idempotent), 2. start the sandbox registries,
#   3. dev release of every package (the four SDK/config packages and the plugin itself) from a scratch clone of HEAD (as CI does on a push to main):
#      pack -> publish -> ghcr, then smoke installs outside the workspace,
#   4. release of a vX.Y.Z tag on the same SHA in that scratch clone: pack -> publish -> ghcr -> smoke,
#   5. a summary of what went where, 6. stop the sandbox.
# Nothing in this working copy is modified; nothing reaches a public registry.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

step() { printf '\n==> %s\n' "$*"; }

step "set-up"
bash tools/setup.sh
export PATH="$(go env GOPATH)/bin:$root/node_modules/.bin:$PATH"

step "start the local registries"
pnpm -s sandbox:down >/dev/null 2>&1 || true
trap 'step "stop the local registries"; (cd "$root" && pnpm -s sandbox:down) || true' EXIT
pnpm -s sandbox:up
set -a; . "$root/.sandbox/env"; set +a

scratch="$(mktemp -d /tmp/ameide-release-local.XXXXXX)"
ws="$scratch/ws"
step "scratch clone of HEAD ($(git rev-parse --short HEAD)) in $ws"
git clone -q --no-local "$root" "$ws"
git -C "$ws" remote remove origin # a local release: there is no remote to push the tag to
(cd "$ws" && pnpm install --frozen-lockfile --offline --silent)
(cd "$ws" && node packages/nx-ameide-release/scripts/build.js --runtime) # the compiled plugin the clone runs
# Python tooling (uv) comes from the working copy's venv; the scratch clone has none.
export AMEIDE_UV="$root/.venv/bin/uv" AMEIDE_PYTHON="$root/.venv/bin/python"
export NX_DAEMON=false NX_NO_CLOUD=true

run_channel() { # <label> <ref>
  local label="$1" ref="$2"
  step "$label: context for $ref"
  (cd "$ws" && GITHUB_REF="$ref" pnpm -s exec nx-ameide-release context --format env)
  step "$label: pack, publish, ghcr (all projects)"
  (cd "$ws" && GITHUB_REF="$ref" pnpm -s nx run-many -t pack publish ghcr --parallel=1 --outputStyle=static)
  step "$label: smoke installs, as a consumer would"
  # The plugin (a release project too) needs nx & co. to install, which the sandbox's Verdaccio has no uplink to fetch.
  # publish and ghcr just ran: smoke alone (its dependsOn would re-run them, as no-ops that overwrite the results
  # the summary reads with already-published), as the CI workflow does.
  (cd "$ws" && GITHUB_REF="$ref" pnpm -s nx run-many -t smoke --exclude=nx-ameide-release --exclude-task-dependencies --parallel=1 --outputStyle=static)
  mkdir -p "$scratch/results/$label"
  for d in "$ws"/dist/*/; do
    [ -f "$d/publish-result.json" ] && cp "$d/publish-result.json" "$scratch/results/$label/$(basename "$d")-publish.json"
    [ -f "$d/ghcr-result.json" ] && cp "$d/ghcr-result.json" "$scratch/results/$label/$(basename "$d")-ghcr.json"
  done
  return 0
}

run_channel dev refs/heads/main

tag="$(node "$root/tools/next-release-tag.js" "$ws")"
step "release: tag $tag on $(git -C "$ws" rev-parse --short HEAD) in the scratch clone"
git -C "$ws" -c user.name=release-local -c user.email=release-local@localhost tag -a "$tag" -m "Release $tag"
run_channel release "refs/tags/$tag"

step "summary"
node "$root/tools/summary.js" "$scratch/results"
echo "(https://github.com/ameideio/ameide-sdk-go is redirected by git insteadOf to the sandbox's bare repo $SANDBOX_GO_MIRROR; nothing left this machine)"
rm -rf "$scratch"
