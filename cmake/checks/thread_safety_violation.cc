// Must NOT compile: cmake/ReelThreadSafety.cmake checks that the build
// rejects a write to an ABSL_GUARDED_BY member without its mutex.
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

class Counter {
 public:
  void Increment() { ++value_; }  // Missing absl::MutexLock.

 private:
  absl::Mutex mutex_;
  int value_ ABSL_GUARDED_BY(mutex_) = 0;
};

int main() {
  Counter counter;
  counter.Increment();
}
