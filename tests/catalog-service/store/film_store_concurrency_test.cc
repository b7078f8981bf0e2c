// FilmStore under concurrent writers (group commit) and readers: revisions
// stay gapless and unique, preconditions are checked as if writes ran one at
// a time, and readers always see consistent states.
#include <gmock/gmock.h>
#include <google/protobuf/field_mask.pb.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <latch>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "catalog-service/model/film_update.h"
#include "catalog-service/store/film_store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::catalog {
namespace {

using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::FilmEvent;
using ::reel::testing::StatusIs;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();

Film Titled(const std::string& title) {
  Film film;
  film.set_title(title);
  return film;
}

FilmFields TitleOnly() {
  google::protobuf::FieldMask mask;
  mask.add_paths("title");
  return *ResolveUpdateMask(mask);
}

class FilmStoreConcurrencyTest : public ::testing::Test {
 protected:
  // Real fsyncs by default: what makes group commit worth having.
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(OpenStore(true)); }

  // (Re)opens the store; tests that only need many writes skip the fsyncs.
  void OpenStore(bool sync_writes) {
    store_.reset();
    FilmStoreOptions options;
    options.path = dir_.Join("db");
    options.maintenance_interval = absl::ZeroDuration();
    options.block_cache_bytes = 1 << 20;
    options.sync_writes = sync_writes;
    ASSERT_OK_AND_ASSIGN(store_, FilmStore::Open(options));
  }

  // Runs body(thread_index) on `threads` threads started together.
  static void RunThreads(int threads, const std::function<void(int)>& body) {
    std::latch start(threads);
    std::vector<std::thread> workers;
    workers.reserve(threads);
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        start.arrive_and_wait();
        body(t);
      });
    }
    for (std::thread& worker : workers) worker.join();
  }

  // Makes the leader of the next commit after RunGrouped() starts pause in the
  // commit listener, while it still heads the writer queue, so that writers
  // started meanwhile queue up behind it and commit together as one group.
  // Like any listener, install it before the first write.
  void InstallHold() {
    store_->SetCommitListener([this](int64_t) {
      if (hold_armed_.exchange(false)) {
        hold_entered_->count_down();
        absl::SleepFor(absl::Milliseconds(100));
      }
    });
  }

  // Commits a "gate" film with the hold armed and runs `body` while the
  // gate's leader holds the queue; returns once the gate has committed.
  void WhileQueueHeld(const std::function<void()>& body) {
    std::latch entered(1);
    hold_entered_ = &entered;
    hold_armed_.store(true);
    std::thread gate([this] {
      EXPECT_OK(store_->Create("gate", Titled("Gate"), "").status());
    });
    entered.wait();
    body();
    gate.join();
    hold_entered_ = nullptr;
  }

  // Runs body(thread_index) on `threads` threads while the queue is held.
  void RunGrouped(int threads, const std::function<void(int)>& body) {
    WhileQueueHeld([&] { RunThreads(threads, body); });
  }

  reel::testing::TempDir dir_;
  std::unique_ptr<FilmStore> store_;
  std::atomic<bool> hold_armed_{false};
  std::latch* hold_entered_ = nullptr;
};

