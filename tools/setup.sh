#!/usr/bin/env bash
# Prepare this workspace on a fresh Debian 12 machine (node 20, npm, go, python3.11, git present):
# system tools, pnpm + node_modules, the Python venv, cosign. Run as root (apt-get).
# Idempotent and quick the second time: every step checks first and says `skipped` with the reason.
#
#   bash tools/setup.sh
#
# Each step prints one line: `setup: <step>: done (Ns)` | `skipped (<why>)` | `FAILED` + what to do.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

PNPM_VERSION=10.34.9
COSIGN_VERSION=v2.4.1
ACTIONLINT_VERSION=v1.7.7
CDXGEN_VERSION=12.8.4
# The sandbox's tools, on top of the project's tools/requirements-dev.txt.
VENV_EXTRAS=(uv pypiserver passlib twine hatchling)

say() { printf 'setup: %s\n' "$*"; }
fail() { # fail <step> <what> <fix>
  printf 'setup: %s: FAILED: %s\n       fix: %s\n' "$1" "$2" "$3" >&2
  exit 1
}
# step <name> <fix-if-it-fails> <function>: the function prints `skip <reason>` to skip, or does the work.
step() {
  local name="$1" fix="$2" fn="$3" t0 out rc
  t0=$(date +%s)
  set +e
  out="$(set -e; "$fn" 2>&1)" # errexit is not inherited by $(...) otherwise
  rc=$?
  set -e
  if [ $rc -ne 0 ]; then
    printf '%s\n' "$out" | tail -20 | sed 's/^/       | /' >&2
    fail "$name" "exit $rc" "$fix"
  fi
  case "$out" in
    skip\ *) say "$name: skipped (${out#skip })" ;;
    *) say "$name: done ($(($(date +%s) - t0))s)${out:+ - $(printf '%s' "$out" | tail -1)}" ;;
  esac
}

# ---------------------------------------------------------------- prerequisites (not installed here)

for tool in node npm go python3 git; do
  command -v "$tool" >/dev/null 2>&1 || fail prerequisites "$tool is not on PATH" "install $tool (node 20, go >= 1.22, python3.11, git) and re-run"
done
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  fail prerequisites "node $(node --version) is too old" "install node 20 (Verdaccio 5.33 and the plugin need it)"

# ---------------------------------------------------------------- system packages

