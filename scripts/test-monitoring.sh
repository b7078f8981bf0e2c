#!/usr/bin/env bash
# The monitoring tier (docs/monitoring.md), about 15 s:
#  1. promtool checks the rule files and the example scrape config, and runs
#     the rule unit tests (deploy/monitoring/tests/*.test.yml); static checks
#     on the alerts (for, severity, annotations, runbook headings, a firing
#     and a quiet test each) and on the Grafana dashboard's JSON; kustomize
#     renders the rules and the dashboard as ConfigMaps, unchanged.
#  2. catalog-service and search-service start on free loopback ports with
#     their metrics ports; the seed page is imported and searched.
#  3. Debian's Prometheus starts with a generated config scraping both every
#     second, the rule files loaded, on a free loopback port. Through its
#     HTTP API: both targets up, the key series, the recorded series, every
#     rule healthy, no alert active, and every dashboard query answered with
#     data; every metric name the rules and the dashboard use is in the
#     services' /metrics; and with search stopped, ReelSearchDown goes
#     pending.
# Everything it starts is stopped, and its temporary folder removed, on exit.
#
# Uses the binaries in ${REEL_BUILD_DIR:-build} (built first unless
# REEL_SKIP_BUILD=1) and the packages scripts/install-deps.sh installs
# (prometheus, which has promtool; python3-yaml). Environment:
# REEL_SHARED_DIR (default ../shared) for the seed page.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_DIR=${REEL_BUILD_DIR:-build}
MON=deploy/monitoring
# Debian's interpreter sees Debian's python3-yaml.
PYTHON=/usr/bin/python3
CHECK=("$PYTHON" "$MON/tests/check_monitoring.py")
SHARED_DIR=${REEL_SHARED_DIR:-$(cd "$ROOT/.." && pwd)/shared}

for tool in prometheus promtool curl jq "$PYTHON"; do
  command -v "$tool" >/dev/null ||
    { echo "test-monitoring: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
done

echo "== rules and dashboard, offline"
promtool check rules "$MON"/rules/*.yml
promtool check config "$MON/prometheus/scrape-reel.yml"
promtool test rules "$MON"/tests/*.test.yml
"${CHECK[@]}" static "$MON" docs/monitoring.md
if command -v kubectl >/dev/null; then
  # The ConfigMaps carry the files byte for byte.
  kubectl kustomize "$MON" | "$PYTHON" -c '
import pathlib, sys, yaml
files = {"reel-prometheus-rules": ["rules/reel-recording.yml", "rules/reel-alerts.yml"],
         "reel-grafana-dashboard": ["grafana/reel-dashboard.json"]}
maps = {m["metadata"]["name"]: m for m in yaml.safe_load_all(sys.stdin)}
assert sorted(maps) == sorted(files), sorted(maps)
for name, paths in files.items():
    data = maps[name]["data"]
    for path in paths:
        file = pathlib.Path(sys.argv[1], path)
        assert data.get(file.name) == file.read_text(), f"{name}: {file.name} differs"
print("kustomize: ConfigMaps", ", ".join(sorted(maps)), "carry the files")' "$MON"
else
  echo "kustomize: skipped (no kubectl)"
fi

CATALOG_BIN=$BUILD_DIR/catalog-service/catalog-service
SEARCH_BIN=$BUILD_DIR/search-service/search-service
REELCTL=$BUILD_DIR/tools/reelctl/reelctl
if [[ ${REEL_SKIP_BUILD:-0} != 1 ]]; then
  if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${REEL_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
  fi
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target catalog-service search-service reelctl >/dev/null
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/reel-monitoring.XXXXXX")
# shellcheck source=scripts/lib/stop-processes.sh
source scripts/lib/stop-processes.sh
PIDS=()
stop_all() {
  local status=$?
  stop_processes "${PIDS[@]}"  # Bounded: 30 s to drain, then killed.
  if [[ $status -ne 0 ]]; then
    for name in catalog search prometheus; do
      [[ -s $TMP/$name.log ]] || continue
      echo "--- $name log (last 20 lines)" >&2
      tail -n 20 "$TMP/$name.log" >&2
    done
  fi
  rm -rf "$TMP"
  exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_service NAME COMMAND...: starts a service with --listen and
# --metrics_listen on 127.0.0.1:0 and sets PID, PORT (gRPC, from "...
# listening on port N" on stdout) and METRICS_PORT (from "metrics on ...
# (port N)" in the log).
start_service() {
  local name=$1
  shift
  "$@" --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 \
    >"$TMP/$name.out" 2>"$TMP/$name.log" </dev/null &
  PID=$!
  PIDS+=("$PID")
  for _ in $(seq 1 300); do
    PORT=$(sed -n 's/.* listening on port \([0-9]*\)$/\1/p' "$TMP/$name.out")
    METRICS_PORT=$(sed -n 's/.*metrics on .* (port \([0-9]*\)).*/\1/p' "$TMP/$name.log")
    [[ -n $PORT && -n $METRICS_PORT ]] && return 0
    kill -0 "$PID" 2>/dev/null || { echo "test-monitoring: $name failed to start" >&2; return 1; }
    sleep 0.1
  done
  echo "test-monitoring: $name did not report its ports within 30 s" >&2
  return 1
}

# wait_for SECONDS DESCRIPTION COMMAND...: runs COMMAND every 0.5 s until it
# succeeds, for at most SECONDS.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "test-monitoring: $what: not within $seconds s" >&2
      return 1
    fi
    sleep 0.5
  done
}

