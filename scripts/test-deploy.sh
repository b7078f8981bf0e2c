#!/usr/bin/env bash
# The deployment tier (fast, offline but for npm ci): renders every kustomize
# overlay in deploy/k8s/overlays with kubectl, validates every object against
# the Kubernetes schemas (kubernetes-models) and kubernetes-models' TypeScript
# interfaces (catches misspelled fields), and runs Reel's policy checks, with
# negative tests on mutated manifests. Node's test runner, in deploy/tests.
#   scripts/test-deploy.sh
set -euo pipefail
cd "$(dirname "$0")/../deploy/tests"
command -v kubectl >/dev/null || { echo "test-deploy: kubectl (with kustomize) is needed" >&2; exit 1; }
npm ci --no-audit --no-fund --loglevel=error
node --test --test-reporter=spec deploy.test.mjs
