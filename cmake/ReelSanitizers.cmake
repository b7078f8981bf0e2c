# REEL_SANITIZE: build everything instrumented by clang's sanitizers.
#
#   -DREEL_SANITIZE=address,undefined   ASan + UBSan; UBSan is fatal
#   -DREEL_SANITIZE=thread              TSan
#
# Empty (the default) builds plainly. scripts/test-sanitizers.sh configures
# build-asan/ and build-tsan/ with clang-14 this way. Debian's gRPC,
# protobuf, RocksDB and Abseil are not instrumented: ASan still sees their
# heap (malloc is intercepted), TSan only sees our side of their locks, which
# is why cmake/tsan-suppressions.txt exists.
set(REEL_SANITIZE "" CACHE STRING
    "Sanitizers to build with (clang): address,undefined | thread | empty")

if(REEL_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "REEL_SANITIZE needs clang (e.g. CXX=clang++-14)")
  endif()
  if(REEL_SANITIZE MATCHES "thread" AND REEL_SANITIZE MATCHES "address")
    message(FATAL_ERROR "REEL_SANITIZE: thread and address do not combine")
  endif()
  set(_reel_sanitize_flags -fsanitize=${REEL_SANITIZE}
                           -fno-omit-frame-pointer)
  if(REEL_SANITIZE MATCHES "undefined")
    # A UBSan finding fails the test instead of printing and carrying on.
    list(APPEND _reel_sanitize_flags -fno-sanitize-recover=all)
  endif()
  add_compile_options(${_reel_sanitize_flags})
  add_link_options(${_reel_sanitize_flags})
  message(STATUS "Sanitizers: ${REEL_SANITIZE}")
endif()

# Instrumented code runs slower (ASan ~2x, TSan 5-15x): each test's TIMEOUT
# is multiplied by this, so a slow run still fails a hung test, just later.
if(REEL_SANITIZE MATCHES "thread")
  set(_reel_timeout_scale 4)
elseif(REEL_SANITIZE)
  set(_reel_timeout_scale 2)
else()
  set(_reel_timeout_scale 1)
endif()
set(REEL_TEST_TIMEOUT_SCALE ${_reel_timeout_scale} CACHE STRING
    "Multiplier for every test's TIMEOUT (default: 1, ASan 2, TSan 4)")
