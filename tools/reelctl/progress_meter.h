// Import progress on stderr, at most about once a second: rewritten in place
// on a terminal, one line per update otherwise.
#ifndef REEL_TOOLS_REELCTL_PROGRESS_METER_H_
#define REEL_TOOLS_REELCTL_PROGRESS_METER_H_

#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace reel::reelctl {

class ProgressMeter {
 public:
  // Prints nothing unless `enabled`.
  explicit ProgressMeter(bool enabled);

  // Reports `films` sent so far, if a second has passed since the last
  // report.
  void Update(int64_t films);

  // Ends the in-place line, if one was printed.
  void Finish();

  // Time since construction.
  absl::Duration Elapsed() const { return absl::Now() - start_; }

 private:
  const bool enabled_;
  const bool terminal_;
  const absl::Time start_;
  absl::Time last_report_;
  bool printed_ = false;
};

// films / elapsed, 0 for no time.
double FilmsPerSecond(int64_t films, absl::Duration elapsed);

}  // namespace reel::reelctl

#endif  // REEL_TOOLS_REELCTL_PROGRESS_METER_H_
