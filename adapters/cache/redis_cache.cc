// The Redis store. Per scope, with a hash tag so a scope's keys share a cluster slot:
//   prereg:{<scope>}:v:<key>   the value, expiring at its expires_at (SET ... PXAT)
//   prereg:{<scope>}:idx       sorted set of keys, scored by expires_at
// The size and entry-count rules need every live record, so set runs as one Lua script: Redis
// runs scripts atomically, so concurrent engine instances cannot together exceed the limits.
// Key and value sizes and the expiry are computed here first (they need no shared state); an
// expiry error is passed to the script, which reports it only after the size checks, keeping
// SPEC §3.1's order. Every call runs on the store's own thread (see cache_stores.h).

#include <hiredis/hiredis.h>

#include <charconv>
#include <chrono>
#include <cstring>
#include <future>

#include <fmt/format.h>

#include "prereg/adapters/cache_stores.h"

namespace prereg::adapters {

namespace {

constexpr const char* kSetScript = R"lua(
local idx, prefix, key, value = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local expires_at, max_total, max_entries = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local total, count = #key + #value, 1
for _, member in ipairs(redis.call('ZRANGE', idx, 0, -1)) do
  if redis.call('EXISTS', prefix .. member) == 0 then
    redis.call('ZREM', idx, member)
  elseif member ~= key then
    total = total + #member + redis.call('STRLEN', prefix .. member)
    count = count + 1
  end
end
if total > max_total or count > max_entries then return 'CacheSizeExceeded' end
if ARGV[7] ~= '' then return ARGV[7] end
redis.call('SET', prefix .. key, value, 'PXAT', expires_at)
redis.call('ZADD', idx, expires_at, key)
redis.call('PEXPIREAT', idx, ARGV[8])
return 'OK'
)lua";

constexpr const char* kGetScript = R"lua(
local value = redis.call('GET', ARGV[1] .. ARGV[2])
if not value then
  redis.call('ZREM', KEYS[1], ARGV[2])
  return false
end
return {value, redis.call('ZSCORE', KEYS[1], ARGV[2])}
)lua";

constexpr const char* kDeleteScript = R"lua(
redis.call('ZREM', KEYS[1], ARGV[2])
if redis.call('DEL', ARGV[1] .. ARGV[2]) == 1 then return 'OK' end
return 'CacheKeyDoesNotExist'
)lua";

int64_t WallMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::optional<CacheError> ParseCacheError(const std::string& name) {
  for (auto e : {CacheError::kCacheKeySizeExceeded, CacheError::kCacheValueSizeExceeded,
                 CacheError::kCacheSizeExceeded, CacheError::kItemAlreadyExpired,
                 CacheError::kInvalidExpiry, CacheError::kCacheKeyDoesNotExist}) {
    if (name == CacheErrorName(e)) return e;
  }
  return std::nullopt;
}

}  // namespace

struct RedisCache::Reply {
  redisReply* reply;
  explicit Reply(redisReply* r) : reply(r) {}
  ~Reply() { freeReplyObject(reply); }
};

RedisCache::RedisCache(RedisOptions options, CacheLimits limits, CacheLog log)
    : options_(std::move(options)),
      limits_(limits),
      incidents_(fmt::format("redis://{}:{}/{}", options_.host, options_.port, options_.db),
                 std::move(log)) {}

RedisCache::~RedisCache() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (context_ != nullptr) redisFree(context_);
}

void RedisCache::Enqueue(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(task));
    if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  }
  wake_.notify_one();
}

