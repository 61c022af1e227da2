// Cache: the store behind api.cache (SPEC §3.1).
//
// One Cache serves one trigger: every step of every execution of a flow sees the same records.
// The rules every store shares (entry sizes, expiry computation) are free functions here, so a
// store only keeps records and enforces the limits that depend on what it holds (total size,
// entry count). Records are best effort: a store may lose them before they expire.
//
// Thread safety: implementations must be safe for concurrent use. The asynchronous forms may call
// `done` on any thread: callers that need their own thread hop back to it (Api does).

#ifndef PREREG_ACTIONS_CACHE_H_
#define PREREG_ACTIONS_CACHE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "prereg/actions/value.h"

namespace prereg {

enum class CacheError {
  kCacheKeySizeExceeded,
  kCacheValueSizeExceeded,
  kCacheSizeExceeded,
  kItemAlreadyExpired,
  kInvalidExpiry,
  kFailedToSetCacheRecord,
  kFailedToDeleteCacheRecord,
  kCacheKeyDoesNotExist,
};

// Auth0's name for `error`, e.g. "CacheKeySizeExceeded".
const char* CacheErrorName(CacheError error);

struct CacheLimits {
  // Largest key, in UTF-8 bytes. Default: 64
  size_t max_key_bytes = 64;
  // Largest value, in UTF-8 bytes. Default: 4096
  size_t max_value_bytes = 4096;
  // Largest sum of the bytes of all live keys and values. Default: 8192
  size_t max_total_bytes = 8192;
  // Most live records. Default: 20
  size_t max_entries = 20;
  // Lifetime of a record set with neither ttl nor expires_at. Default: 15 minutes
  int64_t default_ttl_ms = 15 * 60 * 1000;
  // Longest lifetime; longer expiries are clamped to it. Default: 24 hours
  int64_t max_ttl_ms = 24 * 60 * 60 * 1000;
};

struct CacheRecord {
  std::string value;
  int64_t expires_at = 0;  // ms since the Unix epoch
};

// The options object of api.cache.set(key, value, {ttl, expires_at}); undefined when not given.
struct CacheSetOptions {
  Value ttl;
  Value expires_at;
};

// The result of set or delete: success (with the record, for set) or an error code.
struct CacheWriteResult {
  std::optional<CacheError> error;
  CacheRecord record;

  static CacheWriteResult Success(CacheRecord r) { return {std::nullopt, std::move(r)}; }
  static CacheWriteResult Failure(CacheError e) { return {e, {}}; }
  bool ok() const { return !error.has_value(); }
  // {type:'success', record:{value, expires_at}} or {type:'error', code}; `with_record` false
  // gives delete's {type:'success'}.
  nlohmann::json ToJson(bool with_record = true) const;
};

// Checks key and value sizes, in that order. Returns the first error, or nothing.
std::optional<CacheError> CheckEntrySize(const std::string& key, const std::string& value,
                                         const CacheLimits& limits);

// Computes when a record set at `now_ms` with `options` expires: the earlier of ttl and
// expires_at, the default lifetime when neither is given, clamped to the maximum lifetime.
// Returns kInvalidExpiry for an option that is not a finite number or a result that is not a safe
// integer, kItemAlreadyExpired for an expiry at or before now.
std::variant<int64_t, CacheError> ComputeExpiry(const CacheSetOptions& options, int64_t now_ms,
                                                const CacheLimits& limits);

// Records of one scope, by key, and the rules of SPEC §3.1 applied to them. Stores that keep a
// whole scope in hand (memory, a file) use these; Redis applies the same rules in a script.
using CacheRecordMap = std::map<std::string, CacheRecord>;
// The live record for `key`; drops it if expired.
std::optional<CacheRecord> GetRecord(CacheRecordMap* records, const std::string& key,
                                     int64_t now_ms);
// Drops expired records, then applies every rule of set in order and stores the record.
CacheWriteResult SetRecord(CacheRecordMap* records, const std::string& key,
                           const std::string& value, const CacheSetOptions& options,
                           int64_t now_ms, const CacheLimits& limits);
// Removes a live record; kCacheKeyDoesNotExist when there is none.
CacheWriteResult DeleteRecord(CacheRecordMap* records, const std::string& key, int64_t now_ms);

// The scope of a flow's cache: records are shared by every step and execution of one trigger of
// one tenant, and by nobody else. "<tenant>/pre-user-registration".
std::string CacheScope(const std::string& tenant);

class Cache {
 public:
  virtual ~Cache() = default;

