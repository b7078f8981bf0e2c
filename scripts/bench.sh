#!/usr/bin/env bash
# The benchmarks of issue 6 in one command: installs what is missing, builds
# Release with the benchmarks into build-release/, runs Reel against SQLite
# FTS5, Xapian, Lucene and PostgreSQL (in process under both query
# semantics, end to end over gRPC, catalog, freshness, cost growth from x1 to
# x64 with the services' start to ready at each scale) and
# writes bench/results/results.json, BENCHMARKS.md and bench/results/*.png.
# See bench/README.md.
#
#   scripts/bench.sh [--quick] [--skip-build] [--phases inproc,e2e,growth]
#
#   --quick       fewer and shorter runs (a smoke test of the harness; the
#                 figures are noisier)
#   --skip-build  use the binaries already in build-release/
#   --phases      run only these phases; the report still uses the outputs
#                 other phases left in build-release/bench-out/
#
# REEL_BENCH_GROWTH_SCALES="1 4 16 64" and REEL_BENCH_XAPIAN_MAX_SCALE=1
# (the defaults) choose the growth phase's scales and Xapian's largest.
#
# Takes about 14 minutes on a 2-core machine from a clean clone (under 15;
# x64 in the growth phase is about 2.5 of them).
# Not part of scripts/test.sh. Needs root or sudo only to install packages;
# as root, PostgreSQL runs as the `postgres` user its package creates.
set -euo pipefail
export LC_NUMERIC=C  # a '.' in $EPOCHREALTIME and awk's numbers
cd "$(dirname "$0")/.."
ROOT=$PWD

BUILD_DIR=${REEL_BENCH_BUILD_DIR:-build-release}
OUT=$BUILD_DIR/bench-out
E2E=$OUT/e2e
# Relative to the repository root (the working directory from here on), so
# the recorded results name no path of the machine they ran on.
QUERIES=bench/queries/films-dev.tsv
CORPUS=${REEL_SHARED_DIR:-../shared}/corpus/films-dev.jsonl.gz
QUICK=0
SKIP_BUILD=0
PHASES=inproc,e2e,growth
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1; shift ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --phases) PHASES=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [[ $QUICK -eq 1 ]]; then
  INPROC_RUNS=2; LUCENE_WARMUP_PASSES=5; ROUNDS=1; RUN_SECONDS=1; IMPORT_RUNS=1
  GROWTH_SCALES="1 4"; GROWTH_PASSES=2; FRESH_SECONDS=2
else
  INPROC_RUNS=5; LUCENE_WARMUP_PASSES=20; ROUNDS=3; RUN_SECONDS=3; IMPORT_RUNS=3
  # x16 and x64 get one timed pass (x64 alone adds about two minutes).
  GROWTH_SCALES="1 4 16 64"; GROWTH_PASSES=3; FRESH_SECONDS=4
fi
GROWTH_SCALES=${REEL_BENCH_GROWTH_SCALES:-$GROWTH_SCALES}
# The growth catalog only grows, so the scales must rise.
previous=0
for scale in $GROWTH_SCALES; do
  [[ $scale =~ ^[0-9]+$ && $scale -gt $previous ]] ||
    { echo "growth scales must be rising numbers: $GROWTH_SCALES" >&2; exit 2; }
  previous=$scale
done
# Xapian's in-memory backend indexes ~3k scenes/s and takes ~25 KB a scene:
# x4 adds 20-30 s, x16 80 s and 5 GB, so growth runs it at x1 unless asked
# (the time budget goes to x64 for Reel and FTS5).
XAPIAN_MAX_SCALE=${REEL_BENCH_XAPIAN_MAX_SCALE:-1}
# Background write load for the freshness probe.
FRESH_WRITERS=2
FRESH_RATE=200

