// SPEC §5 through the Api and the executor: key rules at every depth, reserved names, size cap.

#include <string>

#include <catch2/catch.hpp>

#include "prereg/actions/api.h"
#include "prereg/actions/executor.h"
#include "support/flow_runner.h"

namespace prereg {
namespace {

std::optional<std::string> InvalidCallFor(bool app, const std::string& key,
                                          const nlohmann::json& value,
                                          MetadataOptions options = {}) {
  testing::ManualScheduler scheduler;
  MemoryCache cache;
  LogBudget logs;
  Api api("s", &cache, &scheduler, &options, &logs);
  if (app) {
    api.SetAppMetadata(key, value);
  } else {
    api.SetUserMetadata(key, value);
  }
  return api.effects().invalid_call;
}

TEST_CASE("Metadata: key rules apply at every depth", "[actions_core][metadata]") {
  const struct {
    const char* key;
    nlohmann::json value;
    const char* rule;  // nullptr when valid
  } cases[] = {
      {"plain", 1, nullptr},
      {"", 1, nullptr},
      {"$set", 1, "must not start with \"$\""},
      {"a.b", 1, "must not contain \".\""},
      {"mid$dle", 1, nullptr},
      {"nested", {{"$x", 1}}, "must not start with \"$\""},
      {"nested", {{"ok", {{"deep.er", 1}}}}, "must not contain \".\""},
      {"list", nlohmann::json::array({{{"a.b", 1}}}), "must not contain \".\""},
      {"nested", {{"ok", {{"fine", "$value.with.dots"}}}}, nullptr},
  };
  for (const auto& c : cases) {
    for (bool app : {true, false}) {
      CAPTURE(c.key, c.value.dump(), app);
      auto invalid = InvalidCallFor(app, c.key, c.value);
      if (c.rule == nullptr) {
        CHECK_FALSE(invalid);
      } else {
        REQUIRE(invalid);
        CHECK_THAT(*invalid, Catch::Contains(c.rule));
      }
    }
  }
}

TEST_CASE("Metadata: the stricter option bans $ anywhere in a key", "[actions_core][metadata]") {
  MetadataOptions strict;
  strict.ban_dollar_anywhere = true;
  auto invalid = InvalidCallFor(false, "mid$dle", 1, strict);
  REQUIRE(invalid);
  CHECK_THAT(*invalid, Catch::Contains("must not contain \"$\""));
  CHECK(InvalidCallFor(false, "n", {{"a$", 1}}, strict));
}

TEST_CASE("Metadata: reserved names are refused as top-level app_metadata keys only",
          "[actions_core][metadata]") {
  for (const char* name :
       {"__tenant", "_id", "blocked", "clientID", "created_at", "email_verified", "email",
        "globalClientID", "global_client_id", "identities", "lastIP", "lastLogin", "loginsCount",
        "metadata", "multifactor_last_modified", "multifactor", "updated_at", "user_id"}) {
    CAPTURE(name);
    auto invalid = InvalidCallFor(true, name, 1);
    REQUIRE(invalid);
    CHECK_THAT(*invalid, Catch::Contains("reserved app_metadata name"));
    CHECK_FALSE(InvalidCallFor(false, name, 1));               // user_metadata may use it
    CHECK_FALSE(InvalidCallFor(true, "wrap", {{name, 1}}));    // nested is fine
  }
}

// A flow whose steps each set one key of `size` bytes of user_metadata.
Flow SizeFlow(std::vector<size_t> sizes, size_t max_bytes = 32768) {
  FlowOptions options;
  options.metadata.max_bytes = max_bytes;
  Flow flow(options);
  for (size_t i = 0; i < sizes.size(); ++i) {
    flow.Add("s" + std::to_string(i), MakeNativeAction([i, n = sizes[i]](const auto&, Api& api) {
               api.SetUserMetadata("k" + std::to_string(i), std::string(n, 'x'));
             }));
  }
  return flow;
}

TEST_CASE("Metadata: each object is capped at 32768 bytes of compact JSON, naming the step",
          "[actions_core][metadata]") {
  nlohmann::json event = {{"user", {{"user_metadata", nlohmann::json::object()}}}};
  // {"k0":"xxx…"} is 9 bytes plus the string.
  auto at_limit = testing::RunToDecision(SizeFlow({32768 - 9}), event);
  CHECK(at_limit.outcome == Outcome::kAllow);

  auto over = testing::RunToDecision(SizeFlow({16000, 16000, 2000}), event);
  REQUIRE(over.outcome == Outcome::kError);
  CHECK(over.error->error_class == ErrorClass::kInvalidApiCall);
  CHECK(over.error->step == "s2");
  CHECK_THAT(over.error->message,
             Catch::Contains("step \"s2\"") && Catch::Contains("user_metadata would be") &&
                 Catch::Contains("limit of 32768 bytes"));
  CHECK(over.steps[1].status == StepStatus::kOk);
  CHECK(over.steps[2].status == StepStatus::kFailed);
}

TEST_CASE("Metadata: the cap counts the event's own metadata and is configurable",
          "[actions_core][metadata]") {
  nlohmann::json event = {{"user", {{"user_metadata", {{"big", std::string(90, 'y')}}}}}};
  auto r = testing::RunToDecision(SizeFlow({10}, 100), event);
  REQUIRE(r.outcome == Outcome::kError);
  CHECK(r.error->error_class == ErrorClass::kInvalidApiCall);
  CHECK_THAT(r.error->message, Catch::Contains("limit of 100 bytes"));
}

TEST_CASE("Metadata: a step that leaves an object unchanged is not checked against the cap",
          "[actions_core][metadata]") {
  // The event already exceeds a tiny cap, but no step changes user_metadata.
  nlohmann::json event = {{"user", {{"user_metadata", {{"big", std::string(200, 'y')}}}}}};
  FlowOptions options;
  options.metadata.max_bytes = 100;
  Flow flow(options);
  flow.Add("app_only", MakeNativeAction([](const auto&, Api& api) { api.SetAppMetadata("a", 1); }));
  CHECK(testing::RunToDecision(flow, event).outcome == Outcome::kAllow);
}

}  // namespace
}  // namespace prereg
