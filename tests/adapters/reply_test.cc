// The worker reply channel read as hostile: what ParseWorkerMessage accepts, and how malformed
// calls are decoded (never a throw, never a crash).

#include "node/reply.h"

#include <string>
#include <utility>
#include <vector>

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
      {"garbage",
       "the line is not valid JSON at line 1, column 1: syntax error while parsing "
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
  for (const char* line :
       {R"({"t":"done","id":"7"})", R"({"t":"done","id":-7})", R"({"t":"done","id":7.5})"}) {
    auto r = ParseWorkerMessage(line);
    REQUIRE(r.ok());
    CHECK(r.value().id == 0);
  }
}

// The message as ParseWorkerMessage reads it; the line must be one.
WorkerMessage Read(const std::string& line) {
  auto r = ParseWorkerMessage(line);
  INFO(line);
  REQUIRE(r.ok());
  return std::move(r).value();
}

TEST_CASE("Worker reply: every member the runner sends is read", "[adapters][reply]") {
  const auto done = Read(R"({"t":"done","id":12,"overflow":false,"lingering":2,"untracked":true,
      "end":{"kind":"threw","message":"boom"},"calls":[
        {"m":"log","line":"hi"},
        {"m":"cb","e":{"t":true,"pur":true,"message":"no","friendly":"Not you"},
         "r":{"j":{"user":{"app_metadata":{"a":1}}}}},
        {"m":"throw","message":"late"}]})");
  CHECK(done.type == "done");
  CHECK(done.id == 12);
  CHECK(done.overflow);  // a boolean, whichever
  CHECK(done.lingering == 2);
  CHECK(done.untracked);
  CHECK(done.threw);
  CHECK(done.end_message == "boom");
  REQUIRE(done.calls.size() == 3);
  CHECK(done.calls[0].method == "log");
  CHECK(done.calls[0].line == "hi");
  const auto& cb = done.calls[1].callback;
  CHECK(cb.error.truthy);
  CHECK(cb.error.is_pre_user_registration_error);
  CHECK(cb.error.message == "no");
  CHECK(cb.error.friendly_message == "Not you");
  CHECK(cb.response.json() == json{{"user", {{"app_metadata", {{"a", 1}}}}}});
  CHECK(done.calls[2].message == "late");

  const auto sync =
      Read(R"({"t":"sync","id":3,"calls":[],"call":{"m":"cache.get","a":[{"j":"k"}]}})");
  CHECK(sync.call.method == "cache.get");
  REQUIRE(sync.call.args.size() == 1);
  CHECK(sync.call.args[0].json() == "k");
  const auto loaded = Read(R"({"t":"loaded","id":0,"kind":"hook"})");
  CHECK((loaded.kind == "hook" && !loaded.error));
  CHECK(*Read(R"({"t":"loaded","id":0,"error":"SyntaxError"})").error == "SyntaxError");
  const auto late = Read(R"({"t":"late","id":4,"what":"log","text":"after"})");
  CHECK((late.what == "log" && late.text == "after"));
  CHECK(Read(R"({"t":"exit","code":3,"id":5})").code == 3);
  // Declined by the fast reader at its end, after most of it was read: read again from the start.
  const auto again = Read(
      R"({"t":"done","id":3,"calls":[{"m":"log","line":"a"}],"end":{"kind":"threw","message":"\u0078"}})");
  CHECK(again.id == 3);
  REQUIRE(again.calls.size() == 1);
  CHECK(again.calls[0].line == "a");
  CHECK((again.threw && again.end_message == "x"));
  // Escapes and \u escapes, which nlohmann's parser reads.
  CHECK(Read(R"({"t":"done","calls":[{"m":"log","line":"caf\u00e9 \"q\"\n"}]})").calls[0].line ==
        "caf\xc3\xa9 \"q\"\n");
}

TEST_CASE("Worker reply: values decode by kind, malformed ones as undefined", "[adapters][reply]") {
  const auto msg = Read(R"({"t":"done","calls":[{"m":"x","a":[
      {"j":{"a":[1,{"b":null}]}}, {"k":"deep"}, {"k":"surrogate"},
      {"k":"large","bytes":5000000,"string":true}, {"k":"large","bytes":"many","string":1},
      {"k":"deep","j":2}, {"j":null}, {"j":-1.5},
      5, "x", null, [{"j":1}], {"k":3}, {"k":"??"}, {}]}]})");
  const auto& a = msg.calls.at(0).args;
  REQUIRE(a.size() == 15);  // every element is an argument
  CHECK(a[0].json() == json::parse(R"({"a":[1,{"b":null}]})"));
  CHECK(a[1].kind() == Value::Kind::kTooDeep);
  CHECK(a[2].kind() == Value::Kind::kLoneSurrogate);
  CHECK(a[3].is_too_large_string());
  CHECK(a[3].bytes() == 5000000);
  CHECK(a[4].kind() == Value::Kind::kTooLarge);
  CHECK(a[4].bytes() == 0);
  CHECK_FALSE(a[4].is_too_large_string());
  CHECK(a[5].json() == 2);  // a value wins over a kind
  CHECK(a[6].is_null());
  CHECK(a[7].json() == -1.5);
  for (size_t i = 8; i < a.size(); ++i) {
    CAPTURE(i);
    CHECK(a[i].is_undefined());
  }
}