has_phase() { [[ ",$PHASES," == *",$1,"* ]]; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
log() { echo "[bench $(date +%H:%M:%S)] $*"; }

START=$(now)
STARTED_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"

# --- Packages ---------------------------------------------------------------
scripts/install-deps.sh
BENCH_PACKAGES=(libxapian-dev libsqlite3-dev postgresql-15 libpq-dev gnuplot-nox
  liblucene8-java default-jdk-headless)
missing=()
for package in "${BENCH_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- Build ------------------------------------------------------------------
BUILD_START=$(now)
if [[ $SKIP_BUILD -eq 0 ]]; then
  log "building Release into $BUILD_DIR"
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
    -DREEL_BUILD_BENCHMARKS=ON -DREEL_BUILD_TESTS=OFF >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target catalog-service \
    search-service reelctl compare_bench index_bench reel_bench echo_server \
    pg_bench bench_report
fi
# Lucene's side of compare_bench: one Java file compiled against Debian's
# jars (core, analyzers-common, sandbox), no build tool.
lucene_jar() {
  local jar
  jar=$(find /usr/share/java -maxdepth 1 -name "lucene-$1-[0-9]*.jar" |
    sort -V | tail -n 1)
  [[ -n $jar ]] || { echo "no lucene-$1 jar in /usr/share/java" >&2; exit 1; }
  echo "$jar"
}
LUCENE_CLASSES=$BUILD_DIR/bench/lucene
LUCENE_CORE=$(lucene_jar core)
LUCENE_ANALYZERS=$(lucene_jar analyzers-common)
LUCENE_SANDBOX=$(lucene_jar sandbox)
LUCENE_JARS=$LUCENE_CORE:$LUCENE_ANALYZERS:$LUCENE_SANDBOX
if [[ $SKIP_BUILD -eq 0 ||
  ! bench/lucene/LuceneBench.java -ot $LUCENE_CLASSES/LuceneBench.class ]]; then
  log "compiling bench/lucene/LuceneBench.java"
  mkdir -p "$LUCENE_CLASSES"
  javac -d "$LUCENE_CLASSES" -cp "$LUCENE_JARS" bench/lucene/LuceneBench.java
fi
BUILD_SECONDS=$(since "$BUILD_START")
B=$ROOT/$BUILD_DIR

mkdir -p "$OUT" "$E2E"
has_phase inproc && rm -f "$OUT/inproc.json"
has_phase growth && rm -f "$OUT"/growth-x*.json
has_phase e2e && rm -f "$E2E"/*.json
: >"$OUT/load.txt"

# --- Processes we start, and their cleanup ----------------------------------
TMP=$(mktemp -d /tmp/reel-bench.XXXXXX)
chmod 755 "$TMP"
PIDS=()
PG_DATA=""
PG_RUN=()
(while true; do
  echo "$(date +%s) $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/load.txt"
  sleep 5
done) &
SAMPLER=$!
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n $PG_DATA ]]; then
    "${PG_RUN[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$PG_DATA" -m fast \
      stop >/dev/null 2>&1 || true
  fi
  kill "$SAMPLER" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# start_service NAME COMMAND...: starts it in the background and waits for
# its "listening on port N" line; sets PORT and PID.
start_service() {
  local name=$1
  shift
  # Created first: the child opens them only after the fork, and a busy
  # machine can run the first poll below before it has.
  : >"$TMP/$name.out"
  : >"$TMP/$name.log"
  "$@" >"$TMP/$name.out" 2>"$TMP/$name.log" &
  PID=$!
  PIDS+=("$PID")
  for _ in $(seq 1 300); do
    PORT=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$TMP/$name.out")
    [[ -n $PORT ]] && return 0
    if ! kill -0 "$PID" 2>/dev/null; then
      echo "$name failed to start:" >&2
      cat "$TMP/$name.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "$name did not start within 30 s" >&2
  exit 1
}
stop_service() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
# cpu_ticks PID: the process's user + system CPU time so far, in clock
# ticks (fields 14 and 15 of /proc/PID/stat; the name before them is in
# parentheses and has no spaces for our binaries).
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# Seconds from epoch time A to B ($EPOCHREALTIME values).
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# index_revision ADDRESS: the search index's applied revision.
index_revision() {
  "$B/bench/reel_bench" --mode=status --search="$1" 2>/dev/null |
    sed -n 's/.*"applied_revision":\([0-9]*\).*/\1/p'
}
# wait_for_index ADDRESS REVISION: polls until the index has applied it.
wait_for_index() {
  for _ in $(seq 1 6000); do
    local applied
    applied=$(index_revision "$1")
    [[ -n $applied && $applied -ge $2 ]] && return 0
    sleep 0.01
  done
  echo "the search index did not reach revision $2" >&2
  exit 1
}

