# Under clang, locking annotations are checked and a violation fails the
# build: ABSL_GUARDED_BY / ABSL_EXCLUSIVE_LOCKS_REQUIRED on absl::Mutex (g++
# ignores them). A configure-time check proves it: a deliberate violation
# (cmake/checks/thread_safety_violation.cc) must fail to compile.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  set(REEL_THREAD_SAFETY_FLAGS -Wthread-safety -Werror=thread-safety)
  add_compile_options(${REEL_THREAD_SAFETY_FLAGS})
  if(NOT DEFINED CACHE{REEL_THREAD_SAFETY_ENFORCED})
    get_target_property(_reel_absl_includes absl::base
                        INTERFACE_INCLUDE_DIRECTORIES)
    try_compile(_reel_violation_compiled ${CMAKE_BINARY_DIR}/thread_safety_check
      SOURCES ${PROJECT_SOURCE_DIR}/cmake/checks/thread_safety_violation.cc
      COMPILE_DEFINITIONS ${REEL_THREAD_SAFETY_FLAGS}
      CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${_reel_absl_includes}"
      CXX_STANDARD 20
      LINK_LIBRARIES absl::synchronization
      OUTPUT_VARIABLE _reel_violation_output)
    if(_reel_violation_compiled)
      message(FATAL_ERROR
        "-Werror=thread-safety does not reject an unguarded write to an "
        "ABSL_GUARDED_BY member; locking annotations would go unchecked.")
    endif()
    if(NOT _reel_violation_output MATCHES "requires holding mutex")
      message(FATAL_ERROR "the thread-safety check failed for another reason:\n"
                          "${_reel_violation_output}")
    endif()
    set(REEL_THREAD_SAFETY_ENFORCED ON CACHE INTERNAL
        "A guarded-member violation fails the build")
    message(STATUS "Thread-safety annotations: enforced (-Werror)")
  endif()
endif()
