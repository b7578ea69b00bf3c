#!/usr/bin/env bash
# Start the local registries (npm, PyPI, OCI x2, Go mirror, cosign keys); writes .sandbox/env.
# Idempotent: an already healthy sandbox is left as it is. Options: see `node tools/sandbox/sandbox.js`.
set -euo pipefail
exec node "$(dirname "${BASH_SOURCE[0]}")/sandbox.js" up "$@"