TEST_F(FilmStoreConcurrencyTest, ConcurrentCreatesGetGaplessUniqueRevisions) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 50;
  constexpr int kTotal = kThreads * kPerThread;

  std::mutex listener_mutex;
  std::vector<int64_t> commits;
  store_->SetCommitListener([&](int64_t revision) {
    std::lock_guard<std::mutex> lock(listener_mutex);
    commits.push_back(revision);
  });

  std::vector<std::vector<int64_t>> revisions(kThreads);
  std::vector<std::vector<std::string>> names(kThreads);
  std::atomic<int> failures{0};
  RunThreads(kThreads, [&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      const std::string id = absl::StrCat("t", t, "-", i);
      absl::StatusOr<WriteResult> result = store_->Create(id, Titled(id), "");
      if (!result.ok() || result->film.revision() != result->revision) {
        ++failures;
        continue;
      }
      revisions[t].push_back(result->revision);
      names[t].push_back(result->film.name());
    }
  });
  ASSERT_EQ(failures.load(), 0);

  // Each thread's own writes are ordered.
  std::map<int64_t, std::string> name_by_revision;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(revisions[t].size(), static_cast<size_t>(kPerThread));
    EXPECT_TRUE(std::is_sorted(revisions[t].begin(), revisions[t].end()));
    for (int i = 0; i < kPerThread; ++i) {
      EXPECT_TRUE(name_by_revision.emplace(revisions[t][i], names[t][i]).second)
          << "revision " << revisions[t][i] << " was given twice";
    }
  }
  // Exactly 1..800: no gap, no duplicate.
  ASSERT_EQ(name_by_revision.size(), static_cast<size_t>(kTotal));
  EXPECT_EQ(name_by_revision.begin()->first, 1);
  EXPECT_EQ(name_by_revision.rbegin()->first, kTotal);
  EXPECT_EQ(store_->revision(), kTotal);

  // The change log holds the same 800 creates, contiguous and in order.
  std::vector<FilmEvent> events;
  ASSERT_OK(store_->ReadChanges(0, 100'000, kNoLimit, &events));
  ASSERT_EQ(events.size(), static_cast<size_t>(kTotal));
  for (int i = 0; i < kTotal; ++i) {
    const FilmEvent& event = events[i];
    ASSERT_EQ(event.revision(), i + 1);
    EXPECT_EQ(event.type(), FilmEvent::EVENT_TYPE_CREATED);
    EXPECT_EQ(event.name(), name_by_revision[i + 1]);
    EXPECT_EQ(event.film().revision(), i + 1);
  }

  ASSERT_OK_AND_ASSIGN(FilmStore::ListPage page, store_->List("", 10'000));
  EXPECT_EQ(page.films.size(), static_cast<size_t>(kTotal));
  EXPECT_EQ(page.revision, kTotal);

  // The listener heard about every commit, in order, ending at the head.
  std::lock_guard<std::mutex> lock(listener_mutex);
  ASSERT_FALSE(commits.empty());
  EXPECT_LE(commits.size(), static_cast<size_t>(kTotal));
  EXPECT_TRUE(std::is_sorted(commits.begin(), commits.end()));
  EXPECT_EQ(std::adjacent_find(commits.begin(), commits.end()), commits.end())
      << "a revision was announced twice";
  EXPECT_EQ(commits.back(), kTotal);
}

// Writers that queue while a group commits are committed together: one
// WriteBatch, one fsync, for all of them.
TEST_F(FilmStoreConcurrencyTest, WritersQueuedDuringACommitShareTheNextGroup) {
  InstallHold();
  constexpr int kThreads = 16;
  const CommitStats before = store_->commit_stats();
  std::vector<int64_t> revisions(kThreads, 0);
  RunGrouped(kThreads, [&](int t) {
    absl::StatusOr<WriteResult> result =
        store_->Create(absl::StrCat("g", t), Titled("Grouped"), "");
    if (result.ok()) revisions[t] = result->revision;
  });
  const CommitStats after = store_->commit_stats();
  // The gate film plus the 16, in fewer groups than writes.
  EXPECT_EQ(after.writes - before.writes, kThreads + 1);
  EXPECT_LT(after.groups - before.groups, static_cast<uint64_t>(kThreads));
  std::sort(revisions.begin(), revisions.end());
  std::vector<int64_t> expected(kThreads);
  std::iota(expected.begin(), expected.end(), 2);  // Revision 1: the gate.
  EXPECT_THAT(revisions, ElementsAreArray(expected));
}

// Asynchronous writes queued behind a held commit form one group, and each
// is checked against what the writes before it in the same group did.
TEST_F(FilmStoreConcurrencyTest, PreconditionsAreExactWithinOneAsyncGroup) {
  InstallHold();
  const CommitStats before = store_->commit_stats();
  std::latch entered(1);
  hold_entered_ = &entered;
  hold_armed_.store(true);
  std::thread gate([this] {
    EXPECT_OK(store_->Create("gate", Titled("Gate"), "").status());
  });
  entered.wait();  // The commit thread is holding: what follows queues up.

  std::mutex mutex;
  std::vector<std::pair<std::string, absl::StatusOr<WriteResult>>> done;
  std::latch completed(7);
  auto record = [&](std::string what) {
    return [&, what](absl::StatusOr<WriteResult> result) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        done.emplace_back(what, std::move(result));
      }
      completed.count_down();
    };
  };
  // Revision 1 is the gate, so x is created at 2 with etag "r2".
  store_->CreateAsync("x", Titled("X"), "", record("create x"));
  store_->CreateAsync("x", Titled("X again"), "", record("create x again"));
  store_->UpdateAsync("x", Titled("X2"), TitleOnly(), "r2",
                      record("update x at r2"));
  store_->UpdateAsync("x", Titled("X3"), TitleOnly(), "r2",
                      record("update x at stale r2"));
  store_->DeleteAsync("x", "r3", record("delete x at r3"));
  store_->UpdateAsync("x", Titled("X4"), TitleOnly(), "",
                      record("update deleted x"));
  store_->CreateAsync("x", Titled("X reborn"), "", record("create x anew"));
  completed.wait();
  gate.join();
  hold_entered_ = nullptr;

  const CommitStats after = store_->commit_stats();
  EXPECT_EQ(after.groups - before.groups, 2u) << "the gate, then the seven";
  EXPECT_EQ(after.writes - before.writes, 8u);

  // Completed in submission order, by the commit thread.
  ASSERT_EQ(done.size(), 7u);
  EXPECT_EQ(done[0].first, "create x");
  ASSERT_OK(done[0].second.status());
  EXPECT_EQ(done[0].second->revision, 2);
  EXPECT_EQ(done[0].second->film.etag(), "r2");
  EXPECT_EQ(done[1].first, "create x again");
  EXPECT_THAT(done[1].second.status(),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("films/x")));
  EXPECT_EQ(done[2].first, "update x at r2");
  ASSERT_OK(done[2].second.status());
  EXPECT_EQ(done[2].second->revision, 3);
  EXPECT_EQ(done[2].second->film.title(), "X2");
  EXPECT_EQ(done[3].first, "update x at stale r2");
  EXPECT_THAT(done[3].second.status(),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("r3")));
  EXPECT_EQ(done[4].first, "delete x at r3");
  ASSERT_OK(done[4].second.status());
  EXPECT_EQ(done[4].second->revision, 4);
  EXPECT_EQ(done[5].first, "update deleted x");
  EXPECT_THAT(done[5].second.status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("films/x")));
  EXPECT_EQ(done[6].first, "create x anew");
  ASSERT_OK(done[6].second.status());
  EXPECT_EQ(done[6].second->revision, 5);

  // What the group left behind, and its change log, gapless.
  ASSERT_OK_AND_ASSIGN(Film x, store_->Get("x"));
  EXPECT_EQ(x.title(), "X reborn");
  EXPECT_EQ(x.revision(), 5);
  EXPECT_EQ(store_->revision(), 5);
  std::vector<FilmEvent> events;
  ASSERT_OK(store_->ReadChanges(1, 100, kNoLimit, &events));
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].type(), FilmEvent::EVENT_TYPE_CREATED);
  EXPECT_EQ(events[0].film().title(), "X");
  EXPECT_EQ(events[1].type(), FilmEvent::EVENT_TYPE_UPDATED);
  EXPECT_EQ(events[1].film().title(), "X2");
  EXPECT_EQ(events[1].film().etag(), "r3");
  EXPECT_EQ(events[2].type(), FilmEvent::EVENT_TYPE_DELETED);
  EXPECT_EQ(events[2].name(), "films/x");
  EXPECT_EQ(events[3].type(), FilmEvent::EVENT_TYPE_CREATED);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(events[i].revision(), i + 2);
}

