#include "tools/reelctl/watch_command.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdint>
#include <iostream>
#include <string>
#include <thread>

#include "absl/strings/strip.h"
#include "common/server/signals.h"

namespace reel::reelctl {
namespace {

namespace v1 = catalog::v1;

std::string EventTypeName(v1::FilmEvent::EventType type) {
  absl::string_view name = v1::FilmEvent::EventType_Name(type);
  absl::ConsumePrefix(&name, "EVENT_TYPE_");
  return name.empty() ? std::to_string(type) : std::string(name);
}

void PrintMessage(const v1::WatchFilmsResponse& message) {
  for (const v1::FilmEvent& event : message.events()) {
    std::cout << event.revision() << " " << EventTypeName(event.type()) << " "
              << event.name();
    if (event.has_film()) std::cout << " " << event.film().title();
    std::cout << "\n";
  }
  if (message.snapshot_complete()) {
    std::cout << "# snapshot complete at revision " << message.revision()
              << "\n";
  } else if (message.events_size() == 0) {
    std::cout << "# progress: revision " << message.revision() << "\n";
  }
  // Flush per message so a pipe sees events as they happen.
  std::cout.flush();
}

// Cancels the call on SIGINT/SIGTERM. Signals go to a waiter thread (they
// are blocked everywhere else), so cancelling is not done in a handler.
class InterruptCanceller {
 public:
  explicit InterruptCanceller(grpc::ClientContext* context)
      : thread_([this, context] {
          WaitForTerminationSignal();
          if (!done_) {
            interrupted_ = true;
            context->TryCancel();
          }
        }) {}

  ~InterruptCanceller() {
    done_ = true;
    // Wake the waiter if no signal came; it sees done_ and returns.
    if (!interrupted_) pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
  }

  bool interrupted() const { return interrupted_; }

 private:
  std::atomic<bool> done_{false};
  std::atomic<bool> interrupted_{false};
  std::thread thread_;
};

}  // namespace

int RunWatchCommand(CliContext& cli, const CommandLine& line) {
  // Before the first gRPC call, so gRPC's threads inherit the mask too.
  BlockTerminationSignals();

  grpc::ClientContext context;  // No deadline: the stream never ends.
  v1::WatchFilmsRequest request;
  request.set_start_revision(line.watch.from);
  grpc::Status status;
  bool interrupted = false;
  {
    InterruptCanceller canceller(&context);
    auto reader = cli.catalog().WatchFilms(&context, request);
    v1::WatchFilmsResponse message;
    while (reader->Read(&message)) PrintMessage(message);
    status = reader->Finish();
    interrupted = canceller.interrupted();
  }
  if (interrupted || status.ok()) return kExitOk;
  return cli.ReportCatalogError(status);
}

}  // namespace reel::reelctl
