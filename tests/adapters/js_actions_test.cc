// SPEC rules as JavaScript Actions reach them, through real Node workers.

#include "prereg/adapters/script_step.h"

#include <catch2/catch.hpp>

#include "js_fixture.h"

namespace prereg {
namespace {

using json = nlohmann::json;
using testing::Action;
using testing::JsFixture;

TEST_CASE("JS Action: deny, validation error and metadata through the real pool",
          "[adapters][js][action]") {
  JsFixture f;
  SECTION("deny with and without a user message") {
    auto r = f.Run({{"a", Action("api.access.deny('blocked', 'Sorry');")}});
    REQUIRE(r.outcome == Outcome::kDeny);
    CHECK(r.denial->denial.reason == "blocked");
    CHECK(r.denial->denial.user_message == "Sorry");
    auto r2 = f.Run({{"b", Action("api.access.deny('no message');")}});
    CHECK_FALSE(r2.denial->denial.user_message);
  }
  SECTION("validation error") {
    auto r = f.Run({{"v", Action("api.validation.error('invalid_name', 'Use your real name');")}});
    REQUIRE(r.outcome == Outcome::kDeny);
    CHECK(r.denial->denial.kind == Denial::Kind::kValidationError);
    CHECK(r.denial->denial.reason == "invalid_name");
  }
  SECTION("metadata calls chain, merge per key, and null deletes") {
    auto r = f.Run({{"m", Action("api.user.setAppMetadata('tier', 'gold')"
                                 ".user.setUserMetadata('color', null)"
                                 ".user.setUserMetadata('when', new Date(0))"
                                 ".user.setUserMetadata('nested', {a: [1, {b: 2}], u: undefined});")}});
    REQUIRE(r.outcome == Outcome::kAllow);
    CHECK(r.app_metadata == json{{"plan", "free"}, {"tier", "gold"}});
    CHECK(r.user_metadata ==
          json{{"when", "1970-01-01T00:00:00.000Z"}, {"nested", {{"a", {1, {{"b", 2}}}}}}});
  }
  SECTION("setUserId is prefixed with the strategy") {
    auto r = f.Run({{"id", Action("api.user.setUserId('custom-42');")}});
    CHECK(r.user_id == "auth0|custom-42");
  }
}

TEST_CASE("JS Action: a deny stops later steps and the first deny wins", "[adapters][js][action]") {
  JsFixture f;
  auto r = f.Run({{"one", Action("api.access.deny('first'); api.access.deny('second'); "
                                 "console.log('ran on');")},
                  {"two", Action("console.log('must not run');")}});
  REQUIRE(r.outcome == Outcome::kDeny);
  CHECK(r.denial->denial.reason == "first");
  REQUIRE(r.steps[0].logs.size() == 2);
  CHECK_THAT(r.steps[0].logs[0], Catch::Contains("\"second\") ignored"));
  CHECK(r.steps[0].logs[1] == "ran on");
  CHECK(r.steps[1].status == StepStatus::kSkipped);
}

TEST_CASE("JS Action: values JSON cannot represent are invalid calls a try cannot hide",
          "[adapters][js][action]") {
  const struct {
    const char* expr;
    const char* described;
  } cases[] = {
      {"undefined", "undefined"},          {"() => 1", "a function"},
      {"Symbol('s')", "a symbol"},         {"10n", "a BigInt"},
      {"NaN", "a non-finite number"},      {"Infinity", "a non-finite number"},
      {"(() => { const o = {}; o.self = o; return o; })()", "an object with a cycle"},
      {"{big: 1n}", "a BigInt"},
  };
  JsFixture f;
  for (const auto& c : cases) {
    CAPTURE(c.expr);
    auto r = f.Run({{"s", Action(std::string("try { api.user.setAppMetadata('k', ") + c.expr +
                                     "); } catch (e) { api.access.deny('caught'); }")}});
    REQUIRE(r.outcome == Outcome::kError);
    CHECK(r.error->error_class == ErrorClass::kInvalidApiCall);
    CHECK_THAT(r.error->message, Catch::Contains(c.described));
  }
}

TEST_CASE("JS Action: metadata key rules, reserved names and argument types",
          "[adapters][js][action]") {
  const struct {
    const char* call;
    const char* rule;
  } cases[] = {
      {"api.user.setAppMetadata('a.b', 1)", "must not contain \".\""},
      {"api.user.setUserMetadata('$x', 1)", "must not start with \"$\""},
      {"api.user.setUserMetadata('p', {deep: {'$bad': 1}})", "must not start with \"$\""},
      {"api.user.setAppMetadata('email', 'x')", "reserved app_metadata name"},
      {"api.user.setAppMetadata(5, 'x')", "key must be a string"},
      {"api.validation.error('c', 'm'.repeat(101))", "at most 100 characters"},
      {"api.access.deny(404)", "reason must be a string"},
      {"api.user.setUserId('has space')", "may only contain"},
      {"api.cache.set('k', 5)", "value must be a string"},
  };
  JsFixture f;
  for (const auto& c : cases) {
    CAPTURE(c.call);
    auto r = f.Run({{"s", Action(std::string(c.call) + ";")}});
    REQUIRE(r.outcome == Outcome::kError);
    CHECK(r.error->error_class == ErrorClass::kInvalidApiCall);
    CHECK_THAT(r.error->message, Catch::Contains("step \"s\"") && Catch::Contains(c.rule));
  }
}

TEST_CASE("JS Action: a throw or a rejection is action_error naming the line",
          "[adapters][js][action]") {
  JsFixture f;
  auto r = f.Run({{"thrower", Action("api.access.deny('no');\n  throw new TypeError('boom');")}});
  REQUIRE(r.outcome == Outcome::kError);
  CHECK(r.error->error_class == ErrorClass::kActionError);
  CHECK_THAT(r.error->message, Catch::Contains("TypeError: boom") && Catch::Contains("thrower.js:3"));
  auto r2 = f.Run({{"rejecter", Action("await Promise.reject(new Error('nope'));")}});
  CHECK(r2.error->error_class == ErrorClass::kActionError);
  CHECK_THAT(r2.error->message, Catch::Contains("Error: nope"));
}

TEST_CASE("JS Action: the event has step secrets, no password, and unknown fields",
          "[adapters][js][action]") {
  JsFixture f;
  auto r = f.Run({{"s",
                   Action("api.user.setUserMetadata('seen', {secret: event.secrets.KEY, "
                          "password: event.request.body.password === undefined, "
                          "unknown: event.unknown_field, first: event.request.body['ulp-first-name'],"
                          " pur: typeof PreUserRegistrationError});"),
                   {{"KEY", "k-1"}}}});
  REQUIRE(r.outcome == Outcome::kAllow);
  CHECK(r.user_metadata["seen"] == json{{"secret", "k-1"},
                                        {"password", true},
                                        {"unknown", {{"kept", true}}},
                                        {"first", "Ada"},
                                        {"pur", "undefined"}});
}

TEST_CASE("JS Action: later steps see metadata set through the API, not direct event writes",
          "[adapters][js][action]") {
  JsFixture f;
  auto r = f.Run({{"writer", Action("event.user.app_metadata.direct = 1; "
                                    "api.user.setAppMetadata('via_api', 2);")},
                  {"reader", Action("api.user.setUserMetadata('saw', event.user.app_metadata);")}});
  REQUIRE(r.outcome == Outcome::kAllow);
  CHECK(r.user_metadata["saw"] == json{{"plan", "free"}, {"via_api", 2}});
}

TEST_CASE("JS Action: console output is formatted like util.format and secrets are masked",
          "[adapters][js][action]") {
  JsFixture f;
  auto r = f.Run({{"log",
                   Action("console.log('%s has %d items', 'cart', 3, {a: 1}); "
                          "console.error('token=' + event.secrets.TOKEN); console.info([1, 'x']);"),
                   {{"TOKEN", "tok-secret"}}}});
  CHECK(r.steps[0].logs ==
        std::vector<std::string>{"cart has 3 items { a: 1 }", "token=[secret]", "[ 1, 'x' ]"});
}

TEST_CASE("JS Action: api.cache is synchronous, shared by steps and kept across executions",
          "[adapters][js][action]") {
  JsFixture f;
  auto flow = f.Load(
      {{"counter", Action("const c = api.cache.get('n');\n"
                          "const r = api.cache.set('n', String(c ? Number(c.value) + 1 : 1), "
                          "{ttl: 60000});\n"
                          "api.user.setAppMetadata('set', r.type);")},
       {"reader", Action("api.user.setAppMetadata('n', api.cache.get('n').value);\n"
                         "api.user.setAppMetadata('del', api.cache.delete('missing').code);\n"
                         "api.user.setAppMetadata('bad', api.cache.set('k', 'v', {ttl: 0}).code);")}});
  REQUIRE(flow.ok());
  auto first = f.RunFlow(*flow.value());
  auto second = f.RunFlow(*flow.value());
  CHECK(first.app_metadata["n"] == "1");
  CHECK(second.app_metadata["n"] == "2");
  CHECK(second.app_metadata["set"] == "success");
  CHECK(second.app_metadata["del"] == "CacheKeyDoesNotExist");
  CHECK(second.app_metadata["bad"] == "ItemAlreadyExpired");
}

TEST_CASE("JS Action: module-level state persists between executions on a worker",
          "[adapters][js][action]") {
  adapters::PoolOptions one_worker;
  one_worker.workers = 1;
  JsFixture f(one_worker);
  auto flow = f.Load({{"state", "let calls = 0;\n" +
                                    Action("calls++; api.user.setAppMetadata('calls', calls);")}});
  REQUIRE(flow.ok());
  f.RunFlow(*flow.value());
  auto r = f.RunFlow(*flow.value());
  CHECK(r.app_metadata["calls"] == 2);
}

TEST_CASE("JS Action: require of Node core modules and of node_modules beside the script",
          "[adapters][js][action]") {
  JsFixture f;
  f.dir().Write("node_modules/greeter/index.js", "module.exports = (n) => 'hello ' + n;");
  auto r = f.Run({{"mods", "const crypto = require('crypto');\nconst greet = require('greeter');\n" +
                               Action("api.user.setAppMetadata('h', crypto.createHash('sha256')"
                                      ".update('x').digest('hex').slice(0, 8));\n"
                                      "api.user.setAppMetadata('g', greet('ada'));")}});
  REQUIRE(r.outcome == Outcome::kAllow);
  CHECK(r.app_metadata["h"] == "2d711642");
  CHECK(r.app_metadata["g"] == "hello ada");
}

TEST_CASE("JS Action: a versioned require, as Hooks pin them, resolves to the installed module",
          "[adapters][js][action]") {
  JsFixture f;
  f.dir().Write("node_modules/lodash/index.js", "module.exports = {v: 'installed'};");
  auto r = f.Run({{"pinned", "const _ = require('lodash@4.17.21');\n" +
                                 Action("api.user.setAppMetadata('v', _.v);")}});
  CHECK(r.app_metadata["v"] == "installed");
}

}  // namespace
}  // namespace prereg

