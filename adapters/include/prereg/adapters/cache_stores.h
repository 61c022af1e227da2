// Cache stores beyond the in-memory default, and the one option that chooses among them.
//
//   memory                      records in this process (the default)
//   file:PATH                   a JSON file shared by every process on this machine that names it
//   redis://HOST:PORT/DB        a Redis server shared by several engine instances
// Any of them takes query parameters: max_key_bytes, max_value_bytes, max_total_bytes,
// max_entries, default_ttl_ms, max_ttl_ms (the limits of SPEC §3.1), and evict=P (the eviction
// drill: lose each record read with probability P) with seed=N; Redis also takes timeout_ms (the
// budget of one command, 200 by default).
//
// A store that fails (unreachable Redis, unwritable file) never throws and never blocks for long:
// set and delete return FailedToSetCacheRecord / FailedToDeleteCacheRecord, get returns nothing,
// the failure is logged once per incident and the store recovers by itself.
//
// Thread safety: every store is safe for concurrent use.

#ifndef PREREG_ADAPTERS_CACHE_STORES_H_
#define PREREG_ADAPTERS_CACHE_STORES_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "prereg/actions/cache.h"
#include "prereg/actions/status.h"

struct redisContext;

namespace prereg::adapters {

using CacheLog = std::function<void(const std::string& line)>;

// Logs the start and the end of each incident of a store, not every failed call.
class IncidentLog {
 public:
  IncidentLog(std::string store, CacheLog log) : store_(std::move(store)), log_(std::move(log)) {}
  void Failed(const std::string& what);
  void Succeeded();

 private:
  const std::string store_;
  const CacheLog log_;
  std::mutex mu_;
  bool failing_ = false;  // GUARDED_BY(mu_)
};

class FileCache : public Cache {
 public:
  FileCache(std::string path, CacheLimits limits, CacheLog log);

  std::optional<CacheRecord> Get(const std::string& scope, const std::string& key,
                                 int64_t now_ms) override;
  CacheWriteResult Set(const std::string& scope, const std::string& key, const std::string& value,
                       const CacheSetOptions& options, int64_t now_ms) override;
  CacheWriteResult Delete(const std::string& scope, const std::string& key,
                          int64_t now_ms) override;

 private:
  // Runs `fn` on the scope's records under the file lock; writes them back when `write`.
  // Returns false (and logs) when the file cannot be read or written.
  bool WithRecords(const std::string& scope, bool write,
                   const std::function<bool(CacheRecordMap*)>& fn);

  const std::string path_;
  const CacheLimits limits_;
  IncidentLog incidents_;
};

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  // Budget for connecting and for each command (URI parameter timeout_ms). Default: 200
  int timeout_ms = 200;
  // After a failure, calls fail at once for this long before the next attempt. Default: 1000
  int retry_ms = 1000;
};

// Redis through hiredis' blocking API, on a thread of the store's own (started at first use):
// the asynchronous calls queue there and answer from there, so a slow or hung Redis holds up only
// the executions waiting for it, never the caller's event loop. The synchronous calls queue the
// same way and wait for their turn.
class RedisCache : public Cache {
 public:
  RedisCache(RedisOptions options, CacheLimits limits, CacheLog log);
  // Stops the thread; queued calls that have not run are dropped without an answer.
  ~RedisCache() override;

  std::optional<CacheRecord> Get(const std::string& scope, const std::string& key,
                                 int64_t now_ms) override;
  CacheWriteResult Set(const std::string& scope, const std::string& key, const std::string& value,
                       const CacheSetOptions& options, int64_t now_ms) override;
  CacheWriteResult Delete(const std::string& scope, const std::string& key,
                          int64_t now_ms) override;
  void GetAsync(const std::string& scope, const std::string& key, int64_t now_ms,
                GetDone done) override;
  void SetAsync(const std::string& scope, const std::string& key, const std::string& value,
                const CacheSetOptions& options, int64_t now_ms, WriteDone done) override;
  void DeleteAsync(const std::string& scope, const std::string& key, int64_t now_ms,
                   WriteDone done) override;

 private:
  struct Reply;
  // The calls themselves; run on the store's thread only.
  std::optional<CacheRecord> DoGet(const std::string& scope, const std::string& key, int64_t now_ms);
  CacheWriteResult DoSet(const std::string& scope, const std::string& key, const std::string& value,
                         const CacheSetOptions& options, int64_t now_ms);
  CacheWriteResult DoDelete(const std::string& scope, const std::string& key);
  // Runs EVAL of `script` with the scope's keys and `args`; nullptr when Redis failed.
  std::unique_ptr<Reply> Eval(const char* script, const std::string& scope,
                              const std::vector<std::string>& args);
  bool Connect();
  // Queues `task` for the store's thread, starting it if needed.
  void Enqueue(std::function<void()> task);
  void Loop();

  const RedisOptions options_;
  const CacheLimits limits_;
  IncidentLog incidents_;
  redisContext* context_ = nullptr;  // the store's thread only
  int64_t retry_at_ms_ = 0;          // the store's thread only
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                    // GUARDED_BY(mu_)
  std::thread thread_;                       // started by the first Enqueue, under mu_
};

// Opens the store `uri` names (see the top of this file). kInvalidArgument names what is wrong.
Result<std::shared_ptr<Cache>> OpenCache(const std::string& uri, CacheLog log);

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_CACHE_STORES_H_
