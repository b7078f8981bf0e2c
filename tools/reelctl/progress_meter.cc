#include "tools/reelctl/progress_meter.h"

#include <unistd.h>

#include <cstdio>

#include "absl/time/clock.h"

namespace reel::reelctl {

ProgressMeter::ProgressMeter(bool enabled)
    : enabled_(enabled),
      terminal_(isatty(STDERR_FILENO) != 0),
      start_(absl::Now()),
      last_report_(start_) {}

void ProgressMeter::Update(int64_t films) {
  if (!enabled_) return;
  const absl::Time now = absl::Now();
  if (now - last_report_ < absl::Seconds(1)) return;
  last_report_ = now;
  std::fprintf(stderr, "%ssent %lld films, %.0f films/s%s",
               terminal_ ? "\r" : "", static_cast<long long>(films),
               FilmsPerSecond(films, now - start_), terminal_ ? "" : "\n");
  std::fflush(stderr);
  printed_ = true;
}

void ProgressMeter::Finish() {
  if (printed_ && terminal_) std::fputs("\n", stderr);
  printed_ = false;
}

double FilmsPerSecond(int64_t films, absl::Duration elapsed) {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  return seconds > 0 ? films / seconds : 0;
}

}  // namespace reel::reelctl