  // Returns the live record for `key` in `scope`, or nothing (missing, expired or lost).
  virtual std::optional<CacheRecord> Get(const std::string& scope, const std::string& key,
                                         int64_t now_ms) = 0;
  // Applies every rule of SPEC §3.1 in order and stores the record, or returns the error.
  // A store that cannot be reached returns kFailedToSetCacheRecord.
  virtual CacheWriteResult Set(const std::string& scope, const std::string& key,
                               const std::string& value, const CacheSetOptions& options,
                               int64_t now_ms) = 0;
  // Removes a live record; kCacheKeyDoesNotExist when there is none, kFailedToDeleteCacheRecord
  // when the store cannot be reached.
  virtual CacheWriteResult Delete(const std::string& scope, const std::string& key,
                                  int64_t now_ms) = 0;

  // The same calls for stores that wait on a network: each returns at once and `done` runs exactly
  // once, inline or later on another thread. The defaults call the synchronous forms inline.
  using GetDone = std::function<void(std::optional<CacheRecord>)>;
  using WriteDone = std::function<void(CacheWriteResult)>;
  virtual void GetAsync(const std::string& scope, const std::string& key, int64_t now_ms,
                        GetDone done) {
    done(Get(scope, key, now_ms));
  }
  virtual void SetAsync(const std::string& scope, const std::string& key, const std::string& value,
                        const CacheSetOptions& options, int64_t now_ms, WriteDone done) {
    done(Set(scope, key, value, options, now_ms));
  }
  virtual void DeleteAsync(const std::string& scope, const std::string& key, int64_t now_ms,
                           WriteDone done) {
    done(Delete(scope, key, now_ms));
  }
};

// The embedded default: records in this process's memory, for as long as the object lives.
class MemoryCache : public Cache {
 public:
  explicit MemoryCache(CacheLimits limits = {}) : limits_(limits) {}

  std::optional<CacheRecord> Get(const std::string& scope, const std::string& key,
                                 int64_t now_ms) override;
  CacheWriteResult Set(const std::string& scope, const std::string& key, const std::string& value,
                       const CacheSetOptions& options, int64_t now_ms) override;
  CacheWriteResult Delete(const std::string& scope, const std::string& key,
                          int64_t now_ms) override;

 private:
  const CacheLimits limits_;
  std::mutex mu_;
  std::map<std::string, CacheRecordMap> scopes_;  // GUARDED_BY(mu_)
};

// The eviction drill: wraps a store and loses each record it is asked for with probability
// `probability`, as Auth0 may, so that scripts that wrongly rely on the cache fail in tests.
// The same seed drops the same reads.
class EvictionDrillCache : public Cache {
 public:
  EvictionDrillCache(std::shared_ptr<Cache> inner, double probability, uint64_t seed = 1)
      : inner_(std::move(inner)), drill_(std::make_shared<Drill>(probability, seed)) {}

  std::optional<CacheRecord> Get(const std::string& scope, const std::string& key,
                                 int64_t now_ms) override;
  void GetAsync(const std::string& scope, const std::string& key, int64_t now_ms,
                GetDone done) override;
  void SetAsync(const std::string& scope, const std::string& key, const std::string& value,
                const CacheSetOptions& options, int64_t now_ms, WriteDone done) override {
    inner_->SetAsync(scope, key, value, options, now_ms, std::move(done));
  }
  void DeleteAsync(const std::string& scope, const std::string& key, int64_t now_ms,
                   WriteDone done) override {
    inner_->DeleteAsync(scope, key, now_ms, std::move(done));
  }
  CacheWriteResult Set(const std::string& scope, const std::string& key, const std::string& value,
                       const CacheSetOptions& options, int64_t now_ms) override {
    return inner_->Set(scope, key, value, options, now_ms);
  }
  CacheWriteResult Delete(const std::string& scope, const std::string& key,
                          int64_t now_ms) override {
    return inner_->Delete(scope, key, now_ms);
  }

 private:
  // Shared with asynchronous reads, which may finish on another thread after this object is gone.
  struct Drill {
    Drill(double p, uint64_t seed) : probability(p), rng(seed) {}
    bool Drop();  // one draw of the drill's sequence
    const double probability;
    std::mutex mu;
    std::mt19937_64 rng;  // GUARDED_BY(mu)
  };

  std::shared_ptr<Cache> inner_;
  std::shared_ptr<Drill> drill_;
};

}  // namespace prereg

#endif  // PREREG_ACTIONS_CACHE_H_
