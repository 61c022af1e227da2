#include "prereg/actions/cache.h"

#include <string>

#include <catch2/catch.hpp>

namespace prereg {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
const std::string kScope = CacheScope("acme");
constexpr int64_t kMinute = 60 * 1000;

std::string Code(const CacheWriteResult& r) { return r.ok() ? "success" : CacheErrorName(*r.error); }

TEST_CASE("Cache: key and value sizes are checked in bytes, key first", "[actions_core][cache]") {
  const std::string e_acute = "\xC3\xA9";  // 2 bytes
  std::string key32;
  for (int i = 0; i < 32; ++i) key32 += e_acute;  // 64 bytes
  const struct {
    std::string key, value, want;
  } cases[] = {
      {std::string(64, 'k'), "v", "success"},
      {std::string(65, 'k'), "v", "CacheKeySizeExceeded"},
      {key32, "v", "success"},
      {key32 + "k", "v", "CacheKeySizeExceeded"},
      {"k", std::string(4096, 'v'), "success"},
      {"k", std::string(4097, 'v'), "CacheValueSizeExceeded"},
      {std::string(65, 'k'), std::string(4097, 'v'), "CacheKeySizeExceeded"},
  };
  for (const auto& c : cases) {
    MemoryCache cache;
    CAPTURE(c.key.size(), c.value.size());
    CHECK(Code(cache.Set(kScope, c.key, c.value, {}, kNow)) == c.want);
  }
}

TEST_CASE("Cache: total bytes of live keys and values are capped at 8192",
          "[actions_core][cache]") {
  MemoryCache cache;
  // Two records of 4095 + 1 bytes each: 8192 in all.
  REQUIRE(cache.Set(kScope, "a", std::string(4095, 'x'), {}, kNow).ok());
  REQUIRE(cache.Set(kScope, "b", std::string(4095, 'x'), {}, kNow).ok());
  CHECK(Code(cache.Set(kScope, "c", "", {}, kNow)) == "CacheSizeExceeded");
  SECTION("the old value of a replaced key does not count") {
    CHECK(cache.Set(kScope, "b", std::string(4095, 'y'), {}, kNow).ok());
  }
  SECTION("deleting frees room") {
    REQUIRE(cache.Delete(kScope, "a", kNow).ok());
    CHECK(cache.Set(kScope, "c", "", {}, kNow).ok());
  }
}

TEST_CASE("Cache: at most 20 live entries, expired ones do not count", "[actions_core][cache]") {
  MemoryCache cache;
  CacheSetOptions short_ttl{nlohmann::json(1000), Value()};
  for (int i = 0; i < 20; ++i) {
    REQUIRE(cache.Set(kScope, "k" + std::to_string(i), "v", i == 0 ? short_ttl : CacheSetOptions{}, kNow)
                .ok());
  }
  CHECK(Code(cache.Set(kScope, "k20", "v", {}, kNow)) == "CacheSizeExceeded");
  CHECK(cache.Set(kScope, "k5", "replaced", {}, kNow).ok());
  CHECK(cache.Set(kScope, "k20", "v", {}, kNow + 1000).ok());  // k0 expired at kNow + 1000
}

TEST_CASE("Cache: size limits are checked before expiry", "[actions_core][cache]") {
  MemoryCache cache(CacheLimits{.max_entries = 1});
  REQUIRE(cache.Set(kScope, "a", "v", {}, kNow).ok());
  CHECK(Code(cache.Set(kScope, "b", "v", {nlohmann::json(0), Value()}, kNow)) == "CacheSizeExceeded");
  CHECK(Code(cache.Set(kScope, std::string(65, 'k'), "v", {nlohmann::json("x"), Value()}, kNow)) ==
        "CacheKeySizeExceeded");
}

TEST_CASE("Cache: expiry from ttl and expires_at", "[actions_core][cache]") {
  const struct {
    const char* name;
    Value ttl, expires_at;
    std::string want;
    int64_t expires;
  } cases[] = {
      {"neither: 15 minutes", Value(), Value(), "success", kNow + 15 * kMinute},
      {"ttl", nlohmann::json(5000), Value(), "success", kNow + 5000},
      {"ttl fraction dropped", nlohmann::json(5000.9), Value(), "success", kNow + 5000},
      {"expires_at", Value(), nlohmann::json(kNow + 7000), "success", kNow + 7000},
      {"both: ttl earlier", nlohmann::json(1000), nlohmann::json(kNow + 7000), "success",
       kNow + 1000},
      {"both: expires_at earlier", nlohmann::json(9000), nlohmann::json(kNow + 7000), "success",
       kNow + 7000},
      {"clamped to 24 h", nlohmann::json(48 * 60 * kMinute), Value(), "success",
       kNow + 24 * 60 * kMinute},
      {"ttl 0", nlohmann::json(0), Value(), "ItemAlreadyExpired", 0},
      {"negative ttl", nlohmann::json(-5), Value(), "ItemAlreadyExpired", 0},
      {"expires_at now", Value(), nlohmann::json(kNow), "ItemAlreadyExpired", 0},
      {"expires_at past", Value(), nlohmann::json(kNow - 1), "ItemAlreadyExpired", 0},
      {"ttl a string", nlohmann::json("60"), Value(), "InvalidExpiry", 0},
      {"ttl null", nlohmann::json(nullptr), Value(), "InvalidExpiry", 0},
      {"ttl NaN", Value::OfKind(Value::Kind::kNonFinite), Value(), "InvalidExpiry", 0},
      {"expires_at Infinity", Value(), Value::OfKind(Value::Kind::kNonFinite), "InvalidExpiry", 0},
      {"expires_at not a safe integer", Value(), nlohmann::json(1e300), "InvalidExpiry", 0},
  };
  for (const auto& c : cases) {
    MemoryCache cache;
    CAPTURE(c.name);
    auto r = cache.Set(kScope, "k", "v", {c.ttl, c.expires_at}, kNow);
    CHECK(Code(r) == c.want);
    if (r.ok()) {
      CHECK(r.record.expires_at == c.expires);
      CHECK(r.record.value == "v");
    } else {
      CHECK_FALSE(cache.Get(kScope, "k", kNow));
    }
  }
}

TEST_CASE("Cache: default lifetime is configurable", "[actions_core][cache]") {
  MemoryCache cache(CacheLimits{.default_ttl_ms = 24 * 60 * kMinute});
  CHECK(cache.Set(kScope, "k", "v", {}, kNow).record.expires_at == kNow + 24 * 60 * kMinute);
}

TEST_CASE("Cache: get never returns an expired record", "[actions_core][cache]") {
  MemoryCache cache;
  REQUIRE(cache.Set(kScope, "k", "v", {nlohmann::json(1000), Value()}, kNow).ok());
  REQUIRE(cache.Get(kScope, "k", kNow + 999));
  CHECK(cache.Get(kScope, "k", kNow + 999)->value == "v");
  CHECK_FALSE(cache.Get(kScope, "k", kNow + 1000));
}

TEST_CASE("Cache: deleting a missing or expired key is CacheKeyDoesNotExist",
          "[actions_core][cache]") {
  MemoryCache cache;
  CHECK(Code(cache.Delete(kScope, "nope", kNow)) == "CacheKeyDoesNotExist");
  REQUIRE(cache.Set(kScope, "k", "v", {nlohmann::json(10), Value()}, kNow).ok());
  CHECK(Code(cache.Delete(kScope, "k", kNow + 10)) == "CacheKeyDoesNotExist");
}

TEST_CASE("Cache: results serialise as Auth0's CacheWriteResult", "[actions_core][cache]") {
  CHECK(CacheWriteResult::Success({"v", 5}).ToJson().dump() ==
        R"({"record":{"expires_at":5,"value":"v"},"type":"success"})");
  CHECK(CacheWriteResult::Success({}).ToJson(false).dump() == R"({"type":"success"})");
  CHECK(CacheWriteResult::Failure(CacheError::kInvalidExpiry).ToJson().dump() ==
        R"({"code":"InvalidExpiry","type":"error"})");
}

}  // namespace
}  // namespace prereg

