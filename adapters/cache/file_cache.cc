// The file store: {"version": 1, "scopes": {"<scope>": {"<key>": {"value": "...",
// "expires_at": N}}}}. Each call takes an flock on PATH.lock (shared to read, exclusive to
// write), so concurrent prereg processes on one machine see one consistent cache; a write goes
// to a temporary file renamed over PATH, so a crash never leaves half a file.

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "prereg/actions/json.h"
#include "prereg/adapters/cache_stores.h"

namespace prereg::adapters {

namespace {

class FileLock {
 public:
  FileLock(const std::string& path, bool exclusive) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ >= 0 && ::flock(fd_, exclusive ? LOCK_EX : LOCK_SH) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace

FileCache::FileCache(std::string path, CacheLimits limits, CacheLog log)
    : path_(std::move(path)), limits_(limits), incidents_("file:" + path_, std::move(log)) {}

bool FileCache::WithRecords(const std::string& scope, bool write,
                            const std::function<bool(CacheRecordMap*)>& fn) {
  FileLock lock(path_ + ".lock", write);
  if (!lock.ok()) {
    incidents_.Failed(fmt::format("cannot lock {}.lock: {}", path_, std::strerror(errno)));
    return false;
  }
  nlohmann::json doc = {{"version", 1}, {"scopes", nlohmann::json::object()}};
  {
    std::ifstream in(path_, std::ios::binary);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      auto parsed = ParseJson(text.str(), path_);
      if (parsed.ok() && parsed.value().is_object() && parsed.value().contains("scopes") &&
          parsed.value()["scopes"].is_object()) {
        doc = std::move(parsed).value();
      } else if (!text.str().empty()) {
        // A cache may lose records; a damaged file is started afresh rather than failing forever.
        incidents_.Failed(fmt::format("{} is not a prereg cache file; starting it afresh", path_));
      }
    }
  }
  CacheRecordMap records;
  const auto& stored = doc["scopes"].value(scope, nlohmann::json::object());
  for (const auto& [key, r] : stored.items()) {
    if (r.is_object() && r.value("value", nlohmann::json()).is_string() &&
        r.value("expires_at", nlohmann::json()).is_number_integer()) {
      records[key] = CacheRecord{r["value"].get<std::string>(), r["expires_at"].get<int64_t>()};
    }
  }
  const bool changed = fn(&records);
  if (write && changed) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, r] : records) out[key] = {{"value", r.value}, {"expires_at", r.expires_at}};
    doc["scopes"][scope] = std::move(out);
    const std::string tmp = fmt::format("{}.tmp.{}", path_, ::getpid());
    {
      std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
      file << DumpJson(doc);
      if (!file.flush()) {
        incidents_.Failed(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
        return false;
      }
    }
    if (::rename(tmp.c_str(), path_.c_str()) != 0) {
      incidents_.Failed(fmt::format("cannot replace {}: {}", path_, std::strerror(errno)));
      ::unlink(tmp.c_str());
      return false;
    }
  }
  incidents_.Succeeded();
  return true;
}

std::optional<CacheRecord> FileCache::Get(const std::string& scope, const std::string& key,
                                          int64_t now_ms) {
  std::optional<CacheRecord> out;
  WithRecords(scope, false, [&](CacheRecordMap* records) {
    out = GetRecord(records, key, now_ms);
    return false;
  });
  return out;
}

CacheWriteResult FileCache::Set(const std::string& scope, const std::string& key,
                                const std::string& value, const CacheSetOptions& options,
                                int64_t now_ms) {
  CacheWriteResult result = CacheWriteResult::Failure(CacheError::kFailedToSetCacheRecord);
  if (!WithRecords(scope, true, [&](CacheRecordMap* records) {
        result = SetRecord(records, key, value, options, now_ms, limits_);
        return result.ok();
      })) {
    return CacheWriteResult::Failure(CacheError::kFailedToSetCacheRecord);
  }
  return result;
}

CacheWriteResult FileCache::Delete(const std::string& scope, const std::string& key,
                                   int64_t now_ms) {
  CacheWriteResult result = CacheWriteResult::Failure(CacheError::kFailedToDeleteCacheRecord);
  if (!WithRecords(scope, true, [&](CacheRecordMap* records) {
        result = DeleteRecord(records, key, now_ms);
        return result.ok();
      })) {
    return CacheWriteResult::Failure(CacheError::kFailedToDeleteCacheRecord);
  }
  return result;
}

}  // namespace prereg::adapters
