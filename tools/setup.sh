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
# cosign v3 signs (Sigstore bundles, OCI referrers); v3.1.4 needs Go 1.27, v3.1.3 is the newest v3.1 that builds with Go 1.26.
COSIGN_VERSION=v3.1.3
# cosign v2 is kept beside it as cosign-v2, for the tests only: images signed the v2 way (.sig/.att tags) must still verify.
COSIGN_V2_VERSION=v2.4.1
# The sandbox's registry with the OCI 1.1 referrers API, and its Fulcio (keyless signing with a file CA).
DISTRIBUTION_VERSION=v3.1.2
FULCIO_VERSION=v1.8.8
ACTIONLINT_VERSION=v1.7.7
CDXGEN_VERSION=12.8.4
# The sandbox's tools, on top of the project's tools/requirements-dev.txt. bcrypt makes the
# htpasswd lines docker-registry accepts (tools/sandbox/htpasswd.py, for the sandbox and the tests).
VENV_EXTRAS=(uv pypiserver passlib twine hatchling bcrypt==5.0.0)

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

# ---------------------------------------------------------------- cosign, distribution v3, Fulcio (Go module proxy)

gobin="$(go env GOBIN)"
[ -n "$gobin" ] || gobin="$(go env GOPATH | cut -d: -f1)/bin"
# The module version a Go binary was built from (`go version -m`), e.g. v3.1.3; empty when it is no Go binary.
go_module_version() {
  local out
  out="$(go version -m "$1" 2>/dev/null || true)" # captured first: with pipefail, a pipe into awk can fail on SIGPIPE
  awk '$1 == "mod" { print $3; exit }' <<<"$out"
}
has_go_binary() { [ -x "$gobin/$1" ] && [ "$(go_module_version "$gobin/$1")" = "$2" ]; }
# go_install_as <package@version> <name go gives it> <name in $gobin>: built in a private GOBIN, then moved,
# so a binary of the same name (cosign v2 and v3) is replaced only once the new one is complete.
go_install_as() {
  local tmp rc=0
  tmp="$(mktemp -d)"
  # No RETURN trap: it would fire after `local tmp` is gone (set -u) and again on every later return.
  GOBIN="$tmp" go install "$1" || rc=$?
  if [ $rc -eq 0 ]; then mkdir -p "$gobin" && mv -f "$tmp/$2" "$gobin/$3" || rc=$?; fi
  rm -rf "$tmp"
  return $rc
}

cosign_v2_bin() {
  if has_go_binary cosign-v2 "$COSIGN_V2_VERSION"; then
    echo "skip $gobin/cosign-v2 is $COSIGN_V2_VERSION"
    return
  fi
  # A cosign v2 from an earlier set-up is this binary already: keep it under its new name instead of building it again.
  if has_go_binary cosign "$COSIGN_V2_VERSION"; then
    cp -f "$gobin/cosign" "$gobin/cosign-v2"
    echo "$gobin/cosign-v2 $COSIGN_V2_VERSION (copied from $gobin/cosign)"
    return
  fi
  go_install_as "github.com/sigstore/cosign/v2/cmd/cosign@$COSIGN_V2_VERSION" cosign cosign-v2
  has_go_binary cosign-v2 "$COSIGN_V2_VERSION"
  echo "$gobin/cosign-v2 $COSIGN_V2_VERSION"
}
step "cosign-v2 $COSIGN_V2_VERSION (tests)" "needs network access to the Go module proxy (GOPROXY=$(go env GOPROXY)); retry, or put a cosign $COSIGN_V2_VERSION binary at $gobin/cosign-v2" cosign_v2_bin

cosign_bin() {
  if has_go_binary cosign "$COSIGN_VERSION"; then
    echo "skip $gobin/cosign is $COSIGN_VERSION"
    return
  fi
  # Not packaged by Debian 12; builds from source through the Go module proxy (a few minutes).
  go_install_as "github.com/sigstore/cosign/v3/cmd/cosign@$COSIGN_VERSION" cosign cosign
  has_go_binary cosign "$COSIGN_VERSION"
  echo "$gobin/cosign $COSIGN_VERSION"
}
step "cosign $COSIGN_VERSION" "needs network access to the Go module proxy (GOPROXY=$(go env GOPROXY)); retry, or put a cosign $COSIGN_VERSION binary at $gobin/cosign" cosign_bin

distribution_bin() {
  if has_go_binary registry "$DISTRIBUTION_VERSION"; then
    echo "skip $gobin/registry is distribution $DISTRIBUTION_VERSION"
    return
  fi
  go_install_as "github.com/distribution/distribution/v3/cmd/registry@$DISTRIBUTION_VERSION" registry registry
  has_go_binary registry "$DISTRIBUTION_VERSION"
  echo "$gobin/registry distribution $DISTRIBUTION_VERSION"
}
step "distribution $DISTRIBUTION_VERSION (registry with referrers)" "needs network access to the Go module proxy (GOPROXY=$(go env GOPROXY)); retry, or put a distribution $DISTRIBUTION_VERSION registry binary at $gobin/registry" distribution_bin

fulcio_bin() {
  if has_go_binary fulcio "$FULCIO_VERSION"; then
    echo "skip $gobin/fulcio is $FULCIO_VERSION"
    return
  fi
  go_install_as "github.com/sigstore/fulcio@$FULCIO_VERSION" fulcio fulcio
  has_go_binary fulcio "$FULCIO_VERSION"
  echo "$gobin/fulcio $FULCIO_VERSION"
}
step "fulcio $FULCIO_VERSION" "needs network access to the Go module proxy (GOPROXY=$(go env GOPROXY)); retry, or put a fulcio $FULCIO_VERSION binary at $gobin/fulcio" fulcio_bin

# The sandbox's registry WITH the OCI 1.1 referrers API (distribution v3.1.2 and docker-registry 2.8 have none):
# go-containerregistry's registry started by tools/sandbox/referrers-registry/main.go.
referrers_registry_bin() {
  local src=tools/sandbox/referrers-registry bin="$gobin/ameide-referrers-registry" deps
  deps="$(go version -m "$bin" 2>/dev/null || true)"
  if [ -x "$bin" ] && [ "$bin" -nt "$src/main.go" ] && [ "$bin" -nt "$src/go.mod" ] && grep -q "github.com/google/go-containerregistry" <<<"$deps"; then
    echo "skip $bin is built from $src"
    return
  fi
  mkdir -p "$gobin"
  (cd "$src" && go build -o "$bin.partial" . && mv -f "$bin.partial" "$bin")
  echo "$bin (go-containerregistry $(awk '$2 == "github.com/google/go-containerregistry" { print $3 }' <<<"$(go version -m "$bin")"))"
}
step "referrers registry (sandbox)" "needs network access to the Go module proxy (GOPROXY=$(go env GOPROXY)); then re-run" referrers_registry_bin

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
    say "hint: cosign, fulcio, registry and actionlint are in $gobin, which is not on PATH: export PATH=\"$gobin:\$PATH\""
    ;;
esac

# ---------------------------------------------------------------- every program the tests call

# Last: everything the tests, the sandbox and the targets spawn (tools/programs.js, and the plugin's
# tool table in src/tools.ts) is there, or one line per missing one says how to install it.
programs_check() {
  PATH="$gobin:$PATH" node tools/check-programs.js "$root"
}
step "programs check (tools/programs.js)" "install what the lines above name (most come from re-running bash tools/setup.sh as root)" programs_check

say "ready. Next: pnpm sandbox:up && set -a && . .sandbox/env && set +a"
