#!/usr/bin/env bash
# Integration check of the sandbox: start an isolated one (its own temp dir, so a running
# `pnpm sandbox:up` is left alone), probe every endpoint the way the plugin will, stop it.
# Last line: `N passed, N failed`. Exit 0 only when all passed.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
sb="$here/sandbox.js"
work="$(mktemp -d /tmp/ameide-sandbox-selftest.XXXXXX)"
dir="$work/sandbox"
passed=0 failed=0

cleanup() {
  node "$sb" down --dir "$dir" >/dev/null 2>&1
  chmod -R u+w "$work" 2>/dev/null # the Go module cache is read-only
  rm -rf "$work"
}
trap cleanup EXIT

check() { # check "<what>" cmd args...
  local what="$1"
  shift
  if out="$("$@" 2>&1)"; then
    passed=$((passed + 1))
    echo "ok    $what"
  else
    failed=$((failed + 1))
    echo "FAIL  $what"
    echo "$out" | tail -5 | sed 's/^/      /'
  fi
}
status_is() { # status_is <code> curl-args...
  local want="$1"
  shift
  local got
  got="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@")"
  [ "$got" = "$want" ] || { echo "HTTP $got, expected $want"; return 1; }
}

t0=$(date +%s.%N)
if ! node "$sb" up --dir "$dir" --services npm,pypi,oci,ociAuth,go,cosign,nxCache; then
  echo "FAIL  sandbox up"
  echo "0 passed, 1 failed"
  exit 1
fi
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "ok    sandbox up (cold) in %.1fs\n", b - a }'
passed=$((passed + 1))
set -a
# shellcheck disable=SC1091
. "$dir/env"
set +a

check ".sandbox env file holds no secret value" bash -c '! grep -qF -e "$(cat "$NPM_TOKEN_FILE")" -e "$(cat "$PYPI_PASSWORD_FILE")" -e "$(cat "$OCI_AUTH_PASSWORD_FILE")" -e "$(cat "$COSIGN_PASSWORD_FILE")" -e "$(cat "$NX_CACHE_TOKEN_FILE")" -e "$(cat "$NX_CACHE_READ_TOKEN_FILE")" "$SANDBOX_DIR/env"'
check "secret files are mode 0600" bash -c '[ "$(stat -c %a "$NPM_TOKEN_FILE" "$PYPI_PASSWORD_FILE" "$OCI_AUTH_PASSWORD_FILE" "$COSIGN_PASSWORD_FILE" | sort -u)" = 600 ]'

# npm: ping and whoami with the token; publishing without a token is refused.
npmrc="$work/npmrc"
printf '%s:_authToken=%s\n' "${AMEIDE_NPM_REGISTRY#http:}" "$(cat "$NPM_TOKEN_FILE")" >"$npmrc"
chmod 600 "$npmrc"
check "npm ping with token" npm ping --registry "$AMEIDE_NPM_REGISTRY" --userconfig "$npmrc"
check "npm whoami = $SANDBOX_NPM_USER" bash -c '[ "$(npm whoami --registry "$AMEIDE_NPM_REGISTRY" --userconfig "$0")" = "$SANDBOX_NPM_USER" ]' "$npmrc"
check "npm registry has no uplink (public package is 404)" status_is 404 "${AMEIDE_NPM_REGISTRY}left-pad"

# PyPI: the simple index answers, a missing project is a 404 (no fallback to pypi.org), uploads need the password.
check "pypi simple index 200" status_is 200 "$AMEIDE_PYPI_INDEX_URL"
check "pypi unknown project 404 (no fallback)" status_is 404 "${AMEIDE_PYPI_INDEX_URL}requests/"
check "pypi upload without credentials 401" status_is 401 -F ':action=file_upload' -F 'name=x' -F 'version=1' "$AMEIDE_PYPI_UPLOAD_URL"
check "pypi upload with wrong password 403" status_is 403 -u "$PYPI_USERNAME:wrong" -F ':action=file_upload' -F 'name=x' -F 'version=1' "$AMEIDE_PYPI_UPLOAD_URL"

# OCI: open registry, and the htpasswd one.
check "oci /v2/ 200" status_is 200 "http://$AMEIDE_OCI_REGISTRY/v2/"
check "oci-auth /v2/ 401 without credentials" status_is 401 "http://$SANDBOX_OCI_AUTH_REGISTRY/v2/"
check "oci-auth /v2/ 200 with credentials" bash -c 'curl -sf -o /dev/null --max-time 10 -u "$SANDBOX_OCI_AUTH_USER:$(cat "$OCI_AUTH_PASSWORD_FILE")" "http://$SANDBOX_OCI_AUTH_REGISTRY/v2/"'

# cosign key pair opens with the password file.
check "cosign key pair present" test -s "$COSIGN_KEY" -a -s "$COSIGN_PUBLIC_KEY"

