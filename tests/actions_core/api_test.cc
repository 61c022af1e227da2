#include "prereg/actions/api.h"

#include <string>

#include <catch2/catch.hpp>

#include "support/manual_scheduler.h"

namespace prereg {
namespace {

struct ApiFixture {
  testing::ManualScheduler scheduler;
  MemoryCache cache;
  MetadataOptions metadata;
  LogBudget logs;
  Api api{"step1", &cache, &scheduler, &metadata, &logs};
};

TEST_CASE("Api: deny records reason and user message", "[actions_core][api]") {
  ApiFixture f;
  f.api.Deny("blocked country", "Sign-ups are closed here");
  REQUIRE(f.api.effects().denial);
  CHECK(f.api.effects().denial->kind == Denial::Kind::kAccessDenied);
  CHECK(f.api.effects().denial->reason == "blocked country");
  CHECK(f.api.effects().denial->user_message == "Sign-ups are closed here");
  CHECK_FALSE(f.api.effects().invalid_call);
}

TEST_CASE("Api: deny without a user message leaves it null", "[actions_core][api]") {
  ApiFixture f;
  f.api.Deny("reason only");
  REQUIRE(f.api.effects().denial);
  CHECK_FALSE(f.api.effects().denial->user_message.has_value());
}

TEST_CASE("Api: deny with non-string arguments is an invalid call", "[actions_core][api]") {
  ApiFixture f;
  SECTION("reason") { f.api.Deny(nlohmann::json(42)); }
  SECTION("missing reason") { f.api.Deny(Value()); }
  SECTION("user message") { f.api.Deny("r", nlohmann::json::object()); }
  REQUIRE(f.api.effects().invalid_call);
  CHECK_THAT(*f.api.effects().invalid_call, Catch::Contains("api.access.deny"));
  CHECK_THAT(*f.api.effects().invalid_call, Catch::Contains("must be a string"));
  CHECK_FALSE(f.api.effects().denial);
}

TEST_CASE("Api: the first deny or validation error wins and later ones are logged as ignored",
          "[actions_core][api]") {
  ApiFixture f;
  f.api.Deny("first", "one").ValidationError("code", "second").Deny("third");
  REQUIRE(f.api.effects().denial);
  CHECK(f.api.effects().denial->reason == "first");
  REQUIRE(f.api.logs().size() == 2);
  CHECK_THAT(f.api.logs()[0], Catch::Contains("api.validation.error(\"code\") ignored"));
  CHECK_THAT(f.api.logs()[1], Catch::Contains("api.access.deny(\"third\") ignored"));
  CHECK_FALSE(f.api.effects().invalid_call);
}

TEST_CASE("Api: validation error records code and message", "[actions_core][api]") {
  ApiFixture f;
  f.api.ValidationError("invalid_name", "Please give your full name");
  REQUIRE(f.api.effects().denial);
  CHECK(f.api.effects().denial->kind == Denial::Kind::kValidationError);
  CHECK(f.api.effects().denial->reason == "invalid_name");
  CHECK(f.api.effects().denial->user_message == "Please give your full name");
}

TEST_CASE("Api: validation error strings are limited to 100 JavaScript characters",
          "[actions_core][api]") {
  struct Case {
    std::string code, message;
    bool valid;
  };
  const std::string emoji = "\xF0\x9F\x98\x80";  // one code point, two UTF-16 units
  std::string fifty_emoji;
  for (int i = 0; i < 50; ++i) fifty_emoji += emoji;
  const Case cases[] = {
      {std::string(100, 'c'), "m", true},
      {std::string(101, 'c'), "m", false},
      {"c", std::string(100, 'm'), true},
      {"c", std::string(101, 'm'), false},
      {"c", fifty_emoji, true},           // 100 UTF-16 units
      {"c", fifty_emoji + "x", false},    // 101
      {"c", std::string(100, 'm').replace(0, 2, "\xC3\xA9"), true},  // é is one unit
  };
  for (const auto& c : cases) {
    ApiFixture f;
    f.api.ValidationError(c.code, c.message);
    CAPTURE(c.code, c.message);
    CHECK(f.api.effects().invalid_call.has_value() == !c.valid);
    CHECK(f.api.effects().denial.has_value() == c.valid);
  }
}

TEST_CASE("Api: validation error with a missing argument is an invalid call",
          "[actions_core][api]") {
  ApiFixture f;
  f.api.ValidationError("code", Value());
  REQUIRE(f.api.effects().invalid_call);
  CHECK_THAT(*f.api.effects().invalid_call, Catch::Contains("errorMessage must be a string"));
}

TEST_CASE("Api: metadata calls record top-level keys, last write wins, null is kept as delete",
          "[actions_core][api]") {
  ApiFixture f;
  f.api.SetAppMetadata("plan", "pro")
      .SetAppMetadata("plan", "team")
      .SetUserMetadata("color", nullptr)
      .SetUserMetadata("profile", nlohmann::json{{"a", 1}});
  CHECK(f.api.effects().app_metadata == nlohmann::json{{"plan", "team"}});
  CHECK(f.api.effects().user_metadata ==
        nlohmann::json{{"color", nullptr}, {"profile", {{"a", 1}}}});
}

TEST_CASE("Api: metadata values JSON cannot represent are invalid calls", "[actions_core][api]") {
  const struct {
    Value value;
    const char* described;
  } cases[] = {
      {Value::Undefined(), "undefined"},
      {Value::OfKind(Value::Kind::kFunction), "a function"},
      {Value::OfKind(Value::Kind::kSymbol), "a symbol"},
      {Value::OfKind(Value::Kind::kBigInt), "a BigInt"},
      {Value::OfKind(Value::Kind::kNonFinite), "a non-finite number"},
      {Value::OfKind(Value::Kind::kCycle), "an object with a cycle"},
      {nlohmann::json(std::nan("")), "a non-finite number"},
  };
  for (const auto& c : cases) {
    ApiFixture f;
    f.api.SetUserMetadata("k", c.value);
    CAPTURE(c.described);
    REQUIRE(f.api.effects().invalid_call);
    CHECK_THAT(*f.api.effects().invalid_call, Catch::Contains(c.described));
    CHECK(f.api.effects().user_metadata.empty());
  }
}

TEST_CASE("Api: metadata key must be a string", "[actions_core][api]") {
  ApiFixture f;
  f.api.SetAppMetadata(nlohmann::json(1), "v");
  REQUIRE(f.api.effects().invalid_call);
  CHECK_THAT(*f.api.effects().invalid_call,
             Catch::Contains("api.user.setAppMetadata") && Catch::Contains("key must be a string"));
}

TEST_CASE("Api: setUserId accepts 1-255 characters of the allowed set, last call wins",
          "[actions_core][api]") {
  const struct {
    std::string id;
    bool valid;
  } cases[] = {
      {"abc", true},
      {"A-Z.a_z+0@9", true},
      {std::string(255, 'x'), true},
      {std::string(256, 'x'), false},
      {"", false},
      {"has space", false},
      {"pipe|char", false},
      {"caf\xC3\xA9", false},
  };
  for (const auto& c : cases) {
    ApiFixture f;
    f.api.SetUserId(c.id);
    CAPTURE(c.id);
    CHECK(f.api.effects().invalid_call.has_value() == !c.valid);
    CHECK(f.api.effects().user_id.has_value() == c.valid);
  }
  ApiFixture f;
  f.api.SetUserId("first").SetUserId("second");
  CHECK(f.api.effects().user_id == "second");
}

TEST_CASE("Api: an invalid call does not stop later calls and the first one is reported",
          "[actions_core][api]") {
  ApiFixture f;
  f.api.SetUserId("bad id").SetAppMetadata("$bad", 1).SetUserMetadata("ok", 2);
  REQUIRE(f.api.effects().invalid_call);
  CHECK_THAT(*f.api.effects().invalid_call, Catch::Contains("setUserId"));
  CHECK(f.api.effects().user_metadata == nlohmann::json{{"ok", 2}});
  REQUIRE(f.api.logs().size() == 1);
  CHECK_THAT(f.api.logs()[0], Catch::Contains("an earlier invalid call is reported"));
}

TEST_CASE("Api: Invoke dispatches calls as a script runner reports them", "[actions_core][api]") {
  ApiFixture f;
  auto set = f.api.Invoke(ApiMethod::kCacheSet, {"token", "abc", nlohmann::json(60000)});
  CHECK(set["type"] == "success");
  CHECK(set["record"]["value"] == "abc");
  CHECK(set["record"]["expires_at"] == f.scheduler.UnixMillis() + 60000);
  auto got = f.api.Invoke(ApiMethod::kCacheGet, {"token"});
  CHECK(got == nlohmann::json{{"value", "abc"}, {"expires_at", f.scheduler.UnixMillis() + 60000}});
  CHECK(f.api.Invoke(ApiMethod::kCacheDelete, {"token"}) == nlohmann::json{{"type", "success"}});
  CHECK(f.api.Invoke(ApiMethod::kCacheGet, {"token"}).is_null());
  CHECK(f.api.Invoke(ApiMethod::kCacheDelete, {"token"}) ==
        nlohmann::json{{"type", "error"}, {"code", "CacheKeyDoesNotExist"}});
  f.api.Invoke(ApiMethod::kAccessDeny, {"why"});
  CHECK(f.api.effects().denial->reason == "why");
}

TEST_CASE("Api: cache.set with a non-string value is an invalid call", "[actions_core][api]") {
  ApiFixture f;
  auto result = f.api.CacheSet("k", nlohmann::json(5));
  CHECK_FALSE(result.ok());
  REQUIRE(f.api.effects().invalid_call);
  CHECK_THAT(*f.api.effects().invalid_call,
             Catch::Contains("api.cache.set") && Catch::Contains("value must be a string"));
  CHECK_FALSE(f.cache.Get(CacheScope(""), "k", f.scheduler.UnixMillis()));
}

TEST_CASE("Api: method names parse as scripts spell them", "[actions_core][api]") {
  CHECK(ParseApiMethod("access.deny") == ApiMethod::kAccessDeny);
  CHECK(ParseApiMethod("validation.error") == ApiMethod::kValidationError);
  CHECK(ParseApiMethod("user.setAppMetadata") == ApiMethod::kSetAppMetadata);
  CHECK(ParseApiMethod("user.setUserMetadata") == ApiMethod::kSetUserMetadata);
  CHECK(ParseApiMethod("user.setUserId") == ApiMethod::kSetUserId);
  CHECK(ParseApiMethod("cache.get") == ApiMethod::kCacheGet);
  CHECK(ParseApiMethod("cache.set") == ApiMethod::kCacheSet);
  CHECK(ParseApiMethod("cache.delete") == ApiMethod::kCacheDelete);
  CHECK_FALSE(ParseApiMethod("access.allow"));
}

TEST_CASE("LogBudget: past the cap an entry is cut, a marker added and later entries dropped",
          "[actions_core][api]") {
  LogBudget budget(10);
  std::vector<std::string> logs;
  budget.Append(&logs, "12345");
  budget.Append(&logs, "6789012345");
  budget.Append(&logs, "more");
  REQUIRE(logs.size() == 3);
  CHECK(logs[0] == "12345");
  CHECK(logs[1] == "67890");
  CHECK(logs[2] == LogBudget::kMarker);
  CHECK(budget.truncated());
}

TEST_CASE("Api: values too large, too deep or not valid Unicode are invalid calls naming why",
          "[actions_core][api]") {
  const struct {
    Value value;
    std::string rule;
  } cases[] = {
      {Value::TooLarge(104857600, true),
       "the value is a string of 104857600 bytes: too large to pass to the engine"},
      {Value::TooLarge(300000, false),
       "the value is a value of 300000 bytes as JSON: too large to pass to the engine"},
      {Value::OfKind(Value::Kind::kTooDeep),
       "the value is a value nested deeper than 128 levels: too deep to pass to the engine"},
      {Value::OfKind(Value::Kind::kLoneSurrogate),
       "the value is text with a lone UTF-16 surrogate (half a character, e.g. an emoji cut by "
       "slice): not valid Unicode"},
  };
  for (const auto& c : cases) {
    ApiFixture f;
    f.api.SetUserMetadata("name", c.value);
    REQUIRE(f.api.effects().invalid_call);
    CHECK(*f.api.effects().invalid_call == "api.user.setUserMetadata(\"name\", …): " + c.rule);
    CHECK(f.api.effects().user_metadata.empty());
  }
  ApiFixture f;
  f.api.Deny(Value::OfKind(Value::Kind::kLoneSurrogate));
  REQUIRE(f.api.effects().invalid_call);
  CHECK_THAT(*f.api.effects().invalid_call,
             Catch::Contains("reason is text with a lone UTF-16 surrogate") &&
                 Catch::Contains("not valid Unicode"));
  CHECK_FALSE(f.api.effects().denial);
}

TEST_CASE("Api: cache strings too large to pass get the cache's size errors, in SPEC order",
          "[actions_core][api]") {
  ApiFixture f;
  const Value huge = Value::TooLarge(10 * 1024 * 1024, true);
  CHECK(f.api.CacheSet(huge, huge).error == CacheError::kCacheKeySizeExceeded);
  CHECK(f.api.CacheSet("k", huge).error == CacheError::kCacheValueSizeExceeded);
  CHECK_FALSE(f.api.CacheGet(huge));
  CHECK(f.api.CacheDelete(huge).error == CacheError::kCacheKeyDoesNotExist);
  CHECK_FALSE(f.api.effects().invalid_call);
  // A value too large that is not a string is still a wrong type.
  CHECK(f.api.CacheSet("k", Value::TooLarge(5000, false)).error ==
        CacheError::kFailedToSetCacheRecord);
  CHECK(f.api.effects().invalid_call);
}

// A store that answers only when the test says so, as a store on a network does.
class DeferredCache : public MemoryCache {
 public:
  void GetAsync(const std::string& scope, const std::string& key, int64_t now_ms,
                GetDone done) override {
    pending_.push_back([this, scope, key, now_ms, done] { done(Get(scope, key, now_ms)); });
  }
  void SetAsync(const std::string& scope, const std::string& key, const std::string& value,
                const CacheSetOptions& options, int64_t now_ms, WriteDone done) override {
    pending_.push_back([this, scope, key, value, options, now_ms, done] {
      done(Set(scope, key, value, options, now_ms));
    });
  }
  void AnswerAll() {
    auto pending = std::move(pending_);
    for (auto& fn : pending) fn();
  }
  std::vector<std::function<void()>> pending_;
};

TEST_CASE("Api: InvokeAsync answers cache calls when the store does, on the scheduler",
          "[actions_core][api]") {
  testing::ManualScheduler scheduler;
  DeferredCache cache;
  MetadataOptions metadata;
  LogBudget logs;
  Api api{"step1", &cache, &scheduler, &metadata, &logs};
  std::vector<nlohmann::json> answers;
  auto collect = [&answers](nlohmann::json j) { answers.push_back(std::move(j)); };
  api.InvokeAsync(ApiMethod::kCacheSet, {"k", "v", 60000, Value()}, collect);
  api.InvokeAsync(ApiMethod::kCacheGet, {"k"}, collect);
  scheduler.RunPosted();
  CHECK(answers.empty());  // the store has not answered
  cache.AnswerAll();
  CHECK(answers.empty());  // answered on the store's side; delivered on the scheduler's thread
  scheduler.RunPosted();
  REQUIRE(answers.size() == 2);
  CHECK(answers[0]["type"] == "success");
  CHECK(answers[1]["value"] == "v");
  // Calls the Api answers itself, and calls that are not cache calls, answer at once.
  answers.clear();
  api.InvokeAsync(ApiMethod::kCacheGet, {Value::TooLarge(100000, true)}, collect);
  api.InvokeAsync(ApiMethod::kSetAppMetadata, {"a", 1}, collect);
  REQUIRE(answers.size() == 2);
  CHECK(answers[0].is_null());
  CHECK(api.effects().app_metadata == nlohmann::json{{"a", 1}});
}

}  // namespace
}  // namespace prereg
