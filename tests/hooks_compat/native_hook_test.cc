#include "prereg/hooks/native_hook.h"

#include <catch2/catch.hpp>

#include "support/flow_runner.h"

namespace prereg::hooks {
namespace {

using json = nlohmann::json;
using testing::RunToDecision;
using testing::SampleEvent;

TEST_CASE("Native hook: receives the projected user and context and allows",
          "[hooks_compat][native_hook]") {
  json got_user, got_context;
  Flow flow;
  flow.Add(StepConfig{"legacy", MakeNativeHook([&](const json& user, const json& context,
                                                   HookCallback cb) {
                        got_user = user;
                        got_context = context;
                        cb(nullptr, json{{"user", {{"app_metadata", {{"vip", true}}}}}});
                      }),
                      {{"TOKEN", "t"}}, std::nullopt});
  auto r = RunToDecision(flow, SampleEvent());
  REQUIRE(r.outcome == Outcome::kAllow);
  CHECK(r.steps[0].kind == StepKind::kHook);
  CHECK(got_user["password"] == "hunter2");
  CHECK(got_user["tenant"] == "acme");
  CHECK(got_context["webtask"]["secrets"] == json{{"TOKEN", "t"}});
  CHECK(r.app_metadata == json{{"plan", "free"}, {"vip", true}});
}

TEST_CASE("Native hook: a Hook and Actions mix in one flow, metadata visible downstream",
          "[hooks_compat][native_hook]") {
  json action_saw;
  Flow flow;
  flow.Add("hook", MakeNativeHook([](const json&, const json&, HookCallback cb) {
        cb(nullptr, json{{"user", {{"user_metadata", {{"from_hook", 1}}}}}});
      }))
      .Add("action", MakeNativeAction([&](const json& event, Api& api) {
        action_saw = event["user"]["user_metadata"];
        api.SetUserMetadata("from_action", 2);
      }));
  auto r = RunToDecision(flow, SampleEvent());
  REQUIRE(r.outcome == Outcome::kAllow);
  CHECK(action_saw == json{{"color", "blue"}, {"from_hook", 1}});
  CHECK(r.user_metadata == json{{"color", "blue"}, {"from_action", 2}, {"from_hook", 1}});
  CHECK(r.steps[0].kind == StepKind::kHook);
  CHECK(r.steps[1].kind == StepKind::kAction);
}

TEST_CASE("Native hook: PreUserRegistrationError denies with the friendly message",
          "[hooks_compat][native_hook]") {
  Flow flow;
  flow.Add("hook", MakeNativeHook([](const json&, const json&, HookCallback cb) {
        cb(PreUserRegistrationError("Denied user registration", "Sorry, not today"));
      }))
      .Add("after", MakeNativeAction([](const json&, Api&) {}));
  auto r = RunToDecision(flow, SampleEvent());
  REQUIRE(r.outcome == Outcome::kDeny);
  CHECK(r.denial->step == "hook");
  CHECK(r.denial->denial.reason == "Denied user registration");
  CHECK(r.denial->denial.user_message == "Sorry, not today");
  CHECK(r.steps[1].status == StepStatus::kSkipped);
}

TEST_CASE("Native hook: only the first cb counts and later calls and throws are logged",
          "[hooks_compat][native_hook]") {
  Flow flow;
  flow.Add("hook", MakeNativeHook([](const json&, const json&, HookCallback cb) {
    cb();
    cb(Error{"second"});
    throw std::runtime_error("after cb");
  }));
  auto r = RunToDecision(flow, SampleEvent());
  REQUIRE(r.outcome == Outcome::kAllow);
  REQUIRE(r.steps[0].logs.size() == 2);
  CHECK_THAT(r.steps[0].logs[0], Catch::Contains("cb was called again; ignored"));
  CHECK_THAT(r.steps[0].logs[1], Catch::Contains("threw after calling cb; ignored: after cb"));
}

TEST_CASE("Native hook: a throw before cb is action_error", "[hooks_compat][native_hook]") {
  Flow flow;
  flow.Add("hook", MakeNativeHook([](const json&, const json&, HookCallback) {
    throw std::runtime_error("user.email is undefined");
  }));
  auto r = RunToDecision(flow, SampleEvent());
  REQUIRE(r.outcome == Outcome::kError);
  CHECK(r.error->error_class == ErrorClass::kActionError);
  CHECK_THAT(r.error->message, Catch::Contains("user.email is undefined"));
}

TEST_CASE("Native hook: a Hook that never calls cb times out saying so",
          "[hooks_compat][native_hook]") {
  Flow flow;
  flow.Add(StepConfig{"silent", MakeNativeHook([](const json&, const json&, HookCallback) {}), {},
                      1000});
  auto r = RunToDecision(flow, SampleEvent());
  REQUIRE(r.outcome == Outcome::kError);
  CHECK(r.error->error_class == ErrorClass::kActionTimeout);
  CHECK(r.error->message ==
        "step \"silent\" did not finish within its 1000 ms budget: the Hook never called cb");
}

TEST_CASE("Native hook: cb may be called later, asynchronously", "[hooks_compat][native_hook]") {
  testing::ManualScheduler scheduler;
  bool returned = false;
  Flow flow;
  flow.Add("async", MakeNativeHook([&](const json&, const json&, HookCallback cb) {
    // As `request(url, () => cb('later denial'))`: cb comes from the event loop, 500 ms later.
    scheduler.SetTimer(scheduler.NowMicros() + 500'000, [cb] { cb(Value("later denial")); });
    returned = true;
  }));
  auto r = RunToDecision(flow, SampleEvent(), &scheduler);
  CHECK(returned);
  REQUIRE(r.outcome == Outcome::kDeny);
  CHECK(r.denial->denial.reason == "later denial");
  CHECK_FALSE(r.denial->denial.user_message);
  CHECK(r.steps[0].duration_ms == Approx(500.0));
}

TEST_CASE("Native hook: an invalid response ends the flow with invalid_api_call",
          "[hooks_compat][native_hook]") {
  Flow flow;
  flow.Add("hook", MakeNativeHook([](const json&, const json&, HookCallback cb) {
    cb(nullptr, json{{"user", {{"user_metadata", {{"a.b", 1}}}}}});
  }));
  auto r = RunToDecision(flow, SampleEvent());
  REQUIRE(r.outcome == Outcome::kError);
  CHECK(r.error->error_class == ErrorClass::kInvalidApiCall);
  CHECK_THAT(r.error->message, Catch::Contains("step \"hook\"") &&
                                   Catch::Contains("api.user.setUserMetadata(\"a.b\"") &&
                                   Catch::Contains("must not contain \".\""));
}

}  // namespace
}  // namespace prereg::hooks
