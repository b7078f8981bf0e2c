#!/usr/bin/env bash
# The test command: installs what is missing, builds everything, checks the
# contracts (buf lint) and runs every test tier that fits the CI budget:
# ctest (unit, in-process gRPC, end-to-end with child processes), the
# Kubernetes manifests offline, the Prometheus rules and Grafana dashboard
# against the real services and a real Prometheus, and the Python, Go and
# Node clients against real servers. Slower tiers: scripts/test-images.sh,
# scripts/bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Benchmarks too: they are built (not run) so a change cannot break them
# unnoticed; scripts/bench.sh runs them.
scripts/build.sh -DREEL_BUILD_TESTS=ON -DREEL_BUILD_BENCHMARKS=ON
scripts/lint-proto.sh
ctest --test-dir "${REEL_BUILD_DIR:-build}" --output-on-failure -j"$(nproc)"
scripts/test-fuzz.sh  # clang-14 libFuzzer smoke run, build-fuzz/ (tests/fuzz/README.md)
scripts/test-sanitizers.sh  # clang-14: ASan+UBSan over ctest, TSan on the concurrent tests
scripts/test-deploy.sh
scripts/test-monitoring.sh  # Prometheus rules, alerts and dashboard against the real services
scripts/test-clients.sh