# Nx remote cache (Nx's self-hosted protocol): tokens, read-only writes, misses, no overwrite.
cache="$SANDBOX_NX_CACHE_URL/v1/cache/1234567890"
body="$work/nx-cache-entry"
printf 'entry' >"$body"
check "nx cache: no token 401" status_is 401 "$cache"
check "nx cache: miss 404 with the read-only token" bash -c '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $(cat "$NX_CACHE_READ_TOKEN_FILE")" "$0")" = 404 ]' "$cache"
check "nx cache: PUT with the read-only token 403" bash -c '[ "$(curl -s -o /dev/null -w "%{http_code}" -X PUT --data-binary @"$1" -H "Authorization: Bearer $(cat "$NX_CACHE_READ_TOKEN_FILE")" "$0")" = 403 ]' "$cache" "$body"
check "nx cache: PUT with the write token stores, GET returns it" bash -c '[ "$(curl -s -o /dev/null -w "%{http_code}" -X PUT --data-binary @"$1" -H "Authorization: Bearer $(cat "$NX_CACHE_TOKEN_FILE")" "$0")" = 201 ] && [ "$(curl -sf -H "Authorization: Bearer $(cat "$NX_CACHE_READ_TOKEN_FILE")" "$0")" = entry ]' "$cache" "$body"
check "nx cache: a second PUT of a stored hash 409" bash -c '[ "$(curl -s -o /dev/null -w "%{http_code}" -X PUT --data-binary @"$1" -H "Authorization: Bearer $(cat "$NX_CACHE_TOKEN_FILE")" "$0")" = 409 ]' "$cache" "$body"
check "nx cache: DELETE refused" bash -c '[ "$(curl -s -o /dev/null -w "%{http_code}" -X DELETE -H "Authorization: Bearer $(cat "$NX_CACHE_TOKEN_FILE")" "$0")" = 403 ]' "$cache"

# Go mirror: github URL redirected to the bare repo, push a tagged commit, `go get` it.
src="$work/go-src"
git init -q -b main "$src"
printf 'module github.com/ameideio/ameide-sdk-go\n\ngo 1.22\n' >"$src/go.mod"
printf 'package sdk\n\nfunc Hello() string { return "sandbox" }\n' >"$src/sdk.go"
git -C "$src" add . && git -C "$src" -c user.name=selftest -c user.email=selftest@localhost commit -qm "selftest" && git -C "$src" tag v0.0.1
check "git push to https://github.com/ameideio/ameide-sdk-go lands in the mirror" git -C "$src" push -q https://github.com/ameideio/ameide-sdk-go main v0.0.1
check "git ls-remote via insteadOf shows v0.0.1" bash -c 'git ls-remote https://github.com/ameideio/ameide-sdk-go | grep -q refs/tags/v0.0.1'
check "global git config untouched" bash -c '! git config --global --get-regexp "^url\." 2>/dev/null | grep -q ameide-sdk-go'
consumer="$work/consumer"
mkdir -p "$consumer"
printf 'module example.com/consumer\n\ngo 1.22\n' >"$consumer/go.mod"
printf 'package main\n\nimport sdk "github.com/ameideio/ameide-sdk-go"\n\nfunc main() { println(sdk.Hello()) }\n' >"$consumer/main.go"
check "go get github.com/ameideio/ameide-sdk-go@v0.0.1 from the mirror, build, run" bash -c '
  cd "$0" && export GOWORK=off GOFLAGS=-mod=mod GOPROXY=direct GOPRIVATE=github.com/ameideio GOMODCACHE="$1/gomodcache" &&
  go get github.com/ameideio/ameide-sdk-go@v0.0.1 && go run . 2>&1 | grep -qx sandbox' "$consumer" "$work"

# One registry down and back (what the "registry down mid-run" e2e test does), same port and data.
pypi_port="${AMEIDE_PYPI_INDEX_URL#http://127.0.0.1:}"
check "stop pypi: connection refused" bash -c 'node "$0" stop pypi --dir "$1" >/dev/null && ! curl -s -o /dev/null --max-time 5 "$2"' "$sb" "$dir" "$AMEIDE_PYPI_INDEX_URL"
check "start pypi again on port ${pypi_port%%/*}" bash -c 'node "$0" start pypi --dir "$1" >/dev/null && curl -sf -o /dev/null --max-time 5 "$2"' "$sb" "$dir" "$AMEIDE_PYPI_INDEX_URL"
check "up again is a no-op (already up)" bash -c 'node "$0" up --dir "$1" | grep -q "already up"' "$sb" "$dir"

# The JS API the e2e tests use: a second, isolated sandbox with only some services.
check "JS API: up/stopService/startService/down" node -e '
  const sb = require(process.argv[1]);
  (async () => {
    const env = await sb.up({ dir: process.argv[2], services: ["npm", "go"] });
    const ping = () => fetch(env.SANDBOX_NPM_URL + "-/ping").then((r) => r.status, () => 0);
    if ((await ping()) !== 200) throw new Error("npm not up");
    await sb.stopService(env, "npm");
    if ((await ping()) !== 0) throw new Error("npm still answers after stopService");
    await sb.startService(env, "npm");
    if ((await ping()) !== 200) throw new Error("npm not back after startService");
    await sb.down(env);
    if (require("fs").existsSync(env.SANDBOX_DIR)) throw new Error("data dir left behind");
  })().catch((e) => { console.error(e.message); process.exit(1); });
' "$sb" "$work/api-sandbox"

check "down stops every process and removes the data dir" bash -c '
  pids=$(node -e "const s=require(process.argv[1]);console.log(Object.values(s.services).map(x=>x.pid).filter(Boolean).join(\" \"))" "$1/state.json")
  node "$0" down --dir "$1" >/dev/null || exit 1
  [ ! -e "$1" ] || { echo "data dir left"; exit 1; }
  for p in $pids; do [ -z "$(tr -d "\0" </proc/$p/cmdline 2>/dev/null)" ] || { echo "pid $p still running"; exit 1; }; done' "$sb" "$dir"
check "down again: nothing running, exit 0" node "$sb" down --dir "$dir"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
