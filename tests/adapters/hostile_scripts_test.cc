// Scripts that attack the reply channel or send what it cannot carry end their own step at once,
// with an error saying what they did, and the pool goes on serving. Waiting for a worker is never
// charged to a script.

#include <optional>

#include <catch2/catch.hpp>

#include "js_fixture.h"
#include "prereg/actions/executor.h"

namespace prereg {
namespace {

using json = nlohmann::json;
using testing::Action;
using testing::Hook;
using testing::JsFixture;

// A budget no case reaches: what ends them must be their own failure, however loaded the machine.
FlowOptions LongBudget() {
  FlowOptions options;
  options.timeout_ms = 120000;
  return options;
}

void ExpectPoolStillServes(JsFixture& f) {
  auto r = f.Run({{"healthy", Action("api.user.setAppMetadata('ok', '😀 fine');")}});
  CHECK(r.outcome == Outcome::kAllow);
  CHECK(r.app_metadata["ok"] == "\xf0\x9f\x98\x80 fine");
}

TEST_CASE("Hostile scripts: breaking the reply channel fails the step at once, worker replaced",
          "[adapters][hostile]") {
  const struct {
    const char* name;
    std::string source;
    const char* message;
  } cases[] = {
      {"garbage", Action("require('fs').writeSync(3, 'garbage\\n');\n"
                         "await new Promise((r) => setTimeout(r, 60000));"),
       "the worker wrote something other than a message on its reply channel: the line is not "
       "valid JSON at line 1, column 1"},
      {"not_a_message", Action("require('fs').writeSync(3, '[1,2]\\n');\n"
                               "await new Promise((r) => setTimeout(r, 60000));"),
       "the line is not a message: an object with a string \"t\""},
      {"deep_line", Action("require('fs').writeSync(3, '['.repeat(100000) + '\\n');\n"
                           "await new Promise((r) => setTimeout(r, 60000));"),
       "nests arrays and objects deeper than 136 levels"},
      {"long_line", Action("require('fs').writeSync(3, 'x'.repeat(3 * 1024 * 1024) + '\\n');\n"
                           "await new Promise((r) => setTimeout(r, 60000));"),
       "the worker wrote a line of more than 1048576 bytes on its reply channel"},
  };
  JsFixture f;
  int restarts = f.runtime().pool().restarts();
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto r = f.Run({{c.name, c.source}}, testing::SampleEvent(), LongBudget());
    REQUIRE(r.outcome == Outcome::kError);
    CHECK(r.error->error_class == ErrorClass::kActionError);
    CHECK_THAT(r.error->message, Catch::Contains(c.message) &&
                                     Catch::EndsWith("; the worker was replaced"));
    CHECK(f.runtime().pool().restarts() == ++restarts);
    ExpectPoolStillServes(f);
  }
}

TEST_CASE("Hostile scripts: a worker that never reads its answers cannot stall the engine",
          "[adapters][hostile]") {
  // At load, the script wraps the read callback of the worker's request pipe; when the next
  // execution arrives it floods the reply channel with synchronous calls for that job and never
  // reads the answers.
  const std::string source =
      "const handle = process.stdin._handle;\n"
      "const onread = handle.onread;\n"
      "handle.onread = function (buffer) {\n"
      "  const result = onread.apply(this, arguments);\n"
      "  const m = buffer && /\"id\":(\\d+)/.exec(Buffer.from(buffer).toString('latin1'));\n"
      "  if (!m) return result;\n"
      "  const line = JSON.stringify({t: 'sync', id: Number(m[1])}) + '\\n';\n"
      "  for (let i = 0; i < 20000; i++) require('fs').writeSync(3, line);\n"
      "  return result;\n"
      "};\n" +
      Action("await new Promise((r) => setTimeout(r, 60000));");
  JsFixture f;
  auto r = f.Run({{"flood", source}}, testing::SampleEvent(), LongBudget());
  REQUIRE(r.outcome == Outcome::kError);
  CHECK(r.error->error_class == ErrorClass::kActionError);
  CHECK_THAT(r.error->message, Catch::Contains("the worker did not read its answers"));
  ExpectPoolStillServes(f);
}

TEST_CASE("Hostile scripts: values too large, too deep or not valid Unicode are invalid calls",
          "[adapters][hostile]") {
  const struct {
    const char* name;
    std::string source;
    const char* message;
  } cases[] = {
      {"huge", Action("api.user.setAppMetadata('big', 'x'.repeat(100 * 1024 * 1024));"),
       "api.user.setAppMetadata(\"big\", …): the value is a string of 104857600 bytes: too large "
       "to pass to the engine"},
      {"huge_object", Action("api.user.setUserMetadata('o', {a: 'x'.repeat(300000)});"),
       "the value is a value of 300008 bytes as JSON: too large to pass to the engine"},
      {"deep", Action("let v = 1; for (let i = 0; i < 200; i++) v = [v];\n"
                      "api.user.setAppMetadata('deep', v);"),
       "the value is a value nested deeper than 128 levels: too deep to pass to the engine"},
      {"lone", Action("api.user.setUserMetadata('name', '😀'.slice(0, 1));"),
       "api.user.setUserMetadata(\"name\", …): the value is text with a lone UTF-16 "
       "surrogate (half a character, e.g. an emoji cut by slice): not valid Unicode"},
      {"lone_inside", Action("api.user.setUserMetadata('o', {n: ['ok', 'x\\udc00']});"),
       "not valid Unicode"},
      {"lone_key", Action("api.user.setUserMetadata('o', {['\\ud800']: 1});"),
       "not valid Unicode"},
      {"hook_response", Hook("cb(null, {user: {app_metadata: {n: '😀'.slice(1)}}});"),
       "cb(null, response): the response is text with a lone UTF-16 surrogate"},
  };
  JsFixture f;
  const int restarts = f.runtime().pool().restarts();
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto r = f.Run({{c.name, c.source}}, testing::SampleEvent(), LongBudget());
    REQUIRE(r.outcome == Outcome::kError);
    CHECK(r.error->error_class == ErrorClass::kInvalidApiCall);
    CHECK_THAT(r.error->message, Catch::Contains(c.message));
  }
  CHECK(f.runtime().pool().restarts() == restarts);  // the runner described them: no violation
  ExpectPoolStillServes(f);
}

