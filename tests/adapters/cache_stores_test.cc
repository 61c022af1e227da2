#include "prereg/adapters/cache_stores.h"

#include <atomic>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "js_fixture.h"
#include "support/redis_server.h"

namespace prereg {
namespace {

using adapters::OpenCache;
using testing::RedisServer;
using testing::TempDir;

constexpr int64_t kNow = 1'800'000'000'000;
const std::string kScope = CacheScope("acme");

std::string Code(const CacheWriteResult& r) { return r.ok() ? "success" : CacheErrorName(*r.error); }

// A temporary directory and a fresh redis-server; Catch builds one per run of a section.
struct Stores {
  TempDir dir;
  RedisServer redis;
  int opened = 0;
  // A new, empty store of `kind` with `params` (URI query) appended.
  std::shared_ptr<Cache> Open(const std::string& kind, const std::string& params = "") {
    ++opened;  // each store gets its own file or Redis database
    std::string uri = kind == "memory" ? "memory"
                      : kind == "file" ? "file:" + (dir.path() / ("c" + std::to_string(opened))).string()
                                       : redis.uri(opened);
    auto store = OpenCache(uri + params, nullptr);
    REQUIRE(store.ok());
    return store.value();
  }
};

TEST_CASE("Cache stores: every store applies the limits and codes of SPEC 3.1",
          "[adapters][cache]") {
  Stores stores;
  const auto kind = GENERATE(as<std::string>{}, "memory", "file", "redis");
  CAPTURE(kind);
  SECTION("key, value and total sizes, in that order") {
    auto c = stores.Open(kind);
    CHECK(Code(c->Set(kScope, std::string(65, 'k'), std::string(5000, 'v'), {}, kNow)) ==
          "CacheKeySizeExceeded");
    CHECK(Code(c->Set(kScope, "k", std::string(4097, 'v'), {}, kNow)) == "CacheValueSizeExceeded");
    REQUIRE(c->Set(kScope, "a", std::string(4095, 'x'), {}, kNow).ok());
    REQUIRE(c->Set(kScope, "b", std::string(4095, 'x'), {}, kNow).ok());
    CHECK(Code(c->Set(kScope, "c", "", {nlohmann::json(0), Value()}, kNow)) == "CacheSizeExceeded");
    CHECK(c->Set(kScope, "b", std::string(4095, 'y'), {}, kNow).ok());  // replaced value not counted
  }
  SECTION("at most 20 live entries") {
    auto c = stores.Open(kind);
    for (int i = 0; i < 20; ++i) REQUIRE(c->Set(kScope, "k" + std::to_string(i), "v", {}, kNow).ok());
    CHECK(Code(c->Set(kScope, "k20", "v", {}, kNow)) == "CacheSizeExceeded");
    REQUIRE(c->Delete(kScope, "k3", kNow).ok());
    CHECK(c->Set(kScope, "k20", "v", {}, kNow).ok());
  }
  SECTION("expiry: ttl, expires_at, default, clamp and errors") {
    auto c = stores.Open(kind);
    CHECK(c->Set(kScope, "ttl", "v", {nlohmann::json(5000.7), Value()}, kNow).record.expires_at ==
          kNow + 5000);
    CHECK(c->Set(kScope, "both", "v", {nlohmann::json(9000), nlohmann::json(kNow + 7000)}, kNow)
              .record.expires_at == kNow + 7000);
    CHECK(c->Set(kScope, "default", "v", {}, kNow).record.expires_at == kNow + 15 * 60 * 1000);
    CHECK(c->Set(kScope, "clamped", "v", {nlohmann::json(1e10), Value()}, kNow).record.expires_at ==
          kNow + 24 * 60 * 60 * 1000);
    CHECK(Code(c->Set(kScope, "zero", "v", {nlohmann::json(0), Value()}, kNow)) == "ItemAlreadyExpired");
    CHECK(Code(c->Set(kScope, "nan", "v", {Value::OfKind(Value::Kind::kNonFinite), Value()}, kNow)) ==
          "InvalidExpiry");
    CHECK(Code(c->Set(kScope, "str", "v", {nlohmann::json("1"), Value()}, kNow)) == "InvalidExpiry");
    CHECK_FALSE(c->Get(kScope, "zero", kNow));
  }
  SECTION("get returns live records only; delete of a missing key") {
    auto c = stores.Open(kind);
    // Real time for Redis, which expires records itself.
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    REQUIRE(c->Set(kScope, "short", "v", {nlohmann::json(1000), Value()}, now).ok());
    REQUIRE(c->Get(kScope, "short", now));
    CHECK(c->Get(kScope, "short", now)->value == "v");
    CHECK_FALSE(c->Get(kScope, "short", now + 1000));
    CHECK(Code(c->Delete(kScope, "never-set", now)) == "CacheKeyDoesNotExist");
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // Redis expires it itself
    CHECK(Code(c->Delete(kScope, "short", now + 1100)) == "CacheKeyDoesNotExist");
  }
  SECTION("limits are configurable") {
    auto c = stores.Open(kind, "?max_entries=2&default_ttl_ms=1000");
    CHECK(c->Set(kScope, "a", "v", {}, kNow).record.expires_at == kNow + 1000);
    REQUIRE(c->Set(kScope, "b", "v", {}, kNow).ok());
    CHECK(Code(c->Set(kScope, "c", "v", {}, kNow)) == "CacheSizeExceeded");
  }
  SECTION("scopes are separate") {
    auto c = stores.Open(kind);
    REQUIRE(c->Set(CacheScope("t1"), "k", "one", {}, kNow).ok());
    REQUIRE(c->Set(CacheScope("t2"), "k", "two", {}, kNow).ok());
    CHECK(c->Get(CacheScope("t1"), "k", kNow)->value == "one");
    CHECK(c->Get(CacheScope("t2"), "k", kNow)->value == "two");
  }
}

TEST_CASE("Cache stores: two instances sharing one Redis or one file see each other's records",
          "[adapters][cache]") {
  Stores stores;
  for (const std::string& uri :
       {stores.redis.uri(1), "file:" + (stores.dir.path() / "shared.json").string()}) {
    CAPTURE(uri);
    auto first = OpenCache(uri, nullptr).value();
    auto second = OpenCache(uri, nullptr).value();
    REQUIRE(first->Set(kScope, "token", "abc", {}, kNow).ok());
    REQUIRE(second->Get(kScope, "token", kNow));
    CHECK(second->Get(kScope, "token", kNow)->value == "abc");
    REQUIRE(second->Delete(kScope, "token", kNow).ok());
    CHECK_FALSE(first->Get(kScope, "token", kNow));
  }
}

TEST_CASE("Cache stores: concurrent writers cannot exceed the limits together",
          "[adapters][cache]") {
  Stores stores;
  for (const std::string& uri :
       {stores.redis.uri(2), "file:" + (stores.dir.path() / "race.json").string()}) {
    CAPTURE(uri);
    std::atomic<int> stored{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([&, w] {
        auto store = OpenCache(uri, nullptr).value();  // one "engine instance" per thread
        for (int i = 0; i < 10; ++i) {
          if (store->Set(kScope, "w" + std::to_string(w) + "-" + std::to_string(i), "v", {}, kNow).ok()) {
            ++stored;
          }
        }
      });
    }
    for (auto& t : writers) t.join();
    CHECK(stored == 20);
    auto reader = OpenCache(uri, nullptr).value();
    int live = 0;
    for (int w = 0; w < 4; ++w) {
      for (int i = 0; i < 10; ++i) {
        if (reader->Get(kScope, "w" + std::to_string(w) + "-" + std::to_string(i), kNow)) ++live;
      }
    }
    CHECK(live == 20);
  }
}

TEST_CASE("Cache stores: Redis stopped mid-run gives the documented errors and recovers",
          "[adapters][cache]") {
  Stores stores;
  std::vector<std::string> logs;
  adapters::RedisCache cache({"127.0.0.1", stores.redis.port(), 3, 200, 50}, {},
                             [&logs](const std::string& l) { logs.push_back(l); });
  REQUIRE(cache.Set(kScope, "k", "v", {}, kNow).ok());
  stores.redis.Stop();
  for (int i = 0; i < 5; ++i) {
    CHECK(Code(cache.Set(kScope, "k2", "v", {}, kNow)) == "FailedToSetCacheRecord");
    CHECK(Code(cache.Delete(kScope, "k", kNow)) == "FailedToDeleteCacheRecord");
    CHECK_FALSE(cache.Get(kScope, "k", kNow));
  }
  REQUIRE(logs.size() == 1);  // once per incident, not per call
  CHECK_THAT(logs[0], Catch::Contains("redis://127.0.0.1:") && Catch::Contains("until it recovers"));
  stores.redis.Start();  // an empty server, as after a restart without persistence
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  CHECK(cache.Set(kScope, "k2", "v", {}, kNow).ok());
  CHECK(cache.Get(kScope, "k2", kNow)->value == "v");
  REQUIRE(logs.size() == 2);
  CHECK_THAT(logs[1], Catch::EndsWith("recovered"));
}

TEST_CASE("Cache stores: a file that cannot be written fails softly", "[adapters][cache]") {
  TempDir dir;
  std::vector<std::string> logs;
  adapters::FileCache cache((dir.path() / "no-such-dir" / "c.json").string(), {},
                            [&logs](const std::string& l) { logs.push_back(l); });
  CHECK(Code(cache.Set(kScope, "k", "v", {}, kNow)) == "FailedToSetCacheRecord");
  CHECK(Code(cache.Delete(kScope, "k", kNow)) == "FailedToDeleteCacheRecord");
  CHECK_FALSE(cache.Get(kScope, "k", kNow));
  CHECK(logs.size() == 1);
}

TEST_CASE("Cache stores: a damaged cache file is started afresh and said so",
          "[adapters][cache]") {
  TempDir dir;
  const auto path = dir.Write("c.json", "{not json");
  std::vector<std::string> logs;
  adapters::FileCache cache(path, {}, [&logs](const std::string& l) { logs.push_back(l); });
  CHECK(cache.Set(kScope, "k", "v", {}, kNow).ok());
  CHECK(cache.Get(kScope, "k", kNow)->value == "v");
  REQUIRE_FALSE(logs.empty());
  CHECK_THAT(logs[0], Catch::Contains("not a prereg cache file"));
}

TEST_CASE("Cache stores: --cache URIs are parsed strictly", "[adapters][cache]") {
  for (const char* good : {"memory", "memory:", "", "file:/tmp/x.json", "redis://127.0.0.1:6379/0",
                           "redis://localhost", "memory?evict=0.5&seed=3", "memory?max_entries=5"}) {
    CAPTURE(good);
    CHECK(OpenCache(good, nullptr).ok());
  }
  for (const char* bad : {"memcached://x", "file:", "redis://h:99999/0", "redis://h:1/x",
                          "memory?evict=2", "memory?max_entries=-1", "memory?bogus=1", "memory?x"}) {
    CAPTURE(bad);
    auto r = OpenCache(bad, nullptr);
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace prereg