// A writer that finds no commit in progress commits on its own thread: no
// hand-off to the commit thread and back for a lone writer.
TEST_F(FilmStoreConcurrencyTest, LoneWriterCommitsOnItsOwnThread) {
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id completed_on;
  absl::StatusOr<WriteResult> outcome = absl::InternalError("not completed");
  store_->CreateAsync("alone", Titled("Alone"), "",
                      [&](absl::StatusOr<WriteResult> result) {
                        completed_on = std::this_thread::get_id();
                        outcome = std::move(result);
                      });
  // Completed before CreateAsync returned, on this thread, and durable.
  EXPECT_EQ(completed_on, caller);
  ASSERT_OK(outcome.status());
  EXPECT_EQ(outcome->revision, 1);
  EXPECT_EQ(store_->revision(), 1);
  const CommitStats stats = store_->commit_stats();
  EXPECT_EQ(stats.groups, 1u);
  EXPECT_EQ(stats.writes, 1u);
  store_.reset();
  ASSERT_NO_FATAL_FAILURE(OpenStore(true));
  ASSERT_OK_AND_ASSIGN(Film film, store_->Get("alone"));
  EXPECT_EQ(film.revision(), 1);
}

// An asynchronous write is completed only once it is committed: its callback
// already sees it in the store, and the store's revision includes it.
TEST_F(FilmStoreConcurrencyTest, AsyncWritesCompleteAfterTheyAreCommitted) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::atomic<int> not_visible{0};
  std::atomic<int> failed{0};
  std::latch completed(kThreads * kPerThread);
  std::mutex mutex;
  std::vector<int64_t> revisions;
  RunThreads(kThreads, [&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      const std::string id = absl::StrCat("a", t, "-", i);
      store_->CreateAsync(
          id, Titled(id), "", [&, id](absl::StatusOr<WriteResult> result) {
            if (!result.ok()) {
              ++failed;
            } else {
              absl::StatusOr<Film> stored = store_->Get(id);
              if (!stored.ok() || stored->revision() != result->revision ||
                  store_->revision() < result->revision) {
                ++not_visible;
              }
              std::lock_guard<std::mutex> lock(mutex);
              revisions.push_back(result->revision);
            }
            completed.count_down();
          });
    }
  });
  completed.wait();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(not_visible.load(), 0);
  std::sort(revisions.begin(), revisions.end());
  std::vector<int64_t> expected(kThreads * kPerThread);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_THAT(revisions, ElementsAreArray(expected));
  const CommitStats stats = store_->commit_stats();
  EXPECT_EQ(stats.writes, static_cast<uint64_t>(kThreads * kPerThread));
  // 320 writes submitted without waiting cannot each have had a commit.
  EXPECT_LT(stats.groups, stats.writes);
}

