#!/usr/bin/env bash
# Installs the Debian 12 packages Reel builds, tests and runs with, when any
# is missing. Needs root (or sudo); does nothing when all are present.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  grpc-proto
  librocksdb-dev libabsl-dev libspdlog-dev nlohmann-json3-dev zlib1g-dev
  libicu-dev libstemmer-dev libmicrohttpd-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libfuse3-dev fuse3
  clang-14 libclang-rt-14-dev
  nodejs npm
  prometheus python3-yaml
  python3-grpcio python3-protobuf python3-pytest python3-venv python3-setuptools python3-wheel golang-go protoc-gen-go protoc-gen-go-grpc golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev
)

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
