// Rules shared by every cache store (SPEC §3.1), and the in-memory store.
//
// Order of checks in set: key size, value size, what the store holds (total bytes, entry count),
// then expiry. Expired records and the old value of the key being replaced do not count.

#include "prereg/actions/cache.h"

#include <cmath>

namespace prereg {

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;  // Number.MAX_SAFE_INTEGER

// The option as a finite number, or nothing when it is not one.
std::optional<double> FiniteNumber(const Value& v) {
  if (!v.is_json() || !v.json().is_number()) return std::nullopt;
  double d = v.json().get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

}  // namespace

const char* CacheErrorName(CacheError error) {
  switch (error) {
    case CacheError::kCacheKeySizeExceeded: return "CacheKeySizeExceeded";
    case CacheError::kCacheValueSizeExceeded: return "CacheValueSizeExceeded";
    case CacheError::kCacheSizeExceeded: return "CacheSizeExceeded";
    case CacheError::kItemAlreadyExpired: return "ItemAlreadyExpired";
    case CacheError::kInvalidExpiry: return "InvalidExpiry";
    case CacheError::kFailedToSetCacheRecord: return "FailedToSetCacheRecord";
    case CacheError::kFailedToDeleteCacheRecord: return "FailedToDeleteCacheRecord";
    case CacheError::kCacheKeyDoesNotExist: return "CacheKeyDoesNotExist";
  }
  return "FailedToSetCacheRecord";
}

nlohmann::json CacheWriteResult::ToJson(bool with_record) const {
  if (error) return {{"type", "error"}, {"code", CacheErrorName(*error)}};
  nlohmann::json out = {{"type", "success"}};
  if (with_record) out["record"] = {{"value", record.value}, {"expires_at", record.expires_at}};
  return out;
}

std::optional<CacheError> CheckEntrySize(const std::string& key, const std::string& value,
                                         const CacheLimits& limits) {
  if (key.size() > limits.max_key_bytes) return CacheError::kCacheKeySizeExceeded;
  if (value.size() > limits.max_value_bytes) return CacheError::kCacheValueSizeExceeded;
  return std::nullopt;
}

std::variant<int64_t, CacheError> ComputeExpiry(const CacheSetOptions& options, int64_t now_ms,
                                                const CacheLimits& limits) {
  std::optional<double> expiry;
  if (!options.ttl.is_undefined()) {
    auto ttl = FiniteNumber(options.ttl);
    if (!ttl) return CacheError::kInvalidExpiry;
    expiry = static_cast<double>(now_ms) + std::floor(*ttl);
  }
  if (!options.expires_at.is_undefined()) {
    auto at = FiniteNumber(options.expires_at);
    if (!at) return CacheError::kInvalidExpiry;
    double floored = std::floor(*at);
    expiry = expiry ? std::min(*expiry, floored) : floored;
  }
  if (!expiry) return now_ms + limits.default_ttl_ms;
  if (std::fabs(*expiry) > kMaxSafeInteger) return CacheError::kInvalidExpiry;
  auto at = static_cast<int64_t>(*expiry);
  if (at <= now_ms) return CacheError::kItemAlreadyExpired;
  return std::min(at, now_ms + limits.max_ttl_ms);
}

std::string CacheScope(const std::string& tenant) {
  return (tenant.empty() ? std::string("default") : tenant) + "/pre-user-registration";
}

std::optional<CacheRecord> GetRecord(CacheRecordMap* records, const std::string& key,
                                     int64_t now_ms) {
  auto it = records->find(key);
  if (it == records->end()) return std::nullopt;
  if (it->second.expires_at <= now_ms) {
    records->erase(it);
    return std::nullopt;
  }
  return it->second;
}

CacheWriteResult SetRecord(CacheRecordMap* records, const std::string& key,
                           const std::string& value, const CacheSetOptions& options,
                           int64_t now_ms, const CacheLimits& limits) {
  if (auto e = CheckEntrySize(key, value, limits)) return CacheWriteResult::Failure(*e);
  size_t bytes = key.size() + value.size();
  size_t entries = 1;
  for (auto it = records->begin(); it != records->end();) {
    if (it->second.expires_at <= now_ms) {
      it = records->erase(it);
      continue;
    }
    if (it->first != key) {
      bytes += it->first.size() + it->second.value.size();
      ++entries;
    }
    ++it;
  }
  if (bytes > limits.max_total_bytes || entries > limits.max_entries) {
    return CacheWriteResult::Failure(CacheError::kCacheSizeExceeded);
  }
  auto expiry = ComputeExpiry(options, now_ms, limits);
  if (auto* e = std::get_if<CacheError>(&expiry)) return CacheWriteResult::Failure(*e);
  CacheRecord record{value, std::get<int64_t>(expiry)};
  (*records)[key] = record;
  return CacheWriteResult::Success(std::move(record));
}

CacheWriteResult DeleteRecord(CacheRecordMap* records, const std::string& key, int64_t now_ms) {
  if (!GetRecord(records, key, now_ms)) {
    return CacheWriteResult::Failure(CacheError::kCacheKeyDoesNotExist);
  }
  records->erase(key);
  return CacheWriteResult::Success({});
}

std::optional<CacheRecord> MemoryCache::Get(const std::string& scope, const std::string& key,
                                            int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return GetRecord(&scopes_[scope], key, now_ms);
}

CacheWriteResult MemoryCache::Set(const std::string& scope, const std::string& key,
                                  const std::string& value, const CacheSetOptions& options,
                                  int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return SetRecord(&scopes_[scope], key, value, options, now_ms, limits_);
}

CacheWriteResult MemoryCache::Delete(const std::string& scope, const std::string& key,
                                     int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return DeleteRecord(&scopes_[scope], key, now_ms);
}

bool EvictionDrillCache::Drill::Drop() {
  std::lock_guard<std::mutex> lock(mu);
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < probability;
}

std::optional<CacheRecord> EvictionDrillCache::Get(const std::string& scope,
                                                   const std::string& key, int64_t now_ms) {
  auto record = inner_->Get(scope, key, now_ms);
  if (!record || !drill_->Drop()) return record;
  (void)inner_->Delete(scope, key, now_ms);  // gone for good, as an eviction is
  return std::nullopt;
}

void EvictionDrillCache::GetAsync(const std::string& scope, const std::string& key,
                                  int64_t now_ms, GetDone done) {
  inner_->GetAsync(scope, key, now_ms,
                   [inner = inner_, drill = drill_, scope, key, now_ms,
                    done = std::move(done)](std::optional<CacheRecord> record) {
                     if (!record || !drill->Drop()) return done(std::move(record));
                     inner->DeleteAsync(scope, key, now_ms, [](CacheWriteResult) {});
                     done(std::nullopt);
                   });
}

}  // namespace prereg