# --- In process: Reel vs FTS5 vs Xapian vs Lucene, any word and every word --
# Scratch files (Lucene's input and index, the on-disk size builds) go to
# $TMP, which the cleanup removes.
if has_phase inproc; then
  log "in process: Reel vs SQLite FTS5 vs Xapian vs Lucene, any and all words, $INPROC_RUNS runs"
  TMPDIR=$TMP "$B/bench/compare_bench" --corpus="$CORPUS" \
    --queries_file="$QUERIES" --runs="$INPROC_RUNS" \
    --engines=reel,fts5,xapian,lucene --matching=any,all \
    --lucene_classpath="$B/bench/lucene:$LUCENE_JARS" \
    --lucene_warmup_passes="$LUCENE_WARMUP_PASSES" \
    --json_out="$OUT/inproc.json"
fi

# --- End to end over gRPC, catalog, PostgreSQL, freshness --------------------
if has_phase e2e; then
  start_service echo "$B/bench/echo_server" --listen=127.0.0.1:0
  ECHO=127.0.0.1:$PORT

  # ImportFilms into a fresh catalog (with search following), IMPORT_RUNS
  # times; the last pair stays up for the rest.
  for r in $(seq 1 "$IMPORT_RUNS"); do
    start_service "catalog-$r" "$B/catalog-service/catalog-service" \
      --listen=127.0.0.1:0 --data_dir="$TMP/catalog-$r" --log_level=warn
    CATALOG=127.0.0.1:$PORT
    CATALOG_PID=$PID
    start_service "search-$r" "$B/search-service/search-service" \
      --listen=127.0.0.1:0 --catalog="$CATALOG" --data_dir="$TMP/search-$r" \
      --log_level=warn
    SEARCH=127.0.0.1:$PORT
    SEARCH_PID=$PID
    wait_for_index "$SEARCH" 0
    log "import $r of $IMPORT_RUNS: reelctl import films-dev"
    "$B/tools/reelctl/reelctl" --catalog="$CATALOG" import "$CORPUS" \
      >"$TMP/import-$r.txt"
    IMPORTED_AT=$(now)
    revision=$(sed -n 's/^revision: //p' "$TMP/import-$r.txt")
    wait_for_index "$SEARCH" "$revision"
    catchup=$(since "$IMPORTED_AT")
    films=$(sed -n 's/^imported: //p' "$TMP/import-$r.txt")
    elapsed=$(sed -n 's/^elapsed: \([0-9.]*\) s/\1/p' "$TMP/import-$r.txt")
    rate=$(sed -n 's/^rate: \([0-9.]*\) films.*/\1/p' "$TMP/import-$r.txt")
    echo "{\"films\": $films, \"seconds\": $elapsed, \"films_per_second\": $rate, \"revision\": $revision, \"catchup_seconds\": $catchup}" \
      >"$E2E/import-$r.json"
    if [[ $r -lt $IMPORT_RUNS ]]; then
      stop_service "$SEARCH_PID"
      stop_service "$CATALOG_PID"
    fi
  done
  "$B/bench/reel_bench" --mode=status --search="$SEARCH" \
    --json_out="$E2E/status.json" >/dev/null
  "$B/bench/reel_bench" --mode=listfilms --catalog="$CATALOG" --clients=1 \
    --seconds="$RUN_SECONDS" --json_out="$E2E/listfilms.json" >/dev/null

  # PostgreSQL 15: a throwaway cluster on a free port, as the postgres user
  # when we are root.
  PG_BIN=/usr/lib/postgresql/15/bin
  mkdir -p "$TMP/pg"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres:postgres "$TMP/pg"
    PG_RUN=(runuser -u postgres --)
  fi
  "${PG_RUN[@]}" "$PG_BIN/initdb" -D "$TMP/pg/data" -U postgres --auth=trust \
    -E UTF8 --locale=C.UTF-8 >"$TMP/pg-initdb.log"
  PG_DATA=$TMP/pg/data
  PG_PORT=""
  for port in $(seq 55432 55462); do
    if "${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$TMP/pg/log" -w \
      -o "-p $port -k $TMP/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c jit=off -c shared_buffers=256MB -c max_connections=100" \
      start >/dev/null 2>&1; then
      PG_PORT=$port
      break
    fi
  done
  [[ -n $PG_PORT ]] || { echo "PostgreSQL did not start" >&2; cat "$TMP/pg/log" >&2; exit 1; }
  PG_CONN="host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres"
  log "PostgreSQL on port $PG_PORT: loading films-dev"
  "$B/bench/pg_bench" --mode=load --conninfo="$PG_CONN" --corpus="$CORPUS" \
    --json_out="$E2E/pg-load.json" >/dev/null

  # Search (Reel, PostgreSQL, echo) and GetFilm, round by round, so each
  # ratio compares figures of the same round.
  for r in $(seq 1 "$ROUNDS"); do
    log "round $r of $ROUNDS: search 1/8/32 clients (echo, Reel, PostgreSQL), GetFilm"
    for c in 1 8 32; do
      "$B/bench/reel_bench" --mode=echo --echo="$ECHO" --clients="$c" \
        --seconds="$RUN_SECONDS" --json_out="$E2E/r$r-echo-c$c.json" \
        >>"$TMP/clients.log" || log "echo c$c had errors"
      cpu_before=$(cpu_ticks "$SEARCH_PID")
      "$B/bench/reel_bench" --mode=search --search="$SEARCH" --clients="$c" \
        --seconds="$RUN_SECONDS" --queries_file="$QUERIES" --top=10 \
        --json_out="$E2E/r$r-reel-c$c.json" >>"$TMP/clients.log" ||
        log "search c$c had errors"
      cpu_after=$(cpu_ticks "$SEARCH_PID")
      calls=$(sed -n 's/.*"calls": *\([0-9]*\).*/\1/p' "$E2E/r$r-reel-c$c.json")
      echo "{\"server_cpu_seconds\": $(awk -v a="$cpu_before" -v b="$cpu_after" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", (b - a) / hz }'), \"calls\": ${calls:-0}}" \
        >"$E2E/r$r-reel-c$c-cpu.json"
      "$B/bench/pg_bench" --mode=search --conninfo="$PG_CONN" --clients="$c" \
        --seconds="$RUN_SECONDS" --queries_file="$QUERIES" --top=10 \
        --json_out="$E2E/r$r-pg-c$c.json" >>"$TMP/clients.log" ||
        log "pg c$c had errors"
    done
    "$B/bench/reel_bench" --mode=getfilm --catalog="$CATALOG" --clients=32 \
      --seconds="$RUN_SECONDS" --json_out="$E2E/r$r-getfilm-c32.json" \
      >>"$TMP/clients.log" || log "getfilm had errors"
  done
  "${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null
  PG_DATA=""

  for r in $(seq 1 "$ROUNDS"); do
    log "round $r of $ROUNDS: CreateFilm 1 and 32 writers, freshness"
    for c in 1 32; do
      "$B/bench/reel_bench" --mode=create --catalog="$CATALOG" --clients="$c" \
        --seconds="$RUN_SECONDS" --json_out="$E2E/r$r-create-c$c.json" \
        >>"$TMP/clients.log" || log "create c$c had errors"
    done
    "$B/bench/reel_bench" --mode=freshness --catalog="$CATALOG" \
      --search="$SEARCH" --clients="$FRESH_WRITERS" --write_rate="$FRESH_RATE" \
      --seconds="$FRESH_SECONDS" --json_out="$E2E/r$r-freshness.json" \
      >>"$TMP/clients.log" || log "freshness had errors"
  done
  for pid in "${PIDS[@]}"; do stop_service "$pid"; done
  PIDS=()
