// Reading YAML (a deploy-cli tenant.yaml) into JSON values, bounded like ParseJson.
//
// Scalars resolve as js-yaml 4's default schema does, which is what deploy-cli loads with: plain
// `true`/`false` (any case form js-yaml takes), `null`/`~`/empty, integers (decimal, 0x, 0o, 0b,
// `_` separators) and floats become JSON values; quoted, block and `!!str` scalars stay strings.
// Anchors, aliases and `<<` merge keys work; timestamps stay strings. One document only, as
// js-yaml's load().

#ifndef PREREG_ADAPTERS_YAML_H_
#define PREREG_ADAPTERS_YAML_H_

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "prereg/actions/status.h"

namespace prereg::adapters {

struct YamlLimits {
  size_t max_bytes = 16 * 1024 * 1024;
  size_t max_depth = 64;
  size_t max_nodes = 1000000;  // after alias expansion: no billion laughs
};

// kInvalidArgument naming `what`, the line and column, and the problem.
Result<nlohmann::json> ParseYaml(std::string_view text, std::string_view what,
                                 const YamlLimits& limits = {});
// The same, keeping every mapping's keys in the order written.
Result<nlohmann::ordered_json> ParseYamlOrdered(std::string_view text, std::string_view what,
                                                const YamlLimits& limits = {});

// Writes `value` as block YAML the way js-yaml's dump() (what `a0deploy export` writes) lays it
// out: two-space indentation, sequences indented under their key, strings plain where YAML
// reads them back as the same string and quoted otherwise. ParseYaml reads it back equal.
std::string DumpYaml(const nlohmann::ordered_json& value);

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_YAML_H_
