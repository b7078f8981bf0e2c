#!/usr/bin/env bash
# Runs Reel on this machine: installs what is missing, builds, starts
# catalog-service and search-service on 127.0.0.1 with their data under
# .data/, imports the seed film page, runs a first search, and stays in the
# foreground until Ctrl-C (which drains and stops both).
#
#   scripts/run-local.sh [--seed PAGE_OR_JSONL] [--data-dir DIR]
#                        [--catalog-port PORT] [--search-port PORT]
set -euo pipefail
cd "$(dirname "$0")/.."

SEED=../shared/seed/the-red-shoes.txt
DATA_DIR=.data
CATALOG_PORT=50051
SEARCH_PORT=50052
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seed) SEED=$2; shift 2 ;;
    --data-dir) DATA_DIR=$2; shift 2 ;;
    --catalog-port) CATALOG_PORT=$2; shift 2 ;;
    --search-port) SEARCH_PORT=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh
BUILD_DIR=${REEL_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${REEL_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target catalog-service search-service reelctl

mkdir -p "$DATA_DIR"
LOG_DIR="$DATA_DIR/logs"
mkdir -p "$LOG_DIR"
CATALOG_ADDR="127.0.0.1:$CATALOG_PORT"

SEARCH_ADDR="127.0.0.1:$SEARCH_PORT"
PIDS=()
stop() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

# Starts a service in the background and waits (bounded) for its
# "listening on port" line, or for it to die.
start_service() {
  local name=$1
  shift
  "$@" >"$LOG_DIR/$name.out" 2>"$LOG_DIR/$name.log" &
  PIDS+=($!)
  local pid=$!
  for _ in $(seq 1 300); do
    grep -q "listening on port" "$LOG_DIR/$name.out" 2>/dev/null && return 0
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
  --listen="$CATALOG_ADDR" --data_dir="$DATA_DIR/catalog"
start_service search "$BUILD_DIR/search-service/search-service" \
  --listen="$SEARCH_ADDR" --catalog="$CATALOG_ADDR" --data_dir="$DATA_DIR/search"

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
