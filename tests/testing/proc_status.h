// Reads a process's memory figures from /proc, for tests that compare
// what a service reports with what the kernel says.
#ifndef REEL_TESTS_TESTING_PROC_STATUS_H_
#define REEL_TESTS_TESTING_PROC_STATUS_H_

#include <string>

namespace reel::testing {

// A "Name:   N kB" line of /proc/PID/status ("self" for this process), in
// bytes. A missing line fails the calling test and returns 0.
double ProcStatusBytes(const std::string& pid, const std::string& name);

}  // namespace reel::testing

#endif  // REEL_TESTS_TESTING_PROC_STATUS_H_
