#!/usr/bin/env bash
# The client tier: checks the contracts against the published one (buf
# breaking), installs the Python package (clients/python, its stubs generated
# from proto/ as it builds) into a virtual environment in the temporary
# folder, generates the Go stubs, packs the Node package (clients/node) and
# installs the tarball into a consumer folder, starts
# catalog-service and search-service on free loopback ports (data in a
# temporary folder) and runs each client's tests in its own runner
# (pytest, go test, node --test) against them. The services are stopped and
# their data removed on exit, whether the tests pass, fail or are interrupted.
#
# Two pairs run: a plaintext one (REEL_CATALOG_ADDR, REEL_SEARCH_ADDR) and
# one with mutual TLS and per-method authorization (REEL_TLS_CATALOG_ADDR,
# REEL_TLS_SEARCH_ADDR; docs/security.md). The second uses a throw-away CA
# made with openssl in the temporary folder: REEL_PKI_DIR/ROLE holds
# tls.crt, tls.key and ca.crt for each role, whose certificate's identity is
# spiffe://reel/ns/test/sa/ROLE:
#   reel-writer  every CatalogService method
#   reel-search  GetFilm, ListFilms, WatchFilms (also search-service's own
#                identity towards the catalog)
#   reel-web     SearchScenes and GetIndexStatus
#   nobody       no role: only grpc.health.v1.Health
#
#   scripts/test-clients.sh [python] [go] [node]   # default: all three
#
# Uses the binaries in ${REEL_BUILD_DIR:-build} (scripts/test.sh builds them
# first) and the packages scripts/install-deps.sh installs. Environment:
# REEL_SHARED_DIR (default ../shared) for the seed page.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_DIR=${REEL_BUILD_DIR:-build}
SUITES=("$@")
[[ ${#SUITES[@]} -eq 0 ]] && SUITES=(python go node)
SUITE_TIMEOUT=${REEL_CLIENT_SUITE_TIMEOUT:-240}  # seconds, per suite

failed=()
echo "== contract"
scripts/check-proto-breaking.sh || failed+=(buf-breaking)

# The services: bring a configured build tree up to date (a no-op when it
# is), or configure and build the two targets when there is none.
CATALOG_BIN=$BUILD_DIR/catalog-service/catalog-service
SEARCH_BIN=$BUILD_DIR/search-service/search-service
if [[ -f $BUILD_DIR/CMakeCache.txt ]]; then
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target catalog-service search-service >/dev/null
elif [[ ! -x $CATALOG_BIN || ! -x $SEARCH_BIN ]]; then
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${REEL_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target catalog-service search-service >/dev/null
fi

for tool in protoc grpc_python_plugin protoc-gen-go protoc-gen-go-grpc go node npm openssl; do
  command -v "$tool" >/dev/null ||
    { echo "test-clients: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
done
# Go keeps its build cache under $HOME; without one, in the build tree.
if [[ -z ${GOCACHE:-} && -z ${HOME:-} && -z ${XDG_CACHE_HOME:-} ]]; then
  export GOCACHE=$ROOT/$BUILD_DIR/go-cache
  [[ $BUILD_DIR == /* ]] && GOCACHE=$BUILD_DIR/go-cache
fi
# Debian's Python packages (grpcio, protobuf, setuptools, pytest) are seen
# by Debian's interpreter, not by a python3 that may come earlier on PATH;
# the Python suite's venv is made from it with --system-site-packages.
PYTHON=/usr/bin/python3

TMP=$(mktemp -d "${TMPDIR:-/tmp}/reel-clients.XXXXXX")
# shellcheck source=scripts/lib/stop-processes.sh
source scripts/lib/stop-processes.sh
PIDS=()
stop_services() {
  local status=$?
  stop_processes "${PIDS[@]}"  # Bounded: 30 s to drain, then killed.
  rm -rf "$TMP"
  exit "$status"
}
trap stop_services EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts a service on a free port (--listen=127.0.0.1:0) and sets PORT to
# the one it reports ("... listening on port N").
start_service() {
  local name=$1
  shift
  "$@" >"$TMP/$name.out" 2>"$TMP/$name.log" </dev/null &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 300); do
    PORT=$(sed -n 's/.* listening on port \([0-9]*\)$/\1/p' "$TMP/$name.out")
    [[ -n $PORT ]] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "test-clients: $name failed to start:" >&2
      cat "$TMP/$name.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "test-clients: $name did not start within 30 s" >&2
  return 1
}

# make_pki DIR: a CA (DIR/ca), a server certificate for 127.0.0.1 and
# localhost (DIR/server) and a client certificate per role (DIR/ROLE), each
# directory laid out the way --tls_dir reads it. openssl's messages go to
# DIR/openssl.log. (Each step returns on failure itself: callers test the
# result with ||, which turns off set -e inside.)
make_pki() {
  local pki=$1 role
  mkdir -p "$pki/ca" || return 1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$pki/ca/ca.key" -out "$pki/ca/ca.crt" -days 2 \
    -subj /CN=reel-clients-test-ca 2>"$pki/openssl.log" || return 1
  make_leaf "$pki" server "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth" || return 1
  for role in reel-writer reel-search reel-web nobody; do
    make_leaf "$pki" "$role" "subjectAltName=URI:spiffe://reel/ns/test/sa/$role
extendedKeyUsage=clientAuth" || return 1
  done
}

# make_leaf PKI NAME EXTENSIONS: PKI/NAME/{tls.key,tls.crt,ca.crt}, the key
# readable by its owner only.
make_leaf() {
  local pki=$1 dir=$1/$2
  mkdir -p "$dir" || return 1
  printf '%s\n' "$3" >"$dir/ext.cnf" || return 1
  (umask 077 &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout "$dir/tls.key" -out "$dir/tls.csr" -subj "/CN=$2") 2>>"$pki/openssl.log" ||
    return 1
  openssl x509 -req -in "$dir/tls.csr" -CA "$pki/ca/ca.crt" -CAkey "$pki/ca/ca.key" \
    -CAcreateserial -days 2 -extfile "$dir/ext.cnf" -out "$dir/tls.crt" \
    2>>"$pki/openssl.log" || return 1
  cp "$pki/ca/ca.crt" "$dir/ca.crt" && rm -f "$dir/tls.csr" "$dir/ext.cnf"
}

# The policies of the TLS pair (docs/security.md): health is open to any
# certificate the CA signed; everything else only to its roles.
write_policies() {
  local dir=$1 catalog=/reel.catalog.v1.CatalogService search=/reel.search.v1.SearchService
  local health='{"name": "health", "request": {"paths": ["/grpc.health.v1.Health/*"]}}'
  cat >"$dir/catalog-policy.json" <<JSON
{
  "name": "reel-catalog-clients-test",
  "deny_rules": [],
  "allow_rules": [
    $health,
    {"name": "writer",
     "source": {"principals": ["spiffe://reel/ns/test/sa/reel-writer"]},
     "request": {"paths": ["$catalog/*"]}},
    {"name": "reader",
     "source": {"principals": ["spiffe://reel/ns/test/sa/reel-search"]},
     "request": {"paths": ["$catalog/GetFilm", "$catalog/ListFilms", "$catalog/WatchFilms"]}}
  ]
}
JSON
  cat >"$dir/search-policy.json" <<JSON
{
  "name": "reel-search-clients-test",
  "deny_rules": [],
  "allow_rules": [
    $health,
    {"name": "searcher",
     "source": {"principals": ["spiffe://reel/ns/test/sa/reel-web"]},
     "request": {"paths": ["$search/SearchScenes", "$search/GetIndexStatus"]}}
  ]
}
JSON
}

echo "== client stubs and packages"
for suite in "${SUITES[@]}"; do
  case $suite in
    python)
      # The package as users install it: offline, into a virtual environment
      # over Debian's packages, the stubs generated from proto/ as it builds.
      "$PYTHON" -m venv --system-site-packages "$TMP/venv"
      "$TMP/venv/bin/python" -m pip install --quiet --no-index --no-build-isolation \
        --disable-pip-version-check clients/python
      echo "python package: reel $("$TMP/venv/bin/python" -c 'import reel; print(reel.__version__)')" \
        "in $TMP/venv" ;;
    go) clients/go/generate.sh ;;
    node)
      # The package as users install it: npm ci, npm run build (stubs from
      # proto/, tsc), npm pack, and the tarball npm-installed into a consumer
      # folder, where its tests run against it.
      timeout -k 10 "$SUITE_TIMEOUT" clients/node/scripts/install-consumer.sh "$TMP/node" ;;
    *) echo "test-clients: unknown suite $suite (python, go or node)" >&2; exit 2 ;;
  esac
done

start_service catalog "$CATALOG_BIN" --listen=127.0.0.1:0 --data_dir="$TMP/catalog"
export REEL_CATALOG_ADDR=127.0.0.1:$PORT
start_service search "$SEARCH_BIN" --listen=127.0.0.1:0 --catalog="$REEL_CATALOG_ADDR" \
  --data_dir="$TMP/search"
export REEL_SEARCH_ADDR=127.0.0.1:$PORT
export REEL_SHARED_DIR=${REEL_SHARED_DIR:-$(cd "$ROOT/.." && pwd)/shared}
echo "catalog-service on $REEL_CATALOG_ADDR, search-service on $REEL_SEARCH_ADDR"

# The TLS pair: client certificates required, a policy per service, and
# search-service following the catalog as reel-search.
export REEL_PKI_DIR=$TMP/pki
make_pki "$REEL_PKI_DIR" ||
  { echo "test-clients: making the test certificates failed:" >&2; cat "$REEL_PKI_DIR/openssl.log" >&2; exit 1; }
write_policies "$TMP"
start_service catalog-tls "$CATALOG_BIN" --listen=127.0.0.1:0 --data_dir="$TMP/catalog-tls" \
  --tls_dir="$REEL_PKI_DIR/server" --authz_policy="$TMP/catalog-policy.json" --require_authz
export REEL_TLS_CATALOG_ADDR=127.0.0.1:$PORT
start_service search-tls "$SEARCH_BIN" --listen=127.0.0.1:0 --data_dir="$TMP/search-tls" \
  --catalog="$REEL_TLS_CATALOG_ADDR" --catalog_tls_dir="$REEL_PKI_DIR/reel-search" \
  --tls_dir="$REEL_PKI_DIR/server" --authz_policy="$TMP/search-policy.json" --require_authz
export REEL_TLS_SEARCH_ADDR=127.0.0.1:$PORT
echo "with mutual TLS: catalog-service on $REEL_TLS_CATALOG_ADDR, search-service on" \
  "$REEL_TLS_SEARCH_ADDR (certificates: $REEL_PKI_DIR)"

run_suite() {
  local suite=$1
  echo
  echo "== $suite client tests"
  case $suite in
    python)
      # The venv's interpreter: `reel` comes from its site-packages (src/
      # layout: the source folder holds no importable `reel`).
      (cd clients/python &&
        timeout -k 10 "$SUITE_TIMEOUT" "$TMP/venv/bin/python" -m pytest -p no:cacheprovider -v tests) ;;
    go)
      # Module mode, offline: the go.work generate.sh wrote replaces every
      # module by Debian's Go sources (/usr/share/gocode/src); no downloads.
      (cd clients/go &&
        GO111MODULE=on GOWORK="$PWD/go.work" GOPROXY=off GOFLAGS= \
          timeout -k 10 "$SUITE_TIMEOUT" go test -count=1 -v ./...) ;;
    node)
      # In the consumer folder: `@reel/client` is the installed tarball.
      (cd "$TMP/node" && REEL_VERSION_FILE="$ROOT/VERSION" \
        timeout -k 10 "$SUITE_TIMEOUT" node --test test/*.test.mjs) ;;
  esac
}

# Counts the tests each runner reports, for one closing line over all three.
passed=0
failures=0
count_tests() {
  local suite=$1 log=$2 ok=0 bad=0
  case $suite in
    python)  # "== 6 passed, 1 failed, 1 error in 0.47s =="
      read -r ok bad < <(grep -E '^=+ .* in [0-9.]+s' "$log" | tail -n 1 | awk '{
        for (i = 1; i < NF; i++) {
          if ($(i + 1) ~ /^passed/) ok += $i
          if ($(i + 1) ~ /^(failed|errors?)/) bad += $i
        }
      } END { print ok + 0, bad + 0 }') ;;
    go)
      ok=$(grep -c '^--- PASS' "$log" || true)
      bad=$(grep -c '^--- FAIL' "$log" || true) ;;
    node)
      ok=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -n 1)
      bad=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -n 1) ;;
  esac
  passed=$((passed + ${ok:-0}))
  failures=$((failures + ${bad:-0}))
  # A runner that died before reporting still counts as a failure.
  [[ $3 -ne 0 && ${bad:-0} -eq 0 ]] && failures=$((failures + 1))
  return 0
}

for suite in "${SUITES[@]}"; do
  rc=0
  run_suite "$suite" 2>&1 | tee "$TMP/$suite.test.log" || rc=$?
  [[ $rc -ne 0 ]] && failed+=("$suite")
  count_tests "$suite" "$TMP/$suite.test.log" "$rc"
done
echo
[[ " ${failed[*]} " == *" buf-breaking "* ]] && failures=$((failures + 1))
echo "client suites run: ${SUITES[*]}"
echo "clients: $passed passed, $failures failed"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "client tests FAILED: ${failed[*]} (service logs below)" >&2
  for name in catalog search catalog-tls search-tls; do
    echo "--- $name log (last 30 lines)" >&2
    tail -n 30 "$TMP/$name.log" >&2 || true
  done
  exit 1
fi
