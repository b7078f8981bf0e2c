#!/usr/bin/env bash
# Generates the Python messages and gRPC stubs from proto/ into gen/ (ignored
# by git) with Debian's protoc and grpc_python_plugin:
#   clients/python/generate.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
proto=$here/../../proto
out=$here/gen
rm -rf "$out"
mkdir -p "$out"
protoc -I "$proto" \
  --python_out="$out" \
  --grpc_python_out="$out" \
  --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" \
  reel/catalog/v1/catalog.proto reel/search/v1/search.proto
echo "python stubs: $out"
