#include <charconv>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "prereg/adapters/cache_stores.h"

namespace prereg::adapters {

namespace {

template <typename T>
bool ParseNumber(const std::string& text, T* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

Result<std::shared_ptr<Cache>> OpenCache(const std::string& uri, CacheLog log) {
  std::string base = uri;
  std::map<std::string, std::string> params;
  if (auto q = uri.find('?'); q != std::string::npos) {
    base = uri.substr(0, q);
    std::string rest = uri.substr(q + 1);
    while (!rest.empty()) {
      auto amp = rest.find('&');
      std::string pair = rest.substr(0, amp);
      rest = amp == std::string::npos ? "" : rest.substr(amp + 1);
      auto eq = pair.find('=');
      if (eq == std::string::npos) {
        return Status::InvalidArgument(fmt::format("--cache {}: parameter \"{}\" needs a value", uri, pair));
      }
      params[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
  }
  CacheLimits limits;
  double evict = 0;
  uint64_t seed = 1;
  int redis_timeout_ms = RedisOptions{}.timeout_ms;
  for (const auto& [name, value] : params) {
    bool ok = true;
    if (name == "max_key_bytes") ok = ParseNumber(value, &limits.max_key_bytes);
    else if (name == "max_value_bytes") ok = ParseNumber(value, &limits.max_value_bytes);
    else if (name == "max_total_bytes") ok = ParseNumber(value, &limits.max_total_bytes);
    else if (name == "max_entries") ok = ParseNumber(value, &limits.max_entries);
    else if (name == "default_ttl_ms") ok = ParseNumber(value, &limits.default_ttl_ms) && limits.default_ttl_ms > 0;
    else if (name == "max_ttl_ms") ok = ParseNumber(value, &limits.max_ttl_ms) && limits.max_ttl_ms > 0;
    else if (name == "seed") ok = ParseNumber(value, &seed);
    else if (name == "timeout_ms") ok = ParseNumber(value, &redis_timeout_ms) && redis_timeout_ms > 0;
    else if (name == "evict") {
      char* end = nullptr;
      evict = std::strtod(value.c_str(), &end);
      ok = end != value.c_str() && *end == '\0' && evict >= 0 && evict <= 1;
    } else {
      return Status::InvalidArgument(fmt::format(
          "--cache {}: unknown parameter \"{}\" (known: max_key_bytes, max_value_bytes, "
          "max_total_bytes, max_entries, default_ttl_ms, max_ttl_ms, evict, seed, timeout_ms)",
          uri, name));
    }
    if (!ok) {
      return Status::InvalidArgument(
          fmt::format("--cache {}: \"{}\" is not a valid value for {}", uri, value, name));
    }
  }

  std::shared_ptr<Cache> store;
  if (base.empty() || base == "memory" || base == "memory:") {
    store = std::make_shared<MemoryCache>(limits);
  } else if (base.rfind("file:", 0) == 0) {
    const std::string path = base.substr(5);
    if (path.empty()) return Status::InvalidArgument("--cache file:PATH needs a path");
    store = std::make_shared<FileCache>(path, limits, log);
  } else if (base.rfind("redis://", 0) == 0) {
    RedisOptions options;
    options.timeout_ms = redis_timeout_ms;
    std::string rest = base.substr(8);
    if (auto slash = rest.find('/'); slash != std::string::npos) {
      const std::string db = rest.substr(slash + 1);
      if (!db.empty() && (!ParseNumber(db, &options.db) || options.db < 0)) {
        return Status::InvalidArgument(fmt::format("--cache {}: \"{}\" is not a database number", uri, db));
      }
      rest = rest.substr(0, slash);
    }
    if (auto colon = rest.rfind(':'); colon != std::string::npos) {
      if (!ParseNumber(rest.substr(colon + 1), &options.port) || options.port <= 0 ||
          options.port > 65535) {
        return Status::InvalidArgument(fmt::format("--cache {}: bad port", uri));
      }
      rest = rest.substr(0, colon);
    }
    if (!rest.empty()) options.host = rest;
    store = std::make_shared<RedisCache>(options, limits, log);
  } else {
    return Status::InvalidArgument(fmt::format(
        "--cache {}: expected memory, file:PATH or redis://HOST:PORT/DB", uri));
  }
  if (evict > 0) store = std::make_shared<EvictionDrillCache>(store, evict, seed);
  return store;
}

}  // namespace prereg::adapters
