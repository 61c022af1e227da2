// The fast JSON reader against nlohmann's: whatever FastParseJson accepts, the SAX path must
// accept too and build the same tree, type for type (nlohmann's == calls 1 and 1u equal). The
// first byte picks the depth limit.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "json_fast.h"

namespace {

using json = nlohmann::json;

bool Same(const json& a, const json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !Same(*it, *other)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!Same(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t max_depth = (data[0] & 0x80) != 0 ? 128 : data[0] % 8 + 1;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  json fast;
  if (!prereg::FastParseJson(text, max_depth, &fast)) return 0;
  auto sax = prereg::ParseJsonSax(text, "input", prereg::JsonLimits{max_depth});
  if (!sax.ok() || !Same(fast, sax.value())) std::abort();
  return 0;
}