TEST_CASE(
    "Worker reply: wrong types read as defaults, unknown members are skipped, the last of a "
    "duplicate counts",
    "[adapters][reply]") {
  const auto odd = Read(R"({"t":"done","id":"7","calls":"no","end":{"kind":5,"message":["x"]},
      "lingering":-1,"untracked":"yes","code":1.5,"error":7,"overflow":null,
      "extra":{"t":"x","calls":[{"m":"log"}],"id":9},"call":[{"m":"cache.get"}]})");
  CHECK(odd.type == "done");
  CHECK(odd.id == 0);
  CHECK(odd.calls.empty());
  CHECK_FALSE(odd.threw);
  CHECK(odd.end_message.empty());
  CHECK(odd.lingering == 0);
  CHECK_FALSE(odd.untracked);
  CHECK_FALSE(odd.overflow);
  CHECK(odd.code == 0);
  CHECK_FALSE(odd.error);
  CHECK(odd.call.method.empty());

  const auto dup = Read(R"({"t":"done","id":7,"id":"x","calls":[{"m":"log","line":"first"}],
      "calls":[{"m":"log","line":"second","line":3}],"end":{"kind":"threw"},"end":{"message":"m"},
      "call":{"m":"cache.get"},"call":5})");
  CHECK(dup.id == 0);
  REQUIRE(dup.calls.size() == 1);
  CHECK(dup.calls[0].line.empty());
  CHECK_FALSE(dup.threw);
  CHECK(dup.end_message == "m");
  CHECK(dup.call.method.empty());
  CHECK_FALSE(ParseWorkerMessage(R"({"t":"done","t":5})").ok());
  CHECK(Read(R"({"t":5,"t":"done"})").type == "done");

  // A falsy error is no error, whatever else it says; a truthy one read after its fields keeps
  // them.
  const auto cb = Read(R"({"t":"done","calls":[
      {"m":"cb","e":{"message":"x","pur":true,"friendly":"f","t":false}},
      {"m":"cb","e":{"message":"x","pur":true,"friendly":"f","t":true}},
      {"m":"cb","e":{"t":true,"message":"x","e":1},"e":{"t":1}}]})");
  REQUIRE(cb.calls.size() == 3);
  CHECK_FALSE(cb.calls[0].callback.error.truthy);
  CHECK(cb.calls[0].callback.error.message.empty());
  CHECK_FALSE(cb.calls[0].callback.error.friendly_message);
  CHECK(cb.calls[1].callback.error.truthy);
  CHECK(cb.calls[1].callback.error.message == "x");
  CHECK(cb.calls[1].callback.error.friendly_message == "f");
  CHECK_FALSE(cb.calls[2].callback.error.truthy);
}

TEST_CASE("Worker reply: the fast reader and nlohmann's parser decode a message alike",
          "[adapters][reply]") {
  // A byte order mark at the start sends a line to nlohmann's parser (the fast reader declines
  // it); the tokens after it are the same.
  const std::vector<std::string> lines = {
      R"({"t":"done","end":{"kind":"returned"},"id":1,"calls":[{"m":"cb","e":{"t":false},"r":{"j":{"user":{"app_metadata":{"checked_by_hook":true}}}}}]})",
      R"({"t":"done","end":{"kind":"returned"},"id":1,"calls":[{"m":"user.setAppMetadata","a":[{"j":"country"},{"j":"GB"}]},{"m":"user.setUserMetadata","a":[{"j":"lang"},{"j":"en"}]}]})",
      R"({"t":"sync","id":9,"calls":[{"m":"log","line":"a"}],"call":{"m":"cache.set","a":[{"j":"k"},{"j":[1,[2,{}],{"x":-3}]},{"k":"large","bytes":9,"string":false}]}})",
      R"({"t":"done","id":2,"id":3,"calls":[5,[],{"m":"cb","e":{"t":true,"pur":true,"message":"m"},"r":{"k":"cycle"}},{}],"lingering":1,"x":{"y":[{"z":1}]}})",
      R"({"t":"late","id":0,"what":"uncaught exception","text":"Error: x\n    at y"})",
  };
  for (const auto& line : lines) {
    CAPTURE(line);
    auto fast = ParseWorkerMessage(line);
    auto sax = ParseWorkerMessage("\xef\xbb\xbf" + line);
    REQUIRE(fast.ok());
    REQUIRE(sax.ok());
    CHECK(DescribeMessage(fast.value()) == DescribeMessage(sax.value()));
  }
}

struct RunFixture {
  testing::ManualScheduler scheduler;
  MemoryCache cache;
  MetadataOptions metadata;
  LogBudget logs;
  std::shared_ptr<StepRun> run = std::make_shared<StepRun>(
      json::object(), std::nullopt,
      std::make_unique<Api>("s", &cache, &scheduler, &metadata, &logs), &scheduler, [](StepEnd) {});
};

TEST_CASE("Worker reply: malformed calls are skipped, well-formed ones applied in order",
          "[adapters][reply]") {
  RunFixture f;
  const auto msg = Read(R"({"t": "done", "calls": [
    5, "x", null, [], {"m": 5}, {"m": "nope"}, {"m": "log"}, {"m": "log", "line": 7},
    {"m": "user.setAppMetadata", "a": "not an array"},
    {"m": "user.setAppMetadata", "a": [{"j": "k"}, {"j": 1}]},
    {"m": "log", "line": "kept"},
    {"m": "cb", "e": {"t": true}},
    {"m": "access.deny", "a": [{"j": "why"}, {"k": "surrogate"}]}
  ]})");
  ApplyCalls(msg.calls, *f.run, nullptr);
  const auto& e = f.run->api().effects();
  CHECK(e.app_metadata == json{{"k", 1}});
  REQUIRE(e.invalid_call);
  CHECK_THAT(*e.invalid_call,
             Catch::StartsWith("api.user.setAppMetadata(…): key must be a string"));
  REQUIRE(f.run->api().logs().size() == 4);  // the last: the second invalid call, logged
  CHECK(std::vector<std::string>(f.run->api().logs().begin(), f.run->api().logs().begin() + 3) ==
        std::vector<std::string>{"", "", "kept"});
}

}  // namespace
}  // namespace prereg::adapters