void RedisCache::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (stopping_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

std::optional<CacheRecord> RedisCache::Get(const std::string& scope, const std::string& key,
                                           int64_t now_ms) {
  std::promise<std::optional<CacheRecord>> result;
  GetAsync(scope, key, now_ms, [&result](std::optional<CacheRecord> r) { result.set_value(std::move(r)); });
  return result.get_future().get();
}

CacheWriteResult RedisCache::Set(const std::string& scope, const std::string& key,
                                 const std::string& value, const CacheSetOptions& options,
                                 int64_t now_ms) {
  std::promise<CacheWriteResult> result;
  SetAsync(scope, key, value, options, now_ms, [&result](CacheWriteResult r) { result.set_value(std::move(r)); });
  return result.get_future().get();
}

CacheWriteResult RedisCache::Delete(const std::string& scope, const std::string& key,
                                    int64_t now_ms) {
  std::promise<CacheWriteResult> result;
  DeleteAsync(scope, key, now_ms, [&result](CacheWriteResult r) { result.set_value(std::move(r)); });
  return result.get_future().get();
}

void RedisCache::GetAsync(const std::string& scope, const std::string& key, int64_t now_ms,
                          GetDone done) {
  Enqueue([this, scope, key, now_ms, done = std::move(done)] { done(DoGet(scope, key, now_ms)); });
}

void RedisCache::SetAsync(const std::string& scope, const std::string& key,
                          const std::string& value, const CacheSetOptions& options,
                          int64_t now_ms, WriteDone done) {
  Enqueue([this, scope, key, value, options, now_ms, done = std::move(done)] {
    done(DoSet(scope, key, value, options, now_ms));
  });
}

void RedisCache::DeleteAsync(const std::string& scope, const std::string& key, int64_t,
                             WriteDone done) {
  Enqueue([this, scope, key, done = std::move(done)] { done(DoDelete(scope, key)); });
}

bool RedisCache::Connect() {
  const timeval tv{options_.timeout_ms / 1000, (options_.timeout_ms % 1000) * 1000};
  context_ = redisConnectWithTimeout(options_.host.c_str(), options_.port, tv);
  if (context_ == nullptr || context_->err != 0) {
    incidents_.Failed(fmt::format("cannot connect: {}", context_ ? context_->errstr : "out of memory"));
    if (context_ != nullptr) redisFree(context_);
    context_ = nullptr;
    return false;
  }
  redisSetTimeout(context_, tv);
  if (options_.db != 0) {
    auto* r = static_cast<redisReply*>(redisCommand(context_, "SELECT %d", options_.db));
    const bool ok = r != nullptr && r->type != REDIS_REPLY_ERROR;
    if (!ok) incidents_.Failed(fmt::format("SELECT {} failed: {}", options_.db, r ? r->str : context_->errstr));
    if (r != nullptr) freeReplyObject(r);
    if (!ok) {
      redisFree(context_);
      context_ = nullptr;
      return false;
    }
  }
  return true;
}

std::unique_ptr<RedisCache::Reply> RedisCache::Eval(const char* script, const std::string& scope,
                                                    const std::vector<std::string>& args) {
  const int64_t now = WallMillis();
  if (context_ == nullptr) {
    if (now < retry_at_ms_) return nullptr;  // failing fast within an incident
    if (!Connect()) {
      retry_at_ms_ = now + options_.retry_ms;
      return nullptr;
    }
  }
  const std::string idx = fmt::format("prereg:{{{}}}:idx", scope);
  std::vector<const char*> argv = {"EVAL", script, "1", idx.c_str()};
  std::vector<size_t> lens = {4, std::strlen(script), 1, idx.size()};
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lens.data()));
  if (r == nullptr) {
    incidents_.Failed(fmt::format("command failed: {}", context_->errstr));
    redisFree(context_);
    context_ = nullptr;
    retry_at_ms_ = now + options_.retry_ms;
    return nullptr;
  }
  auto reply = std::make_unique<Reply>(r);
  if (r->type == REDIS_REPLY_ERROR) {
    incidents_.Failed(fmt::format("script error: {}", std::string(r->str, r->len)));
    return nullptr;
  }
  incidents_.Succeeded();
  return reply;
}

std::optional<CacheRecord> RedisCache::DoGet(const std::string& scope, const std::string& key,
                                             int64_t now_ms) {
  auto reply = Eval(kGetScript, scope, {fmt::format("prereg:{{{}}}:v:", scope), key});
  if (!reply) return std::nullopt;
  const redisReply* r = reply->reply;
  // The record is read back from a store other processes share: its shape is checked, not trusted.
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) return std::nullopt;
  const redisReply* value = r->element[0];
  const redisReply* score = r->element[1];
  if (value->type != REDIS_REPLY_STRING || score->type != REDIS_REPLY_STRING) return std::nullopt;
  CacheRecord record{std::string(value->str, value->len), 0};
  double expires_at = 0;  // a sorted-set score, e.g. "1767225600000"
  auto [end, ec] = std::from_chars(score->str, score->str + score->len, expires_at);
  if (ec != std::errc() || end != score->str + score->len || !(expires_at > 0) ||
      expires_at > 9e15) {
    return std::nullopt;
  }
  record.expires_at = static_cast<int64_t>(expires_at);
  if (record.expires_at <= now_ms) return std::nullopt;
  return record;
}

CacheWriteResult RedisCache::DoSet(const std::string& scope, const std::string& key,
                                   const std::string& value, const CacheSetOptions& options,
                                   int64_t now_ms) {
  if (auto e = CheckEntrySize(key, value, limits_)) return CacheWriteResult::Failure(*e);
  auto expiry = ComputeExpiry(options, now_ms, limits_);
  const auto* error = std::get_if<CacheError>(&expiry);
  const int64_t expires_at = error ? now_ms + 1 : std::get<int64_t>(expiry);
  auto reply = Eval(kSetScript, scope,
                    {fmt::format("prereg:{{{}}}:v:", scope), key, value, std::to_string(expires_at),
                     std::to_string(limits_.max_total_bytes), std::to_string(limits_.max_entries),
                     error ? CacheErrorName(*error) : "",
                     std::to_string(now_ms + limits_.max_ttl_ms + 60'000)});
  if (!reply) return CacheWriteResult::Failure(CacheError::kFailedToSetCacheRecord);
  const std::string status(reply->reply->str ? reply->reply->str : "", reply->reply->len);
  if (status == "OK") return CacheWriteResult::Success({value, expires_at});
  return CacheWriteResult::Failure(
      ParseCacheError(status).value_or(CacheError::kFailedToSetCacheRecord));
}

CacheWriteResult RedisCache::DoDelete(const std::string& scope, const std::string& key) {
  auto reply = Eval(kDeleteScript, scope, {fmt::format("prereg:{{{}}}:v:", scope), key});
  if (!reply) return CacheWriteResult::Failure(CacheError::kFailedToDeleteCacheRecord);
  const std::string status(reply->reply->str ? reply->reply->str : "", reply->reply->len);
  if (status == "OK") return CacheWriteResult::Success({});
  return CacheWriteResult::Failure(
      ParseCacheError(status).value_or(CacheError::kFailedToDeleteCacheRecord));
}

}  // namespace prereg::adapters
