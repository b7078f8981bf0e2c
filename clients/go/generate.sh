#!/usr/bin/env bash
# Generates the Go messages and gRPC stubs from proto/ with Debian's protoc,
# protoc-gen-go and protoc-gen-go-grpc into gen/, a GOPATH tree (ignored by
# git): gen/src/reel.dev/gen/go/reel/{catalog,search}/v1, the import paths the
# protos' go_package options name.
#   clients/go/generate.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
proto=$here/../../proto
out=$here/gen
rm -rf "$out"
mkdir -p "$out/src"
protoc -I "$proto" \
  --go_out="$out/src" \
  --go-grpc_out="$out/src" \
  reel/catalog/v1/catalog.proto reel/search/v1/search.proto
echo "go stubs: $out/src/reel.dev/gen/go"
