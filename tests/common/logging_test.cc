// --log_format=json: every record is one line that parses as a JSON object,
// whatever the message holds; LogRpc adds the access-log fields.
#include "common/logging/logging.h"

#include <gmock/gmock.h>
#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace reel {
namespace {

std::vector<nlohmann::json> ParseLines(const std::string& text) {
  std::vector<nlohmann::json> records;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    EXPECT_TRUE(nlohmann::json::accept(line)) << line;
    records.push_back(nlohmann::json::parse(line, nullptr, false));
  }
  return records;
}

class JsonLoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    ASSERT_TRUE(InitLogging({.level = "debug",
                             .component = "test",
                             .format = "json",
                             .sink = sink})
                    .ok());
  }
  void TearDown() override {
    ASSERT_TRUE(InitLogging({.level = "info", .component = "test"}).ok());
  }

  std::ostringstream out_;
};

TEST_F(JsonLoggingTest, HostileMessagesStayOneValidObjectPerLine) {
  const std::string hostile =
      "say \"hi\"\nnext line\t\\ {\"injected\":true} \x01 bad utf8 \xff\xfe";
  spdlog::info("film {}", hostile);
  spdlog::warn("plain");
  const std::vector<nlohmann::json> records = ParseLines(out_.str());
  ASSERT_EQ(records.size(), 2u) << out_.str();
  EXPECT_EQ(records[0]["level"], "info");
  EXPECT_EQ(records[0]["component"], "test");
  EXPECT_TRUE(records[0]["ts"].is_string());
  EXPECT_TRUE(records[0]["thread"].is_number());
  const std::string msg = records[0]["msg"];
  EXPECT_THAT(msg, ::testing::StartsWith("film say \"hi\"\nnext line\t\\ "
                                         "{\"injected\":true} \x01 bad utf8 "));
  EXPECT_FALSE(records[0].contains("injected"));
  EXPECT_EQ(records[1]["level"], "warning");
  EXPECT_EQ(records[1]["msg"], "plain");
}

TEST_F(JsonLoggingTest, RpcRecordCarriesAccessFields) {
  LogRpc({.method = "/reel.catalog.v1.CatalogService/GetFilm",
          .code = "NOT_FOUND",
          .duration_ms = 1.5,
          .peer = "ipv4:127.0.0.1:5000",
          .request_id = "req-\"1\"\n"});
  const std::vector<nlohmann::json> records = ParseLines(out_.str());
  ASSERT_EQ(records.size(), 1u) << out_.str();
  EXPECT_EQ(records[0]["msg"], "rpc");
  EXPECT_EQ(records[0]["method"], "/reel.catalog.v1.CatalogService/GetFilm");
  EXPECT_EQ(records[0]["code"], "NOT_FOUND");
  EXPECT_EQ(records[0]["duration_ms"], 1.5);
  EXPECT_EQ(records[0]["peer"], "ipv4:127.0.0.1:5000");
  EXPECT_EQ(records[0]["request_id"], "req-\"1\"\n");
}

TEST(LoggingTest, RejectsUnknownFormat) {
  EXPECT_FALSE(InitLogging({.format = "xml"}).ok());
}

}  // namespace
}  // namespace reel

namespace reel {
namespace {

TEST(LoggingTest, ProtobufDiagnosticsAreRateLimited) {
  std::ostringstream captured;
  ASSERT_TRUE(
      InitLogging(
          {.level = "info",
           .component = "test",
           .sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured)})
          .ok());
  // What any client can trigger once per request with bad bytes.
  for (int i = 0; i < 50; ++i) GOOGLE_LOG(ERROR) << "bad request " << i;
  const std::string log = captured.str();
  EXPECT_THAT(log, ::testing::HasSubstr("protobuf: bad request 0"));
  EXPECT_THAT(log, ::testing::Not(::testing::HasSubstr("bad request 1 ")));
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
  ASSERT_TRUE(InitLogging({.level = "info", .component = "test"}).ok());
}

}  // namespace
}  // namespace reel