// Answering a committed group's writers is off the commit path: while one
// write's callback is still running, the next write commits. Checked for a
// write committed on its caller's thread and for one the commit thread took
// from the queue. (If the next commit waited for the callback, the callback
// would give up after its bound and report it.)
TEST_F(FilmStoreConcurrencyTest, NextGroupCommitsWhileCallbacksRun) {
  InstallHold();
  // One write whose callback starts `next` on `other` and reports in
  // `overlapped` whether `next` was durable before the callback returned.
  struct Probe {
    std::thread other;
    absl::Notification committed;
    absl::Notification finished;
    bool overlapped = false;
  };
  auto commit_during_callback = [this](const std::string& first,
                                       const std::string& next, Probe* probe) {
    store_->CreateAsync(
        first, Titled(first), "",
        [this, next, probe](absl::StatusOr<WriteResult> r) {
          EXPECT_OK(r.status());
          probe->other = std::thread([this, next, probe] {
            EXPECT_OK(store_->Create(next, Titled(next), "").status());
            probe->committed.Notify();
          });
          probe->overlapped = probe->committed.WaitForNotificationWithTimeout(
              absl::Seconds(10));
          probe->finished.Notify();
        });
  };

  // Alone: committed and answered on this thread.
  Probe alone;
  commit_during_callback("alone", "after-alone", &alone);
  ASSERT_TRUE(alone.finished.HasBeenNotified());
  alone.other.join();
  EXPECT_TRUE(alone.overlapped);

  // Queued behind a held commit: committed by the commit thread.
  Probe queued;
  WhileQueueHeld(
      [&] { commit_during_callback("queued", "after-queued", &queued); });
  queued.finished.WaitForNotification();
  queued.other.join();
  EXPECT_TRUE(queued.overlapped);
  EXPECT_EQ(store_->revision(), 5);
}

