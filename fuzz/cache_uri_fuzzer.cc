// --cache URIs, and for in-memory stores the cache rules (SPEC §3.1) on the limits the URI set:
// the first line is the URI, then "key\tvalue\tttl" lines are set, read and deleted.

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "prereg/actions/json.h"
#include "prereg/adapters/cache_stores.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::string uri;
  std::getline(in, uri);
  auto store = prereg::adapters::OpenCache(uri, [](const std::string&) {});
  if (!store.ok()) return 0;
  // Files and Redis would reach out of the process; their parsing is what is fuzzed here.
  if (uri.rfind("file:", 0) == 0 || uri.rfind("redis://", 0) == 0) return 0;
  const int64_t now = 1'700'000'000'000;
  for (std::string line; std::getline(in, line);) {
    const auto tab = line.find('\t');
    const std::string key = line.substr(0, tab);
    const std::string rest = tab == std::string::npos ? "" : line.substr(tab + 1);
    const auto tab2 = rest.find('\t');
    const std::string value = rest.substr(0, tab2);
    prereg::CacheSetOptions options;
    if (tab2 != std::string::npos) {
      auto ttl = prereg::ParseJson(rest.substr(tab2 + 1), "ttl");
      if (ttl.ok()) options.ttl = prereg::Value(ttl.value());
    }
    (void)prereg::DumpJson(store.value()->Set("s", key, value, options, now).ToJson());
    (void)store.value()->Get("s", key, now + 1);
    if (key.size() % 3 == 0) (void)store.value()->Delete("s", key, now + 2);
  }
  return 0;
}
