// The Hook contract (SPEC §4) as JavaScript Hooks reach it, through real Node workers.

#include <catch2/catch.hpp>

#include "js_fixture.h"

namespace prereg {
namespace {

using json = nlohmann::json;
using testing::Action;
using testing::Hook;
using testing::JsFixture;

TEST_CASE("JS Hook: sees the projected user and context, secrets and the password",
          "[adapters][js][hook]") {
  JsFixture f;
  auto r = f.Run({{"h",
                   Hook("cb(null, {user: {app_metadata: {seen: {user, context}}}});"),
                   {{"API_KEY", "k"}}}});
  REQUIRE(r.outcome == Outcome::kAllow);
  const auto& seen = r.app_metadata["seen"];
  CHECK(seen["user"]["tenant"] == "acme");
  CHECK(seen["user"]["email"] == "ada@example.com");
  CHECK(seen["user"]["emailVerified"] == false);
  CHECK(seen["user"]["phoneNumber"] == "+4412345");
  CHECK(seen["user"]["password"] == "hunter2");
  CHECK(seen["context"]["renderLanguage"] == "fr");
  CHECK(seen["context"]["request"] == json{{"ip", "203.0.113.7"}, {"language", "en"}});
  CHECK(seen["context"]["connection"]["tenant"] == "acme");
  CHECK(seen["context"]["webtask"]["secrets"] == json{{"API_KEY", "k"}});
  CHECK(r.steps[0].kind == StepKind::kHook);
}

TEST_CASE("JS Hook: PreUserRegistrationError is a global Error subclass",
          "[adapters][js][hook]") {
  JsFixture f;
  auto r = f.Run({{"h", Hook("const e = new PreUserRegistrationError('log only');\n"
                             "cb(null, {user: {app_metadata: {isError: e instanceof Error, "
                             "name: e.name, friendly: e.friendlyMessage}}});")}});
  CHECK(r.app_metadata["isError"] == true);
  CHECK(r.app_metadata["name"] == "PreUserRegistrationError");
  CHECK(r.app_metadata["friendly"] == "log only");
}

TEST_CASE("JS Hook: a bare function script runs as a Hook, as Terraform's auth0_hook took it",
          "[adapters][js][hook]") {
  JsFixture f;
  // Anonymous, after comments (a syntax error as a module), and named (a declaration that
  // exports nothing): both are the Hook. A broken one still names its line.
  auto anonymous = f.Run({{"h", "// terraform\n/* auth0_hook */\nfunction (user, context, cb) {\n"
                                "  cb(null, {user: {app_metadata: {via: 'anonymous'}}});\n}\n"}});
  REQUIRE(anonymous.outcome == Outcome::kAllow);
  CHECK(anonymous.steps[0].kind == StepKind::kHook);
  CHECK(anonymous.app_metadata["via"] == "anonymous");
  auto named = f.Run({{"h", "function preRegistration(user, context, cb) {\n"
                            "  cb(new PreUserRegistrationError('no', 'Not now'));\n}\n"}});
  REQUIRE(named.outcome == Outcome::kDeny);
  CHECK(named.denial->denial.user_message == "Not now");
  auto broken = f.Load({{"h", "\nfunction (user, context, cb) {\n  cb(null, {;\n}\n"}});
  REQUIRE_FALSE(broken.ok());
  CHECK_THAT(broken.status().message(), Catch::Contains("line 3") && Catch::Contains("syntax error"));
}

TEST_CASE("JS Hook: every cb form is translated into Actions API calls", "[adapters][js][hook]") {
  const struct {
    const char* body;
    const char* want;  // outcome:reason:user_message, or allow:<app_metadata>
  } cases[] = {
      {"cb();", "allow:{\"plan\":\"free\"}"},
      {"cb(null);", "allow:{\"plan\":\"free\"}"},
      {"cb(null, {});", "allow:{\"plan\":\"free\"}"},
      {"const response = {user}; response.user.app_metadata = {a: 1}; cb(null, response);",
       "allow:{\"a\":1,\"plan\":\"free\"}"},
      {"cb(null, {user: {app_metadata: {x: 1}, email: 'ignored@x'}, other: 1});",
       "allow:{\"plan\":\"free\",\"x\":1}"},
      {"cb(new PreUserRegistrationError('Denied user registration', 'Not today'));",
       "deny:Denied user registration:Not today"},
      {"cb(new PreUserRegistrationError('only'));", "deny:only:only"},
      {"cb(new Error('Failure message'));", "deny:Failure message:null"},
      {"cb('text');", "deny:text:null"},
      {"cb({message: 'obj'});", "deny:obj:null"},
      {"cb(0, {user: {app_metadata: {z: 1}}});", "allow:{\"plan\":\"free\",\"z\":1}"},
      {"return cb(new Error('returned'));", "deny:returned:null"},
      {"setTimeout(() => cb(new Error('later')), 20);", "deny:later:null"},
  };
  JsFixture f;
  for (const auto& c : cases) {
    CAPTURE(c.body);
    auto r = f.Run({{"h", Hook(c.body)}});
    std::string got;
    if (r.outcome == Outcome::kAllow) {
      got = "allow:" + r.app_metadata.dump();
    } else if (r.outcome == Outcome::kDeny) {
      got = "deny:" + r.denial->denial.reason + ":" + r.denial->denial.user_message.value_or("null");
    } else {
      got = "error:" + r.error->message;
    }
    CHECK(got == c.want);
  }
}

TEST_CASE("JS Hook: only the first cb counts and what follows is logged",
          "[adapters][js][hook]") {
  JsFixture f;
  auto r = f.Run({{"h", Hook("cb(null, {user: {user_metadata: {first: true}}});\n"
                             "cb(new Error('second'));\nthrow new Error('after');")},
                  {"next", Action("api.user.setUserMetadata('next', event.user.user_metadata);")}});
  REQUIRE(r.outcome == Outcome::kAllow);
  REQUIRE(r.steps[0].logs.size() == 2);
  CHECK_THAT(r.steps[0].logs[0], Catch::Contains("cb was called again; ignored"));
  CHECK_THAT(r.steps[0].logs[1], Catch::Contains("threw after calling cb; ignored"));
  CHECK(r.user_metadata["next"] == json{{"color", "blue"}, {"first", true}});
}

TEST_CASE("JS Hook: async Hooks may return a promise and call cb", "[adapters][js][hook]") {
  JsFixture f;
  auto r = f.Run({{"h", "module.exports = async function (user, context, cb) {\n"
                        "  await new Promise((r) => setTimeout(r, 5));\n"
                        "  cb(null, {user: {user_metadata: {async: true}}});\n};\n"}});
  REQUIRE(r.outcome == Outcome::kAllow);
  CHECK(r.user_metadata["async"] == true);
}

TEST_CASE("JS Hook: a throw or rejection before cb is action_error", "[adapters][js][hook]") {
  JsFixture f;
  auto r = f.Run({{"sync", Hook("user.nope.boom;")}});
  REQUIRE(r.outcome == Outcome::kError);
  CHECK(r.error->error_class == ErrorClass::kActionError);
  CHECK_THAT(r.error->message, Catch::Contains("TypeError") && Catch::Contains("sync.js:2"));
  auto r2 = f.Run({{"async", "module.exports = async (user, context, cb) => { throw new "
                             "Error('async fail'); };\n"}});
  CHECK(r2.error->error_class == ErrorClass::kActionError);
  CHECK_THAT(r2.error->message, Catch::Contains("async fail"));
}

TEST_CASE("JS Hook: a response with non-object metadata is invalid_api_call",
          "[adapters][js][hook]") {
  JsFixture f;
  auto r = f.Run({{"h", Hook("cb(null, {user: {app_metadata: ['not', 'an', 'object']}});")}});
  REQUIRE(r.outcome == Outcome::kError);
  CHECK(r.error->error_class == ErrorClass::kInvalidApiCall);
  CHECK_THAT(r.error->message, Catch::Contains("must be a plain object"));
}

TEST_CASE("JS Hook: a Hook that never calls cb times out saying so", "[adapters][js][hook]") {
  JsFixture f;
  auto r = f.Run({{"silent", Hook("console.log('forgot cb');"), {}, 300}});
  REQUIRE(r.outcome == Outcome::kError);
  CHECK(r.error->error_class == ErrorClass::kActionTimeout);
  CHECK_THAT(r.error->message, Catch::Contains("the Hook never called cb"));
}

TEST_CASE("JS Hook: a Hook followed by an Action, the password masked in logs",
          "[adapters][js][hook]") {
  JsFixture f;
  auto r = f.Run({{"legacy", Hook("console.log('pw=' + user.password);\n"
                                  "cb(null, {user: {app_metadata: {legacy: true}}});")},
                  {"modern", Action("api.user.setAppMetadata('modern', event.user.app_metadata.legacy);")}});
  REQUIRE(r.outcome == Outcome::kAllow);
  CHECK(r.steps[0].logs == std::vector<std::string>{"pw=[password]"});
  CHECK(r.app_metadata == json{{"legacy", true}, {"modern", true}, {"plan", "free"}});
}

}  // namespace
}  // namespace prereg
