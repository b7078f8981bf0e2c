#include "common/server/mutex_mode.h"

#include "absl/synchronization/mutex.h"

namespace reel {

void DisableMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace reel
