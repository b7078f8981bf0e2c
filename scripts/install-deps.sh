#!/usr/bin/env bash
# Installs the Debian 12 packages Reel needs, when any is missing. Needs
# root (or sudo); does nothing when all are present.
#
#   scripts/install-deps.sh         everything: building, running and the
#                                   whole test command (scripts/test.sh)
#   scripts/install-deps.sh --run   only building and running the services
#                                   and reelctl (scripts/run-local.sh)
set -euo pipefail

MODE=all
case "${1:-}" in
  "") ;;
  --run) MODE=run ;;
  -h | --help) sed -n '2,/^set /{/^#/p}' "$0"; exit 0 ;;
  *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
esac

# What building catalog-service, search-service and reelctl needs (a build
# without tests: -DREEL_BUILD_TESTS=OFF).
RUN_PACKAGES=(
  build-essential cmake pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  grpc-proto
  librocksdb-dev libabsl-dev libspdlog-dev nlohmann-json3-dev zlib1g-dev liblz4-dev
  libicu-dev libstemmer-dev libmicrohttpd-dev libssl-dev libcli11-dev
)

# What the test command needs on top: test and benchmark libraries (the
# test command builds every benchmark, FTS5's, Xapian's and libpq's
# harnesses included, so none can rot), FUSE,
# clang (sanitizers, fuzzing), the clients' languages, Prometheus.
TEST_PACKAGES=(
  ca-certificates
  libgtest-dev libgmock-dev libbenchmark-dev
  libsqlite3-dev libxapian-dev libpq-dev
  libfuse3-dev fuse3
  clang-14 libclang-rt-14-dev
  nodejs npm
  prometheus python3-yaml
  python3-grpcio python3-protobuf python3-pytest python3-venv python3-setuptools python3-wheel golang-go protoc-gen-go protoc-gen-go-grpc golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev
)

PACKAGES=("${RUN_PACKAGES[@]}")
[[ $MODE == all ]] && PACKAGES+=("${TEST_PACKAGES[@]}")

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
# A machine may have Node.js from elsewhere; only ask apt for npm/node if absent.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}")
  missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "installing: ${missing[*]}"
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
