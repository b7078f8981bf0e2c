#include "common/version/version.h"

#include <string>

#include "common/version/version_values.h"  // Generated at build time.

namespace reel::version {

std::string_view Version() { return kReelVersion; }

std::string_view Commit() { return kReelCommit; }

std::string VersionLine(std::string_view program_name) {
  std::string line(program_name);
  line.append(" ")
      .append(Version())
      .append(" (commit ")
      .append(Commit())
      .append(")");
  return line;
}

}  // namespace reel::version