fi

# --- Cost growth: x1, x4, x16, x64 ------------------------------------------
# Per scale: the engines in process on the selective kinds (compare_bench
# --scale), then the services: one catalog grows to the scale by ImportFilms
# (reelctl import of compare_bench --write_corpus, only the copies it does
# not hold yet), and a fresh search-service following it is timed from its
# start until /readyz answers 200, which it does once the catalog's whole
# snapshot is indexed; its peak resident set is VmHWM.
if has_phase growth; then
  start_service growth-catalog "$B/catalog-service/catalog-service" \
    --listen=127.0.0.1:0 --data_dir="$TMP/growth-catalog" --log_level=warn
  GROWTH_CATALOG=127.0.0.1:$PORT
  GROWTH_CATALOG_PID=$PID
  # A file descriptor to wait on with `read -t` (a FIFO opened read-write
  # never has data): sub-second waits without a process per poll.
  mkfifo "$TMP/wait.fifo"
  exec {WAIT_FD}<>"$TMP/wait.fifo"
  held=0
  for scale in $GROWTH_SCALES; do
    engines=reel,fts5,xapian
    [[ $scale -gt $XAPIAN_MAX_SCALE ]] && engines=reel,fts5
    passes=$GROWTH_PASSES
    [[ $scale -ge 16 ]] && passes=1
    log "growth x$scale ($engines): selective queries, $passes passes"
    # Single words and phrases: the same queries under either semantics.
    TMPDIR=$TMP "$B/bench/compare_bench" --corpus="$CORPUS" \
      --queries_file="$QUERIES" --matching=any \
      --scale="$scale" --kinds=rare,phrase --tops=10 --runs=1 \
      --passes="$passes" --disk_sizes=false --engines="$engines" \
      --json_out="$OUT/growth-x$scale.json"

    log "growth x$scale: catalog import, search-service start to ready"
    "$B/bench/compare_bench" --corpus="$CORPUS" --write_corpus=- \
      --scale="$scale" --write_corpus_from="$held" |
      "$B/tools/reelctl/reelctl" --catalog="$GROWTH_CATALOG" import - \
        >"$TMP/growth-import-x$scale.txt"
    held=$scale
    import_films=$(sed -n 's/^imported: //p' "$TMP/growth-import-x$scale.txt")
    import_seconds=$(sed -n 's/^elapsed: \([0-9.]*\) s/\1/p' "$TMP/growth-import-x$scale.txt")
    revision=$(sed -n 's/^revision: //p' "$TMP/growth-import-x$scale.txt")
    rm -rf "$TMP/growth-search"
    : >"$TMP/growth-search.out"
    started=$EPOCHREALTIME
    "$B/search-service/search-service" --listen=127.0.0.1:0 \
      --catalog="$GROWTH_CATALOG" --data_dir="$TMP/growth-search" \
      --metrics_listen=127.0.0.1:0 --log_level=warn \
      >"$TMP/growth-search.out" 2>"$TMP/growth-search.log" &
    SEARCH_PID=$!
    PIDS+=("$SEARCH_PID")
    metrics_port=""
    ready=""
    for _ in $(seq 1 30000); do  # 10 ms apart: 300 s at most
      if [[ -z $metrics_port ]]; then
        line=""
        read -r line <"$TMP/growth-search.out" || true
        [[ $line =~ metrics\ on\ port\ ([0-9]+) ]] && metrics_port=${BASH_REMATCH[1]}
      fi
      if [[ -n $metrics_port ]] &&
        { exec {HTTP_FD}<>"/dev/tcp/127.0.0.1/$metrics_port"; } 2>/dev/null; then
        printf 'GET /readyz HTTP/1.0\r\n\r\n' >&"$HTTP_FD"
        status_line=""
        read -r status_line <&"$HTTP_FD" || true
        exec {HTTP_FD}>&-
        if [[ $status_line == *" 200 "* ]]; then
          ready=$EPOCHREALTIME
          break
        fi
      fi
      kill -0 "$SEARCH_PID" 2>/dev/null ||
        { echo "search-service exited:" >&2; cat "$TMP/growth-search.log" >&2; exit 1; }
      read -r -t 0.01 -u "$WAIT_FD" || true
    done
    [[ -n $ready ]] || { echo "search-service was not ready within 300 s" >&2; exit 1; }
    peak_rss=$(awk '/^VmHWM:/ { printf "%.0f", $2 * 1024 }' "/proc/$SEARCH_PID/status")
    ready_rss=$(awk '/^VmRSS:/ { printf "%.0f", $2 * 1024 }' "/proc/$SEARCH_PID/status")
    search_port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$TMP/growth-search.out")
    "$B/bench/reel_bench" --mode=status --search="127.0.0.1:$search_port" \
      --json_out="$TMP/growth-status.json" >/dev/null
    applied=$(sed -n 's/.*"applied_revision": *\([0-9]*\).*/\1/p' "$TMP/growth-status.json")
    [[ $applied == "$revision" ]] ||
      log "growth x$scale: ready at revision $applied, not the catalog's $revision"
    stop_service "$SEARCH_PID"
    PIDS=("$GROWTH_CATALOG_PID")
    echo "{\"scale\": $scale, \"revision\": $revision, \"imported_films\": $import_films, \"import_seconds\": $import_seconds, \"catalog_disk_bytes\": $(du -sb "$TMP/growth-catalog" | cut -f1), \"start_to_ready_seconds\": $(seconds_between "$started" "$ready"), \"peak_rss_bytes\": $peak_rss, \"rss_at_ready_bytes\": $ready_rss, \"search_data_dir_bytes\": $(du -sb "$TMP/growth-search" | cut -f1), \"status\": $(tr -d '\n' <"$TMP/growth-status.json")}" \
      >"$OUT/growth-x$scale-service.json"
    rm -rf "$TMP/growth-search"
  done
  exec {WAIT_FD}>&-
  stop_service "$GROWTH_CATALOG_PID"
  PIDS=()
  rm -rf "$TMP/growth-catalog"
