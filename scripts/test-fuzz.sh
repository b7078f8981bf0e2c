#!/usr/bin/env bash
# Fuzz smoke tier: builds the libFuzzer targets with clang-14 and
# AddressSanitizer + UndefinedBehaviorSanitizer into build-fuzz/ (or
# $REEL_FUZZ_BUILD_DIR), replays each committed seed corpus, then fuzzes each
# target for REEL_FUZZ_SECONDS (default 20) seconds. Any crash, sanitizer
# report or broken invariant fails the run; the input that caused it is left
# in build-fuzz/findings/<target>/. Longer runs: tests/fuzz/README.md.
#   scripts/test-fuzz.sh [target ...]   (default: every target)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${REEL_FUZZ_BUILD_DIR:-build-fuzz}
SECONDS_PER_TARGET=${REEL_FUZZ_SECONDS:-20}
TARGETS=("$@")
BUILD_TARGETS=("$@")
if [[ ${#TARGETS[@]} -eq 0 ]]; then
  BUILD_TARGETS=(reel_fuzzers)
  TARGETS=(film_page_parser_fuzzer corpus_record_parser_fuzzer
           catalog_request_fuzzer query_parser_fuzzer search_request_fuzzer)
fi

SANITIZE="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
CC=clang-14 CXX=clang++-14 cmake -S . -B "$BUILD_DIR" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREEL_BUILD_TESTS=ON \
  -DREEL_BUILD_FUZZERS=ON -DCMAKE_CXX_FLAGS="$SANITIZE" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${BUILD_TARGETS[@]}"

# Leaks are bugs too: LeakSanitizer stays on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for target in "${TARGETS[@]}"; do
  binary="$BUILD_DIR/tests/fuzz/$target"
  seeds="tests/fuzz/corpus/$target"
  work="$BUILD_DIR/findings/$target"
  rm -rf "$work" && mkdir -p "$work/corpus"
  # New inputs go to the scratch corpus, never into the committed seeds.
  if ! "$binary" -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
      -artifact_prefix="$work/" -max_len=16384 -timeout=10 \
      "$work/corpus" "$seeds" >"$work/log" 2>&1; then
    echo "FAIL $target (log: $work/log)"
    tail -n 40 "$work/log"
    status=1
    continue
  fi
  runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$work/log")
  echo "ok   $target: $runs runs in ${SECONDS_PER_TARGET}s"
done
exit "$status"
