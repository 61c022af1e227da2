#include "prereg/hooks/hook.h"

#include <catch2/catch.hpp>

#include "support/flow_runner.h"

namespace prereg::hooks {
namespace {

using json = nlohmann::json;

TEST_CASE("Hook projection: user from the event, verified flags false, password from the body",
          "[hooks_compat][projection]") {
  auto event = testing::SampleEvent();
  auto user = ProjectUser(event, std::string("hunter2"));
  CHECK(user == json{{"tenant", "acme"},
                     {"username", "ada"},
                     {"email", "ada@example.com"},
                     {"emailVerified", false},
                     {"phoneNumber", "+4412345"},
                     {"phoneNumberVerified", false},
                     {"user_metadata", {{"color", "blue"}}},
                     {"app_metadata", {{"plan", "free"}}},
                     {"password", "hunter2"}});
}

TEST_CASE("Hook projection: missing fields are left out and metadata defaults to empty",
          "[hooks_compat][projection]") {
  auto user = ProjectUser(json{{"user", {{"email", "a@b.c"}}}}, std::nullopt);
  CHECK(user == json{{"email", "a@b.c"},
                     {"emailVerified", false},
                     {"phoneNumberVerified", false},
                     {"user_metadata", json::object()},
                     {"app_metadata", json::object()}});
}

TEST_CASE("Hook projection: context from request, connection, tenant and secrets",
          "[hooks_compat][projection]") {
  auto event = testing::SampleEvent();
  event["secrets"] = {{"API_KEY", "k"}};
  CHECK(ProjectContext(event) ==
        json{{"renderLanguage", "fr"},
             {"requestLanguage", "en"},
             {"request", {{"ip", "203.0.113.7"}, {"language", "en"}}},
             {"connection",
              {{"id", "con_1"}, {"name", "Username-Password-Authentication"}, {"tenant", "acme"}}},
             {"webtask", {{"secrets", {{"API_KEY", "k"}}}}}});
}

TEST_CASE("Hook projection: renderLanguage falls back to the request language",
          "[hooks_compat][projection]") {
  auto event = testing::SampleEvent();
  SECTION("empty locale") { event["transaction"]["locale"] = ""; }
  SECTION("no transaction") { event.erase("transaction"); }
  SECTION("null transaction") { event["transaction"] = nullptr; }
  CHECK(ProjectContext(event)["renderLanguage"] == "en");
}

TEST_CASE("Hook projection: the text for a worker is the trees' text",
          "[hooks_compat][projection]") {
  auto event = testing::SampleEvent();
  std::optional<std::string> password = "hunter2";
  SECTION("the sample event") {}
  SECTION("no password") { password.reset(); }
  SECTION("secrets, and a locale") {
    event["secrets"] = {{"API_KEY", "k\"\n"}, {"n", 1}};
    event["transaction"]["locale"] = "de";
  }
  SECTION("secrets not an object") { event["secrets"] = "x"; }
  SECTION("metadata null, and a string where an object was") {
    event["user"]["user_metadata"] = nullptr;
    event["user"]["app_metadata"] = "plan";
  }
  SECTION("invalid UTF-8 and control characters") {
    event["user"]["email"] = std::string("a\xff\x01@b.c");
    event["request"]["language"] = std::string("\xc3");
  }
  SECTION("members that are not objects") {
    event["user"] = 5;
    event["request"] = json::array({1, 2});
    event["connection"] = nullptr;
    event["tenant"] = "acme";
  }
  SECTION("an empty event") { event = json::object(); }
  JsonWriter user;
  WriteUser(&user, event, password);
  CHECK(std::move(user).Take() == DumpJson(ProjectUser(event, password)));
  JsonWriter context;
  WriteContext(&context, event);
  CHECK(std::move(context).Take() == DumpJson(ProjectContext(event)));
}

TEST_CASE("PreUserRegistrationError: friendlyMessage defaults to the message",
          "[hooks_compat][callback]") {
  CHECK(PreUserRegistrationError("log", "shown").friendly_message == "shown");
  CHECK(PreUserRegistrationError("log").friendly_message == "log");
}

// Applies one callback to a fresh Api and renders what it asked for as one line.
std::string Translate(const CallbackArgs& args) {
  testing::ManualScheduler scheduler;
  MemoryCache cache;
  MetadataOptions metadata;
  LogBudget logs;
  Api api("hook", &cache, &scheduler, &metadata, &logs);
  ApplyCallback(args, api);
  const auto& e = api.effects();
  std::string out;
  if (e.denial) {
    out += "deny(" + e.denial->reason + "," +
           (e.denial->user_message ? *e.denial->user_message : "null") + ");";
  }
  if (!e.app_metadata.empty()) out += "app=" + e.app_metadata.dump() + ";";
  if (!e.user_metadata.empty()) out += "user=" + e.user_metadata.dump() + ";";
  if (e.invalid_call) out += "invalid(" + *e.invalid_call + ");";
  return out.empty() ? "continue" : out;
}

TEST_CASE("Hook callback: every cb form becomes Actions API calls", "[hooks_compat][callback]") {
  const auto none = CallbackError::None();
  const struct {
    const char* form;
    CallbackArgs args;
    std::string want;
  } cases[] = {
      {"cb()", {none, Value()}, "continue"},
      {"cb(null)", {CallbackError::FromValue(json(nullptr)), Value()}, "continue"},
      {"cb(null, {})", {none, json::object()}, "continue"},
      {"cb(null, {user: {app_metadata, user_metadata}})",
       {none, json{{"user", {{"app_metadata", {{"a", 1}, {"b", {{"c", 2}}}}},
                             {"user_metadata", {{"u", "x"}}}}}}},
       R"(app={"a":1,"b":{"c":2}};user={"u":"x"};)"},
      {"other response properties are ignored",
       {none, json{{"user", {{"email", "x@y.z"}, {"user_metadata", {{"u", 1}}}}}, {"extra", 1}}},
       R"(user={"u":1};)"},
      {"response.user not an object", {none, json{{"user", "ada"}}}, "continue"},
      {"response not an object", {none, json("ok")}, "continue"},
      {"cb(new PreUserRegistrationError(m, f))",
       {CallbackError::From(PreUserRegistrationError("log", "shown")), Value()},
       "deny(log,shown);"},
      {"cb(new PreUserRegistrationError(m))",
       {CallbackError::From(PreUserRegistrationError("log")), Value()}, "deny(log,log);"},
      {"cb(new Error(m))", {CallbackError::From(Error{"failure"}), Value()}, "deny(failure,null);"},
      {"cb('text')", {CallbackError::FromValue(json("text")), Value()}, "deny(text,null);"},
      {"cb({message})", {CallbackError::FromValue(json{{"message", "m"}}), Value()},
       "deny(m,null);"},
      {"cb({})", {CallbackError::FromValue(json::object()), Value()},
       "deny([object Object],null);"},
      {"cb(42)", {CallbackError::FromValue(json(42)), Value()}, "deny(42,null);"},
      {"cb(true)", {CallbackError::FromValue(json(true)), Value()}, "deny(true,null);"},
      {"cb(0)", {CallbackError::FromValue(json(0)), json{{"user", {{"app_metadata", {{"a", 1}}}}}}},
       R"(app={"a":1};)"},
      {"cb(false)", {CallbackError::FromValue(json(false)), Value()}, "continue"},
      {"cb('')", {CallbackError::FromValue(json("")), Value()}, "continue"},
      {"an error wins over a response",
       {CallbackError::From(Error{"no"}), json{{"user", {{"app_metadata", {{"a", 1}}}}}}},
       "deny(no,null);"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.form);
    CHECK(Translate(c.args) == c.want);
  }
}

TEST_CASE("Hook callback: metadata that is present but not a plain object is an invalid call",
          "[hooks_compat][callback]") {
  for (const json& bad : {json::array({1}), json("x"), json(nullptr), json(3)}) {
    CAPTURE(bad.dump());
    auto out = Translate({CallbackError::None(), json{{"user", {{"app_metadata", bad}}}}});
    CHECK_THAT(out, Catch::Contains("invalid(cb(null, response): response.user.app_metadata "
                                    "must be a plain object"));
  }
}

TEST_CASE("Hook callback: response metadata follows the metadata rules",
          "[hooks_compat][callback]") {
  auto out = Translate(
      {CallbackError::None(), json{{"user", {{"app_metadata", {{"email", "x"}}}}}}});
  CHECK_THAT(out, Catch::Contains("reserved app_metadata name"));
}

TEST_CASE("Hook callback: a response too large, too deep or not valid Unicode is an invalid call",
          "[hooks_compat][callback]") {
  for (const Value& bad : {Value::TooLarge(2000000, false), Value::OfKind(Value::Kind::kTooDeep),
                           Value::OfKind(Value::Kind::kLoneSurrogate)}) {
    auto out = Translate({CallbackError::None(), bad});
    CHECK_THAT(out, Catch::StartsWith("invalid(cb(null, response): the response is " + bad.Describe() +
                                      ": " + bad.Problem() + ")"));
  }
}

}  // namespace
}  // namespace prereg::hooks
