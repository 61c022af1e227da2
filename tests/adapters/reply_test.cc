// The worker reply channel read as hostile: what ParseWorkerMessage accepts, and how malformed
// calls are decoded (never a throw, never a crash).

#include "node/reply.h"

#include <catch2/catch.hpp>

#include "support/manual_scheduler.h"

namespace prereg::adapters {
namespace {

using json = nlohmann::json;

TEST_CASE("Worker reply: only objects with a string type are messages", "[adapters][reply]") {
  auto ok = ParseWorkerMessage(R"({"t":"done","id":7,"calls":[]})");
  REQUIRE(ok.ok());
  CHECK(ok.value().type == "done");
  CHECK(ok.value().id == 7);

  const struct {
    std::string line;
    std::string message;
  } bad[] = {
      {"garbage", "the line is not valid JSON at line 1, column 1: syntax error while parsing "
                  "value - invalid literal"},
      {"5", "the line is not a message: an object with a string \"t\""},
      {R"({"t":5})", "the line is not a message: an object with a string \"t\""},
      {R"({"t":"log","line":"\ud83d"})",
       "the line is not valid JSON at line 1, column 26: syntax error while parsing value - "
       "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF"},
      {std::string(200, '[') + std::string(200, ']'),
       "the line nests arrays and objects deeper than 136 levels (at line 1, column 137)"},
  };
  for (const auto& c : bad) {
    auto r = ParseWorkerMessage(c.line);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == c.message);
  }
  // An id that is not a whole number is no id: the message belongs to no job.
  for (const char* line : {R"({"t":"done","id":"7"})", R"({"t":"done","id":-7})",
                           R"({"t":"done","id":7.5})"}) {
    auto r = ParseWorkerMessage(line);
    REQUIRE(r.ok());
    CHECK(r.value().id == 0);
  }
}

TEST_CASE("Worker reply: values decode by kind, malformed ones as undefined", "[adapters][reply]") {
  CHECK(DecodeValue(json{{"j", {{"a", 1}}}}).json() == json{{"a", 1}});
  CHECK(DecodeValue(json{{"k", "deep"}}).kind() == Value::Kind::kTooDeep);
  CHECK(DecodeValue(json{{"k", "surrogate"}}).kind() == Value::Kind::kLoneSurrogate);
  const auto large = DecodeValue(json{{"k", "large"}, {"bytes", 5000000}, {"string", true}});
  CHECK(large.is_too_large_string());
  CHECK(large.bytes() == 5000000);
  CHECK(DecodeValue(json{{"k", "large"}, {"bytes", "many"}, {"string", 1}}).bytes() == 0);
  for (const json& odd : {json(5), json("x"), json::array(), json{{"k", 3}}, json{{"k", "??"}}}) {
    CHECK(DecodeValue(odd).is_undefined());
  }
}

struct RunFixture {
  testing::ManualScheduler scheduler;
  MemoryCache cache;
  MetadataOptions metadata;
  LogBudget logs;
  std::shared_ptr<StepRun> run = std::make_shared<StepRun>(
      json::object(), std::nullopt,
      std::make_unique<Api>("s", &cache, &scheduler, &metadata, &logs), &scheduler,
      [](StepEnd) {});
};

TEST_CASE("Worker reply: malformed calls are skipped, well-formed ones applied in order",
          "[adapters][reply]") {
  RunFixture f;
  const json calls = json::parse(R"([
    5, "x", null, [], {"m": 5}, {"m": "nope"}, {"m": "log"}, {"m": "log", "line": 7},
    {"m": "user.setAppMetadata", "a": "not an array"},
    {"m": "user.setAppMetadata", "a": [{"j": "k"}, {"j": 1}]},
    {"m": "log", "line": "kept"},
    {"m": "cb", "e": {"t": true}},
    {"m": "access.deny", "a": [{"j": "why"}, {"k": "surrogate"}]}
  ])");
  ApplyCalls(calls, *f.run, nullptr);
  const auto& e = f.run->api().effects();
  CHECK(e.app_metadata == json{{"k", 1}});
  REQUIRE(e.invalid_call);
  CHECK_THAT(*e.invalid_call, Catch::StartsWith("api.user.setAppMetadata(…): key must be a string"));
  REQUIRE(f.run->api().logs().size() == 4);  // the last: the second invalid call, logged
  CHECK(std::vector<std::string>(f.run->api().logs().begin(), f.run->api().logs().begin() + 3) ==
        std::vector<std::string>{"", "", "kept"});
  CHECK(ApplyCalls(json("not calls"), *f.run, nullptr).is_null());
}

}  // namespace
}  // namespace prereg::adapters