apt_packages() {
  local need=()
  command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
  command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
  command -v curl >/dev/null 2>&1 || need+=(curl) # the sandbox selftest probes with curl
  # The sandbox's Kubernetes API (tools/sandbox/kube.js): etcd for kube-apiserver, openssl for its service-account keys.
  command -v etcd >/dev/null 2>&1 || [ -x /usr/bin/etcd ] || need+=(etcd-server)
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
  command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck) # actionlint checks run: scripts with it
  # The sandbox's Nx remote cache (Nx's self-hosted protocol) is nginx with its DAV module (nginx-core has it).
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-core)
  # Debian splits venv/ensurepip out of python3.
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || [ -x .venv/bin/python ] || need+=(python3-venv)
  if [ ${#need[@]} -eq 0 ]; then
    echo "skip docker-registry, skopeo, curl, shellcheck, nginx, etcd, openssl, python3-venv present"
    return
  fi
  [ "$(id -u)" -eq 0 ] || { echo "apt-get needs root to install: ${need[*]}"; return 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The package starts a system-wide registry on :5000; the sandbox runs its own on free ports.
  if [[ " ${need[*]} " == *" docker-registry "* ]] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
  # Likewise nginx on :80; the sandbox starts its own on a free loopback port.
  if [[ " ${need[*]} " == *" nginx-core "* ]] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
  # And etcd on :2379.
  if [[ " ${need[*]} " == *" etcd-server "* ]] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now etcd >/dev/null 2>&1 || true
  fi
  echo "installed ${need[*]}"
}
step "apt (docker-registry, skopeo, shellcheck, nginx, etcd-server)" "run as root on Debian 12 with network access to the Debian mirror: sudo bash tools/setup.sh" apt_packages

# ---------------------------------------------------------------- pnpm and node_modules

pnpm_itself() {
  local v
  v="$(pnpm --version 2>/dev/null || true)"
  if [[ "$v" == 10.* ]]; then
    echo "skip pnpm $v"
    return
  fi
  npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null
  echo "pnpm $(pnpm --version) (was: ${v:-none})"
}
step "pnpm 10" "npm install -g pnpm@$PNPM_VERSION (needs write access to npm's global prefix: run as root)" pnpm_itself

node_modules() {
  if [ ! -f pnpm-lock.yaml ]; then
    pnpm install --config.confirmModulesPurge=false
    echo "installed without a lockfile (pnpm-lock.yaml was absent; commit the one just written)"
    return
  fi
  # pnpm keeps a copy of the lockfile it last installed; identical means node_modules is current.
  if [ -f node_modules/.modules.yaml ] && cmp -s pnpm-lock.yaml node_modules/.pnpm/lock.yaml; then
    echo "skip node_modules matches pnpm-lock.yaml"
    return
  fi
  pnpm install --frozen-lockfile --config.confirmModulesPurge=false
}
step "pnpm install" "if pnpm says the lockfile is out of date, run \`pnpm install\` and commit pnpm-lock.yaml" node_modules

# ---------------------------------------------------------------- the plugin, compiled

# The CLI, the Nx plugin and its executors run compiled JavaScript (bin/compiled.js); a stale build
# would be rebuilt on first use anyway, here it is built up front so no command pays for it.
plugin_build() {
  if node -e 'process.exit(require("./packages/nx-ameide-release/bin/compiled.js").staleness() ? 1 : 0)'; then
    echo "skip the runtime build matches the plugin's sources"
    return
  fi
  node packages/nx-ameide-release/scripts/build.js --runtime
}
step "plugin build (compiled JS)" "read the tsc errors above and fix the source; then re-run" plugin_build

# ---------------------------------------------------------------- caches for a fresh workspace

# The adoption e2e makes workspaces outside this repository (one npm, one pnpm) and installs nx there
# OFFLINE; npm's cache and pnpm's metadata cache must hold what they resolve. Filled here, online, once.
fresh_workspace_caches() {
  local tmp manifest
  manifest="$(node packages/nx-ameide-release/tests/e2e/fresh-workspace-deps.js)"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  mkdir "$tmp/npm" "$tmp/pnpm"
  printf '%s\n' "$manifest" >"$tmp/npm/package.json"
  printf '%s\n' "$manifest" >"$tmp/pnpm/package.json"
  if (cd "$tmp/npm" && npm install --offline --ignore-scripts --no-audit --no-fund --silent >/dev/null 2>&1) &&
    (cd "$tmp/pnpm" && pnpm install --offline --ignore-scripts --silent >/dev/null 2>&1); then
    echo "skip npm and pnpm caches already install $(printf '%s' "$manifest" | node -e 'process.stdout.write(Object.keys(JSON.parse(require("fs").readFileSync(0)).devDependencies).join(" "))') offline"
    return
  fi
  rm -rf "$tmp/npm/node_modules" "$tmp/pnpm/node_modules"
  (cd "$tmp/npm" && npm install --ignore-scripts --no-audit --no-fund --silent)
  (cd "$tmp/pnpm" && pnpm install --ignore-scripts --silent)
  echo "npm cache ($(npm config get cache)) and pnpm metadata filled"
}
step "fresh-workspace caches (npm, pnpm)" "needs network access to the npm registry once; then re-run" fresh_workspace_caches

# ---------------------------------------------------------------- Python venv

venv() {
  local req=tools/requirements-dev.txt want have args=()
  # The stamp is the hash of what was asked for; a change to requirements-dev.txt or the extras re-runs pip.
  want="$({ cat "$req" 2>/dev/null || echo "(no $req)"; printf '%s\n' "${VENV_EXTRAS[@]}"; } | sha256sum | cut -c1-64)"
  have="$(cat .venv/.ameide-setup.sha256 2>/dev/null || true)"
  if [ "$want" = "$have" ] && .venv/bin/python -c 'import passlib' >/dev/null 2>&1 && [ -x .venv/bin/pypi-server ] && [ -x .venv/bin/uv ]; then
    echo "skip .venv has $req + ${VENV_EXTRAS[*]}"
    return
  fi
  [ -x .venv/bin/python ] || python3 -m venv .venv
  if [ -f "$req" ]; then args=(-r "$req"); else echo "note: $req is absent, installing the sandbox tools only" >&2; fi
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "${args[@]}" "${VENV_EXTRAS[@]}"
  .venv/bin/pypi-server --version >/dev/null
  .venv/bin/uv --version >/dev/null
  echo "$want" >.venv/.ameide-setup.sha256
  echo "pypiserver $(.venv/bin/pypi-server --version), $(.venv/bin/uv --version)"
}
step "python venv (.venv)" "check network access to PyPI; delete .venv and re-run if it is broken; on Debian: apt-get install python3-venv" venv

# ---------------------------------------------------------------- cosign

gobin="$(go env GOBIN)"
[ -n "$gobin" ] || gobin="$(go env GOPATH | cut -d: -f1)/bin"
cosign_version() { # captured first: with pipefail, `cosign version | grep -q` can fail on SIGPIPE
  local v
  v="$("$gobin/cosign" version 2>/dev/null || true)"
  grep -Eq "GitVersion: +$COSIGN_VERSION\$" <<<"$v"
}
cosign_bin() {
  if [ -x "$gobin/cosign" ] && cosign_version; then
    echo "skip $gobin/cosign is $COSIGN_VERSION"
    return
  fi
  # Not packaged by Debian 12; builds from source through the Go module proxy (a few minutes).
  go install "github.com/sigstore/cosign/v2/cmd/cosign@$COSIGN_VERSION"
  cosign_version
  echo "$gobin/cosign $COSIGN_VERSION"
}
step "cosign $COSIGN_VERSION" "needs network access to the Go module proxy (GOPROXY=$(go env GOPROXY)); retry, or put a cosign $COSIGN_VERSION binary at $gobin/cosign" cosign_bin

# ---------------------------------------------------------------- actionlint

actionlint_version() {
  local v
  v="$("$gobin/actionlint" -version 2>/dev/null || true)"
  [ "$(head -1 <<<"$v")" = "$ACTIONLINT_VERSION" ]
}
actionlint_bin() {
  if [ -x "$gobin/actionlint" ] && actionlint_version; then
    echo "skip $gobin/actionlint is $ACTIONLINT_VERSION"
    return
  fi
  # Lints the CD workflow and every one init can write (tools/lint-workflows.js); seconds to build.
  go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
  actionlint_version
  echo "$gobin/actionlint $ACTIONLINT_VERSION"
}
step "actionlint $ACTIONLINT_VERSION" "needs network access to the Go module proxy (GOPROXY=$(go env GOPROXY)); retry, or put an actionlint $ACTIONLINT_VERSION binary at $gobin/actionlint" actionlint_bin

# ---------------------------------------------------------------- cdxgen (CycloneDX SBOMs)

cdxgen_version() {
  local v
  v="$(cdxgen --version 2>/dev/null || true)" # "CycloneDX Generator 12.8.4" (bold), then the runtime
  grep -Eq "Generator $CDXGEN_VERSION" <<<"$v"
}
cdxgen_bin() {
  if command -v cdxgen >/dev/null 2>&1 && cdxgen_version; then
    echo "skip $(command -v cdxgen) is $CDXGEN_VERSION"
    return
  fi
  # The SBOM of every image (src/evidence/sbom.ts). Global, next to node: the ghcr target finds it there.
  # Optional native plugins are left out: the SBOMs are made from manifests and lockfiles only.
  npm install -g --omit=optional --no-audit --no-fund "@cyclonedx/cdxgen@$CDXGEN_VERSION" >/dev/null
  cdxgen_version
  echo "$(command -v cdxgen) $CDXGEN_VERSION"
}
step "cdxgen $CDXGEN_VERSION" "needs network access to the npm registry (and root for npm install -g); retry, or set AMEIDE_CDXGEN to a cdxgen $CDXGEN_VERSION binary" cdxgen_bin

# ---------------------------------------------------------------- Kubernetes API (the handoff's e2e)

# Versions and cache paths are kept once, in tools/sandbox/kube.js.
kube_path() { node -e 'process.stdout.write(String(require("./tools/sandbox/kube.js").paths()[process.argv[1]]))' "$1"; }
KUBE_VERSION="$(kube_path kubeVersion)"
ARGOCD_VERSION="$(kube_path argocdVersion)"
kube_apiserver_version() {
  local v
  v="$("$(kube_path apiserver)" --version 2>/dev/null || true)"
  [ "$v" = "Kubernetes $KUBE_VERSION" ]
}
kube_apiserver_bin() {
  local bin dir minor
  bin="$(kube_path apiserver)"
  if [ -x "$bin" ] && kube_apiserver_version; then
    echo "skip $bin is $KUBE_VERSION"
    return
  fi
  # Not packaged by Debian 12. Built from the Go module proxy: a main module generated by
  # tools/sandbox/kube-module.js (requires k8s.io/kubernetes, replaces its staging modules with their
  # published versions) in a cache folder outside the repository. About 10 minutes of both cores, ~1.1 GB.
  dir="$(kube_path moduleDir)"
  minor="${KUBE_VERSION#v1.}"
  minor="${minor%%.*}"
  node tools/sandbox/kube-module.js "$dir" "$KUBE_VERSION"
  (cd "$dir" && go mod tidy && go build -o "$bin.partial" -ldflags "-s -w \
    -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 \
    -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean" .)
  mv "$bin.partial" "$bin"
  kube_apiserver_version
  echo "$bin $KUBE_VERSION"
}
step "kube-apiserver $KUBE_VERSION" "needs network access to the Go module proxy (GOPROXY=$(go env GOPROXY)) and ~1.5 GB of disk; retry, or put a kube-apiserver $KUBE_VERSION binary at $(kube_path apiserver)" kube_apiserver_bin

argocd_crd() {
  local record module file dir
  record="$(kube_path crdRecord)"
  module="$(kube_path argocdModule)@$ARGOCD_VERSION"
  file="$(kube_path crdFile)"
  if [ -s "$record" ] && [ -f "$(cat "$record")" ]; then
    echo "skip $(cat "$record")"
    return
  fi
  # The Application CRD ships in Argo CD's Go module. `go mod download` fetches and checks the module
  # (go.sum database) but exits 1 because the module needs a newer Go than is here to *build*: only its
  # Dir is used, so the JSON is read whatever the exit status.
  dir="$(go mod download -json "$module" 2>/dev/null | node -e 'const j=JSON.parse(require("fs").readFileSync(0,"utf8")); process.stdout.write(j.Dir || (j.Zip ? require("path").join(require("child_process").execFileSync("go",["env","GOMODCACHE"],{encoding:"utf8"}).trim(), j.Path + "@" + j.Version) : ""))' || true)"
  if [ -z "$dir" ] || [ ! -f "$dir/$file" ]; then
    echo "go mod download $module did not give $file"
    return 1
  fi
  mkdir -p "$(dirname "$record")"
  printf '%s\n' "$dir/$file" >"$record"
  echo "$dir/$file (recorded in $record)"
}
step "Argo CD $ARGOCD_VERSION Application CRD" "needs network access to the Go module proxy (GOPROXY=$(go env GOPROXY)); retry" argocd_crd

case ":$PATH:" in
  *":$gobin:"*) ;;
  *)
    # GitHub Actions: later steps of the job get it on PATH.
    if [ -n "${GITHUB_PATH:-}" ]; then echo "$gobin" >>"$GITHUB_PATH"; fi
    say "hint: cosign and actionlint are in $gobin, which is not on PATH: export PATH=\"$gobin:\$PATH\""
    ;;
esac

say "ready. Next: pnpm sandbox:up && set -a && . .sandbox/env && set +a"
