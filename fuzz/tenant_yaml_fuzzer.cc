// Tenant exports' untrusted text: deploy-cli keyword replacement, marker search and the YAML
// reader (libyaml events into JSON, bounded in depth and expanded size).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "prereg/adapters/tenant_export.h"
#include "prereg/adapters/yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static const nlohmann::ordered_json mappings = nlohmann::ordered_json::parse(
      R"({"PLAN": "free", "LIST": ["a", "b"], "DOLLAR": "$&$$$'$`"})");
  const std::string replaced = prereg::adapters::ReplaceKeywords(text, mappings);
  (void)prereg::adapters::FindMarkers(replaced).size();
  prereg::adapters::YamlLimits limits;
  limits.max_nodes = 100000;  // keeps each input fast; the bound is what is tested
  auto doc = prereg::adapters::ParseYaml(replaced, "tenant.yaml", limits);
  if (doc.ok()) {
    (void)doc.value().dump().size();
  } else {
    (void)doc.status().ToString();
  }
  return 0;
}