// Closing the store commits what is queued, completing every async write,
// and what was acknowledged is there after reopening.
TEST_F(FilmStoreConcurrencyTest, ClosingCommitsQueuedAsyncWrites) {
  InstallHold();
  std::latch entered(1);
  hold_entered_ = &entered;
  hold_armed_.store(true);
  std::thread gate([this] {
    EXPECT_OK(store_->Create("gate", Titled("Gate"), "").status());
  });
  entered.wait();
  constexpr int kWrites = 20;
  std::atomic<int> acknowledged{0};
  for (int i = 0; i < kWrites; ++i) {
    store_->CreateAsync(absl::StrCat("q", i), Titled("Queued"), "",
                        [&](absl::StatusOr<WriteResult> result) {
                          if (result.ok()) ++acknowledged;
                        });
  }
  gate.join();
  hold_entered_ = nullptr;
  store_.reset();  // While the 20 may still be queued or committing.
  EXPECT_EQ(acknowledged.load(), kWrites);

  ASSERT_NO_FATAL_FAILURE(OpenStore(true));
  EXPECT_EQ(store_->revision(), kWrites + 1);
  for (int i = 0; i < kWrites; ++i) {
    EXPECT_OK(store_->Get(absl::StrCat("q", i)).status());
  }
}

TEST_F(FilmStoreConcurrencyTest, SameEtagFromManyThreadsLetsExactlyOneWin) {
  InstallHold();
  ASSERT_OK_AND_ASSIGN(WriteResult created,
                       store_->Create("contested", Titled("Original"), ""));
  constexpr int kThreads = 16;
  std::vector<absl::Status> statuses(kThreads);
  std::vector<int64_t> revisions(kThreads, 0);
  RunGrouped(kThreads, [&](int t) {
    absl::StatusOr<WriteResult> result =
        store_->Update("contested", Titled(absl::StrCat("Winner ", t)),
                       TitleOnly(), created.film.etag());
    statuses[t] = result.status();
    if (result.ok()) revisions[t] = result->revision;
  });

  int winner = -1;
  int aborted = 0;
  for (int t = 0; t < kThreads; ++t) {
    if (statuses[t].ok()) {
      EXPECT_EQ(winner, -1)
          << "threads " << winner << " and " << t << " both won";
      winner = t;
    } else {
      EXPECT_THAT(statuses[t],
                  StatusIs(absl::StatusCode::kAborted, HasSubstr("etag")));
      ++aborted;
    }
  }
  ASSERT_NE(winner, -1);
  EXPECT_EQ(aborted, kThreads - 1);
  // Revision 2 went to the gate film.
  EXPECT_EQ(revisions[winner], 3);
  EXPECT_EQ(store_->revision(), 3);
  ASSERT_OK_AND_ASSIGN(Film stored, store_->Get("contested"));
  EXPECT_EQ(stored.title(), absl::StrCat("Winner ", winner));
}

// How many of `statuses` are OK; expects every other one to have `code`
// and a message naming `subject`.
int CountOkOthersFailWith(const std::vector<absl::Status>& statuses,
                          absl::StatusCode code, absl::string_view subject) {
  int ok = 0;
  for (const absl::Status& status : statuses) {
    if (status.ok()) {
      ++ok;
    } else {
      EXPECT_THAT(status, StatusIs(code, HasSubstr(std::string(subject))));
    }
  }
  return ok;
}

TEST_F(FilmStoreConcurrencyTest, SameIdFromManyThreadsIsCreatedOnce) {
  InstallHold();
  constexpr int kThreads = 16;
  std::vector<absl::Status> statuses(kThreads);
  RunGrouped(kThreads, [&](int t) {
    statuses[t] =
        store_->Create("only-once", Titled(absl::StrCat("By ", t)), "")
            .status();
  });
  EXPECT_EQ(CountOkOthersFailWith(statuses, absl::StatusCode::kAlreadyExists,
                                  "films/only-once"),
            1);
  EXPECT_EQ(store_->revision(), 2);  // The gate film and "only-once".
}

TEST_F(FilmStoreConcurrencyTest, ConcurrentRetriesOfOneRequestWriteOnce) {
  InstallHold();
  constexpr int kThreads = 12;
  std::vector<absl::StatusOr<WriteResult>> results(
      kThreads, absl::InternalError("not run"));
  RunGrouped(kThreads, [&](int t) {
    results[t] = store_->Create("retried", Titled("Retried"), "req-42");
  });
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_OK(results[t].status()) << "thread " << t;
    EXPECT_EQ(results[t]->revision, 2);
    EXPECT_EQ(results[t]->film.etag(), results[0]->film.etag());
  }
  EXPECT_EQ(store_->revision(), 2);
  std::vector<FilmEvent> events;
  ASSERT_OK(store_->ReadChanges(1, 100, kNoLimit, &events));
  EXPECT_EQ(events.size(), 1u);
}

