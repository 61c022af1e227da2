// Internal to actions_core: the metadata rules of SPEC §5 and the top-level merge of §2.

#ifndef PREREG_ACTIONS_METADATA_RULES_H_
#define PREREG_ACTIONS_METADATA_RULES_H_

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "prereg/actions/api.h"

namespace prereg {

// Which metadata object a key or value belongs to.
enum class MetadataKind { kApp, kUser };
const char* MetadataName(MetadataKind kind);  // "app_metadata" or "user_metadata"

// Checks a top-level key and, recursively, every key inside `value`. Returns the broken rule.
std::optional<std::string> CheckMetadataEntry(MetadataKind kind, std::string_view key,
                                              const nlohmann::json& value,
                                              const MetadataOptions& options);

// Returns the broken rule when `metadata` is larger than allowed as compact JSON.
std::optional<std::string> CheckMetadataSize(MetadataKind kind, const nlohmann::json& metadata,
                                             const MetadataOptions& options);

// Applies top-level `changes` to the object `*target`: a null value deletes the key.
// A non-object *target is replaced by an empty object first.
void MergeTopLevel(nlohmann::json* target, const nlohmann::json& changes);

}  // namespace prereg

#endif  // PREREG_ACTIONS_METADATA_RULES_H_
