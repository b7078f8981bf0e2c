#!/usr/bin/env bash
# Runs Reel on this machine: installs what building and running need
# (scripts/install-deps.sh --run), builds, starts catalog-service and
# search-service on 127.0.0.1 with their data under .data/, imports the seed
# film page, runs a first search, and stays in the foreground until Ctrl-C
# (which drains and stops both).
#
#   scripts/run-local.sh [--seed PAGE_OR_JSONL] [--data-dir DIR]
#                        [--catalog-port PORT] [--search-port PORT]
#                        [--catalog-flag=FLAG]... [--search-flag=FLAG]...
#
#   --catalog-flag=FLAG, --search-flag=FLAG  pass FLAG to that service, after
#       the script's own flags (so it wins over them); repeat for more, e.g.
#       --catalog-flag=--metrics_listen=127.0.0.1:9090
#       --search-flag=--log_format=json  (each service's --help lists them)
#   PORT 0 picks free ports (the script prints the ones it got).
#
# Environment: REEL_BUILD_DIR (default build), REEL_BUILD_TYPE (default
# RelWithDebInfo), REEL_SKIP_INSTALL=1 (install nothing), REEL_SKIP_BUILD=1
# (use the binaries already in REEL_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

SEED=../shared/seed/the-red-shoes.txt
DATA_DIR=.data
CATALOG_PORT=50051
SEARCH_PORT=50052
CATALOG_FLAGS=()
SEARCH_FLAGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seed) SEED=$2; shift 2 ;;
    --data-dir) DATA_DIR=$2; shift 2 ;;
    --catalog-port) CATALOG_PORT=$2; shift 2 ;;
    --search-port) SEARCH_PORT=$2; shift 2 ;;
    --catalog-flag=*) CATALOG_FLAGS+=("${1#*=}"); shift ;;
    --catalog-flag) CATALOG_FLAGS+=("$2"); shift 2 ;;
    --search-flag=*) SEARCH_FLAGS+=("${1#*=}"); shift ;;
    --search-flag) SEARCH_FLAGS+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,/^set /{/^#/p}' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

[[ ${REEL_SKIP_INSTALL:-} == 1 ]] || scripts/install-deps.sh --run
BUILD_DIR=${REEL_BUILD_DIR:-build}
if [[ ${REEL_SKIP_BUILD:-} != 1 ]]; then
  CMAKE_ARGS=(-DCMAKE_BUILD_TYPE="${REEL_BUILD_TYPE:-RelWithDebInfo}")
  # A new build tree leaves the tests out (running needs no test libraries);
  # an existing one keeps its choice (scripts/test.sh turns them on).
  [[ -f $BUILD_DIR/CMakeCache.txt ]] || CMAKE_ARGS+=(-DREEL_BUILD_TESTS=OFF)
  cmake -S . -B "$BUILD_DIR" "${CMAKE_ARGS[@]}" >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target catalog-service search-service reelctl
fi

mkdir -p "$DATA_DIR"
LOG_DIR="$DATA_DIR/logs"
mkdir -p "$LOG_DIR"
PIDS=()
stop() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

# Starts a service in the background and waits (bounded) for its
# "listening on port N" line, or for it to die; sets PORT to N.
start_service() {
  local name=$1
  shift
  "$@" >"$LOG_DIR/$name.out" 2>"$LOG_DIR/$name.log" &
  PIDS+=($!)
  local pid=$!
  for _ in $(seq 1 300); do
    PORT=$(sed -n 's/.* listening on port \([0-9]*\)$/\1/p' "$LOG_DIR/$name.out" 2>/dev/null)
    [[ -n $PORT ]] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name failed to start:" >&2
      cat "$LOG_DIR/$name.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "$name did not start within 30 s; see $LOG_DIR/$name.log" >&2
  exit 1
}

start_service catalog "$BUILD_DIR/catalog-service/catalog-service" \
  --listen="127.0.0.1:$CATALOG_PORT" --data_dir="$DATA_DIR/catalog" \
  ${CATALOG_FLAGS[@]+"${CATALOG_FLAGS[@]}"}
CATALOG_ADDR="127.0.0.1:$PORT"
start_service search "$BUILD_DIR/search-service/search-service" \
  --listen="127.0.0.1:$SEARCH_PORT" --catalog="$CATALOG_ADDR" \
  --data_dir="$DATA_DIR/search" ${SEARCH_FLAGS[@]+"${SEARCH_FLAGS[@]}"}
SEARCH_ADDR="127.0.0.1:$PORT"

REELCTL="$BUILD_DIR/tools/reelctl/reelctl"
IMPORT_OUTPUT=$("$REELCTL" --catalog="$CATALOG_ADDR" import --replace "$SEED")
echo "$IMPORT_OUTPUT"
REVISION=$(echo "$IMPORT_OUTPUT" | sed -n 's/^revision: //p')

echo
echo "\$ reelctl search red shoes dance --max 5"
# min_revision: answer only once the index has the import (read-your-writes).
"$REELCTL" --search="$SEARCH_ADDR" search red shoes dance --max 5 \
  --min-revision "${REVISION:-0}"

cat <<MSG

Reel is running (Ctrl-C stops it):
  catalog-service  $CATALOG_ADDR   data: $DATA_DIR/catalog   log: $LOG_DIR/catalog.log
  search-service   $SEARCH_ADDR   data: $DATA_DIR/search    log: $LOG_DIR/search.log

Try:
  $REELCTL --search=$SEARCH_ADDR search '"forget anything but ballet"'
  $REELCTL --search=$SEARCH_ADDR search ballerna --max 3
  $REELCTL --catalog=$CATALOG_ADDR films get the-red-shoes
  $REELCTL --catalog=$CATALOG_ADDR watch --from 0
  $REELCTL --search=$SEARCH_ADDR status
MSG
wait "${PIDS[0]}"