TEST_F(FilmStoreConcurrencyTest, OneRequestIdForDifferentFilmsWritesOnce) {
  InstallHold();
  constexpr int kThreads = 12;
  std::vector<absl::Status> statuses(kThreads);
  RunGrouped(kThreads, [&](int t) {
    statuses[t] =
        store_->Create(absl::StrCat("film-", t), Titled("Same key"), "req-7")
            .status();
  });
  EXPECT_EQ(CountOkOthersFailWith(statuses, absl::StatusCode::kInvalidArgument,
                                  "request_id"),
            1);
  EXPECT_EQ(store_->revision(), 2);
}

// Optimistic concurrency: read, increment, write back with the etag; retry
// on ABORTED. No increment may be lost.
TEST_F(FilmStoreConcurrencyTest, EtagGuardedIncrementsLoseNothing) {
  ASSERT_NO_FATAL_FAILURE(OpenStore(/*sync_writes=*/false));
  ASSERT_OK(store_->Create("counter", Titled("0"), "").status());
  constexpr int kThreads = 8;
  constexpr int kIncrements = 20;
  std::atomic<int> errors{0};
  RunThreads(kThreads, [&](int t) {
    for (int i = 0; i < kIncrements; ++i) {
      while (true) {
        absl::StatusOr<Film> film = store_->Get("counter");
        int value = 0;
        if (!film.ok() || !absl::SimpleAtoi(film->title(), &value)) {
          ++errors;
          return;
        }
        absl::StatusOr<WriteResult> result =
            store_->Update("counter", Titled(std::to_string(value + 1)),
                           TitleOnly(), film->etag());
        if (result.ok()) break;
        if (result.status().code() != absl::StatusCode::kAborted) {
          ++errors;
          return;
        }
      }
    }
  });
  ASSERT_EQ(errors.load(), 0);
  ASSERT_OK_AND_ASSIGN(Film counter, store_->Get("counter"));
  EXPECT_EQ(counter.title(), std::to_string(kThreads * kIncrements));
  EXPECT_EQ(store_->revision(), 1 + kThreads * kIncrements);
  EXPECT_EQ(counter.revision(), 1 + kThreads * kIncrements);
}

