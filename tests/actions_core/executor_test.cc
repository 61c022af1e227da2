#include "prereg/actions/executor.h"

#include <string>

#include <catch2/catch.hpp>

#include "support/flow_runner.h"

namespace prereg {
namespace {

using testing::ManualScheduler;
using testing::RunToDecision;
using testing::SampleEvent;
using json = nlohmann::json;

// A step that finishes only when the test says so, as a step backed by another process does.
class PendingStep : public Step {
 public:
  StepKind kind() const override { return StepKind::kAction; }
  void Start(std::shared_ptr<StepRun> run) override {
    run->set_waiting_on("waiting for the test");
    run_ = std::move(run);
  }
  void Cancel(const std::shared_ptr<StepRun>&) override { ++cancels_; }

  std::shared_ptr<StepRun> run_;
  int cancels_ = 0;
};

// A step that finishes `ms` after it starts, via a scheduler timer.
std::shared_ptr<Step> SlowStep(int64_t ms) {
  class Slow : public Step {
   public:
    explicit Slow(int64_t ms) : ms_(ms) {}
    StepKind kind() const override { return StepKind::kAction; }
    void Start(std::shared_ptr<StepRun> run) override {
      auto& s = run->scheduler();
      s.SetTimer(s.NowMicros() + ms_ * 1000, [run] { run->Finish(StepEnd::Returned()); });
    }
    int64_t ms_;
  };
  return std::make_shared<Slow>(ms);
}

std::shared_ptr<Step> Logging(std::string line) {
  return MakeNativeAction([line](const json&, Api& api) { api.Log(line); });
}

TEST_CASE("Executor: steps run strictly in order and all report ok", "[actions_core][executor]") {
  Flow flow;
  flow.Add("one", Logging("1")).Add("two", Logging("2")).Add("three", Logging("3"));
  auto r = RunToDecision(flow, SampleEvent());
  CHECK(r.outcome == Outcome::kAllow);
  REQUIRE(r.steps.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(r.steps[i].status == StepStatus::kOk);
    CHECK(r.steps[i].logs == std::vector<std::string>{std::to_string(i + 1)});
  }
  CHECK(r.steps[1].name == "two");
}

TEST_CASE("Executor: a deny stops the flow after the step completes and later steps are skipped",
          "[actions_core][executor]") {
  Flow flow;
  flow.Add("first", Logging("ran"))
      .Add("denier", MakeNativeAction([](const json&, Api& api) {
             api.Deny("country blocked", "Not available in your country");
             api.Log("still running after deny");
             api.SetAppMetadata("after", true);
           }))
      .Add("never", Logging("must not run"));
  auto r = RunToDecision(flow, SampleEvent());
  REQUIRE(r.outcome == Outcome::kDeny);
  REQUIRE(r.denial);
  CHECK(r.denial->step == "denier");
  CHECK(r.denial->denial.reason == "country blocked");
  CHECK(r.denial->denial.user_message == "Not available in your country");
  CHECK(r.steps[1].status == StepStatus::kDenied);
  CHECK(r.steps[1].logs == std::vector<std::string>{"still running after deny"});
  CHECK(r.steps[2].status == StepStatus::kSkipped);
  CHECK(r.steps[2].name == "never");
  CHECK(r.steps[2].kind == StepKind::kAction);
  CHECK(r.steps[2].logs.empty());
  // Nothing is applied unless allowed, but the request is reported.
  CHECK_FALSE(r.ToJson().contains("user"));
  CHECK(r.requested_app_metadata == json{{"after", true}});
}

TEST_CASE("Executor: a validation error denies with code and message", "[actions_core][executor]") {
  Flow flow;
  flow.Add("v", MakeNativeAction([](const json&, Api& api) {
    api.ValidationError("bad_name", "Use your real name");
  }));
  auto r = RunToDecision(flow, SampleEvent());
  REQUIRE(r.outcome == Outcome::kDeny);
  CHECK(r.denial->denial.kind == Denial::Kind::kValidationError);
  auto j = r.ToJson();
  CHECK(j["denial"]["kind"] == "validation_error");
  CHECK(j["denial"]["reason"] == "bad_name");
  CHECK(j["denial"]["user_message"] == "Use your real name");
}

TEST_CASE("Executor: a throwing step ends the flow with action_error", "[actions_core][executor]") {
  Flow flow;
  flow.Add("boom", MakeNativeAction([](const json&, Api&) -> void {
        throw std::runtime_error("lookup failed");
      }))
      .Add("next", Logging("x"));
  auto r = RunToDecision(flow, SampleEvent());
  REQUIRE(r.outcome == Outcome::kError);
  CHECK(r.error->error_class == ErrorClass::kActionError);
  CHECK(r.error->step == "boom");
  CHECK_THAT(r.error->message, Catch::Contains("step \"boom\"") && Catch::Contains("lookup failed"));
  CHECK(r.steps[0].status == StepStatus::kFailed);
  CHECK(r.steps[1].status == StepStatus::kSkipped);
  CHECK_FALSE(r.ToJson().contains("denial"));
}

TEST_CASE("Executor: within one step an error outranks a deny", "[actions_core][executor]") {
  SECTION("deny then throw") {
    Flow flow;
    flow.Add("s", MakeNativeAction([](const json&, Api& api) {
      api.Deny("no");
      throw std::runtime_error("later failure");
    }));
    auto r = RunToDecision(flow, SampleEvent());
    REQUIRE(r.outcome == Outcome::kError);
    CHECK(r.error->error_class == ErrorClass::kActionError);
  }
  SECTION("deny then an invalid call") {
    Flow flow;
    flow.Add("s", MakeNativeAction([](const json&, Api& api) {
      api.Deny("no").SetAppMetadata("email", "x");
    }));
    auto r = RunToDecision(flow, SampleEvent());
    REQUIRE(r.outcome == Outcome::kError);
    CHECK(r.error->error_class == ErrorClass::kInvalidApiCall);
    CHECK_THAT(r.error->message, Catch::Contains("step \"s\"") &&
                                     Catch::Contains("api.user.setAppMetadata(\"email\"") &&
                                     Catch::Contains("reserved"));
  }
  SECTION("deny then a timeout") {
    Flow flow;
    auto pending = std::make_shared<PendingStep>();
    flow.Add(StepConfig{"s", pending, {}, 50});
    ManualScheduler scheduler;
    std::optional<DecisionRecord> r;
    REQUIRE(ExecuteFlow(flow, SampleEvent(), &scheduler, [&](auto rec) { r = rec; }).ok());
    scheduler.RunPosted();
    pending->run_->api().Deny("no");
    scheduler.AdvanceMillis(50);
    REQUIRE(r);
    CHECK(r->outcome == Outcome::kError);
    CHECK(r->error->error_class == ErrorClass::kActionTimeout);
  }
}

TEST_CASE("Executor: an invalid call ends the flow when the step returns",
          "[actions_core][executor]") {
  Flow flow;
  flow.Add("s", MakeNativeAction([](const json&, Api& api) {
        api.SetUserId("no spaces allowed");
        api.Log("ran on");
      }))
      .Add("t", Logging("x"));
  auto r = RunToDecision(flow, SampleEvent());
  REQUIRE(r.outcome == Outcome::kError);
  CHECK(r.error->error_class == ErrorClass::kInvalidApiCall);
  CHECK(r.steps[0].logs == std::vector<std::string>{"ran on"});
  CHECK(r.steps[1].status == StepStatus::kSkipped);
}

TEST_CASE("Executor: metadata merges per top-level key, null deletes, last write wins",
          "[actions_core][executor]") {
  Flow flow;
  flow.Add("a", MakeNativeAction([](const json&, Api& api) {
        api.SetUserMetadata("profile", json{{"x", 1}}).SetAppMetadata("tier", "gold");
      }))
      .Add("b", MakeNativeAction([](const json&, Api& api) {
        api.SetUserMetadata("profile", json{{"y", 2}})  // replaces the whole value
            .SetUserMetadata("color", nullptr)          // deletes the event's key
            .SetAppMetadata("tier", "platinum");
      }));
  auto r = RunToDecision(flow, SampleEvent());
  REQUIRE(r.outcome == Outcome::kAllow);
  CHECK(r.user_metadata == json{{"profile", {{"y", 2}}}});
  CHECK(r.app_metadata == json{{"plan", "free"}, {"tier", "platinum"}});
  CHECK(r.requested_user_metadata == json{{"profile", {{"y", 2}}}, {"color", nullptr}});
  CHECK(r.requested_app_metadata == json{{"tier", "platinum"}});
}

TEST_CASE("Executor: later steps see earlier steps' metadata in event.user",
          "[actions_core][executor]") {
  json seen;
  Flow flow;
  flow.Add("a", MakeNativeAction([](const json&, Api& api) {
        api.SetAppMetadata("score", 7).SetUserMetadata("color", nullptr);
      }))
      .Add("b", MakeNativeAction([&seen](const json& event, Api&) { seen = event["user"]; }));
  REQUIRE(RunToDecision(flow, SampleEvent()).outcome == Outcome::kAllow);
  CHECK(seen["app_metadata"] == json{{"plan", "free"}, {"score", 7}});
  CHECK(seen["user_metadata"] == json::object());
}

TEST_CASE("Executor: a failing step's requests are reported but never applied",
          "[actions_core][executor]") {
  Flow flow;
  flow.Add("a", MakeNativeAction([](const json&, Api& api) { api.SetAppMetadata("ok", 1); }))
      .Add("b", MakeNativeAction([](const json&, Api& api) -> void {
        api.SetAppMetadata("half", 2).SetUserId("someone");
        throw std::runtime_error("x");
      }));
  auto r = RunToDecision(flow, SampleEvent());
  REQUIRE(r.outcome == Outcome::kError);
  auto j = r.ToJson();
  CHECK_FALSE(j.contains("user"));
  CHECK(j["requested"]["app_metadata"] == json{{"half", 2}, {"ok", 1}});
  CHECK(j["requested"]["user_id"] == "someone");
}

TEST_CASE("Executor: setUserId is prefixed with the connection strategy, last call wins",
          "[actions_core][executor]") {
  Flow flow;
  flow.Add("a", MakeNativeAction([](const json&, Api& api) { api.SetUserId("first"); }))
      .Add("b", MakeNativeAction([](const json&, Api& api) { api.SetUserId("u-42"); }));
  auto event = SampleEvent();
  SECTION("database connection") {
    auto r = RunToDecision(flow, event);
    CHECK(r.user_id == "auth0|u-42");
    CHECK(r.requested_user_id == "u-42");
  }
  SECTION("another strategy") {
    event["connection"]["strategy"] = "email";
    CHECK(RunToDecision(flow, event).user_id == "email|u-42");
  }
  SECTION("no strategy") {
    event.erase("connection");
    CHECK(RunToDecision(flow, event).user_id == "auth0|u-42");
  }
}

TEST_CASE("Executor: an allow without setUserId has no user_id", "[actions_core][executor]") {
  Flow flow;
  flow.Add("a", Logging("x"));
  auto j = RunToDecision(flow, SampleEvent()).ToJson();
  CHECK_FALSE(j["user"].contains("user_id"));
  CHECK(j["requested"]["user_id"].is_null());
}

TEST_CASE("Executor: each step sees only its own secrets and no password",
          "[actions_core][executor]") {
  json seen_a, seen_b;
  Flow flow;
  flow.Add(StepConfig{"a", MakeNativeAction([&](const json& e, Api&) { seen_a = e; }),
                      {{"API_KEY", "k-123"}}, std::nullopt});
  flow.Add("b", MakeNativeAction([&](const json& e, Api&) { seen_b = e; }));
  auto event = SampleEvent();
  event["secrets"] = {{"INJECTED", "x"}};
  REQUIRE(RunToDecision(flow, event).outcome == Outcome::kAllow);
  CHECK(seen_a["secrets"] == json{{"API_KEY", "k-123"}});
  CHECK(seen_b["secrets"] == json::object());
  CHECK_FALSE(seen_a["request"]["body"].contains("password"));
  CHECK(seen_a["request"]["body"]["ulp-first-name"] == "Ada");
  CHECK(seen_a["unknown_field"] == json{{"kept", true}});
}

TEST_CASE("Executor: secret values are masked in logs, denial and error",
          "[actions_core][executor]") {
  Flow flow;
  flow.Add(StepConfig{"s", MakeNativeAction([](const json& e, Api& api) {
                        std::string key = e["secrets"]["KEY"];
                        api.Log("using " + key + " and " + key);
                        api.Deny("bad key " + key, "msg " + key);
                      }),
                      {{"KEY", "s3cr3t"}, {"EMPTY", ""}}, std::nullopt});
  auto r = RunToDecision(flow, SampleEvent());
  REQUIRE(r.outcome == Outcome::kDeny);
  CHECK(r.steps[0].logs == std::vector<std::string>{"using [secret] and [secret]"});
  CHECK(r.denial->denial.reason == "bad key [secret]");
  CHECK(r.denial->denial.user_message == "msg [secret]");
  Flow failing;
  failing.Add(StepConfig{"f", MakeNativeAction([](const json& e, Api&) -> void {
                           throw std::runtime_error(e["secrets"]["KEY"].get<std::string>());
                         }),
                         {{"KEY", "s3cr3t"}}, std::nullopt});
  auto err = RunToDecision(failing, SampleEvent());
  CHECK(err.error->message.find("s3cr3t") == std::string::npos);
  CHECK_THAT(err.error->message, Catch::Contains("[secret]"));
}

TEST_CASE("Executor: the sign-up password is masked in logs, denial and error",
          "[actions_core][executor]") {
  // A step that, like a Hook, can read the password, and leaks it everywhere it can.
  class Leaky : public Step {
   public:
    StepKind kind() const override { return StepKind::kHook; }
    void Start(std::shared_ptr<StepRun> run) override {
      run->api().Log("password is " + run->password().value_or("?"));
      run->api().Deny("weak password " + run->password().value_or("?"));
      run->Finish(StepEnd::Returned());
    }
  };
  Flow flow;
  flow.Add("leaky", std::make_shared<Leaky>());
  auto r = RunToDecision(flow, SampleEvent());
  REQUIRE(r.outcome == Outcome::kDeny);
  CHECK(r.steps[0].logs == std::vector<std::string>{"password is [password]"});
  CHECK(r.denial->denial.reason == "weak password [password]");
}

TEST_CASE("Executor: logs are capped per execution across steps", "[actions_core][executor]") {
  FlowOptions options;
  options.max_log_bytes = 100;
  Flow flow(options);
  flow.Add("a", Logging(std::string(60, 'a'))).Add("b", Logging(std::string(60, 'b')));
  flow.Add("c", Logging("dropped"));
  auto r = RunToDecision(flow, SampleEvent());
  CHECK(r.steps[0].logs.size() == 1);
  REQUIRE(r.steps[1].logs.size() == 2);
  CHECK(r.steps[1].logs[0] == std::string(40, 'b'));
  CHECK(r.steps[1].logs[1] == LogBudget::kMarker);
  CHECK(r.steps[2].logs.empty());
  CHECK(r.outcome == Outcome::kAllow);
}

TEST_CASE("Executor: an asynchronous step finishing within its budget continues the flow",
          "[actions_core][executor]") {
  Flow flow;
  flow.Add(StepConfig{"slow", SlowStep(900), {}, 1000}).Add("next", Logging("ran"));
  ManualScheduler scheduler;
  auto r = RunToDecision(flow, SampleEvent(), &scheduler);
  CHECK(r.outcome == Outcome::kAllow);
  CHECK(r.steps[0].duration_ms == Approx(900.0));
  CHECK(r.steps[1].logs == std::vector<std::string>{"ran"});
  CHECK(scheduler.pending_timers() == 0);  // the deadline timers were cancelled
}

TEST_CASE("Executor: a step past its own budget ends the flow as action_timeout",
          "[actions_core][executor]") {
  Flow flow;
  auto pending = std::make_shared<PendingStep>();
  flow.Add(StepConfig{"stuck", pending, {}, 250}).Add("next", Logging("x"));
  ManualScheduler scheduler;
  std::optional<DecisionRecord> r;
  REQUIRE(ExecuteFlow(flow, SampleEvent(), &scheduler, [&](auto rec) { r = rec; }).ok());
  scheduler.AdvanceMillis(249);
  CHECK_FALSE(r);
  scheduler.AdvanceMillis(1);
  REQUIRE(r);
  CHECK(r->outcome == Outcome::kError);
  CHECK(r->error->error_class == ErrorClass::kActionTimeout);
  CHECK(r->error->step == "stuck");
  CHECK(r->error->message ==
        "step \"stuck\" did not finish within its 250 ms budget: waiting for the test");
  CHECK(pending->cancels_ == 1);
  CHECK(r->steps[1].status == StepStatus::kSkipped);
  // A late reply changes nothing.
  pending->run_->api().Deny("late");
  pending->run_->Finish(StepEnd::Returned());
  scheduler.RunPosted();
  CHECK(r->outcome == Outcome::kError);
}

TEST_CASE("Executor: the flow budget (default 20 s) spans all steps", "[actions_core][executor]") {
  Flow flow;
  flow.Add("a", SlowStep(15000)).Add("b", SlowStep(15000));
  ManualScheduler scheduler;
  std::optional<DecisionRecord> r;
  REQUIRE(ExecuteFlow(flow, SampleEvent(), &scheduler, [&](auto rec) { r = rec; }).ok());
  scheduler.AdvanceMillis(19999);
  CHECK_FALSE(r);
  scheduler.AdvanceMillis(1);
  REQUIRE(r);
  CHECK(r->error->error_class == ErrorClass::kActionTimeout);
  CHECK(r->error->step == "b");
  CHECK_THAT(r->error->message, Catch::Contains("the flow's 20000 ms budget"));
  CHECK(r->steps[0].status == StepStatus::kOk);
}

TEST_CASE("Executor: the flow budget is configurable and caps a larger step budget",
          "[actions_core][executor]") {
  FlowOptions options;
  options.timeout_ms = 100;
  Flow flow(options);
  flow.Add(StepConfig{"s", std::make_shared<PendingStep>(), {}, 5000});
  auto r = RunToDecision(flow, SampleEvent());
  REQUIRE(r.outcome == Outcome::kError);
  CHECK(r.error->error_class == ErrorClass::kActionTimeout);
  CHECK_THAT(r.error->message, Catch::Contains("the flow's 100 ms budget"));
}

TEST_CASE("Executor: an execution's own budget replaces the flow's only when it is smaller",
          "[actions_core][executor]") {
  FlowOptions options;
  options.timeout_ms = 1000;
  Flow flow(options);
  flow.Add(StepConfig{"s", std::make_shared<PendingStep>(), {}, std::nullopt});
  for (const auto& [given, expected] : {std::pair<int64_t, int64_t>{300, 300}, {5000, 1000}}) {
    testing::ManualScheduler scheduler;
    std::optional<DecisionRecord> record;
    REQUIRE(ExecuteFlow(flow, SampleEvent(), &scheduler,
                        [&](DecisionRecord r) { record = std::move(r); }, "", given)
                .ok());
    scheduler.RunPosted();
    scheduler.AdvanceMillis(expected - 1);
    CHECK_FALSE(record.has_value());
    scheduler.AdvanceMillis(1);
    REQUIRE(record.has_value());
    CHECK(record->error->error_class == ErrorClass::kActionTimeout);
    CHECK_THAT(record->error->message,
               Catch::Contains("the flow's " + std::to_string(expected) + " ms budget"));
  }
}

// A step that waits in a queue (as a script waits for a free Node worker) until the test starts it.
class QueuedStep : public Step {
 public:
  StepKind kind() const override { return StepKind::kAction; }
  void Start(std::shared_ptr<StepRun> run) override {
    run->set_waiting_on("running");
    run->MarkQueued("a test slot");
    run_ = std::move(run);
  }
  void Cancel(const std::shared_ptr<StepRun>& run) override {
    ++cancels_;
    cancelled_while_queued_ = !run->queued_for().empty();
  }

