#include "prereg/actions/decision.h"

#include <optional>
#include <vector>

#include <catch2/catch.hpp>

#include "prereg/actions/json.h"

namespace prereg {
namespace {

TEST_CASE("DecisionRecord: an allow serialises with user and requested, in SPEC order",
          "[actions_core][decision]") {
  DecisionRecord r;
  r.outcome = Outcome::kAllow;
  r.user_id = "auth0|u1";
  r.app_metadata = {{"plan", "pro"}};
  r.requested_user_id = "u1";
  r.requested_app_metadata = {{"plan", "pro"}, {"old", nullptr}};
  r.steps.push_back({"geo", StepKind::kHook, StepStatus::kOk, 1.5, {"hello"}});
  CHECK(r.ToJson().dump() ==
        R"({"outcome":"allow","user":{"user_id":"auth0|u1","app_metadata":{"plan":"pro"},)"
        R"("user_metadata":{}},"requested":{"user_id":"u1","app_metadata":{"old":null,)"
        R"("plan":"pro"},"user_metadata":{}},"steps":[{"name":"geo","kind":"hook",)"
        R"("status":"ok","duration_ms":1.5,"logs":["hello"]}]})");
}

TEST_CASE("DecisionRecord: a deny has denial and no user", "[actions_core][decision]") {
  DecisionRecord r;
  r.outcome = Outcome::kDeny;
  r.denial = DecisionRecord::DenialInfo{{Denial::Kind::kValidationError, "bad_name", "Fix it"}, "s"};
  r.steps.push_back({"s", StepKind::kAction, StepStatus::kDenied, 0, {}});
  r.steps.push_back({"t", StepKind::kHook, StepStatus::kSkipped, 0, {}});
  CHECK(r.ToJson().dump() ==
        R"({"outcome":"deny","denial":{"kind":"validation_error","reason":"bad_name",)"
        R"("user_message":"Fix it","step":"s"},"requested":{"user_id":null,"app_metadata":{},)"
        R"("user_metadata":{}},"steps":[{"name":"s","kind":"action","status":"denied",)"
        R"("duration_ms":0.0,"logs":[]},{"name":"t","kind":"hook","status":"skipped",)"
        R"("duration_ms":0.0,"logs":[]}]})");
}

TEST_CASE("DecisionRecord: an access denial without user message serialises null",
          "[actions_core][decision]") {
  DecisionRecord r;
  r.outcome = Outcome::kDeny;
  r.denial = DecisionRecord::DenialInfo{{Denial::Kind::kAccessDenied, "no", std::nullopt}, "s"};
  auto j = r.ToJson();
  CHECK(j["denial"]["kind"] == "access_denied");
  CHECK(j["denial"]["user_message"].is_null());
  CHECK_FALSE(j.contains("user"));
  CHECK_FALSE(j.contains("error"));
}

TEST_CASE("DecisionRecord: an error has error and neither user nor denial",
          "[actions_core][decision]") {
  DecisionRecord r;
  r.outcome = Outcome::kError;
  r.error = DecisionRecord::ErrorInfo{ErrorClass::kActionTimeout, "too slow", "s"};
  CHECK(r.ToJson().dump() ==
        R"({"outcome":"error","error":{"class":"action_timeout","message":"too slow",)"
        R"("step":"s"},"requested":{"user_id":null,"app_metadata":{},"user_metadata":{}},)"
        R"("steps":[]})");
}

TEST_CASE("DecisionRecord: class, outcome and status names", "[actions_core][decision]") {
  CHECK(std::string(ErrorClassName(ErrorClass::kActionError)) == "action_error");
  CHECK(std::string(ErrorClassName(ErrorClass::kInvalidApiCall)) == "invalid_api_call");
  CHECK(std::string(ErrorClassName(ErrorClass::kPlatformError)) == "platform_error");
  CHECK(std::string(OutcomeName(Outcome::kAllow)) == "allow");
  CHECK(std::string(StepStatusName(StepStatus::kFailed)) == "failed");
}

TEST_CASE("SecretMask: the longest value is masked whole, the password by name, empty values ignored",
          "[actions_core][decision]") {
  const SecretMask mask({"keys", "", "keys-and-more"}, std::string("hunter2"));
  std::string text = "keys-and-more then keys then hunter2 twice hunter2";
  mask.Apply(&text);
  CHECK(text == "[secret] then [secret] then [password] twice [password]");
  CHECK(SecretMask({""}, std::string()).empty());
  std::string unchanged = "nothing to hide";
  SecretMask({}, std::nullopt).Apply(&unchanged);
  CHECK(unchanged == "nothing to hide");
}

TEST_CASE("SecretMask: secrets shorter than 4 characters are not masked, the password always is",
          "[actions_core][decision]") {
  // Masking "a" or "42" would garble every reason and message that holds the letter or number.
  const SecretMask mask({"a", "42", "abc", "abcd"}, std::string("pw"));
  std::string text = "a 42 abc abcd pw";
  mask.Apply(&text);
  CHECK(text == "a 42 abc [secret] [password]");
}


// The service answers with Dump(); everything else shows ToJson(). They must not drift apart.
TEST_CASE("DecisionRecord: Dump() is DumpJson(ToJson()) for every outcome",
          "[actions_core][decision]") {
  std::vector<DecisionRecord> records(5);
  records[0].outcome = Outcome::kAllow;
  records[0].user_id = "auth0|caf\xc3\xa9";
  records[0].app_metadata = {{"plan", "pro"}, {"nested", {{"list", {1, 2.5, nullptr, true}}}}};
  records[0].user_metadata = {{"bad", "\xff utf8"}, {"quote", "say \"hi\"\n"}};
  records[0].requested_user_id = "u1";
  records[0].requested_app_metadata = {{"old", nullptr}};
  records[0].steps.push_back({"geo \"one\"", StepKind::kHook, StepStatus::kOk, 1.25,
                              {"hello", "tab\there", "\x01"}});
  records[0].steps.push_back({"two", StepKind::kAction, StepStatus::kOk, 3.0, {}});
  records[1].outcome = Outcome::kAllow;  // no user id, nothing requested
  records[2].outcome = Outcome::kDeny;
  records[2].denial = DecisionRecord::DenialInfo{
      {Denial::Kind::kAccessDenied, "no \xe2\x82\xac", std::nullopt}, "s"};
  records[2].steps.push_back({"s", StepKind::kAction, StepStatus::kDenied, 0.1, {"why"}});
  records[3].outcome = Outcome::kDeny;
  records[3].denial =
      DecisionRecord::DenialInfo{{Denial::Kind::kValidationError, "r", "Fix it"}, "t"};
  records[4].outcome = Outcome::kError;
  records[4].error = DecisionRecord::ErrorInfo{ErrorClass::kActionError, "boom\r\n", "s"};
  records[4].requested_user_metadata = {{"lang", "fr"}};
  for (const auto& r : records) {
    CHECK(r.Dump() == DumpJson(r.ToJson()));
  }
}

}  // namespace
}  // namespace prereg
