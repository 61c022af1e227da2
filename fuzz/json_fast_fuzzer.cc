// The fast JSON reader against nlohmann's: whatever FastParseJson accepts, the SAX path must
// accept too and build the same tree, type for type. The first byte picks the depth limit.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "json_fast.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t max_depth = (data[0] & 0x80) != 0 ? 128 : data[0] % 8 + 1;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  nlohmann::json fast;
  if (!prereg::FastParseJson(text, max_depth, &fast)) return 0;
  auto sax = prereg::ParseJsonSax(text, "input", prereg::JsonLimits{max_depth});
  if (!sax.ok() || !prereg::SameJsonTree(fast, sax.value())) std::abort();
  return 0;
}
