// Tells ThreadSanitizer about absl::Mutex and absl::CondVar in TSan builds
// (REEL_SANITIZE=thread) that link Debian's uninstrumented Abseil.
//
// Abseil reports its lock operations to TSan only when Abseil itself is
// built with TSan; Debian's libabsl_synchronization is not, so TSan would see
// no happens-before edge through any absl::Mutex and report every access
// guarded by one as a race. This file, compiled into each test binary of a
// TSan build only, interposes the library's exported lock, unlock, wait and
// await functions: each one calls the real function (found with
// dlsym(RTLD_NEXT)) between the same __tsan_mutex_* annotations Abseil's own
// TSan build makes. The executable's definitions win over the shared
// library's for every caller, our code and gRPC's alike, so lock-based
// synchronisation inside gRPC becomes visible too.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"

namespace {

#define REEL_STRINGIFY_INNER(x) #x
#define REEL_STRINGIFY(x) REEL_STRINGIFY_INNER(x)

// The real function behind `suffix`, a mangled name inside
// absl::<inline namespace>:: (e.g. "5Mutex4LockEv").
template <typename Fn>
Fn Real(const char* suffix) {
  const std::string ns = REEL_STRINGIFY(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  const std::string name = "_ZN4absl" + std::to_string(ns.size()) + ns + suffix;
  void* real = dlsym(RTLD_NEXT, name.c_str());
  if (real == nullptr) {
    std::fprintf(stderr, "tsan_absl_mutex: no %s in the loaded libraries\n",
                 name.c_str());
    std::abort();
  }
  return reinterpret_cast<Fn>(real);
}

// The library's functions call one another through these same exported
// symbols (WaitWithTimeout calls WaitWithDeadline, AwaitWithTimeout calls
// AwaitWithDeadline), so only the outermost call on a thread is annotated.
thread_local int depth = 0;

class Outermost {
 public:
  Outermost() : outermost_(depth++ == 0) {}
  ~Outermost() { --depth; }
  explicit operator bool() const { return outermost_; }

 private:
  const bool outermost_;
};

// Blocking calls that release the mutex meanwhile (Await, CondVar::Wait):
// to TSan the mutex is released before and re-acquired after. Accesses
// inside the real call (Abseil evaluating a Condition) are ignored, as they
// are between pre and post annotations in Abseil's own TSan build.
void BeforeRelease(void* mu) {
  __tsan_mutex_pre_unlock(mu, 0);
  __tsan_mutex_post_unlock(mu, 0);
  __tsan_mutex_pre_lock(mu, 0);
}
void AfterReacquire(void* mu) { __tsan_mutex_post_lock(mu, 0, 0); }

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

#define REEL_REAL(type, suffix) static const auto real = Real<type>(suffix)

void Mutex::Lock() {
  REEL_REAL(void (*)(Mutex*), "5Mutex4LockEv");
  Outermost outer;
  if (outer) __tsan_mutex_pre_lock(this, 0);
  real(this);
  if (outer) __tsan_mutex_post_lock(this, 0, 0);
}

void Mutex::Unlock() {
  REEL_REAL(void (*)(Mutex*), "5Mutex6UnlockEv");
  Outermost outer;
  if (outer) __tsan_mutex_pre_unlock(this, 0);
  real(this);
  if (outer) __tsan_mutex_post_unlock(this, 0);
}

bool Mutex::TryLock() {
  REEL_REAL(bool (*)(Mutex*), "5Mutex7TryLockEv");
  Outermost outer;
  if (outer) __tsan_mutex_pre_lock(this, __tsan_mutex_try_lock);
  const bool locked = real(this);
  if (outer) {
    __tsan_mutex_post_lock(
        this,
        __tsan_mutex_try_lock | (locked ? 0 : __tsan_mutex_try_lock_failed), 0);
  }
  return locked;
}

void Mutex::ReaderLock() {
  REEL_REAL(void (*)(Mutex*), "5Mutex10ReaderLockEv");
  Outermost outer;
  if (outer) __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock);
  real(this);
  if (outer) __tsan_mutex_post_lock(this, __tsan_mutex_read_lock, 0);
}

void Mutex::ReaderUnlock() {
  REEL_REAL(void (*)(Mutex*), "5Mutex12ReaderUnlockEv");
  Outermost outer;
  if (outer) __tsan_mutex_pre_unlock(this, __tsan_mutex_read_lock);
  real(this);
  if (outer) __tsan_mutex_post_unlock(this, __tsan_mutex_read_lock);
}

bool Mutex::ReaderTryLock() {
  REEL_REAL(bool (*)(Mutex*), "5Mutex13ReaderTryLockEv");
  const unsigned flags = __tsan_mutex_read_lock | __tsan_mutex_try_lock;
  Outermost outer;
  if (outer) __tsan_mutex_pre_lock(this, flags);
  const bool locked = real(this);
  if (outer) {
    __tsan_mutex_post_lock(
        this, flags | (locked ? 0 : __tsan_mutex_try_lock_failed), 0);
  }
  return locked;
}

void Mutex::LockWhen(const Condition& cond) {
  REEL_REAL(void (*)(Mutex*, const Condition&),
            "5Mutex8LockWhenERKNS0_9ConditionE");
  Outermost outer;
  if (outer) __tsan_mutex_pre_lock(this, 0);
  real(this, cond);
  if (outer) __tsan_mutex_post_lock(this, 0, 0);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  REEL_REAL(bool (*)(Mutex*, const Condition&, absl::Duration),
            "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Outermost outer;
  if (outer) __tsan_mutex_pre_lock(this, 0);
  const bool result = real(this, cond, timeout);
  if (outer) __tsan_mutex_post_lock(this, 0, 0);
  return result;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  REEL_REAL(bool (*)(Mutex*, const Condition&, absl::Time),
            "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Outermost outer;
  if (outer) __tsan_mutex_pre_lock(this, 0);
  const bool result = real(this, cond, deadline);
  if (outer) __tsan_mutex_post_lock(this, 0, 0);
  return result;
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  REEL_REAL(void (*)(Mutex*, const Condition&),
            "5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  Outermost outer;
  if (outer) __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock);
  real(this, cond);
  if (outer) __tsan_mutex_post_lock(this, __tsan_mutex_read_lock, 0);
}

void Mutex::Await(const Condition& cond) {
  REEL_REAL(void (*)(Mutex*, const Condition&),
            "5Mutex5AwaitERKNS0_9ConditionE");
  Outermost outer;
  if (outer) BeforeRelease(this);
  real(this, cond);
  if (outer) AfterReacquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  REEL_REAL(bool (*)(Mutex*, const Condition&, absl::Duration),
            "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Outermost outer;
  if (outer) BeforeRelease(this);
  const bool result = real(this, cond, timeout);
  if (outer) AfterReacquire(this);
  return result;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, absl::Time deadline) {
  REEL_REAL(bool (*)(Mutex*, const Condition&, absl::Time),
            "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Outermost outer;
  if (outer) BeforeRelease(this);
  const bool result = real(this, cond, deadline);
  if (outer) AfterReacquire(this);
  return result;
}

void CondVar::Wait(Mutex* mu) {
  REEL_REAL(void (*)(CondVar*, Mutex*), "7CondVar4WaitEPNS0_5MutexE");
  Outermost outer;
  if (outer) BeforeRelease(mu);
  real(this, mu);
  if (outer) AfterReacquire(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  REEL_REAL(bool (*)(CondVar*, Mutex*, absl::Duration),
            "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  Outermost outer;
  if (outer) BeforeRelease(mu);
  const bool result = real(this, mu, timeout);
  if (outer) AfterReacquire(mu);
  return result;
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  REEL_REAL(bool (*)(CondVar*, Mutex*, absl::Time),
            "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  Outermost outer;
  if (outer) BeforeRelease(mu);
  const bool result = real(this, mu, deadline);
  if (outer) AfterReacquire(mu);
  return result;
}

#undef REEL_REAL

ABSL_NAMESPACE_END
}  // namespace absl

namespace {

// Abseil's lock-order graph (GraphCycles) is guarded by a spin lock inside
// the uninstrumented library, so TSan reports its own bookkeeping as races
// (GraphCycles::RemoveNode when a mutex is destroyed on one thread after use
// on another). TSan checks lock order itself, so TSan builds turn Abseil's
// check off, as the service binaries do (common/server/mutex_mode.cc).
[[maybe_unused]] const bool kAbslDeadlockGraphOff = [] {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return true;
}();

}  // namespace
