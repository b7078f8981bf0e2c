# Small wrappers so each folder's CMakeLists.txt reads as a list of targets.
#
#   reel_cc_library(NAME name SRCS ... DEPS ...)
#   reel_cc_test(NAME name SRCS ... DEPS ... [TIMEOUT seconds] [LABELS ...])

function(reel_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS})
endfunction()

function(reel_cc_test)
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  math(EXPR ARG_TIMEOUT "${ARG_TIMEOUT} * ${REEL_TEST_TIMEOUT_SCALE}")
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} reel_testing
                                            GTest::gmock GTest::gtest_main)
  # One ctest entry per binary keeps start-up cost low on a 2-core machine;
  # the TIMEOUT makes a hung stream fail the run instead of stalling it.
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
  set_tests_properties(${ARG_NAME} PROPERTIES TIMEOUT ${ARG_TIMEOUT}
                                              LABELS "${ARG_LABELS}")
endfunction()