// Readers running alongside writers: a snapshot (and a List page) holds
// exactly the films created up to its revision, and the change log read so
// far is always gapless.
TEST_F(FilmStoreConcurrencyTest, ReadersSeeConsistentStatesDuringWrites) {
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 40;
  std::atomic<bool> writing{true};
  std::atomic<int> inconsistencies{0};
  std::atomic<int> checks{0};

  std::thread snapshot_reader([&] {
    while (writing.load()) {
      std::unique_ptr<FilmSnapshot> snapshot = store_->TakeSnapshot();
      std::vector<Film> films;
      bool done = false;
      if (!snapshot->ReadFilms("", 100'000, kNoLimit, &films, &done).ok() ||
          !done || static_cast<int64_t>(films.size()) != snapshot->revision()) {
        ++inconsistencies;
      }
      for (const Film& film : films) {
        if (film.revision() > snapshot->revision()) ++inconsistencies;
      }
      absl::StatusOr<FilmStore::ListPage> page = store_->List("", 100'000);
      if (!page.ok() ||
          static_cast<int64_t>(page->films.size()) != page->revision) {
        ++inconsistencies;
      }
      ++checks;
    }
  });
  std::vector<int64_t> followed;
  std::thread change_follower([&] {
    int64_t position = 0;
    while (true) {
      const bool last_pass = !writing.load();
      std::vector<FilmEvent> events;
      if (!store_->ReadChanges(position, 7, kNoLimit, &events).ok()) {
        ++inconsistencies;
        return;
      }
      for (const FilmEvent& event : events) {
        followed.push_back(event.revision());
        position = event.revision();
      }
      if (last_pass && position == store_->revision()) return;
    }
  });

  RunThreads(kWriters, [&](int t) {
    for (int i = 0; i < kPerWriter; ++i) {
      const std::string id = absl::StrCat("w", t, "-", i);
      if (!store_->Create(id, Titled(id), "").ok()) ++inconsistencies;
    }
  });
  writing.store(false);
  snapshot_reader.join();
  change_follower.join();

  EXPECT_EQ(inconsistencies.load(), 0);
  EXPECT_GT(checks.load(), 0);
  std::vector<int64_t> expected(kWriters * kPerWriter);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_THAT(followed, ElementsAreArray(expected));
}

// WatchFilms' hand-off: take a snapshot, then read the changes after its
// revision. A snapshot (or a film read with Get) may already include a commit
// whose revision the store has not yet published; resuming from it must not
// be reported as "ahead of the catalog".
TEST_F(FilmStoreConcurrencyTest, ChangesCanAlwaysResumeFromWhatReadersSaw) {
  ASSERT_NO_FATAL_FAILURE(OpenStore(/*sync_writes=*/false));
  constexpr int kWrites = 8000;
  std::atomic<bool> writing{true};
  std::atomic<int> write_errors{0};
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      if (!store_->Create(absl::StrCat("f", i), Titled("F"), "").ok()) {
        ++write_errors;
      }
    }
    writing.store(false);
  });

  int resumes = 0;
  int failures = 0;
  absl::Status first_failure;
  auto fail = [&](absl::Status status) {
    if (failures++ == 0) first_failure = std::move(status);
  };
  while (writing.load()) {
    std::unique_ptr<FilmSnapshot> snapshot = store_->TakeSnapshot();
    std::vector<FilmEvent> events;
    absl::Status status =
        store_->ReadChanges(snapshot->revision(), 10, kNoLimit, &events);
    if (!status.ok()) fail(status);
    for (size_t i = 0; i < events.size(); ++i) {
      const int64_t expected = snapshot->revision() + 1 + i;
      if (events[i].revision() != expected) {
        fail(absl::InternalError(absl::StrCat(
            "event ", events[i].revision(), " where ", expected, " belongs")));
      }
    }
    ++resumes;
  }
  writer.join();
  ASSERT_EQ(write_errors.load(), 0);
  EXPECT_GT(resumes, 0);
  EXPECT_EQ(failures, 0) << "of " << resumes
                         << " resumes; first: " << first_failure;
  EXPECT_EQ(store_->revision(), kWrites);
}

TEST_F(FilmStoreConcurrencyTest, ConcurrentImportsStayAtomicAndGapless) {
  constexpr int kThreads = 6;
  constexpr int kBatches = 5;
  constexpr int kPerBatch = 10;
  std::atomic<int> errors{0};
  std::mutex mutex;
  std::vector<std::vector<int64_t>> batch_revisions;
  RunThreads(kThreads, [&](int t) {
    for (int b = 0; b < kBatches; ++b) {
      std::vector<ImportItem> items;
      for (int i = 0; i < kPerBatch; ++i) {
        const std::string id = absl::StrCat("i", t, "-", b, "-", i);
        items.push_back(ImportItem{id, Titled(id)});
      }
      absl::StatusOr<std::vector<absl::StatusOr<WriteResult>>> results =
          store_->Import(std::move(items), false);
      if (!results.ok()) {
        ++errors;
        continue;
      }
      std::vector<int64_t> revisions;
      for (const auto& result : *results) {
        if (!result.ok()) {
          ++errors;
          continue;
        }
        revisions.push_back(result->revision);
      }
      std::lock_guard<std::mutex> lock(mutex);
      batch_revisions.push_back(std::move(revisions));
    }
  });
  ASSERT_EQ(errors.load(), 0);
  constexpr int kTotal = kThreads * kBatches * kPerBatch;
  EXPECT_EQ(store_->revision(), kTotal);
  std::vector<int64_t> all;
  for (const auto& revisions : batch_revisions) {
    ASSERT_EQ(revisions.size(), static_cast<size_t>(kPerBatch));
    // A batch's items take consecutive revisions, in item order.
    for (int i = 1; i < kPerBatch; ++i) {
      EXPECT_EQ(revisions[i], revisions[0] + i);
    }
    all.insert(all.end(), revisions.begin(), revisions.end());
  }
  std::sort(all.begin(), all.end());
  std::vector<int64_t> expected(kTotal);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_THAT(all, ElementsAreArray(expected));
}

}  // namespace
}  // namespace reel::catalog
