#ifndef REEL_COMMON_VERSION_VERSION_H_
#define REEL_COMMON_VERSION_VERSION_H_

#include <string>
#include <string_view>

// The one version of Reel, from the repository's VERSION file, and the
// commit it was built from. Every binary's --version, the reel_build_info
// metric and the client packages read the same file.
namespace reel::version {

// "MAJOR.MINOR.PATCH", as in VERSION.
std::string_view Version();

// The git commit (short hash) the build was made from, or "unknown" when
// built outside a git checkout.
std::string_view Commit();

// "NAME VERSION (commit COMMIT)", the line --version prints.
std::string VersionLine(std::string_view program_name);

}  // namespace reel::version

#endif  // REEL_COMMON_VERSION_VERSION_H_
