#!/usr/bin/env bash
# Lints the contracts with buf (from npm, pinned in tools/buf/package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x tools/buf/node_modules/.bin/buf ]]; then
  (cd tools/buf && npm ci --no-audit --no-fund --loglevel=error)
fi
(cd proto && ../tools/buf/node_modules/.bin/buf lint)
echo "buf lint: proto/ passes"
