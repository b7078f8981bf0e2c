#!/usr/bin/env bash
# Installs @reel/client the way a consumer gets it, into a fresh folder, to
# test it there as installed (scripts/test-clients.sh node):
#
#   npm ci, npm run build (stubs + tsc), npm pack  -> DIR/pack/reel-client-VERSION.tgz
#   a consumer package in DIR that npm-installs that tarball (its
#   dependencies from the registry, at the lock file's versions), with
#   TypeScript and Node's types for
#   the typed-consumer check, and a copy of test/ and example/
#
#   clients/node/scripts/install-consumer.sh DIR
#   cd DIR && node --test test/*.test.mjs
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
cd "$(dirname "$0")/.."
mkdir -p "$1"
dir=$(cd "$1" && pwd)
npm_flags=(--no-audit --no-fund --loglevel=error)

npm ci "${npm_flags[@]}"
npm run build --silent
rm -rf "${dir:?}/pack" "$dir/node_modules" "$dir/test" "$dir/example"
mkdir -p "$dir/pack"
# Built just above: no need for the prepack build again.
npm pack --ignore-scripts --pack-destination "$dir/pack" "${npm_flags[@]}" >/dev/null
tarballs=("$dir"/pack/*.tgz)
[[ ${#tarballs[@]} -eq 1 && -f ${tarballs[0]} ]] || { echo "install-consumer: npm pack made no tarball" >&2; exit 1; }

# The same TypeScript and Node types as the build's, for the typed consumer.
typescript=$(node -p 'require("./node_modules/typescript/package.json").version')
node_types=$(node -p 'require("./node_modules/@types/node/package.json").version')
# The package's runtime dependencies at the versions its lock file holds
# (what the build compiled and type-checked against), so the test run does
# not change when the registry publishes a newer release in range.
protobuf=$(node -p 'require("./node_modules/@bufbuild/protobuf/package.json").version')
connect=$(node -p 'require("./node_modules/@connectrpc/connect/package.json").version')
connect_node=$(node -p 'require("./node_modules/@connectrpc/connect-node/package.json").version')
cat >"$dir/package.json" <<JSON
{
  "name": "reel-client-consumer",
  "private": true,
  "description": "Installs @reel/client from its packed tarball and runs its tests against it.",
  "overrides": {
    "@bufbuild/protobuf": "$protobuf",
    "@connectrpc/connect": "$connect",
    "@connectrpc/connect-node": "$connect_node"
  }
}
JSON
rm -f "$dir/package-lock.json"
(cd "$dir" && npm install "${npm_flags[@]}" "${tarballs[0]}" "typescript@$typescript" "@types/node@$node_types")
cp -R test example "$dir/"
echo "@reel/client: $(basename "${tarballs[0]}") installed in $dir"