TEST_CASE("Hostile scripts: text the engine only shows is made well-formed and bounded",
          "[adapters][hostile]") {
  JsFixture f;
  SECTION("a lone surrogate in a log line becomes U+FFFD") {
    auto r = f.Run({{"log", Action("console.log('half', '😀'.slice(0, 1), 'end');")}});
    REQUIRE(r.outcome == Outcome::kAllow);
    CHECK(r.steps[0].logs == std::vector<std::string>{"half \xef\xbf\xbd end"});
  }
  SECTION("a Hook's cb error message with a lone surrogate still denies") {
    auto r = f.Run({{"deny", Hook("cb(new PreUserRegistrationError('no ' + '😀'.slice(0, 1), "
                                  "'Sorry ' + '😀'.slice(1)));")}});
    REQUIRE(r.outcome == Outcome::kDeny);
    CHECK(r.denial->denial.reason == "no \xef\xbf\xbd");
    CHECK(r.denial->denial.user_message == "Sorry \xef\xbf\xbd");
  }
  SECTION("a 10 MB log line is cut at the log limit with the marker") {
    auto r = f.Run({{"log", Action("console.log('y'.repeat(10 * 1024 * 1024));")}});
    REQUIRE(r.outcome == Outcome::kAllow);
    REQUIRE(r.steps[0].logs.size() == 2);
    CHECK(r.steps[0].logs[0] == std::string(256 * 1024, 'y'));
    CHECK(r.steps[0].logs[1] == LogBudget::kMarker);
  }
  SECTION("a 10 MB error message is cut") {
    auto r = f.Run({{"throw", Action("throw new Error('z'.repeat(10 * 1024 * 1024));")}});
    REQUIRE(r.outcome == Outcome::kError);
    CHECK(r.error->error_class == ErrorClass::kActionError);
    CHECK(r.error->message.size() < 5000);
    CHECK_THAT(r.error->message, Catch::Contains("... (cut)"));
  }
  SECTION("too many calls for one report fail the step, without a violation") {
    const int restarts = f.runtime().pool().restarts();
    auto r = f.Run({{"calls", Action("for (let i = 0; i < 200000; i++) "
                                     "api.user.setAppMetadata('k' + (i % 10), 'v'.repeat(20));")}},
                   testing::SampleEvent(), LongBudget());
    REQUIRE(r.outcome == Outcome::kError);
    CHECK(r.error->error_class == ErrorClass::kActionError);
    CHECK_THAT(r.error->message,
               Catch::Contains("more API calls and console output than one report to the engine "
                               "may hold (524288 bytes)"));
    CHECK(f.runtime().pool().restarts() == restarts);
  }
  SECTION("a cache value too large to pass is the cache's own size error") {
    auto r = f.Run({{"cache", Action("const res = api.cache.set('k', 'v'.repeat(5 * 1024 * 1024));\n"
                                     "api.user.setAppMetadata('res', res);")}});
    REQUIRE(r.outcome == Outcome::kAllow);
    CHECK(r.app_metadata["res"] == json{{"type", "error"}, {"code", "CacheValueSizeExceeded"}});
  }
  ExpectPoolStillServes(f);
}

TEST_CASE("Hostile scripts: sign-ups that wait for a worker past the budget kill no worker",
          "[adapters][hostile][queue]") {
  // 12 sign-ups of one second each on 2 workers with a 2.5 s budget: four finish, two start with
  // half a second left and overrun it, and the rest never start. Only the overruns cost a worker.
  // (Its figures are for one execution per worker: it is not run with more.)
  adapters::PoolOptions pool;
  pool.workers = 2;
  JsFixture f(pool);
  FlowOptions options;
  options.timeout_ms = 2500;
  auto flow = f.Load({{"sleepy", Action("await new Promise((r) => setTimeout(r, 1000));")}}, options);
  REQUIRE(flow.ok());
  const int restarts_before = f.runtime().pool().restarts();
  const auto records = f.RunConcurrently(*flow.value(), 12);
  int allowed = 0, overran = 0, never_started = 0;
  for (const auto& r : records) {
    if (r.outcome == Outcome::kAllow) {
      ++allowed;
      continue;
    }
    REQUIRE(r.outcome == Outcome::kError);
    CHECK(r.error->error_class == ErrorClass::kActionTimeout);
    if (r.error->message.find("did not start within the flow's 2500 ms budget: it waited") !=
        std::string::npos) {
      CHECK_THAT(r.error->message, Catch::EndsWith("in the queue for a Node worker, all busy with "
                                                    "other sign-ups"));
      ++never_started;
    } else {
      CHECK_THAT(r.error->message,
                 Catch::Contains("did not finish within the flow's 2500 ms budget") &&
                     Catch::Contains("(it first waited"));
      ++overran;
    }
  }
  CHECK(allowed >= 2);
  CHECK(never_started >= 4);
  CHECK(overran <= 2);  // at most one per worker: a replacement never gets a doomed job
  CHECK(f.runtime().pool().restarts() - restarts_before == overran);
  CHECK(f.runtime().pool().queue_depth() == 0);  // dropped from the queue, not left behind
}

}  // namespace
}  // namespace prereg
