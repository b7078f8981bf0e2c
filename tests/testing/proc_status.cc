#include "tests/testing/proc_status.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace reel::testing {

double ProcStatusBytes(const std::string& pid, const std::string& name) {
  const std::string path = "/proc/" + pid + "/status";
  std::ifstream status(path);
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(name + ":", 0) != 0) continue;
    std::istringstream fields(line.substr(name.size() + 1));
    double kib = 0;
    fields >> kib;
    return kib * 1024;
  }
  ADD_FAILURE() << "no " << name << " in " << path;
  return 0;
}

}  // namespace reel::testing
