#!/usr/bin/env bash
# The test command: installs what is missing, builds everything, checks the
# contracts (buf lint) and runs every test tier that fits the CI budget.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DREEL_BUILD_TESTS=ON
scripts/lint-proto.sh
ctest --test-dir "${REEL_BUILD_DIR:-build}" --output-on-failure -j"$(nproc)"
scripts/test-clients.sh