echo
echo "== services"
start_service catalog "$CATALOG_BIN" --data_dir="$TMP/catalog"
CATALOG_ADDR=127.0.0.1:$PORT
CATALOG_METRICS=$METRICS_PORT
start_service search "$SEARCH_BIN" --catalog="$CATALOG_ADDR" --data_dir="$TMP/search"
SEARCH_ADDR=127.0.0.1:$PORT
SEARCH_METRICS=$METRICS_PORT
SEARCH_PID=$PID
echo "catalog-service on $CATALOG_ADDR (metrics $CATALOG_METRICS)," \
  "search-service on $SEARCH_ADDR (metrics $SEARCH_METRICS)"
catalog_ctl() { timeout -k 5 30 "$REELCTL" --catalog="$CATALOG_ADDR" --timeout=20s "$@"; }
search_ctl() { timeout -k 5 30 "$REELCTL" --search="$SEARCH_ADDR" --timeout=20s "$@"; }
catalog_ctl import "$SHARED_DIR/seed/the-red-shoes.txt" >"$TMP/import.out"
revision=$(sed -n 's/^revision: \([0-9]*\)$/\1/p' "$TMP/import.out")
# Waits (on the server) until search has applied the import.
search_ctl search red shoes --min-revision "$revision" --max 1 >/dev/null
echo "imported the seed page at revision $revision and found it"

echo
echo "== Prometheus"
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $ROOT/$MON/rules/reel-recording.yml
  - $ROOT/$MON/rules/reel-alerts.yml
scrape_configs:
  - job_name: reel-catalog
    static_configs: [{targets: ["127.0.0.1:$CATALOG_METRICS"]}]
  - job_name: reel-search
    static_configs: [{targets: ["127.0.0.1:$SEARCH_METRICS"]}]
EOF
promtool check config "$TMP/prometheus.yml" >/dev/null
# A free port: ask the kernel for one, then hand it to Prometheus; if another
# process takes it in between, Prometheus exits and the next try picks again.
PROM=
for _ in 1 2 3; do
  PROM_PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prometheus-data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn \
    >"$TMP/prometheus.log" 2>&1 </dev/null &
  PROM_PID=$!
  PIDS+=("$PROM_PID")
  for _ in $(seq 1 60); do
    if curl -fsS --max-time 2 "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null 2>&1; then
      PROM=http://127.0.0.1:$PROM_PORT
      break 2
    fi
    kill -0 "$PROM_PID" 2>/dev/null || continue 2  # Exited: try another port.
    sleep 0.5
  done
  echo "test-monitoring: Prometheus did not become ready within 30 s" >&2
  exit 1
done
[[ -n $PROM ]] || { echo "test-monitoring: Prometheus did not start" >&2; exit 1; }
echo "Prometheus on $PROM"
targets_up() {
  [[ $(curl -fsS --max-time 2 "$PROM/api/v1/targets" |
    jq -r '[.data.activeTargets[] | select(.health == "up") | .labels.job] | sort | join(",")') == \
    reel-catalog,reel-search ]]
}
wait_for 30 "both targets up in Prometheus" targets_up
echo "targets up: reel-catalog, reel-search"

# query_has EXPR: the instant query returns at least one sample.
query_has() {
  [[ $(curl -fsS --max-time 2 --get --data-urlencode "query=$1" "$PROM/api/v1/query" |
    jq '.data.result | length') -gt 0 ]]
}
# Traffic Prometheus sees change: searches, and GetFilm NOT_FOUND before and
# after the first scrape of its counter (a rate needs two samples).
for _ in 1 2 3; do search_ctl search ballet --max 3 >/dev/null; done
if catalog_ctl films get no-such-film >/dev/null 2>&1; then
  echo "test-monitoring: GetFilm of a missing film succeeded" >&2
  exit 1
fi
wait_for 30 "GetFilm's counter scraped" query_has \
  'grpc_server_handled_total{job="reel-catalog", grpc_method="GetFilm"}'
catalog_ctl films get no-such-film >/dev/null 2>&1 || true
search_ctl search red shoes --max 3 >/dev/null
wait_for 30 "recorded search rate" query_has \
  'job_method:grpc_server_handled:rate5m{job="reel-search", grpc_method="SearchScenes"} > 0'
wait_for 30 "recorded GetFilm error ratio" query_has \
  'job_method:grpc_server_error_ratio:rate5m{grpc_method="GetFilm"} >= 0'
wait_for 30 "recorded SearchScenes p99" query_has \
  'job_method:grpc_server_handling_seconds:p99_5m{grpc_method="SearchScenes"} >= 0'

echo
echo "== queries"
"${CHECK[@]}" prometheus "$MON" "$PROM" "$(tr -d '[:space:]' <VERSION)"
curl -fsS --max-time 5 "http://127.0.0.1:$CATALOG_METRICS/metrics" >"$TMP/catalog.metrics"
curl -fsS --max-time 5 "http://127.0.0.1:$SEARCH_METRICS/metrics" >"$TMP/search.metrics"
"${CHECK[@]}" scrape "$MON" "$TMP/catalog.metrics" "$TMP/search.metrics"

echo
echo "== an alert, end to end"
kill -TERM "$SEARCH_PID"
"${CHECK[@]}" alert "$PROM" ReelSearchDown 30

echo
echo "monitoring: ok"
