#!/usr/bin/env bash
# The sanitizer tier of the test command (scripts/test.sh runs it after the
# plain ctest). Two clang-14 trees beside build/:
#
#   build-asan/  everything under ASan + UBSan (UBSan fatal), then the whole
#                ctest suite, end-to-end tests included (the services under
#                test are the instrumented binaries).
#   build-tsan/  only the concurrency-heavy tests under TSan: group commit,
#                watch streams, the catalog follower, the live index and the
#                search reactor, the search server and its revision waits
#                (TSAN_TESTS below).
#
# Both use -O1 with line tables only: full debug info doubles link time and
# the reports only need file:line. Benchmarks and the fuzzers are not built.
# Debian's gRPC, protobuf, RocksDB and Abseil are not instrumented; see
# cmake/tsan-suppressions.txt for what that costs TSan and how it is handled.
#
# Usage: scripts/test-sanitizers.sh [asan|tsan]...   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS="${REEL_SANITIZER_JOBS:-$(nproc)}"
# ctest -R over test names; each name is also its build target.
TSAN_TESTS='^(tsan_absl_mutex_test|film_store_concurrency_test|film_store_watch_test|watch_[a-z_]*_test|catalog_service_test|catalog_follower_test|scene_index_test|search_service_test|search_server_test|search_revision_wait_test)$'

export CC=clang-14 CXX=clang++-14
# Reports go to stderr, which ctest shows for failing tests. ASan checks
# leaks too (on by default on x86_64 Linux); a TSan report makes the test
# exit 66 when it ends (TSan's default exitcode), so it fails.
export ASAN_OPTIONS="check_initialization_order=1"
export LSAN_OPTIONS="suppressions=$PWD/cmake/lsan-suppressions.txt"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="second_deadlock_stack=1:suppressions=$PWD/cmake/tsan-suppressions.txt"

configure() {  # configure DIR SANITIZERS
  cmake -S . -B "$1" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
    -DREEL_BUILD_TESTS=ON -DREEL_BUILD_BENCHMARKS=OFF \
    -DREEL_SANITIZE="$2" >/dev/null
}

run_asan() {
  local start=$SECONDS
  configure build-asan address,undefined
  cmake --build build-asan -j"$JOBS"
  echo "asan: built in $((SECONDS - start)) s"
  ctest --test-dir build-asan --output-on-failure -j"$JOBS" -LE fuzz
  echo "asan: build and tests took $((SECONDS - start)) s"
}

run_tsan() {
  local start=$SECONDS
  configure build-tsan thread
  local targets
  mapfile -t targets < <(ctest --test-dir build-tsan -N -R "$TSAN_TESTS" |
    sed -n 's/^ *Test *#[0-9]*: //p')
  [[ ${#targets[@]} -gt 0 ]] || { echo "tsan: no tests match" >&2; exit 1; }
  cmake --build build-tsan -j"$JOBS" --target "${targets[@]}"
  echo "tsan: built ${#targets[@]} tests in $((SECONDS - start)) s"
  # Each test's TIMEOUT is scaled up in sanitizer trees (ReelHelpers.cmake).
  # Two cases are left out here, both timer tests rather than memory tests:
  # they read many cut-off streams one after another and expect each final
  # status to still be waiting, but the server cancels a stream whose status
  # is not taken within its stall timeout, which TSan's 5-15x slowdown
  # exceeds. They run in the plain and ASan trees.
  GTEST_FILTER="-CatalogServiceTest.SlowWatcherIsCutOffWithoutBlockingOthers:StalledSearchTest.EveryUnreadStreamEndsWithResourceExhausted" \
    ctest --test-dir build-tsan --output-on-failure -j"$JOBS" -R "$TSAN_TESTS"
  echo "tsan: build and tests took $((SECONDS - start)) s"
}

tiers=("$@")
[[ ${#tiers[@]} -eq 0 ]] && tiers=(asan tsan)
for tier in "${tiers[@]}"; do
  case "$tier" in
    asan) run_asan ;;
    tsan) run_tsan ;;
    *) echo "unknown tier: $tier (asan or tsan)" >&2; exit 2 ;;
  esac
done
