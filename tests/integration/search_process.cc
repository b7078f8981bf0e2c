#include "tests/integration/search_process.h"

#include <signal.h>

#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/grpc_status.h"

namespace reel::testing {

using ::reel::search::v1::GetIndexStatusRequest;
using ::reel::search::v1::GetIndexStatusResponse;
using ::reel::search::v1::SearchScenesRequest;
using ::reel::search::v1::SearchScenesResponse;
using ::reel::search::v1::SearchService;

namespace {

// Between two GetIndexStatus polls.
constexpr std::chrono::milliseconds kPollInterval{20};

}  // namespace

std::string SearchServicePath() { return SEARCH_SERVICE_PATH; }

absl::StatusOr<std::unique_ptr<SearchProcess>> SearchProcess::Start(
    const SearchProcessOptions& options) {
  if (options.catalog_address.empty()) {
    return absl::InvalidArgumentError("catalog_address: is required");
  }
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("data_dir: is required");
  }
  std::vector<std::string> args = {"--listen=127.0.0.1:0",
                                   "--catalog=" + options.catalog_address,
                                   "--data_dir=" + options.data_dir};
  args.insert(args.end(), options.flags.begin(), options.flags.end());
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(
      SearchServicePath(), args, {.stderr_path = options.log_path});
  if (!process.ok()) return process.status();
  absl::StatusOr<std::vector<std::string>> match = (*process)->WaitForLine(
      "^search-service listening on port ([0-9]+)$", kSearchStartTimeout);
  if (!match.ok()) return match.status();
  const int port = std::stoi((*match)[1]);
  return std::unique_ptr<SearchProcess>(
      new SearchProcess(*std::move(process), port));
}

SearchProcess::SearchProcess(std::unique_ptr<ChildProcess> process, int port)
    : process_(std::move(process)),
      port_(port),
      channel_(
          grpc::CreateChannel(address(), grpc::InsecureChannelCredentials())) {}

std::string SearchProcess::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::unique_ptr<SearchService::Stub> SearchProcess::NewStub() const {
  return SearchService::NewStub(channel_);
}

absl::Status SearchProcess::Stop(std::chrono::milliseconds timeout) {
  ReleaseChannel();
  return process_->Terminate("search-service", timeout,
                             [this] { return LogTail(4000); });
}

absl::Status SearchProcess::Crash() {
  return process_->Crash("search-service", kSearchStopTimeout);
}

std::string SearchRun::Describe() const {
  std::string out = status.ok()
                        ? std::string("OK")
                        : absl::StrCat(GrpcCodeName(status.error_code()), " \"",
                                       status.error_message(), "\"");
  absl::StrAppend(&out, ": ", messages.size(), " messages, ", hits.size(),
                  " hits [");
  for (size_t i = 0; i < hits.size() && i < 30; ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ", ", hits[i].rank(), ":",
                    hits[i].film(), " ", hits[i].scene_id());
  }
  if (hits.size() > 30) absl::StrAppend(&out, ", ...");
  absl::StrAppend(&out, "]");
  if (has_summary) {
    absl::StrAppend(&out, ", summary {", summary.ShortDebugString(), "}");
  }
  return out;
}

SearchRun Search(SearchService::Stub& stub, const SearchScenesRequest& request,
                 std::chrono::milliseconds timeout) {
  SearchRun run;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  std::unique_ptr<grpc::ClientReader<SearchScenesResponse>> reader =
      stub.SearchScenes(&context, request);
  SearchScenesResponse message;
  while (reader->Read(&message)) {
    for (const auto& hit : message.hits()) run.hits.push_back(hit);
    if (message.has_summary()) {
      run.summary = message.summary();
      run.has_summary = true;
    }
    run.messages.push_back(std::move(message));
    message.Clear();
  }
  run.status = reader->Finish();
  return run;
}

SearchRun Search(SearchService::Stub& stub, const std::string& query,
                 int max_results, int64_t min_revision,
                 std::chrono::milliseconds timeout) {
  SearchScenesRequest request;
  request.set_query(query);
  request.set_max_results(max_results);
  request.set_min_revision(min_revision);
  return Search(stub, request, timeout);
}

absl::StatusOr<GetIndexStatusResponse> GetIndexStatus(
    SearchService::Stub& stub, std::chrono::milliseconds timeout) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  GetIndexStatusResponse response;
  grpc::Status status =
      stub.GetIndexStatus(&context, GetIndexStatusRequest(), &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<GetIndexStatusResponse> WaitForIndexStatus(
    SearchService::Stub& stub,
    const std::function<bool(const GetIndexStatusResponse&)>& done,
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last = "no answer yet";
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    absl::StatusOr<GetIndexStatusResponse> status =
        GetIndexStatus(stub, std::min(left, std::chrono::milliseconds(5000)));
    if (status.ok()) {
      if (done(*status)) return status;
      last = status->ShortDebugString();
    } else {
      last = status.status().ToString();
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return absl::DeadlineExceededError(
      absl::StrCat("the index status did not reach the expected state in ",
                   timeout.count(), " ms; last status: ", last));
}

absl::Status WaitForRevision(SearchService::Stub& stub, int64_t revision,
                             std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("the search index stayed UNAVAILABLE (no snapshot) "
                       "while waiting for revision ",
                       revision));
    }
    // Any valid query: only the wait matters.
    SearchRun run = Search(stub, "revision", 1, revision, left);
    if (run.status.ok()) {
      if (run.summary.index_revision() < revision) {
        return absl::InternalError(absl::StrCat(
            "a search with min_revision ", revision, " answered from revision ",
            run.summary.index_revision()));
      }
      return absl::OkStatus();
    }
    if (run.status.error_code() != grpc::StatusCode::UNAVAILABLE) {
      return FromGrpcStatus(run.status);
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace reel::testing