  std::shared_ptr<StepRun> run_;
  int cancels_ = 0;
  bool cancelled_while_queued_ = false;
};

TEST_CASE("Executor: a queued step's own budget starts when it starts, not when it is queued",
          "[actions_core][executor]") {
  Flow flow;
  auto queued = std::make_shared<QueuedStep>();
  flow.Add(StepConfig{"q", queued, {}, 500});
  ManualScheduler scheduler;
  std::optional<DecisionRecord> r;
  REQUIRE(ExecuteFlow(flow, SampleEvent(), &scheduler, [&](auto rec) { r = rec; }).ok());
  scheduler.AdvanceMillis(2000);  // four times its budget, waiting: not its fault
  CHECK_FALSE(r);
  queued->run_->MarkStarted();
  scheduler.AdvanceMillis(499);
  CHECK_FALSE(r);
  scheduler.AdvanceMillis(1);
  REQUIRE(r);
  CHECK(r->error->error_class == ErrorClass::kActionTimeout);
  CHECK(r->error->message == "step \"q\" did not finish within its 500 ms budget: running (it "
                             "first waited 2000 ms for a test slot)");
  CHECK(queued->cancels_ == 1);
  CHECK_FALSE(queued->cancelled_while_queued_);
}

TEST_CASE("Executor: a step still queued when the flow's budget ends says it waited",
          "[actions_core][executor]") {
  FlowOptions options;
  options.timeout_ms = 3000;
  Flow flow(options);
  auto queued = std::make_shared<QueuedStep>();
  flow.Add("fast", Logging("first")).Add(StepConfig{"q", queued, {}, 100});
  ManualScheduler scheduler;
  std::optional<DecisionRecord> r;
  REQUIRE(ExecuteFlow(flow, SampleEvent(), &scheduler, [&](auto rec) { r = rec; }).ok());
  scheduler.AdvanceMillis(2999);
  CHECK_FALSE(r);
  scheduler.AdvanceMillis(1);
  REQUIRE(r);
  CHECK(r->outcome == Outcome::kError);
  CHECK(r->error->error_class == ErrorClass::kActionTimeout);
  CHECK(r->error->step == "q");
  CHECK(r->error->message == "step \"q\" did not start within the flow's 3000 ms budget: it "
                             "waited 3000 ms in the queue for a test slot, all busy with other "
                             "sign-ups");
  // The step is told, while still queued, so it can drop the job instead of killing a worker.
  CHECK(queued->cancels_ == 1);
  CHECK(queued->cancelled_while_queued_);
  // Starting it now changes nothing.
  queued->run_->MarkStarted();
  queued->run_->Finish(StepEnd::Returned());
  scheduler.RunPosted();
  CHECK(r->error->error_class == ErrorClass::kActionTimeout);
}

TEST_CASE("Executor: a step started at once is timed from its start as before",
          "[actions_core][executor]") {
  Flow flow;
  auto queued = std::make_shared<QueuedStep>();
  flow.Add(StepConfig{"q", queued, {}, 300});
  ManualScheduler scheduler;
  std::optional<DecisionRecord> r;
  REQUIRE(ExecuteFlow(flow, SampleEvent(), &scheduler, [&](auto rec) { r = rec; }).ok());
  scheduler.RunPosted();
  queued->run_->MarkStarted();  // no time passed in the queue
  queued->run_->MarkStarted();  // a second start changes nothing
  scheduler.AdvanceMillis(300);
  REQUIRE(r);
  CHECK(r->error->message == "step \"q\" did not finish within its 300 ms budget: running");
}

TEST_CASE("Executor: a step the engine cannot run is a platform_error", "[actions_core][executor]") {
  class Unrunnable : public Step {
   public:
    StepKind kind() const override { return StepKind::kAction; }
    void Start(std::shared_ptr<StepRun> run) override {
      run->Finish(StepEnd::PlatformError("node was not found"));
    }
  };
  Flow flow;
  flow.Add("s", std::make_shared<Unrunnable>());
  auto r = RunToDecision(flow, SampleEvent());
  REQUIRE(r.outcome == Outcome::kError);
  CHECK(r.error->error_class == ErrorClass::kPlatformError);
  CHECK_THAT(r.error->message, Catch::Contains("node was not found"));
}

TEST_CASE("Executor: a bad event is refused before any step runs", "[actions_core][executor]") {
  bool ran = false;
  Flow flow;
  flow.Add("s", MakeNativeAction([&](const json&, Api&) { ran = true; }));
  ManualScheduler scheduler;
  bool done = false;
  Status s = ExecuteFlow(flow, json{{"user", "not an object"}}, &scheduler,
                         [&](auto) { done = true; });
  CHECK(s.code() == StatusCode::kInvalidArgument);
  scheduler.RunPosted();
  CHECK_FALSE(ran);
  CHECK_FALSE(done);
  CHECK_FALSE(RunFlow(flow, json::array()).ok());
}

TEST_CASE("Executor: the cache is shared by steps and outlives one execution",
          "[actions_core][executor]") {
  Flow flow;
  std::vector<json> seen;
  flow.Add("w", MakeNativeAction([](const json&, Api& api) {
        if (!api.CacheGet("n")) api.CacheSet("n", "1");
      }))
      .Add("r", MakeNativeAction([&](const json&, Api& api) {
        auto rec = api.CacheGet("n");
        seen.push_back(rec ? json(rec->value) : json());
      }));
  REQUIRE(RunFlow(flow, SampleEvent()).ok());
  REQUIRE(RunFlow(flow, SampleEvent()).ok());
  CHECK(seen == std::vector<json>{"1", "1"});
  CHECK(flow.cache().Get(CacheScope("acme"), "n", 0));
  CHECK_FALSE(flow.cache().Get(CacheScope("other-tenant"), "n", 0));
}

TEST_CASE("Executor: RunFlow runs to a decision in real time", "[actions_core][executor]") {
  Flow flow;
  flow.Add("a", MakeNativeAction([](const json& e, Api& api) {
    api.SetAppMetadata("country", e["request"]["geoip"]["countryCode"]);
  }));
  auto r = RunFlow(flow, SampleEvent());
  REQUIRE(r.ok());
  CHECK(r.value().outcome == Outcome::kAllow);
  CHECK(r.value().app_metadata["country"] == "GB");
}

}  // namespace
}  // namespace prereg
