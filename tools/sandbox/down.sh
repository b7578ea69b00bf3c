#!/usr/bin/env bash
# Stop the local registries and delete their data folder; exit 0 when nothing runs.
set -euo pipefail
exec node "$(dirname "${BASH_SOURCE[0]}")/sandbox.js" down "$@"
