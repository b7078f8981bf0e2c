// Checks, in TSan builds only, that ThreadSanitizer sees absl::Mutex and
// absl::CondVar (tsan_absl_mutex.cc): data guarded by them is not reported,
// while an unguarded race still is. Each case runs in a child process (a
// death test) because TSan reports through the exit code (66) at exit.
#include <cstdlib>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace reel::testing {
namespace {

constexpr int kTsanExitCode = 66;  // TSan's default `exitcode`.
constexpr int kIncrements = 1000;

// Two threads add to one counter; `guarded` picks whether a Mutex guards it.
int CountWithTwoThreads(bool guarded) {
  absl::Mutex mutex;
  int counter = 0;
  auto add = [&] {
    for (int i = 0; i < kIncrements; ++i) {
      if (guarded) {
        absl::MutexLock lock(&mutex);
        ++counter;
      } else {
        ++counter;
      }
    }
  };
  std::thread first(add);
  std::thread second(add);
  first.join();
  second.join();
  return counter;
}

TEST(TsanAbslMutexTest, DataGuardedByAMutexIsNotReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        std::exit(CountWithTwoThreads(/*guarded=*/true) == 2 * kIncrements ? 0
                                                                           : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(TsanAbslMutexTest, DataHandedOverThroughACondVarIsNotReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        absl::Mutex mutex;
        absl::CondVar ready_changed;
        bool ready = false;  // Guarded by `mutex`.
        int payload = 0;     // Written before `ready`, read after it.
        std::thread producer([&] {
          payload = 42;
          absl::MutexLock lock(&mutex);
          ready = true;
          ready_changed.SignalAll();
        });
        int seen = 0;
        {
          absl::MutexLock lock(&mutex);
          while (!ready) ready_changed.Wait(&mutex);
        }
        seen = payload;
        producer.join();
        std::exit(seen == 42 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(TsanAbslMutexTest, DataHandedOverThroughAwaitIsNotReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        absl::Mutex mutex;
        bool ready = false;
        int payload = 0;
        std::thread producer([&] {
          payload = 7;
          absl::MutexLock lock(&mutex);
          ready = true;
        });
        {
          absl::MutexLock lock(&mutex);
          mutex.Await(absl::Condition(&ready));
        }
        const int seen = payload;
        producer.join();
        std::exit(seen == 7 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

// The control: without this, the cases above would pass with TSan off.
TEST(TsanAbslMutexTest, AnUnguardedRaceIsReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        CountWithTwoThreads(/*guarded=*/false);
        std::exit(0);
      },
      ::testing::ExitedWithCode(kTsanExitCode), "ThreadSanitizer: data race");
}

}  // namespace
}  // namespace reel::testing
