#include "tools/reelctl/progress_meter.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace reel::reelctl {
namespace {

std::string FormatBytes(int64_t bytes) {
  if (bytes < 1000) return absl::StrCat(bytes, " B");
  if (bytes < 1000 * 1000) return absl::StrFormat("%.1f kB", bytes / 1e3);
  if (bytes < int64_t{1000} * 1000 * 1000) {
    return absl::StrFormat("%.1f MB", bytes / 1e6);
  }
  return absl::StrFormat("%.2f GB", bytes / 1e9);
}

}  // namespace

ProgressMeter::ProgressMeter(bool enabled, absl::Duration interval,
                             int64_t total_bytes)
    : enabled_(enabled),
      terminal_(isatty(STDERR_FILENO) != 0),
      interval_(interval),
      total_bytes_(total_bytes),
      start_(absl::Now()),
      last_report_(start_) {}

void ProgressMeter::Update(int64_t films, int64_t bytes) {
  if (!enabled_) return;
  const absl::Time now = absl::Now();
  if (now - last_report_ < interval_) return;
  last_report_ = now;
  const absl::Duration elapsed = now - start_;
  std::string line = absl::StrCat("sent ", films, " films");
  if (total_bytes_ > 0) {
    bytes = std::clamp<int64_t>(bytes, 0, total_bytes_);
    absl::StrAppend(&line, ", ", bytes * 100 / total_bytes_, "% of ",
                    FormatBytes(total_bytes_));
  }
  absl::StrAppend(
      &line, absl::StrFormat(", %.0f films/s", FilmsPerSecond(films, elapsed)));
  if (total_bytes_ > 0 && bytes > 0) {
    absl::StrAppend(
        &line, ", ETA ",
        FormatEta(elapsed *
                  (static_cast<double>(total_bytes_ - bytes) / bytes)));
  }
  // On a terminal, pad over what a longer previous line left.
  if (terminal_) {
    std::fprintf(stderr, "\r%-70s", line.c_str());
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
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

std::string FormatEta(absl::Duration remaining) {
  const int64_t seconds =
      std::max<int64_t>(0, absl::ToInt64Seconds(remaining + absl::Seconds(1) -
                                                absl::Nanoseconds(1)));
  if (seconds < 60) return absl::StrCat(seconds, "s");
  if (seconds < 3600) {
    return absl::StrFormat("%dm%02ds", seconds / 60, seconds % 60);
  }
  return absl::StrFormat("%dh%02dm", seconds / 3600, seconds % 3600 / 60);
}

}  // namespace reel::reelctl