fi

# --- Report -------------------------------------------------------------------
kill "$SAMPLER" 2>/dev/null || true
DIRTY=false
[[ -n $(git status --porcelain 2>/dev/null) ]] && DIRTY=true
cat >"$OUT/settings.json" <<JSON
{"started": "$STARTED_AT", "git": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)",
 "dirty": $DIRTY, "quick": $([[ $QUICK -eq 1 ]] && echo true || echo false),
 "build_seconds": $BUILD_SECONDS, "total_seconds": $(since "$START"),
 "rounds": $ROUNDS, "seconds": $RUN_SECONDS, "inproc_runs": $INPROC_RUNS,
 "lucene_warmup_passes": $LUCENE_WARMUP_PASSES,
 "growth_passes": $GROWTH_PASSES, "phases": "$PHASES"}
JSON
mkdir -p bench/results
"$B/bench/bench_report" --in_dir="$OUT" --results_json=bench/results/results.json \
  --markdown=BENCHMARKS.md --plot_data_dir="$OUT/plots"
for plot in latency_inprocess latency_e2e growth; do
  gnuplot -e "data='$OUT/plots'; out='bench/results'" "bench/plots/$plot.gp" ||
    log "gnuplot $plot failed"
done
log "done in $(since "$START") s: BENCHMARKS.md, bench/results/"