namespace prereg {
namespace {

TEST_CASE("Cache: scopes do not see each other's records or limits", "[actions_core][cache]") {
  MemoryCache cache(CacheLimits{.max_entries = 1});
  REQUIRE(cache.Set(CacheScope("a"), "k", "va", {}, kNow).ok());
  REQUIRE(cache.Set(CacheScope("b"), "k", "vb", {}, kNow).ok());
  CHECK(cache.Get(CacheScope("a"), "k", kNow)->value == "va");
  CHECK(cache.Get(CacheScope("b"), "k", kNow)->value == "vb");
  CHECK(CacheScope("") == "default/pre-user-registration");
}

// Reads 20 keys 20 times through an eviction drill, setting each key again when it was lost;
// returns the hits. `async` reads with GetAsync instead of Get.
int CountDrillHits(double p, uint64_t seed, bool async = false) {
  auto inner = std::make_shared<MemoryCache>();
  EvictionDrillCache drill(inner, p, seed);
  int hits = 0;
  for (int i = 0; i < 400; ++i) {
    const auto key = "k" + std::to_string(i % 20);
    bool hit = false;
    if (async) {
      drill.GetAsync(kScope, key, kNow, [&hit](std::optional<CacheRecord> r) { hit = r.has_value(); });
    } else {
      hit = drill.Get(kScope, key, kNow).has_value();
    }
    if (hit) {
      ++hits;
    } else {
      REQUIRE(drill.Set(kScope, key, "v", {}, kNow).ok());
    }
  }
  return hits;
}

TEST_CASE("Cache: the eviction drill loses records at the given rate, reproducibly",
          "[actions_core][cache]") {
  CHECK(CountDrillHits(0.0, 1) == 380);  // every read after the first set of each key hits
  CHECK(CountDrillHits(1.0, 1) == 0);    // every record is lost when read
  const int half = CountDrillHits(0.5, 7);
  CHECK(half > 60);
  CHECK(half < 320);
  CHECK(CountDrillHits(0.5, 7) == half);  // same seed, same drops
}

TEST_CASE("Cache: a record lost to the drill is gone for good", "[actions_core][cache]") {
  auto inner = std::make_shared<MemoryCache>();
  EvictionDrillCache drill(inner, 1.0);
  REQUIRE(drill.Set(kScope, "k", "v", {}, kNow).ok());
  CHECK_FALSE(drill.Get(kScope, "k", kNow));
  CHECK_FALSE(inner->Get(kScope, "k", kNow));
}

TEST_CASE("Cache: the eviction drill drops asynchronous reads as it drops synchronous ones",
          "[actions_core][cache]") {
  CHECK(CountDrillHits(0.5, 7, /*async=*/true) == CountDrillHits(0.5, 7));
  CHECK(CountDrillHits(0.5, 7, /*async=*/true) < 380);
}

}  // namespace
}  // namespace prereg
