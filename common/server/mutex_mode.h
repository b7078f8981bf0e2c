// DisableMutexDeadlockDetection(): Debian builds Abseil without NDEBUG, so
// absl::Mutex (which gRPC locks several times per call) defaults to deadlock
// detection: every Lock goes through one process-wide lock-order graph
// behind a global spin lock. That is a debugging aid; in a server it cost
// ~5% of a CreateFilm's CPU and serialized gRPC's threads. Call it at the
// top of main(), before any thread starts.
#ifndef REEL_COMMON_SERVER_MUTEX_MODE_H_
#define REEL_COMMON_SERVER_MUTEX_MODE_H_

namespace reel {

void DisableMutexDeadlockDetection();

}  // namespace reel

#endif  // REEL_COMMON_SERVER_MUTEX_MODE_H_