namespace prereg {
namespace {

TEST_CASE("JS Action: Unicode and large events survive the worker protocol intact",
          "[adapters][js][action]") {
  testing::JsFixture f;
  auto event = testing::SampleEvent();
  std::string big;
  for (int i = 0; i < 30000; ++i) big += "\xC3\xA9\xF0\x9F\x98\x80";  // é😀, 180 KB
  event["user"]["name"] = "Zoë \xE5\xB1\xB1\xE7\x94\xB0 \xF0\x9F\x8C\x8D";
  event["request"]["body"]["essay"] = big;
  auto r = f.Run({{"u", testing::Action(
                            "api.user.setUserMetadata('name', event.user.name);\n"
                            "api.user.setUserMetadata('essay_length', event.request.body.essay.length);\n"
                            "api.user.setUserMetadata('essay_ok', event.request.body.essay === "
                            "'\\u00e9\\u{1F600}'.repeat(30000));\n"
                            "console.log('hello %s', event.user.name);")}},
                 event);
  REQUIRE(r.outcome == Outcome::kAllow);
  CHECK(r.user_metadata["name"] == "Zoë \xE5\xB1\xB1\xE7\x94\xB0 \xF0\x9F\x8C\x8D");
  CHECK(r.user_metadata["essay_length"] == 90000);  // UTF-16 units: 1 + 2 per pair
  CHECK(r.user_metadata["essay_ok"] == true);
  CHECK(r.steps[0].logs == std::vector<std::string>{"hello Zoë \xE5\xB1\xB1\xE7\x94\xB0 \xF0\x9F\x8C\x8D"});
}

}  // namespace
}  // namespace prereg
