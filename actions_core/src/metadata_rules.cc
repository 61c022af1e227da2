#include "metadata_rules.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "prereg/actions/json.h"

namespace prereg {

namespace {

// Auth0's reserved top-level app_metadata names (D-META).
constexpr std::array<std::string_view, 18> kReservedAppKeys = {
    "__tenant", "_id", "blocked", "clientID", "created_at", "email_verified", "email",
    "globalClientID", "global_client_id", "identities", "lastIP", "lastLogin", "loginsCount",
    "metadata", "multifactor_last_modified", "multifactor", "updated_at", "user_id"};

std::optional<std::string> CheckKeyName(std::string_view key, const std::string& where,
                                        const MetadataOptions& options) {
  if (!key.empty() && key.front() == '$') {
    return fmt::format("metadata key \"{}\"{} must not start with \"$\"", key, where);
  }
  if (options.ban_dollar_anywhere && key.find('$') != std::string_view::npos) {
    return fmt::format("metadata key \"{}\"{} must not contain \"$\"", key, where);
  }
  if (key.find('.') != std::string_view::npos) {
    return fmt::format("metadata key \"{}\"{} must not contain \".\"", key, where);
  }
  return std::nullopt;
}

std::optional<std::string> CheckNested(const nlohmann::json& value, const std::string& path,
                                       const MetadataOptions& options) {
  if (value.is_object()) {
    for (const auto& [k, v] : value.items()) {
      if (auto e = CheckKeyName(k, fmt::format(" (inside \"{}\")", path), options)) return e;
      if (auto e = CheckNested(v, path + "/" + k, options)) return e;
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      if (auto e = CheckNested(value[i], fmt::format("{}/{}", path, i), options)) return e;
    }
  }
  return std::nullopt;
}

}  // namespace

const char* MetadataName(MetadataKind kind) {
  return kind == MetadataKind::kApp ? "app_metadata" : "user_metadata";
}

std::optional<std::string> CheckMetadataEntry(MetadataKind kind, std::string_view key,
                                              const nlohmann::json& value,
                                              const MetadataOptions& options) {
  if (auto e = CheckKeyName(key, "", options)) return e;
  if (kind == MetadataKind::kApp &&
      std::find(kReservedAppKeys.begin(), kReservedAppKeys.end(), key) != kReservedAppKeys.end()) {
    return fmt::format("\"{}\" is a reserved app_metadata name", key);
  }
  return CheckNested(value, std::string(key), options);
}

std::optional<std::string> CheckMetadataSize(MetadataKind kind, const nlohmann::json& metadata,
                                             const MetadataOptions& options) {
  size_t size = DumpJson(metadata).size();
  if (size <= options.max_bytes) return std::nullopt;
  return fmt::format("{} would be {} bytes as JSON, over the limit of {} bytes",
                     MetadataName(kind), size, options.max_bytes);
}

void MergeTopLevel(nlohmann::json* target, const nlohmann::json& changes) {
  if (!target->is_object()) *target = nlohmann::json::object();
  for (const auto& [k, v] : changes.items()) {
    if (v.is_null()) {
      target->erase(k);
    } else {
      (*target)[k] = v;
    }
  }
}

}  // namespace prereg
