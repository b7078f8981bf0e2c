// Import progress on stderr, at most once per interval: rewritten in place
// on a terminal, one line per update otherwise. With the input's size known
// (files, not stdin), each report also gives the share read and an ETA:
//
//   sent 1200 films, 43% of 9.8 MB, 2400 films/s, ETA 1s
//   sent 1200 films, 2400 films/s
#ifndef REEL_TOOLS_REELCTL_PROGRESS_METER_H_
#define REEL_TOOLS_REELCTL_PROGRESS_METER_H_

#include <cstdint>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace reel::reelctl {

class ProgressMeter {
 public:
  // Prints nothing unless `enabled`. `total_bytes`: the size of the input,
  // or -1 when it is not known.
  ProgressMeter(bool enabled, absl::Duration interval, int64_t total_bytes);

  // Reports `films` sent and `bytes` of input read so far, if `interval`
  // has passed since the last report.
  void Update(int64_t films, int64_t bytes);

  // Ends the in-place line, if one was printed.
  void Finish();

  // Time since construction.
  absl::Duration Elapsed() const { return absl::Now() - start_; }

 private:
  const bool enabled_;
  const bool terminal_;
  const absl::Duration interval_;
  const int64_t total_bytes_;
  const absl::Time start_;
  absl::Time last_report_;
  bool printed_ = false;
};

// films / elapsed, 0 for no time.
double FilmsPerSecond(int64_t films, absl::Duration elapsed);

// "45s", "3m05s", "1h02m": a remaining time, to the second.
std::string FormatEta(absl::Duration remaining);

}  // namespace reel::reelctl

#endif  // REEL_TOOLS_REELCTL_PROGRESS_METER_H_
